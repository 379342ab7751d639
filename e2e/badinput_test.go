package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Bad input gets an engine-like answer — the right status and a message that
// says what was wrong — and leaves nothing behind in etcd or on an engine.
func TestBadInputGetsAnEngineLikeError(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	cli := clis(t)[0]
	mustDocker(t, cli, m.addr, "run", "-d", "--name", "taken", "busybox", "sleep", "300")

	cases := []struct {
		name, method, path, body string
		status                   int
		message                  string
	}{
		{"malformed JSON", "POST", "/v1.41/containers/create", "{not json", 400, "invalid character"},
		{"empty body", "POST", "/v1.41/containers/create", "", 400, "config cannot be empty"},
		{"no image", "POST", "/v1.41/containers/create", `{"Cmd":["true"]}`, 400, "image name cannot be blank"},
		{"invalid name", "POST", "/v1.41/containers/create?name=no%20spaces", `{"Image":"busybox"}`, 400, "Invalid container name (no spaces)"},
		{"name in use", "POST", "/v1.41/containers/create?name=taken", `{"Image":"busybox"}`, 409, `Conflict. The container name "/taken" is already in use by container`},
		{"unknown image", "POST", "/v1.41/containers/create", `{"Image":"nosuchimage"}`, 404, "No such image: nosuchimage"},
		{"unknown container", "GET", "/v1.41/containers/nope/json", "", 404, "No such container: nope"},
		{"unknown container on a node", "GET", "/containers/node-1/nope/json", "", 404, "No such container: node-1/nope"},
		{"unknown node", "DELETE", "/containers/node-9/taken", "", 404, "No such container: node-9/taken"},
		{"stop unknown container", "POST", "/containers/nope/stop", "", 404, "No such container: nope"},
		{"remove a running container", "DELETE", "/containers/taken", "", 409, "You cannot remove a running container"},
		{"bad filters", "GET", "/containers/json?filters=%7Bbroken", "", 400, ""},
		{"API version too new", "GET", "/v1.99/version", "", 400, "client version 1.99 is too new"},
		{"API version too old", "GET", "/v1.11/version", "", 400, "client version 1.11 is too old"},
		{"unknown route", "GET", "/v1.41/nothing/here", "", 404, "page not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), tc.method, "http://"+m.addr+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var msg struct{ Message string }
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &msg) != nil ||
				msg.Message == "" || !strings.Contains(msg.Message, tc.message) {
				t.Fatalf("%s %s = %d %s %s, want %d application/json with message containing %q",
					tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.status, tc.message)
			}
		})
	}

	t.Run("the CLI shows the engine's words", func(t *testing.T) {
		_, err := docker(t, cli, m.addr, "run", "-d", "--name", "taken", "busybox", "true")
		if err == nil || !strings.Contains(err.Error(), `The container name "/taken" is already in use`) {
			t.Fatalf("second run --name taken: %v", err)
		}
		_, err = docker(t, cli, m.addr, "logs", "nope")
		if err == nil || !strings.Contains(err.Error(), "No such container: nope") {
			t.Fatalf("logs nope: %v", err)
		}
	})

	t.Run("nothing is left half-created", func(t *testing.T) {
		mustDocker(t, cli, m.addr, "rm", "-f", "taken")
		waitFor(t, "etcd to hold no container", func() bool { return len(m.etcdKeys(t, "/drover/containers/")) == 0 })
		if names := m.etcdKeys(t, "/drover/names/"); len(names) != 0 {
			t.Fatalf("etcd still holds names %v", names)
		}
		if counts := engineContainers(t); total(counts) != 0 {
			t.Fatalf("engines still hold containers: %v", counts)
		}
		if out := mustDocker(t, cli, m.addr, "ps", "-a"); !strings.HasPrefix(out, "CONTAINER ID") {
			t.Fatalf("the manager stopped serving: %q", out)
		}
	})
}

// With no healthy engine a create fails at once with a clear 500.
func TestNoHealthyEngine(t *testing.T) {
	m := startManager(t, "nodes://127.0.0.19:2375")
	for _, cli := range clis(t) {
		_, err := docker(t, cli, m.addr, "run", "-d", "busybox", "true")
		if err == nil || !strings.Contains(err.Error(), "no healthy node available in the cluster") {
			t.Fatalf("%s run with no engine up: %v", cli, err)
		}
	}
	resp, err := http.Post("http://"+m.addr+"/containers/create", "application/json", strings.NewReader(`{"Image":"busybox"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("create with no engine up = %d, want 500", resp.StatusCode)
	}
	waitFor(t, "etcd to hold no container", func() bool { return len(m.etcdKeys(t, "/drover/containers/")) == 0 })
}

// etcdKeys lists the keys under prefix in the manager's embedded etcd.
func (m *manager) etcdKeys(t *testing.T, prefix string) []string {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"http://" + m.etcd}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	resp, err := cli.Get(t.Context(), prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		keys[i] = string(kv.Key)
	}
	return keys
}
