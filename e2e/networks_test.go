package e2e

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A person creates a network through the manager, sees it once as
// node-N/name, runs containers on it that find each other by name, connects
// and disconnects a container, and removes it.
func TestNetworkLifecycle(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	for _, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			wipeEngines(t)
			wipeNetworksAndVolumes(t)

			id := mustDocker(t, cli, m.addr, "network", "create", "mynet")
			if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(id) {
				t.Fatalf("docker network create printed %q, want a network ID", id)
			}
			ls := mustDocker(t, cli, m.addr, "network", "ls", "--format", "{{.ID}} {{.Name}} {{.Driver}} {{.Scope}}")
			found := regexp.MustCompile(`(?m)^`+id[:12]+` (node-[123])/mynet bridge local$`).FindAllStringSubmatch(ls, -1)
			if len(found) != 1 || strings.Count(ls, "mynet") != 1 {
				t.Fatalf("docker network ls shows\n%s\nwant mynet once, as node-N/mynet", ls)
			}
			node := found[0][1]
			for i := range engines {
				if !strings.Contains(ls, nodeName(i)+"/bridge bridge local") {
					t.Fatalf("docker network ls shows\n%s\nwant %s/bridge", ls, nodeName(i))
				}
			}
			if on := networkNodes(t, "mynet"); !slices.Equal(on, []string{node}) {
				t.Fatalf("the engines hold mynet on %v, want on %s only", on, node)
			}

			for _, ref := range []string{node + "/mynet", "mynet", id[:12]} {
				if got := mustDocker(t, cli, m.addr, "network", "inspect", "-f", "{{.Id}} {{.Name}} {{.Driver}}", ref); got != id+" "+node+"/mynet bridge" {
					t.Fatalf("docker network inspect %s = %q", ref, got)
				}
			}

			// Containers pinned to the network's node (placement by the
			// network itself is TestNetworkPlacesItsContainers).
			pin := "constraint:node==" + node
			mustDocker(t, cli, m.addr, "run", "-d", "--net", "mynet", "-e", pin, "--name", "alpha", "busybox", "sleep", "300")
			if out := mustDocker(t, cli, m.addr, "run", "--rm", "--net", "mynet", "-e", pin, "busybox", "ping", "-c1", "alpha"); !strings.Contains(out, "1 packets received") {
				t.Fatalf("ping alpha over mynet printed %q", out)
			}

			mustDocker(t, cli, m.addr, "run", "-d", "-e", pin, "--name", "beta", "busybox", "sleep", "300")
			mustDocker(t, cli, m.addr, "network", "connect", "mynet", "beta")
			if nets := containerNetworks(t, cli, m.addr, "beta"); !slices.Equal(nets, []string{"bridge", "mynet"}) {
				t.Fatalf("after connect, beta is on %v", nets)
			}
			if out := mustDocker(t, cli, m.addr, "exec", "beta", "ping", "-c1", "alpha"); !strings.Contains(out, "1 packets received") {
				t.Fatalf("beta pinging alpha after connect printed %q", out)
			}
			if n := mustDocker(t, cli, m.addr, "network", "inspect", "-f", "{{len .Containers}}", node+"/mynet"); n != "2" {
				t.Fatalf("mynet holds %s containers, want 2", n)
			}
			mustDocker(t, cli, m.addr, "network", "disconnect", node+"/mynet", node+"/beta")
			if nets := containerNetworks(t, cli, m.addr, "beta"); !slices.Equal(nets, []string{"bridge"}) {
				t.Fatalf("after disconnect, beta is on %v", nets)
			}

			if _, err := docker(t, cli, m.addr, "network", "rm", "mynet"); err == nil || !strings.Contains(err.Error(), "active endpoints") {
				t.Fatalf("removing a network in use: %v, want the engine's refusal", err)
			}
			mustDocker(t, cli, m.addr, "rm", "-f", "alpha", "beta")
			mustDocker(t, cli, m.addr, "network", "rm", node+"/mynet")
			if ls := mustDocker(t, cli, m.addr, "network", "ls", "--format", "{{.Name}}"); strings.Contains(ls, "mynet") {
				t.Fatalf("after rm, docker network ls still shows\n%s", ls)
			}
		})
	}
}

