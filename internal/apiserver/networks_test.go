package apiserver

import (
	"encoding/json"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/network"
)

func TestMergeNetworks(t *testing.T) {
	local := func(id, name string) network.Summary {
		return network.Summary{ID: id, Name: name, Scope: "local", Driver: "bridge"}
	}
	global := network.Summary{ID: "ov1", Name: "shared", Scope: "global", Driver: "overlay"}
	got := mergeNetworks([]string{"node-1", "node-2"}, [][]network.Summary{
		{local("b1", "bridge"), local("m1", "mynet"), global},
		{local("b2", "bridge"), global, {ID: "old", Name: "noscope"}},
	})
	var names []string
	for _, n := range got {
		names = append(names, n.ID+"="+n.Name)
	}
	want := "b1=node-1/bridge m1=node-1/mynet ov1=shared b2=node-2/bridge old=node-2/noscope"
	if strings.Join(names, " ") != want {
		t.Fatalf("merged = %v, want %s", names, want)
	}
	if got := mergeNetworks(nil, nil); got == nil || len(got) != 0 {
		t.Fatalf("merging nothing = %#v, want an empty list (JSON [])", got)
	}
}

func TestPickNetworks(t *testing.T) {
	found := func(node, id, name, scope string) foundNetwork {
		return foundNetwork{node: node, inspect: network.Inspect{ID: id, Name: name, Scope: scope}}
	}
	cases := []struct {
		name     string
		ref      string
		found    []foundNetwork
		want     []string // nodes
		wantErr  string
		notFound bool
	}{
		{"none", "mynet", nil, nil, "network mynet not found", true},
		{"one", "mynet", []foundNetwork{found("node-2", "a1", "mynet", "local")}, []string{"node-2"}, "", false},
		{"full ID beats a name elsewhere", "a1", []foundNetwork{found("node-1", "b1", "a1", "local"), found("node-2", "a1", "x", "local")}, []string{"node-2"}, "", false},
		{"one network seen by every node", "ov", []foundNetwork{found("node-1", "o1", "ov", "global"), found("node-2", "o1", "ov", "global")}, []string{"node-1", "node-2"}, "", false},
		{"a multi-host network made on each node", "ov", []foundNetwork{found("node-1", "o1", "ov", "swarm"), found("node-2", "o2", "ov", "swarm")}, []string{"node-1", "node-2"}, "", false},
		{"local networks of one name", "bridge", []foundNetwork{found("node-1", "b1", "bridge", "local"), found("node-2", "b2", "bridge", "local")}, nil,
			`multiple networks match "bridge": name one of node-1/bridge, node-2/bridge`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pickNetworks(tc.ref, tc.found)
			var nodes []string
			for _, f := range got {
				nodes = append(nodes, f.node)
			}
			if strings.Join(nodes, ",") != strings.Join(tc.want, ",") || (err == nil) != (tc.wantErr == "") || err != nil && err.Error() != tc.wantErr {
				t.Fatalf("pickNetworks = %v, %v; want %v, %q", nodes, err, tc.want, tc.wantErr)
			}
			if err != nil && cerrdefs.IsNotFound(err) != tc.notFound {
				t.Fatalf("error %v: not found = %v, want %v", err, cerrdefs.IsNotFound(err), tc.notFound)
			}
			if err != nil && !tc.notFound && !cerrdefs.IsInvalidArgument(err) {
				t.Fatalf("ambiguity %v is not an invalid argument (400)", err)
			}
		})
	}
}

func TestIsLocalNetwork(t *testing.T) {
	cases := []struct {
		driver, scope string
		want          bool
	}{
		{"", "", true},
		{"bridge", "", true},
		{"macvlan", "", true},
		{"macvlan", "swarm", false},
		{"overlay", "", false},
		{"overlay", "local", true},
		{"weave", "", false},
	}
	for _, tc := range cases {
		req := &network.CreateRequest{CreateOptions: network.CreateOptions{Driver: tc.driver, Scope: tc.scope}}
		if got := isLocalNetwork(req); got != tc.want {
			t.Errorf("isLocalNetwork(driver %q, scope %q) = %v, want %v", tc.driver, tc.scope, got, tc.want)
		}
	}
}

func TestWithNodeName(t *testing.T) {
	raw := []byte(`{"Name":"mynet","Id":"a1","Scope":"local","Unknown":{"kept":true}}`)
	got, err := withNodeName(raw, "node-2", "local")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(got)
	if string(out) != `{"Id":"a1","Name":"node-2/mynet","Scope":"local","Unknown":{"kept":true}}` {
		t.Fatalf("local: %s", out)
	}
	got, _ = withNodeName([]byte(`{"Name":"ov","Scope":"global"}`), "node-2", "global")
	if out, _ := json.Marshal(got); string(out) != `{"Name":"ov","Scope":"global"}` {
		t.Fatalf("global: %s", out)
	}
}
