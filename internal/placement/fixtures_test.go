package placement

import (
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"
)

const gib = 1 << 30

// baseNode is the fixture every test starts from: a healthy, empty node with
// 2 CPUs and 2 GiB. Tests change one field of a fresh copy.
func baseNode() *Node {
	return &Node{
		ID:   "N1AAAAAAAAAA",
		Name: "node-1",
		Addr: "192.168.0.42:2375",
		IP:   "192.168.0.42",
		Labels: map[string]string{
			"node":            "node-1",
			"storagedriver":   "overlay2",
			"executiondriver": "native-0.2",
			"kernelversion":   "6.1.0-18-amd64",
			"operatingsystem": "Debian GNU/Linux 12 (bookworm)",
		},
		Healthy:  true,
		NanoCPUs: 2e9,
		Memory:   2 * gib,
	}
}

// node is baseNode with one change applied.
func node(change func(n *Node)) *Node {
	n := baseNode()
	if change != nil {
		change(n)
	}
	return n
}

// named is baseNode known as name (ID, name and the node tag).
func named(name string) *Node {
	return node(func(n *Node) { rename(n, name) })
}

func rename(n *Node, name string) {
	n.ID, n.Name, n.Labels["node"] = "ID-"+name, name, name
}

// cluster builds named nodes node-1 … node-k.
func cluster(k int) []*Node {
	nodes := make([]*Node, k)
	for i := range nodes {
		nodes[i] = named("node-" + string(rune('1'+i)))
	}
	return nodes
}

// ctr is a running container with the given name and no reservation.
func ctr(name string) Container {
	return Container{ID: name + "-0123456789abcdef0123456789abcdef", Names: []string{name}, Running: true}
}

// spec is the create request under test, built field by field.
type spec struct {
	cfg container.Config
	hc  container.HostConfig
}

func newSpec(env ...string) *spec { return &spec{cfg: container.Config{Env: env}} }

func (s *spec) publish(hostPort, containerPort string) *spec {
	return s.bind("", hostPort, containerPort)
}

func (s *spec) bind(hostIP, hostPort, containerPort string) *spec {
	if s.hc.PortBindings == nil {
		s.hc.PortBindings = nat.PortMap{}
	}
	p := nat.Port(containerPort)
	s.hc.PortBindings[p] = append(s.hc.PortBindings[p], nat.PortBinding{HostIP: hostIP, HostPort: hostPort})
	return s
}

func (s *spec) request(t testing.TB) *Request {
	t.Helper()
	r, err := NewRequest("test", &s.cfg, &s.hc, nil)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	return r
}

func mustScheduler(t testing.TB, filters []string, strategy string, opts Options) *Scheduler {
	t.Helper()
	s, err := NewScheduler(filters, strategy, opts)
	if err != nil {
		t.Fatalf("NewScheduler: %v", err)
	}
	return s
}

// placeAndCommit places r and, like the reconciler, records the container on
// the chosen node so that the next placement sees it. It returns the node's
// name, or the error text.
func placeAndCommit(t testing.TB, s *Scheduler, r *Request, nodes []*Node, c Container) string {
	t.Helper()
	d, err := s.Place(r, nodes)
	if err != nil {
		return err.Error()
	}
	c.NanoCPUs, c.Memory = r.NanoCPUs(), r.Memory()
	for port, bindings := range r.HostConfig.PortBindings {
		for _, b := range bindings {
			if lo, _, err := parsePortRange(b.HostPort); err == nil {
				c.Ports = append(c.Ports, PortBinding{HostIP: b.HostIP, HostPort: lo, Protocol: port.Proto()})
			}
		}
	}
	if r.HostConfig.NetworkMode.IsHost() {
		for port := range r.Config.ExposedPorts {
			c.Ports = append(c.Ports, PortBinding{HostPort: uint16(port.Int()), Protocol: port.Proto()})
		}
	}
	d.Node.Containers = append(d.Node.Containers, c)
	return d.Node.Name
}
