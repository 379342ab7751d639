package placement

import (
	"errors"
	"testing"
)

func TestHealthFilter(t *testing.T) {
	tests := []struct {
		name string
		node *Node
		ok   bool
	}{
		{name: "healthy", node: baseNode(), ok: true},
		{name: "unhealthy", node: node(func(n *Node) { n.Healthy = false })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason := healthFilter{}.Check(newSpec().request(t), tt.node)
			if ok != tt.ok || (!ok && reason != reasonUnhealthy) {
				t.Errorf("Check = %v, %q; want %v", ok, reason, tt.ok)
			}
		})
	}
}

func TestPlaceHealth(t *testing.T) {
	s := mustScheduler(t, nil, "", Options{})
	r := newSpec().request(t)

	down := cluster(2)
	down[0].Healthy, down[1].Healthy = false, false
	for name, nodes := range map[string][]*Node{"none healthy": down, "no nodes": nil} {
		_, err := s.Place(r, nodes)
		if !errors.Is(err, ErrNoHealthyNode) || err.Error() != "no healthy node available in the cluster" {
			t.Errorf("%s: error %v, want ErrNoHealthyNode", name, err)
		}
	}

	// The empty node-1 is down, so spread takes node-2.
	mixed := cluster(2)
	mixed[0].Healthy = false
	mixed[1].Containers = []Container{ctr("a")}
	d, err := s.Place(r, mixed)
	if err != nil || d.Node.Name != "node-2" {
		t.Fatalf("Place = %v, %v; want node-2", d.Node, err)
	}
	if d.Diagnostics.Filtered["health"] != 1 {
		t.Errorf("Filtered = %v, want health: 1", d.Diagnostics.Filtered)
	}
}
