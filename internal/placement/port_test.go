package placement

import (
	"testing"

	"github.com/docker/go-connections/nat"
)

func TestPortFilter(t *testing.T) {
	holding := func(ports ...PortBinding) *Node {
		return node(func(n *Node) { n.Containers = []Container{{ID: "c1", Names: []string{"web"}, Ports: ports}} })
	}
	hostMode := func(ports ...string) *spec {
		s := newSpec()
		s.hc.NetworkMode = "host"
		s.cfg.ExposedPorts = nat.PortSet{}
		for _, p := range ports {
			s.cfg.ExposedPorts[nat.Port(p)] = struct{}{}
		}
		return s
	}
	tcp80 := PortBinding{HostPort: 80, Protocol: "tcp"}
	tests := []struct {
		name   string
		spec   *spec
		node   *Node
		ok     bool
		reason string
	}{
		{name: "no ports", spec: newSpec(), node: holding(tcp80), ok: true},
		{name: "free", spec: newSpec().publish("80", "80/tcp"), node: baseNode(), ok: true},
		{name: "held", spec: newSpec().publish("80", "80/tcp"), node: holding(tcp80), reason: "port 80 (Bridge mode)"},
		{name: "held by a stopped container", spec: newSpec().publish("80", "80/tcp"), node: node(func(n *Node) {
			n.Containers = []Container{{ID: "c1", Running: false, Ports: []PortBinding{tcp80}}}
		}), reason: "port 80 (Bridge mode)"},
		{name: "other port held", spec: newSpec().publish("81", "80/tcp"), node: holding(tcp80), ok: true},
		{name: "other protocol", spec: newSpec().publish("80", "80/udp"), node: holding(tcp80), ok: true},
		{name: "same udp port", spec: newSpec().publish("53", "53/udp"), node: holding(PortBinding{HostPort: 53, Protocol: "udp"}), reason: "port 53 (Bridge mode)"},
		{name: "held protocol defaults to tcp", spec: newSpec().publish("80", "80/tcp"), node: holding(PortBinding{HostPort: 80}), reason: "port 80 (Bridge mode)"},
		{name: "ephemeral never conflicts", spec: newSpec().publish("", "80/tcp"), node: holding(tcp80), ok: true},
		{name: "zero is ephemeral", spec: newSpec().publish("0", "80/tcp"), node: holding(tcp80), ok: true},
		{name: "different IPs", spec: newSpec().bind("10.0.0.1", "80", "80/tcp"), node: holding(PortBinding{HostIP: "10.0.0.2", HostPort: 80, Protocol: "tcp"}), ok: true},
		{name: "same IP", spec: newSpec().bind("10.0.0.1", "80", "80/tcp"), node: holding(PortBinding{HostIP: "10.0.0.1", HostPort: 80, Protocol: "tcp"}), reason: "port 80 (Bridge mode)"},
		{name: "held on every address", spec: newSpec().bind("10.0.0.1", "80", "80/tcp"), node: holding(PortBinding{HostIP: "0.0.0.0", HostPort: 80, Protocol: "tcp"}), reason: "port 80 (Bridge mode)"},
		{name: "held on every IPv6 address", spec: newSpec().bind("10.0.0.1", "80", "80/tcp"), node: holding(PortBinding{HostIP: "::", HostPort: 80, Protocol: "tcp"}), reason: "port 80 (Bridge mode)"},
		{name: "wanted on 0.0.0.0", spec: newSpec().bind("0.0.0.0", "80", "80/tcp"), node: holding(PortBinding{HostIP: "10.0.0.2", HostPort: 80, Protocol: "tcp"}), reason: "port 80 (Bridge mode)"},
		{name: "wanted on every address", spec: newSpec().publish("80", "80/tcp"), node: holding(PortBinding{HostIP: "10.0.0.2", HostPort: 80, Protocol: "tcp"}), reason: "port 80 (Bridge mode)"},
		{name: "second binding held", spec: newSpec().publish("8080", "8080/tcp").publish("80", "80/tcp"), node: holding(tcp80), reason: "port 80 (Bridge mode)"},
		{name: "range with a free port", spec: newSpec().publish("80-81", "80/tcp"), node: holding(tcp80), ok: true},
		{name: "range all held", spec: newSpec().publish("80-81", "80/tcp"), node: holding(tcp80, PortBinding{HostPort: 81, Protocol: "tcp"}), reason: "port 80-81 (Bridge mode)"},
		{name: "host mode free", spec: hostMode("80/tcp"), node: baseNode(), ok: true},
		{name: "host mode held by a binding", spec: hostMode("80/tcp"), node: holding(PortBinding{HostIP: "10.0.0.2", HostPort: 80, Protocol: "tcp"}), reason: "port 80/tcp (Host mode)"},
		{name: "host mode other protocol", spec: hostMode("80/udp"), node: holding(tcp80), ok: true},
		{name: "host mode without protocol", spec: hostMode("80"), node: holding(tcp80), reason: "port 80/tcp (Host mode)"},
		{name: "host mode range needs every port", spec: hostMode("79-80/tcp"), node: holding(tcp80), reason: "port 79-80/tcp (Host mode)"},
		{name: "host mode ignores bindings", spec: hostMode().publish("80", "80/tcp"), node: holding(tcp80), ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason := portFilter{}.Check(tt.spec.request(t), tt.node)
			if ok != tt.ok || (!ok && reason != tt.reason) {
				t.Errorf("Check = %v, %q; want %v, %q", ok, reason, tt.ok, tt.reason)
			}
		})
	}
}

