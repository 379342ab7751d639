package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// `docker events --since … --until …` shows a container's create, start and
// die, from the node it ran on, and ends on its own once until has passed.
// Each event carries classic Swarm's node object.
func TestEventsOfAContainerWithItsNode(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	for _, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			wipeEngines(t)
			since := time.Now().Add(-time.Second)
			mustDocker(t, cli, m.addr, "run", "--name", "e2e-ev", "busybox", "true")
			node := mustDocker(t, cli, m.addr, "inspect", "-f", "{{.Node.Name}}", "e2e-ev")
			until := time.Now().Add(time.Second)
			time.Sleep(time.Until(until) + 100*time.Millisecond)

			start := time.Now()
			out := mustDocker(t, cli, m.addr, "events", "--since", unixTime(since), "--until", unixTime(until), "--filter", "container=e2e-ev")
			if took := time.Since(start); took > 15*time.Second {
				t.Fatalf("docker events with until in the past took %s to end", took)
			}
			last := -1
			for _, action := range []string{"create", "start", "die"} {
				line := regexp.MustCompile(`(?m)^\S+ container ` + action + ` [0-9a-f]{64} \(.*\bname=e2e-ev\b.*\bnode\.name=` + node + `\)$`)
				loc := line.FindStringIndex(out)
				if loc == nil || loc[0] < last {
					t.Fatalf("docker events printed\n%s\nwant container %s of e2e-ev on %s, in time order", out, action, node)
				}
				last = loc[0]
			}
			if strings.Count(out, "node.name=") != strings.Count(out, "node.name="+node+")") {
				t.Fatalf("events of e2e-ev from another node than %s:\n%s", node, out)
			}

			other := "node-1"
			if node == other {
				other = "node-2"
			}
			for n, want := range map[string]bool{node: true, other: false} {
				out := mustDocker(t, cli, m.addr, "events", "--since", unixTime(since), "--until", unixTime(until),
					"--filter", "container=e2e-ev", "--filter", "node="+n)
				if strings.Contains(out, "container die") != want {
					t.Fatalf("docker events --filter node=%s printed\n%s", n, out)
				}
			}

			engine := engineNamed(t, node)
			engineID := mustDocker(t, "/usr/bin/docker", engine, "info", "-f", "{{.ID}}")
			q := url.Values{"since": {unixTime(since)}, "until": {unixTime(until)}, "filters": {`{"container":["e2e-ev"]}`}}
			code, body := apiCall(t, m.addr, "GET", "/events?"+q.Encode())
			if code != 200 {
				t.Fatalf("GET /events = %d %s", code, body)
			}
			dec := json.NewDecoder(strings.NewReader(string(body)))
			n := 0
			for dec.More() {
				var ev struct {
					Action string
					Node   struct{ Name, ID, Addr, IP string } `json:"node"`
				}
				if err := dec.Decode(&ev); err != nil {
					t.Fatalf("events stream %s: %v", body, err)
				}
				n++
				want := "http://" + engine
				if ev.Node.Name != node || ev.Node.ID != engineID || ev.Node.Addr != want || !strings.HasPrefix(engine, ev.Node.IP+":") {
					t.Fatalf("%s event's node = %+v, want %s, ID %s, Addr %s", ev.Action, ev.Node, node, engineID, want)
				}
			}
			if n < 3 {
				t.Fatalf("GET /events gave %d events, want create, start, die at least:\n%s", n, body)
			}
		})
	}
}

// A live `docker events` shows what happens on any node as it happens, and
// the manager goes on serving once the client has gone.
func TestEventsFollowed(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	for i, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			// From a moment ago, so that the create shows even if it happens
			// before the manager has opened the engines' streams.
			since := unixTime(time.Now().Add(-time.Second))
			cmd := exec.CommandContext(ctx, cli, "events", "--since", since, "--filter", "event=create",
				"--format", `{{.Action}} {{.Actor.Attributes.name}} {{index .Actor.Attributes "node.name"}}`)
			cmd.Env = append(cleanEnv(), "DOCKER_HOST=tcp://"+m.addr, "DOCKER_CONFIG="+t.TempDir())
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			lines := make(chan string)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()

			name := fmt.Sprintf("e2e-live-%d", i)
			mustDocker(t, cli, m.addr, "create", "--name", name, "busybox", "true")
			node := mustDocker(t, cli, m.addr, "inspect", "-f", "{{.Node.Name}}", name)
			want := "create " + name + " " + node
			deadline := time.After(20 * time.Second)
		wait:
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatalf("docker events ended before showing %q", want)
					}
					if l == want {
						break wait
					}
				case <-deadline:
					t.Fatalf("docker events did not show %q", want)
				}
			}
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if out := mustDocker(t, cli, m.addr, "events", "--since", since, "--until", unixTime(time.Now()), "--filter", "event=create", "--format", "{{.Actor.Attributes.name}}"); !strings.Contains(out, name) {
				t.Fatalf("after the client left, events until now printed %q", out)
			}
		})
	}
}

func unixTime(t time.Time) string {
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}

// engineNamed is the address of the engine named node.
func engineNamed(t *testing.T, node string) string {
	t.Helper()
	for i, e := range engines {
		if nodeName(i) == node {
			return e
		}
	}
	t.Fatalf("no engine named %q", node)
	return ""
}

// An engine that dies and comes back shows in the events as Drover's own
// engine_disconnect and engine_connect, with its node.
func TestNodeEventsWhenAnEngineDiesAndReturns(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	got := m.streamEvents(t, `{"type":{"node":true}}`)
	expect := func(action string) {
		t.Helper()
		select {
		case ev := <-got:
			node, _ := ev["node"].(map[string]any)
			if ev["Type"] != "node" || ev["Action"] != action || node["Name"] != "node-3" {
				t.Fatalf("event %v, want node %s of node-3", ev, action)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no %s event", action)
		}
	}
	killEngine(t, 2)
	expect("engine_disconnect")
	restartEngines(t)
	expect("engine_connect")
	m.waitHealthy(t, 3)
}

// streamEvents follows the manager's event stream, with filters as JSON,
// until the test ends.
func (m *manager) streamEvents(t *testing.T, filtersJSON string) <-chan map[string]any {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+m.addr+"/events?filters="+url.QueryEscape(filtersJSON), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	got := make(chan map[string]any, 16)
	go func() {
		dec := json.NewDecoder(resp.Body)
		for {
			var ev map[string]any
			if dec.Decode(&ev) != nil {
				return
			}
			got <- ev
		}
	}()
	return got
}

// killEngine kills engine i's dockerd with SIGKILL; the test bed is brought
// back whole when the test ends, if the test has not done it.
func killEngine(t *testing.T, i int) {
	t.Helper()
	state := os.Getenv("DROVER_TESTBED_DIR")
	if state == "" {
		state = "/var/tmp/drover-testbed"
	}
	pid, err := os.ReadFile(filepath.Join(state, fmt.Sprintf("e%d", i+1), "dockerd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("kill", "-9", strings.TrimSpace(string(pid))).CombinedOutput(); err != nil {
		t.Fatalf("kill engine %d: %v: %s", i+1, err, out)
	}
	t.Cleanup(func() { restartEngines(t) })
}

// restartEngines brings every engine of the test bed up again.
func restartEngines(t *testing.T) {
	t.Helper()
	root, _ := filepath.Abs("..")
	if out, err := exec.Command(filepath.Join(root, "deploy/local/testbed.sh"), "up", "3").CombinedOutput(); err != nil {
		t.Fatalf("testbed up: %v: %s", err, out)
	}
}
