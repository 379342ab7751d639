package e2e

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A person creates a volume through the manager, sees it as node-N/name,
// shares it between containers of its node, and removes it.
func TestVolumeLifecycle(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	for _, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			wipeEngines(t)
			wipeNetworksAndVolumes(t)

			created := mustDocker(t, cli, m.addr, "volume", "create", "v1")
			match := regexp.MustCompile(`^(node-[123])/v1$`).FindStringSubmatch(created)
			if match == nil {
				t.Fatalf("docker volume create v1 printed %q, want node-N/v1", created)
			}
			node := match[1]
			if on := volumeNodes(t, "v1"); !slices.Equal(on, []string{node}) {
				t.Fatalf("the engines hold v1 on %v, want on %s only", on, node)
			}
			if again := mustDocker(t, cli, m.addr, "volume", "create", "v1"); again != created {
				t.Fatalf("a second docker volume create v1 printed %q, want %q", again, created)
			}
			if ls := mustDocker(t, cli, m.addr, "volume", "ls", "--format", "{{.Name}} {{.Driver}}"); ls != node+"/v1 local" {
				t.Fatalf("docker volume ls shows\n%s\nwant %s/v1 local", ls, node)
			}
			for _, ref := range []string{"v1", node + "/v1"} {
				if got := mustDocker(t, cli, m.addr, "volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Scope}}", ref); got != node+"/v1 local local" {
					t.Fatalf("docker volume inspect %s = %q", ref, got)
				}
			}

			pin := "constraint:node==" + node
			mustDocker(t, cli, m.addr, "run", "--rm", "-e", pin, "-v", "v1:/data", "busybox", "sh", "-c", "echo kept > /data/f")
			if out := mustDocker(t, cli, m.addr, "run", "--rm", "-e", pin, "-v", "v1:/data", "busybox", "cat", "/data/f"); out != "kept" {
				t.Fatalf("a second container on %s read %q from v1", node, out)
			}

			mustDocker(t, cli, m.addr, "run", "-d", "-e", pin, "-v", "v1:/data", "--name", "user", "busybox", "sleep", "300")
			if _, err := docker(t, cli, m.addr, "volume", "rm", "v1"); err == nil || !strings.Contains(err.Error(), "in use") {
				t.Fatalf("removing a volume in use: %v, want the engine's refusal", err)
			}
			mustDocker(t, cli, m.addr, "rm", "-f", "user")
			if out := mustDocker(t, cli, m.addr, "volume", "rm", node+"/v1"); out != node+"/v1" {
				t.Fatalf("docker volume rm printed %q", out)
			}
			if ls := mustDocker(t, cli, m.addr, "volume", "ls", "-q"); ls != "" {
				t.Fatalf("after rm, docker volume ls shows %q", ls)
			}
		})
	}
}

// Where a new volume goes: the node its name names, the node its
// constraint label names, else the node with the fewest volumes.
func TestVolumeCreatePlacement(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	wipeNetworksAndVolumes(t)
	cli := clis(t)[0]

	var spread []string
	for _, name := range []string{"s1", "s2", "s3"} {
		mustDocker(t, cli, m.addr, "volume", "create", name)
		spread = append(spread, volumeNodes(t, name)...)
	}
	slices.Sort(spread)
	if !slices.Equal(spread, []string{"node-1", "node-2", "node-3"}) {
		t.Fatalf("three volumes went to %v, want one on each node", spread)
	}

	if out := mustDocker(t, cli, m.addr, "volume", "create", "node-2/pinned"); out != "node-2/pinned" {
		t.Fatalf("docker volume create node-2/pinned printed %q", out)
	}
	if on := volumeNodes(t, "pinned"); !slices.Equal(on, []string{"node-2"}) {
		t.Fatalf("node-2/pinned went to %v", on)
	}
	mustDocker(t, cli, m.addr, "volume", "create", "--label", `com.docker.swarm.constraints=["node==node-3"]`, "labelled")
	if on := volumeNodes(t, "labelled"); !slices.Equal(on, []string{"node-3"}) {
		t.Fatalf("a volume constrained to node-3 went to %v", on)
	}
	if anon := mustDocker(t, cli, m.addr, "volume", "create"); !regexp.MustCompile(`^node-[123]/[0-9a-f]{64}$`).MatchString(anon) {
		t.Fatalf("docker volume create with no name printed %q", anon)
	}
	if ls := mustDocker(t, cli, m.addr, "volume", "ls", "-q", "--filter", "node=node-2"); ls != "node-2/pinned\nnode-2/s2" && ls != "node-2/s2\nnode-2/pinned" {
		t.Fatalf("docker volume ls --filter node=node-2 shows\n%s", ls)
	}

	out := mustDocker(t, cli, m.addr, "volume", "prune", "-f")
	for _, want := range []string{"node-2/pinned", "node-3/labelled"} {
		if !strings.Contains(out, want) {
			t.Fatalf("docker volume prune printed\n%s\nwant %s among the deleted", out, want)
		}
	}
	if ls := mustDocker(t, cli, m.addr, "volume", "ls", "-q"); ls != "" {
		t.Fatalf("after prune, docker volume ls shows %q", ls)
	}
}