// TestPortDocExamples follows "Use a port filter" in scheduler-filter.md.
func TestPortDocExamples(t *testing.T) {
	t.Run("bridge mode", func(t *testing.T) {
		nodes := cluster(3)
		s := mustScheduler(t, nil, "", Options{Overcommit: DefaultOvercommit})
		for _, want := range []string{"node-1", "node-2", "node-3",
			"unable to find a node that satisfies the following conditions [port 80 (Bridge mode)]"} {
			if got := placeAndCommit(t, s, newSpec().publish("80", "80/tcp").request(t), nodes, ctr("nginx")); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		}
		// A stopped container still owns its port.
		nodes[0].Containers[0].Running = false
		if _, err := s.Place(newSpec().publish("80", "80/tcp").request(t), nodes); err == nil {
			t.Error("port 80 of a stopped container was handed out")
		}
		// Once it is removed, the port is free again.
		nodes[0].Containers = nil
		if got := placeAndCommit(t, s, newSpec().publish("80", "80/tcp").request(t), nodes, ctr("nginx")); got != "node-1" {
			t.Errorf("after removal: %s, want node-1", got)
		}
	})
	t.Run("host mode", func(t *testing.T) {
		nodes := []*Node{named("box1"), named("box2"), named("box3")}
		s := mustScheduler(t, nil, "", Options{Overcommit: DefaultOvercommit})
		expose80 := func() *Request {
			sp := newSpec()
			sp.hc.NetworkMode = "host"
			sp.cfg.ExposedPorts = nat.PortSet{"80/tcp": {}}
			return sp.request(t)
		}
		seen := map[string]bool{}
		for range 3 {
			seen[placeAndCommit(t, s, expose80(), nodes, ctr("nginx"))] = true
		}
		if len(seen) != 3 || !seen["box1"] || !seen["box2"] || !seen["box3"] {
			t.Fatalf("three host-mode nginx went to %v, want one per box", seen)
		}
		want := "unable to find a node that satisfies the following conditions [port 80/tcp (Host mode)]"
		if got := placeAndCommit(t, s, expose80(), nodes, ctr("nginx")); got != want {
			t.Errorf("4th: got %q, want %q", got, want)
		}
		if got := placeAndCommit(t, s, newSpec().publish("81", "80/tcp").request(t), nodes, ctr("nginx")); got == want || got[:3] != "box" {
			t.Errorf("-p 81:80: got %q, want a box", got)
		}
	})
}
