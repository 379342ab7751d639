package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A container with reschedule:on-node-failure is made again on another node
// when its node dies, announced as a rescheduled event; when the node comes
// back its old copy is removed. A container without the policy stays put.
func TestRescheduleOnNodeFailure(t *testing.T) {
	m := startManager(t, "--reschedule-delay", "2s", "--engine-refresh-min-interval", "1s", "nodes://"+strings.Join(engines, ","))
	m.waitHealthy(t, 3)
	wipeEngines(t)
	cli := clis(t)[0]

	req, _ := http.NewRequestWithContext(t.Context(), "GET",
		"http://"+m.addr+"/events?filters="+url.QueryEscape(`{"event":{"rescheduled":true}}`), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	announced := make(chan map[string]any, 4)
	go func() {
		dec := json.NewDecoder(resp.Body)
		for {
			var ev map[string]any
			if dec.Decode(&ev) != nil {
				return
			}
			announced <- ev
		}
	}()

	mustDocker(t, cli, m.addr, "run", "-d", "--name", "moving", "-e", "reschedule:on-node-failure", "-e", "constraint:node==~node-3", "busybox", "sleep", "300")
	mustDocker(t, cli, m.addr, "run", "-d", "--name", "staying", "-e", "constraint:node==node-3", "busybox", "sleep", "300")
	if n := nodeOf(t, cli, m.addr, "moving"); n != "node-3" {
		t.Fatalf("moving started on %s, want node-3", n)
	}

	root, _ := filepath.Abs("..")
	state := os.Getenv("DROVER_TESTBED_DIR")
	if state == "" {
		state = "/var/tmp/drover-testbed"
	}
	pid, err := os.ReadFile(filepath.Join(state, "e3", "dockerd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("kill", "-9", strings.TrimSpace(string(pid))).CombinedOutput(); err != nil {
		t.Fatalf("kill engine 3: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(filepath.Join(root, "deploy/local/testbed.sh"), "up", "3").Run() })

	waitFor(t, "moving to run on another node", func() bool {
		out, err := docker(t, cli, m.addr, "inspect", "-f", "{{.Node.Name}} {{.State.Running}}", "moving")
		return err == nil && (strings.TrimSpace(out) == "node-1 true" || strings.TrimSpace(out) == "node-2 true")
	})
	select {
	case ev := <-announced:
		attrs, _ := ev["Actor"].(map[string]any)["Attributes"].(map[string]any)
		if ev["Action"] != "rescheduled" || attrs["name"] != "moving" || attrs["node.from"] != engines[2] {
			t.Fatalf("event %v, want moving rescheduled from %s", ev, engines[2])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no rescheduled event")
	}
	if _, err := docker(t, cli, m.addr, "inspect", "staying"); err == nil {
		t.Fatal("a container without the policy was made again elsewhere")
	}

	if out, err := exec.Command(filepath.Join(root, "deploy/local/testbed.sh"), "up", "3").CombinedOutput(); err != nil {
		t.Fatalf("testbed up: %v: %s", err, out)
	}
	waitFor(t, "the old copy on node-3 to be removed", func() bool {
		out, err := docker(t, "/usr/bin/docker", engines[2], "ps", "-a", "--filter", "name=moving", "-q")
		return err == nil && strings.TrimSpace(out) == ""
	})
	if out := mustDocker(t, cli, m.addr, "ps", "-a", "--filter", "name=moving", "--format", "{{.Names}}"); strings.Count(out, "moving") != 1 {
		t.Fatalf("after node-3 came back, ps shows %q", out)
	}
	if n := nodeOf(t, cli, m.addr, "staying"); n != "node-3" {
		t.Fatalf("staying is on %s", n)
	}
	wipeEngines(t)
}
