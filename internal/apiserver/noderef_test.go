package apiserver

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"go.uber.org/zap"

	"drover/internal/engine"
	"drover/internal/placement"
)

func TestNodeRefPath(t *testing.T) {
	cases := []struct {
		method, path, want string
	}{
		// containers
		{"GET", "/containers/node-1/web/json", "/containers/node-1%2Fweb/json"},
		{"POST", "/containers/node-1/web/exec", "/containers/node-1%2Fweb/exec"},
		{"DELETE", "/containers/node-1/web", "/containers/node-1%2Fweb"},
		{"GET", "/containers/node-1/web/attach/ws", "/containers/node-1%2Fweb/attach/ws"},
		{"GET", "/containers/web/attach/ws", ""},
		{"GET", "/containers/web/json", ""},
		{"POST", "/containers/web/start", ""},
		{"DELETE", "/containers/web", ""},
		{"GET", "/containers/json", ""},
		{"POST", "/containers/create", ""},
		// networks
		{"GET", "/networks/node-1/mynet", "/networks/node-1%2Fmynet"},
		{"DELETE", "/networks/node-1/mynet", "/networks/node-1%2Fmynet"},
		{"POST", "/networks/node-1/mynet/connect", "/networks/node-1%2Fmynet/connect"},
		{"POST", "/networks/node-1/mynet/disconnect", "/networks/node-1%2Fmynet/disconnect"},
		{"POST", "/networks/mynet/connect", ""},
		{"GET", "/networks/mynet", ""},
		{"POST", "/networks/create", ""},
		{"GET", "/networks", ""},
		// volumes
		{"GET", "/volumes/node-2/data", "/volumes/node-2%2Fdata"},
		{"DELETE", "/volumes/node-2/data", "/volumes/node-2%2Fdata"},
		{"GET", "/volumes/data", ""},
		{"POST", "/volumes/prune", ""},
		// never
		{"GET", "/exec/abc/json", ""},
		{"GET", "/images/library/busybox/json", ""},
		{"GET", "/networks//x", ""},
		{"GET", "/", ""},
		// other characters of the name stay escaped
		{"GET", "/volumes/node-1/a b", "/volumes/node-1%2Fa%20b"},
	}
	for _, tc := range cases {
		if got := nodeRefPath(tc.method, tc.path); got != tc.want {
			t.Errorf("nodeRefPath(%s, %q) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestSplitNodeRef(t *testing.T) {
	cases := []struct {
		ref, node, name string
		ok              bool
	}{
		{"node-1/web", "node-1", "web", true},
		{"web", "", "web", false},
		{"/web", "", "/web", false},
		{"node-1/", "", "node-1/", false},
		{"a/b/c", "a", "b/c", true},
	}
	for _, tc := range cases {
		node, name, ok := splitNodeRef(tc.ref)
		if node != tc.node || name != tc.name || ok != tc.ok {
			t.Errorf("splitNodeRef(%q) = %q, %q, %v; want %q, %q, %v", tc.ref, node, name, ok, tc.node, tc.name, tc.ok)
		}
	}
}

func TestFewestHeld(t *testing.T) {
	cases := []struct {
		held []int
		ok   []bool
		want int
	}{
		{[]int{3, 4, 3}, []bool{true, true, true}, 0},
		{[]int{4, 3, 3}, []bool{true, true, true}, 1},
		{[]int{1, 3, 3}, []bool{false, true, true}, 1},
		{[]int{1, 2}, []bool{false, false}, -1},
	}
	for _, tc := range cases {
		if got := fewestHeld(tc.held, tc.ok); got != tc.want {
			t.Errorf("fewestHeld(%v, %v) = %d, want %d", tc.held, tc.ok, got, tc.want)
		}
	}
}

func TestPickNode(t *testing.T) {
	sched, err := placement.NewScheduler(nil, "", placement.Options{})
	if err != nil {
		t.Fatal(err)
	}
	node := func(name string, healthy bool, labels ...string) *placement.Node {
		n := &placement.Node{ID: "id-" + name, Name: name, Healthy: healthy, Labels: map[string]string{"node": name}}
		for i := 0; i+1 < len(labels); i += 2 {
			n.Labels[labels[i]] = labels[i+1]
		}
		return n
	}
	nodes := []*placement.Node{node("node-1", true), node("node-2", true, "storage", "ssd"), node("node-3", true, "storage", "ssd")}
	held := []int{3, 5, 4}
	constraint := func(exprs string) map[string]string {
		return map[string]string{placement.LabelConstraints: exprs}
	}
	cases := []struct {
		name    string
		nodes   []*placement.Node
		labels  map[string]string
		want    int
		wantErr string
	}{
		{"fewest held", nodes, nil, 0, ""},
		{"labels without constraints", nodes, map[string]string{"team": "a"}, 0, ""},
		{"node constraint", nodes, constraint(`["node==node-2"]`), 1, ""},
		{"label constraint, then fewest", nodes, constraint(`["storage==ssd"]`), 2, ""},
		{"unhealthy nodes are left out", []*placement.Node{node("node-1", false), nodes[1], nodes[2]}, nil, 2, ""},
		{"unsatisfiable", nodes, constraint(`["node==node-9"]`), -1, "unable to find a node that satisfies the following conditions [node==node-9]"},
		{"malformed", nodes, constraint(`not json`), -1, "invalid expression list"},
		{"no healthy node", []*placement.Node{node("node-1", false)}, nil, -1, placement.ErrNoHealthyNode.Error()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pickNode(sched, tc.nodes, held[:len(tc.nodes)], tc.labels)
			if got != tc.want || (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("pickNode = %d, %v; want %d, %q", got, err, tc.want, tc.wantErr)
			}
		})
	}
	if _, err := pickNode(sched, nodes, held, constraint(`nope`)); !cerrdefs.IsInvalidArgument(err) {
		t.Fatalf("a malformed constraint is %v, want an invalid argument", err)
	}
}

// noEngines is a pool without a single engine: what the handlers answer
// then shows that the router reached them.
type noEngines struct{}

func (noEngines) Engines() []*engine.Engine            { return nil }
func (noEngines) Healthy() []*engine.Engine            { return nil }
func (noEngines) OnHealth(func(*engine.Engine, bool))  {}
func (noEngines) Get(string) (*engine.Engine, bool)    { return nil, false }
func (noEngines) ByName(string) (*engine.Engine, bool) { return nil, false }
func (noEngines) APIVersion(max string) string         { return max }

// node/name references reach the handlers of networks, volumes and exec.
func TestNodeRefRoutes(t *testing.T) {
	s := New(Options{Logger: zap.NewNop(), Pool: noEngines{}})
	cases := []struct {
		method, path, body string
		status             int
		body0              string // what the answer starts with
	}{
		{"GET", "/v1.41/networks/node-1/mynet", "", 404, `{"message":"network node-1/mynet not found"}`},
		{"DELETE", "/networks/node-1/mynet", "", 404, `{"message":"network node-1/mynet not found"}`},
		{"GET", "/networks/mynet", "", 404, `{"message":"network mynet not found"}`},
		{"POST", "/networks/node-1/mynet/connect", `{"Container":"node-1/web"}`, 404, `{"message":"No such container: node-1/web"}`},
		{"POST", "/networks/mynet/disconnect", `{"Container":"web"}`, 404, `{"message":"No such container: web"}`},
		{"POST", "/networks/mynet/connect", ``, 400, `{"message":"got EOF while reading request body"}`},
		{"POST", "/networks/mynet/connect", `{}`, 400, `{"message":"invalid name or ID supplied: \"\""}`},
		{"GET", "/networks", "", 200, "[]"},
		{"GET", "/networks?filters=%7Bbroken", "", 400, ""},
		{"POST", "/networks/prune", "", 200, `{"NetworksDeleted":[]}`},
		{"GET", "/v1.41/volumes/node-2/data", "", 404, `{"message":"get node-2/data: no such volume"}`},
		{"DELETE", "/volumes/data", "", 404, `{"message":"get data: no such volume"}`},
		{"GET", "/volumes", "", 200, `{"Volumes":[],"Warnings":null}`},
		{"POST", "/volumes/create", `{"Name":"node-9/data"}`, 400, `{"message":"no healthy node named node-9`},
		{"POST", "/networks/create", `{"Name":"node-9/mynet"}`, 400, `{"message":"no healthy node named node-9`},
		{"POST", "/volumes/create", `{"Name":"data"}`, 500, `{"message":"no healthy node available in the cluster"}`},
		{"POST", "/v1.41/containers/node-1/web/exec", `{"Cmd":["true"]}`, 404, `{"message":"No such container: node-1/web"}`},
		{"POST", "/exec/abc/start", `{"Detach":true}`, 404, `{"message":"No such exec instance: abc"}`},
		{"POST", "/exec/abc/resize?h=1&w=1", ``, 404, `{"message":"No such exec instance: abc"}`},
		{"GET", "/exec/abc/json", "", 404, `{"message":"No such exec instance: abc"}`},
	}
	for _, tc := range cases {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
		body, _ := io.ReadAll(w.Body)
		if w.Code != tc.status || !strings.HasPrefix(string(body), tc.body0) || w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s %s = %d %s %q, want %d application/json starting %q", tc.method, tc.path, w.Code, w.Header().Get("Content-Type"), body, tc.status, tc.body0)
		}
	}
}
