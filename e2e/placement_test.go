package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nodeOf is the node a container runs on, as the manager's inspect says.
func nodeOf(t *testing.T, cli, host, ref string) string {
	t.Helper()
	return mustDocker(t, cli, host, "inspect", "-f", "{{.Node.Name}}", ref)
}

// label sets engine i's extra labels (none resets them); the engine reloads
// them without a restart.
func label(t *testing.T, i int, labels ...string) {
	t.Helper()
	root, _ := filepath.Abs("..")
	cmd := exec.Command(filepath.Join(root, "deploy/local/testbed.sh"), append([]string{"label", itoa(i + 1)}, labels...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("label engine %d %v: %v: %s", i+1, labels, err, out)
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

// Constraints, affinities, dependencies and ports decide where containers
// go, as classic Swarm's filters did.
func TestFiltersPlaceContainers(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	cli := clis(t)[0]
	run := func(args ...string) (string, error) {
		return docker(t, cli, m.addr, append([]string{"run", "-d"}, append(args, "busybox", "sleep", "300")...)...)
	}
	mustRun := func(args ...string) string {
		t.Helper()
		id, err := run(args...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(id)
	}

	t.Run("constraint on an engine label", func(t *testing.T) {
		wipeEngines(t)
		for range 3 {
			if n := nodeOf(t, cli, m.addr, mustRun("-e", "constraint:testbed.node==node-2")); n != "node-2" {
				t.Fatalf("constraint:testbed.node==node-2 placed on %s", n)
			}
		}
		id := mustRun("--label", `com.docker.swarm.constraints=["testbed.index==3"]`)
		if n := nodeOf(t, cli, m.addr, id); n != "node-3" {
			t.Fatalf("the constraints label placed on %s", n)
		}
	})

	t.Run("constraint on node, negated and by regexp", func(t *testing.T) {
		wipeEngines(t)
		if n := nodeOf(t, cli, m.addr, mustRun("-e", "constraint:node==node-1")); n != "node-1" {
			t.Fatalf("node==node-1 placed on %s", n)
		}
		for range 4 {
			if n := nodeOf(t, cli, m.addr, mustRun("-e", "constraint:node!=node-1")); n == "node-1" {
				t.Fatal("node!=node-1 placed on node-1")
			}
			if n := nodeOf(t, cli, m.addr, mustRun("-e", "constraint:node==/node-[23]/")); n == "node-1" {
				t.Fatal("node==/node-[23]/ placed on node-1")
			}
		}
	})

	t.Run("a hard constraint nothing meets fails, a soft one is dropped", func(t *testing.T) {
		wipeEngines(t)
		_, err := run("-e", "constraint:node==node-9")
		if err == nil || !strings.Contains(err.Error(), "unable to find a node that satisfies the following conditions") ||
			!strings.Contains(err.Error(), "node==node-9") {
			t.Fatalf("an unmeetable constraint: %v", err)
		}
		mustRun("-e", "constraint:node==~node-9")
		if counts := engineContainers(t); total(counts) != 1 {
			t.Fatalf("after a failed and a soft run the engines hold %v", counts)
		}
	})

	t.Run("a malformed expression is refused before anything is written", func(t *testing.T) {
		_, err := run("-e", "constraint:node=node-1")
		if err == nil || !strings.Contains(err.Error(), `"constraint:node=node-1"`) {
			t.Fatalf("a malformed constraint: %v", err)
		}
	})

	t.Run("affinity to a container and to an image", func(t *testing.T) {
		wipeEngines(t)
		mustRun("--name", "front", "-e", "constraint:node==node-3")
		for range 3 {
			if n := nodeOf(t, cli, m.addr, mustRun("-e", "affinity:container==front")); n != "node-3" {
				t.Fatalf("affinity:container==front placed on %s", n)
			}
		}
		mustDocker(t, "/usr/bin/docker", engines[1], "tag", "busybox", "only-on-two:latest")
		t.Cleanup(func() { _, _ = docker(t, "/usr/bin/docker", engines[1], "rmi", "only-on-two:latest") })
		if n := nodeOf(t, cli, m.addr, mustRun("-e", "affinity:image==only-on-two")); n != "node-2" {
			t.Fatalf("affinity:image==only-on-two placed on %s", n)
		}
		if n := nodeOf(t, cli, m.addr, mustRun("--label", `com.docker.swarm.affinities=["container==front"]`)); n != "node-3" {
			t.Fatalf("the affinities label placed on %s", n)
		}
	})

	t.Run("dependencies: --link and --volumes-from", func(t *testing.T) {
		wipeEngines(t)
		mustRun("--name", "db", "-e", "constraint:node==node-2")
		mustRun("--name", "data", "-v", "/data", "-e", "constraint:node==node-3")
		for range 2 {
			if n := nodeOf(t, cli, m.addr, mustRun("--link", "db:db")); n != "node-2" {
				t.Fatalf("--link db placed on %s", n)
			}
			if n := nodeOf(t, cli, m.addr, mustRun("--volumes-from", "data")); n != "node-3" {
				t.Fatalf("--volumes-from data placed on %s", n)
			}
		}
		_, err := run("--link", "db:db", "--volumes-from", "data")
		if err == nil {
			t.Fatal("dependencies on two nodes were placed")
		}
	})

	t.Run("a host port is taken once per node", func(t *testing.T) {
		wipeEngines(t)
		seen := map[string]bool{}
		for range 3 {
			seen[nodeOf(t, cli, m.addr, mustRun("-p", "80:80"))] = true
		}
		if len(seen) != 3 {
			t.Fatalf("three -p 80:80 landed on %v, want one per node", seen)
		}
		_, err := run("-p", "80:80")
		if err == nil || !strings.Contains(err.Error(), "unable to find a node that satisfies the following conditions [port 80 (Bridge mode)]") {
			t.Fatalf("the fourth -p 80:80: %v", err)
		}
		// A stopped container still holds its port.
		mustDocker(t, cli, m.addr, "stop", "-t", "0", strings.TrimSpace(mustDocker(t, cli, m.addr, "ps", "-q", "--filter", "publish=80", "--latest")))
		if _, err := run("-p", "80:80"); err == nil {
			t.Fatal("a stopped container's port was given away")
		}
	})

	t.Run("host networking holds the exposed ports", func(t *testing.T) {
		wipeEngines(t)
		for range 3 {
			mustRun("--net=host", "--expose", "8081")
		}
		_, err := run("--net=host", "--expose", "8081")
		if err == nil || !strings.Contains(err.Error(), "[port 8081/tcp (Host mode)]") {
			t.Fatalf("the fourth --net=host --expose 8081: %v", err)
		}
	})

	t.Run("containerslots caps each node", func(t *testing.T) {
		wipeEngines(t)
		t.Cleanup(func() {
			for i := range engines {
				label(t, i)
			}
		})
		for i := range engines {
			label(t, i, "containerslots=1")
		}
		m := startManager(t) // reads the new labels from the start
		m.waitHealthy(t, 3)
		for range 3 {
			if _, err := docker(t, cli, m.addr, "run", "-d", "busybox", "sleep", "300"); err != nil {
				t.Fatal(err)
			}
		}
		_, err := docker(t, cli, m.addr, "run", "-d", "busybox", "sleep", "300")
		if err == nil || !strings.Contains(err.Error(), "available container slots") {
			t.Fatalf("a fourth container with one slot per node: %v", err)
		}
	})
	wipeEngines(t)
}

// binpack fills one node before it starts the next; spread balances.
func TestStrategies(t *testing.T) {
	cli := clis(t)[0]
	t.Run("binpack", func(t *testing.T) {
		m := startManager(t, "--strategy", "binpack", "nodes://"+strings.Join(engines, ","))
		m.waitHealthy(t, 3)
		wipeEngines(t)
		// Each engine has about 23 GiB: two 10g reservations fit, a third does not.
		var nodes []string
		for range 4 {
			id := mustDocker(t, cli, m.addr, "run", "-d", "-m", "10g", "busybox", "sleep", "300")
			nodes = append(nodes, nodeOf(t, cli, m.addr, id))
		}
		if nodes[0] != nodes[1] || nodes[2] != nodes[3] || nodes[1] == nodes[2] {
			t.Fatalf("binpack placed four 10g containers on %v, want two nodes filled in turn", nodes)
		}
	})
	t.Run("spread", func(t *testing.T) {
		m := startManager(t)
		m.waitHealthy(t, 3)
		wipeEngines(t)
		counts := map[string]int{}
		for range 6 {
			counts[nodeOf(t, cli, m.addr, mustDocker(t, cli, m.addr, "run", "-d", "-m", "64m", "busybox", "sleep", "300"))]++
		}
		if len(counts) != 3 || counts["node-1"] != 2 || counts["node-2"] != 2 || counts["node-3"] != 2 {
			t.Fatalf("spread placed six containers as %v", counts)
		}
	})
	wipeEngines(t)
}