// Where a new network goes: the node its name names, the node its
// constraint label names, else the node with the fewest networks.
func TestNetworkCreatePlacement(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	wipeNetworksAndVolumes(t)
	cli := clis(t)[0]

	var spread []string
	for _, name := range []string{"n1", "n2", "n3"} {
		mustDocker(t, cli, m.addr, "network", "create", name)
		spread = append(spread, networkNodes(t, name)...)
	}
	slices.Sort(spread)
	if !slices.Equal(spread, []string{"node-1", "node-2", "node-3"}) {
		t.Fatalf("three networks went to %v, want one on each node", spread)
	}

	mustDocker(t, cli, m.addr, "network", "create", "node-3/pinned")
	if on := networkNodes(t, "pinned"); !slices.Equal(on, []string{"node-3"}) {
		t.Fatalf("node-3/pinned went to %v", on)
	}
	mustDocker(t, cli, m.addr, "network", "create", "--label", `com.docker.swarm.constraints=["node==node-2"]`, "labelled")
	if on := networkNodes(t, "labelled"); !slices.Equal(on, []string{"node-2"}) {
		t.Fatalf("a network constrained to node-2 went to %v", on)
	}
	if _, err := docker(t, cli, m.addr, "network", "create", "--label", `com.docker.swarm.constraints=["node==node-9"]`, "nowhere"); err == nil ||
		!strings.Contains(err.Error(), "unable to find a node that satisfies the following conditions [node==node-9]") {
		t.Fatalf("an unsatisfiable constraint: %v", err)
	}

	// Classic Swarm's default driver was overlay; here the engines' default
	// stands, and overlay is passed to every node, whose refusal is shown.
	if _, err := docker(t, cli, m.addr, "network", "create", "-d", "overlay", "ov"); err == nil || !strings.Contains(err.Error(), "not a swarm manager") {
		t.Fatalf("an overlay network on engines outside swarm mode: %v", err)
	}
	if on := networkNodes(t, "ov"); len(on) != 0 {
		t.Fatalf("a failed overlay create left networks on %v", on)
	}

	mustDocker(t, cli, m.addr, "network", "create", "node-2/unused")
	out := mustDocker(t, cli, m.addr, "network", "prune", "-f")
	for _, want := range []string{"node-2/unused", "node-3/pinned", "node-2/labelled"} {
		if !strings.Contains(out, want) {
			t.Fatalf("docker network prune printed\n%s\nwant %s among the deleted", out, want)
		}
	}
	if on := networkNodes(t, "unused"); len(on) != 0 {
		t.Fatalf("after prune, unused is still on %v", on)
	}
}

// A container attached to a node-local network is created on that
// network's node, as with --net=container:.
func TestNetworkPlacesItsContainers(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	wipeNetworksAndVolumes(t)
	cli := clis(t)[0]

	// On node-3: spread alone would put the first container on node-1.
	mustDocker(t, cli, m.addr, "network", "create", "node-3/depnet")
	mustDocker(t, cli, m.addr, "run", "-d", "--net", "depnet", "--name", "alpha", "busybox", "sleep", "300")
	if got := mustDocker(t, cli, m.addr, "inspect", "-f", "{{.Node.Name}}", "alpha"); got != "node-3" {
		t.Fatalf("a container on depnet went to %s, want node-3", got)
	}
	if out := mustDocker(t, cli, m.addr, "run", "--rm", "--net", "depnet", "busybox", "ping", "-c1", "alpha"); !strings.Contains(out, "1 packets received") {
		t.Fatalf("ping alpha over depnet printed %q", out)
	}
	mustDocker(t, cli, m.addr, "run", "-d", "--net", "node-3/depnet", "--name", "beta", "busybox", "sleep", "300")
	if got := mustDocker(t, cli, m.addr, "inspect", "-f", "{{.Node.Name}}", "beta"); got != "node-3" {
		t.Fatalf("a container on node-3/depnet went to %s, want node-3", got)
	}
	wipeEngines(t)
	wipeNetworksAndVolumes(t)
}