// Bad volume references get an engine-like answer.
func TestVolumeBadInput(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	wipeNetworksAndVolumes(t)
	cli := clis(t)[0]
	mustDocker(t, cli, m.addr, "volume", "create", "node-1/dup")
	mustDocker(t, cli, m.addr, "volume", "create", "node-2/dup")

	cases := []struct {
		name, method, path, body string
		status                   int
		message                  string
	}{
		{"unknown volume", "GET", "/v1.41/volumes/nope", "", 404, "get nope: no such volume"},
		{"unknown volume on a node", "GET", "/v1.41/volumes/node-3/nope", "", 404, "get node-3/nope: no such volume"},
		{"remove unknown volume", "DELETE", "/v1.41/volumes/nope", "", 404, "get nope: no such volume"},
		{"ambiguous name", "GET", "/v1.41/volumes/dup", "", 400, `multiple volumes match "dup": name one of node-1/dup, node-2/dup`},
		{"remove ambiguous name", "DELETE", "/v1.41/volumes/dup", "", 400, "multiple volumes match"},
		{"create an ambiguous name", "POST", "/v1.41/volumes/create", `{"Name":"dup"}`, 400, "multiple volumes match"},
		{"unknown node", "POST", "/v1.41/volumes/create", `{"Name":"node-9/x"}`, 400, "no healthy node named node-9"},
		{"invalid name", "POST", "/v1.41/volumes/create", `{"Name":"node-1/a b"}`, 400, "includes invalid characters for a local volume name"},
		{"malformed body", "POST", "/v1.41/volumes/create", `{nope`, 400, "invalid character"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := execAPI(t, m.addr, tc.method, tc.path, tc.body)
			if status != tc.status || !strings.Contains(apiMessage(body), tc.message) {
				t.Fatalf("%s %s = %d %s, want %d with %q", tc.method, tc.path, status, body, tc.status, tc.message)
			}
		})
	}
	t.Run("the CLI", func(t *testing.T) {
		if _, err := docker(t, cli, m.addr, "volume", "inspect", "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("volume inspect nope: %v", err)
		}
		if _, err := docker(t, cli, m.addr, "volume", "rm", "dup"); err == nil || !strings.Contains(err.Error(), "name one of node-1/dup, node-2/dup") {
			t.Fatalf("volume rm dup: %v", err)
		}
		mustDocker(t, cli, m.addr, "volume", "rm", "node-1/dup", "node-2/dup")
	})
}

// volumeNodes lists the nodes holding a volume of that name, straight on
// the engines.
func volumeNodes(t *testing.T, name string) []string {
	t.Helper()
	var on []string
	for i, e := range engines {
		if slices.Contains(strings.Fields(mustDocker(t, "/usr/bin/docker", e, "volume", "ls", "-q")), name) {
			on = append(on, nodeName(i))
		}
	}
	return on
}

// A container mounting a node-local named volume is created on that
// volume's node; one naming node/volume goes to that node, where the engine
// makes the volume. (Beside the compose test, which relies on it; its place
// is volumes_test.go.)
func TestVolumePlacesItsContainers(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	wipeNetworksAndVolumes(t)
	t.Cleanup(func() {
		wipeEngines(t)
		wipeNetworksAndVolumes(t)
	})
	cli := clis(t)[0]
	nodeOf := func(ctr string) string { return mustDocker(t, cli, m.addr, "inspect", "-f", "{{.Node.Name}}", ctr) }

	// On node-3: spread alone would put the first container on node-1.
	mustDocker(t, cli, m.addr, "volume", "create", "node-3/depvol")
	mustDocker(t, cli, m.addr, "run", "-d", "-v", "depvol:/data", "--name", "alpha", "busybox", "sleep", "300")
	if got := nodeOf("alpha"); got != "node-3" {
		t.Fatalf("a container mounting depvol went to %s, want node-3", got)
	}
	mustDocker(t, cli, m.addr, "run", "-d", "--mount", "type=volume,source=depvol,target=/data", "--name", "beta", "busybox", "sleep", "300")
	if got := nodeOf("beta"); got != "node-3" {
		t.Fatalf("a container mounting depvol with --mount went to %s, want node-3", got)
	}

	mustDocker(t, cli, m.addr, "run", "-d", "-v", "node-2/fresh:/data", "--name", "gamma", "busybox", "sleep", "300")
	if got := nodeOf("gamma"); got != "node-2" {
		t.Fatalf("a container mounting node-2/fresh went to %s", got)
	}
	if on := volumeNodes(t, "fresh"); !slices.Equal(on, []string{"node-2"}) {
		t.Fatalf("the engine made fresh on %v, want node-2", on)
	}

	mustDocker(t, cli, m.addr, "network", "create", "node-1/apart")
	_, err := docker(t, cli, m.addr, "run", "-d", "--net", "apart", "-v", "depvol:/data", "busybox", "sleep", "300")
	if err == nil || !strings.Contains(err.Error(), "unable to find a node that satisfies the following conditions") ||
		!strings.Contains(err.Error(), "--volume=depvol:/data") {
		t.Fatalf("a volume on node-3 and a network on node-1: %v", err)
	}
}
