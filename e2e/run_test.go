package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// A person runs, lists, inspects, reads the logs of, stops and removes a
// container through the manager, with each docker CLI on the machine.
func TestContainerLifecycleThroughTheManager(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	for _, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			wipeEngines(t)

			id := mustDocker(t, cli, m.addr, "run", "-d", "--name", "web", "busybox", "sh", "-c", "echo started; sleep 300")
			if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
				t.Fatalf("docker run -d printed %q, want a container ID", id)
			}

			ps := mustDocker(t, cli, m.addr, "ps", "--format", "{{.ID}} {{.Names}} {{.Status}}")
			if !regexp.MustCompile(`(?m)^` + id[:12] + ` node-[123]/web Up`).MatchString(ps) {
				t.Fatalf("docker ps shows\n%s\nwant %s as node-N/web, up", ps, id[:12])
			}

			node := mustDocker(t, cli, m.addr, "inspect", "-f", "{{.Node.Name}} {{.Node.Ip}} {{.Node.Addr}}", "web")
			fields := strings.Fields(node)
			if len(fields) != 3 || !strings.HasPrefix(fields[0], "node-") || !strings.HasPrefix(fields[2], "http://"+fields[1]+":") {
				t.Fatalf("inspect Node = %q, want name, IP and address of the engine", node)
			}
			if got := mustDocker(t, cli, m.addr, "inspect", "-f", "{{.Id}}", fields[0]+"/web"); got != id {
				t.Fatalf("inspect %s/web = %q, want %s", fields[0], got, id)
			}
			if got := mustDocker(t, cli, m.addr, "inspect", "-f", "{{.Name}}", id[:10]); got != "/web" {
				t.Fatalf("inspect by ID prefix = %q, want /web", got)
			}

			waitFor(t, "logs of web", func() bool {
				out, _ := docker(t, cli, m.addr, "logs", "web")
				return strings.TrimSpace(out) == "started"
			})

			mustDocker(t, cli, m.addr, "stop", "-t", "1", "web")
			if got := mustDocker(t, cli, m.addr, "inspect", "-f", "{{.State.Status}}", "web"); got != "exited" {
				t.Fatalf("after stop, state = %q", got)
			}
			mustDocker(t, cli, m.addr, "start", fields[0]+"/web")
			mustDocker(t, cli, m.addr, "rm", "-f", fields[0]+"/web")
			if ps := mustDocker(t, cli, m.addr, "ps", "-aq"); ps != "" {
				t.Fatalf("after rm -f, docker ps -a still shows %q", ps)
			}
		})
	}
}

// `docker run --rm busybox echo hi` in the foreground shows the output, and
// the container is gone afterwards.
func TestRunInTheForeground(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	for _, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			if out := mustDocker(t, cli, m.addr, "run", "--rm", "busybox", "echo", "hi"); out != "hi" {
				t.Fatalf("docker run --rm busybox echo hi printed %q", out)
			}
			if out, err := docker(t, cli, m.addr, "run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"); err == nil || !strings.Contains(out, "out") || !strings.Contains(err.Error(), "exit status 3") {
				t.Fatalf("exit code and output of a failing command: out %q, err %v", out, err)
			}
			waitFor(t, "the --rm containers to be gone", func() bool {
				return total(engineContainers(t)) == 0
			})
		})
	}
}

// `docker logs -f` streams what the container writes as it writes it, and
// ends when the container does.
func TestLogsFollow(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	cli := clis(t)[0]
	id := mustDocker(t, cli, m.addr, "run", "-d", "busybox", "sh", "-c", "echo one; sleep 1; echo two")
	start := time.Now()
	out := mustDocker(t, cli, m.addr, "logs", "-f", id)
	if out != "one\ntwo" {
		t.Fatalf("logs -f printed %q", out)
	}
	if time.Since(start) < 500*time.Millisecond {
		t.Fatalf("logs -f returned before the container ended")
	}
}