// Bad network references get an engine-like answer.
func TestNetworkBadInput(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	wipeNetworksAndVolumes(t)
	cli := clis(t)[0]
	mustDocker(t, cli, m.addr, "network", "create", "node-1/dup")
	mustDocker(t, cli, m.addr, "network", "create", "node-2/dup")
	mustDocker(t, cli, m.addr, "network", "create", "node-3/taken")
	mustDocker(t, cli, m.addr, "run", "-d", "-e", "constraint:node==node-1", "--name", "web", "busybox", "sleep", "300")

	cases := []struct {
		name, method, path, body string
		status                   int
		message                  string
	}{
		{"unknown network", "GET", "/v1.41/networks/nope", "", 404, "network nope not found"},
		{"unknown network on a node", "GET", "/v1.41/networks/node-2/nope", "", 404, "network node-2/nope not found"},
		{"remove unknown network", "DELETE", "/v1.41/networks/nope", "", 404, "network nope not found"},
		{"ambiguous name", "GET", "/v1.41/networks/dup", "", 400, `multiple networks match "dup": name one of node-1/dup, node-2/dup`},
		{"remove ambiguous name", "DELETE", "/v1.41/networks/dup", "", 400, "multiple networks match"},
		{"default networks of every node", "GET", "/v1.41/networks/bridge", "", 400, "name one of node-1/bridge, node-2/bridge, node-3/bridge"},
		{"name taken on another node", "POST", "/v1.41/networks/create", `{"Name":"taken"}`, 409, "network with name taken already exists on node-3"},
		{"name taken on that node", "POST", "/v1.41/networks/create", `{"Name":"node-3/taken","CheckDuplicate":true}`, 409, "network with name taken already exists"},
		{"unknown node", "POST", "/v1.41/networks/create", `{"Name":"node-9/x"}`, 400, "no healthy node named node-9"},
		{"the engine's refusal", "POST", "/v1.41/networks/create", `{"Name":"x","IPAM":{"Config":[{"Subnet":"nonsense"}]}}`, 500, "invalid CIDR address: nonsense"},
		{"connect unknown container", "POST", "/v1.41/networks/node-1/dup/connect", `{"Container":"nope"}`, 404, "No such container: nope"},
		{"connect to unknown network", "POST", "/v1.41/networks/nope/connect", `{"Container":"web"}`, 404, "network nope not found"},
		{"connect across nodes", "POST", "/v1.41/networks/node-2/dup/connect", `{"Container":"web"}`, 400, "network node-2/dup is on node-2 and container web on node-1"},
		{"connect to a network elsewhere", "POST", "/v1.41/networks/taken/connect", `{"Container":"web"}`, 400, "network taken is on node-3 and container web on node-1"},
		{"bad filter", "GET", "/v1.41/networks?filters=%7B%22nosuch%22%3A%7B%22x%22%3Atrue%7D%7D", "", 400, "nosuch"},
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
		if _, err := docker(t, cli, m.addr, "network", "inspect", "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("network inspect nope: %v", err)
		}
		if _, err := docker(t, cli, m.addr, "network", "rm", "dup"); err == nil || !strings.Contains(err.Error(), "name one of node-1/dup, node-2/dup") {
			t.Fatalf("network rm dup: %v", err)
		}
		if out := mustDocker(t, cli, m.addr, "network", "ls", "--filter", "node=node-2", "--format", "{{.Name}}"); out != "node-2/bridge\nnode-2/dup\nnode-2/host\nnode-2/none" {
			t.Fatalf("network ls --filter node=node-2 shows\n%s", out)
		}
		mustDocker(t, cli, m.addr, "network", "rm", "node-1/dup", "node-2/dup")
	})
	wipeEngines(t)
	wipeNetworksAndVolumes(t)
}

// networkNodes lists the nodes holding a network of that exact name,
// straight on the engines.
func networkNodes(t *testing.T, name string) []string {
	t.Helper()
	var on []string
	for i, e := range engines {
		for _, n := range strings.Fields(mustDocker(t, "/usr/bin/docker", e, "network", "ls", "--format", "{{.Name}}")) {
			if n == name {
				on = append(on, nodeName(i))
			}
		}
	}
	return on
}

// containerNetworks lists the networks a container is attached to, sorted.
func containerNetworks(t *testing.T, cli, host, ctr string) []string {
	t.Helper()
	nets := strings.Fields(mustDocker(t, cli, host, "inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", ctr))
	slices.Sort(nets)
	return nets
}

// wipeNetworksAndVolumes removes every network and volume that no container
// uses from every engine, straight on the engines.
func wipeNetworksAndVolumes(t *testing.T) {
	t.Helper()
	for _, e := range engines {
		mustDocker(t, "/usr/bin/docker", e, "network", "prune", "-f")
		mustDocker(t, "/usr/bin/docker", e, "volume", "prune", "-f")
	}
}
