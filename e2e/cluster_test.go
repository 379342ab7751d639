package e2e

import (
	"bytes"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Every docker CLI on the machine talks to the manager without
// DOCKER_API_VERSION: the manager advertises the engines' lowest version.
func TestVersionNegotiation(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	for _, cli := range clis(t) {
		if v := mustDocker(t, cli, m.addr, "version", "--format", "{{.Server.APIVersion}}"); v != "1.41" {
			t.Fatalf("%s: server API version %q, want the engines' 1.41", cli, v)
		}
	}
}

// docker info describes the cluster as classic Swarm did.
func TestInfoDescribesTheCluster(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	cli := clis(t)[len(clis(t))-1]
	mustDocker(t, cli, m.addr, "run", "-d", "busybox", "sleep", "300")
	mustDocker(t, cli, m.addr, "run", "-d", "busybox", "true")
	waitFor(t, "info to count both containers", func() bool {
		out, _ := docker(t, cli, m.addr, "info")
		return strings.Contains(out, "Containers: 2\n")
	})
	out := mustDocker(t, cli, m.addr, "info")
	for _, want := range []string{
		"Role: primary", "Primary: " + m.addr, "Strategy: spread",
		"Filters: health, port, containerslots, dependency, affinity, constraint",
		"Nodes: 3", " node-1: " + engines[0], " node-3: " + engines[2],
		"└ Status: Healthy", "└ Reserved CPUs: 0 / ", "└ Labels: ", "testbed.node=node-2",
		"└ ServerVersion: 20.10",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("docker info lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("docker info:\n%s", out)
	}
	wipeEngines(t)
}

// Engines join through the manager's embedded etcd and leave when their
// join agent stops heart-beating.
func TestJoinAndListThroughEmbeddedEtcd(t *testing.T) {
	m := startManager(t, "--strategy", "spread") // no discovery: nodes come from joins
	discovery := "etcd://" + m.etcd + "/drover"
	joins := make([]*exec.Cmd, 2)
	for i := range joins {
		joins[i] = exec.Command(droverBin, "join", "--advertise", engines[i], "--heartbeat", "1s", "--ttl", "3s", discovery)
		if err := joins[i].Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = joins[i].Process.Kill(); _ = joins[i].Wait() })
	}

	waitFor(t, "both engines to be listed", func() bool { return slices.Equal(list(t, discovery), engines[:2]) })
	m.waitHealthy(t, 2)
	wipeEngines(t)
	cli := clis(t)[0]
	mustDocker(t, cli, m.addr, "run", "-d", "busybox", "sleep", "300")
	mustDocker(t, cli, m.addr, "run", "-d", "busybox", "sleep", "300")
	if counts := engineContainers(t); counts[0] != 1 || counts[1] != 1 || counts[2] != 0 {
		t.Fatalf("containers per engine = %v, want one on each joined engine", counts)
	}

	_ = joins[1].Process.Kill()
	waitFor(t, "the stopped engine to leave", func() bool { return slices.Equal(list(t, discovery), engines[:1]) })
	waitFor(t, "docker info to show one node", func() bool {
		out, _ := docker(t, cli, m.addr, "info")
		return strings.Contains(out, "Nodes: 1\n")
	})
	wipeEngines(t)
}

// list expands static discoveries as classic Swarm did.
func TestListStaticDiscovery(t *testing.T) {
	if got := list(t, "nodes://127.0.0.[11:13]:2375"); !slices.Equal(got, engines) {
		t.Fatalf("list of a range = %v, want %v", got, engines)
	}
	if got := list(t, strings.Join(engines[:2], ",")); !slices.Equal(got, engines[:2]) {
		t.Fatalf("list of a bare list = %v", got)
	}
}

func list(t *testing.T, discovery string) []string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), droverBin, "list", "--timeout", "3s", discovery)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("drover list %s: %v: %s", discovery, err, stderr.String())
	}
	return strings.Fields(stdout.String())
}

// /livez answers while the manager runs; /readyz only once etcd answers and
// an engine is healthy.
func TestHealthEndpoints(t *testing.T) {
	status := func(m *manager, path string) int {
		resp, err := http.Get("http://" + m.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	m := startManager(t)
	m.waitHealthy(t, 3)
	if s := status(m, "/livez"); s != 200 {
		t.Fatalf("/livez = %d", s)
	}
	if s := status(m, "/readyz"); s != 200 {
		t.Fatalf("/readyz with three engines = %d", s)
	}
	none := startManager(t, "nodes://127.0.0.19:2375")
	if s := status(none, "/readyz"); s != 503 {
		t.Fatalf("/readyz with no engine = %d", s)
	}
	if s := status(none, "/metrics"); s != 200 {
		t.Fatalf("/metrics = %d", s)
	}
}
