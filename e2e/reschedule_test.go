package e2e

import (
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

	announced := m.streamEvents(t, `{"event":{"rescheduled":true}}`)

	mustDocker(t, cli, m.addr, "run", "-d", "--name", "moving", "-e", "reschedule:on-node-failure", "-e", "constraint:node==~node-3", "busybox", "sleep", "300")
	mustDocker(t, cli, m.addr, "run", "-d", "--name", "staying", "-e", "constraint:node==node-3", "busybox", "sleep", "300")
	if n := nodeOf(t, cli, m.addr, "moving"); n != "node-3" {
		t.Fatalf("moving started on %s, want node-3", n)
	}

	killEngine(t, 2)

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

	restartEngines(t)
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