// Six `docker run -d` land two on each of the three engines.
func TestSpreadOverThreeEngines(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	cli := clis(t)[0]
	for range 6 {
		mustDocker(t, cli, m.addr, "run", "-d", "busybox", "sleep", "300")
	}
	if counts := engineContainers(t); counts[0] != 2 || counts[1] != 2 || counts[2] != 2 {
		t.Fatalf("containers per engine = %v, want 2 on each", counts)
	}
	names := mustDocker(t, cli, m.addr, "ps", "--format", "{{.Names}}")
	for i := range engines {
		if got := strings.Count(names, nodeName(i)+"/"); got != 2 {
			t.Fatalf("docker ps shows %d containers on %s, want 2:\n%s", got, nodeName(i), names)
		}
	}

	// ps answers limit, size and filters over the whole cluster.
	if ids := strings.Fields(mustDocker(t, cli, m.addr, "ps", "-n", "2", "-q")); len(ids) != 2 {
		t.Fatalf("docker ps -n 2 listed %v", ids)
	}
	if out := mustDocker(t, cli, m.addr, "ps", "-s", "--format", "{{.Size}}"); strings.Count(out, "(virtual ") != 6 {
		t.Fatalf("docker ps -s printed %q, want six sizes", out)
	}
	if ids := strings.Fields(mustDocker(t, cli, m.addr, "ps", "-q", "--filter", "label=com.docker.swarm.id")); len(ids) != 6 {
		t.Fatalf("docker ps --filter label=com.docker.swarm.id listed %v", ids)
	}

	// Placed at the same moment, they still spread: a placement counts
	// from the moment it is decided, not from when the engine reports it.
	wipeEngines(t)
	var wg sync.WaitGroup
	for range 9 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := docker(t, cli, m.addr, "run", "-d", "busybox", "sleep", "300"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if counts := engineContainers(t); counts[0] != 3 || counts[1] != 3 || counts[2] != 3 {
		t.Fatalf("nine concurrent runs landed %v, want 3 on each", counts)
	}
	wipeEngines(t)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// Containers of Drover's own image are hidden from docker ps unless -a.
func TestDroverContainersHiddenFromPs(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	for _, e := range engines {
		mustDocker(t, "/usr/bin/docker", e, "tag", "busybox", "drover:latest")
		t.Cleanup(func() { _, _ = docker(t, "/usr/bin/docker", e, "rmi", "drover:latest") })
	}
	cli := clis(t)[0]
	mustDocker(t, cli, m.addr, "run", "-d", "--name", "drover-agent", "drover", "sleep", "300")
	mustDocker(t, cli, m.addr, "run", "-d", "--name", "app", "busybox", "sleep", "300")
	if ps := mustDocker(t, cli, m.addr, "ps", "--format", "{{.Names}}"); strings.Contains(ps, "drover-agent") || !strings.Contains(ps, "/app") {
		t.Fatalf("docker ps shows %q", ps)
	}
	if ps := mustDocker(t, cli, m.addr, "ps", "-a", "--format", "{{.Names}}"); !strings.Contains(ps, "/drover-agent") {
		t.Fatalf("docker ps -a shows %q", ps)
	}
	wipeEngines(t)
}

// top, stats, diff, export and port answer for a container on any node.
func TestContainerInspectionCommands(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	cli := clis(t)[0]
	mustDocker(t, cli, m.addr, "run", "-d", "--name", "probe", "-p", "8099:80", "busybox", "sh", "-c", "echo x > /changed; exec sleep 300")
	if out := mustDocker(t, cli, m.addr, "top", "probe"); !strings.Contains(out, "sleep 300") {
		t.Fatalf("docker top printed %q", out)
	}
	if out := mustDocker(t, cli, m.addr, "stats", "--no-stream", "--format", "{{.Name}}", "probe"); out != "probe" {
		t.Fatalf("docker stats --no-stream printed %q", out)
	}
	waitFor(t, "docker diff to show /changed", func() bool {
		out, _ := docker(t, cli, m.addr, "diff", "probe")
		return strings.Contains(out, "A /changed")
	})
	tarball := t.TempDir() + "/probe.tar"
	mustDocker(t, cli, m.addr, "export", "-o", tarball, "probe")
	if out, err := exec.Command("tar", "-tf", tarball).Output(); err != nil || !strings.Contains(string(out), "changed") {
		t.Fatalf("the export holds %q (%v)", out, err)
	}
	node := nodeOf(t, cli, m.addr, "probe")
	want := "127.0.0.1" + strings.TrimPrefix(node, "node-") + ":8099"
	if out := mustDocker(t, cli, m.addr, "port", "probe", "80"); out != want {
		t.Fatalf("docker port printed %q, want %q (the node's own address)", out, want)
	}
	wipeEngines(t)
}
