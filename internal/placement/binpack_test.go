package placement

import "testing"

func TestBinpackScore(t *testing.T) {
	tests := []struct {
		name string
		mem  int64
		node *Node
		want float64
		fits bool
	}{
		{name: "empty node, no reservation", node: baseNode(), want: 0.5, fits: true},
		{name: "one container, no reservation", node: node(func(n *Node) { n.Containers = []Container{ctr("a")} }), want: 2.0 / 3, fits: true},
		{name: "all the memory", mem: 2 * gib, node: baseNode(), want: 100.5, fits: true},
		{name: "no room", mem: 3 * gib, node: baseNode()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newSpec().request(t)
			r.HostConfig.Memory = tt.mem
			got, fits := binpackStrategy{}.Score(r, tt.node)
			if fits != tt.fits || (fits && got != tt.want) {
				t.Errorf("Score = %v, %v; want %v, %v", got, fits, tt.want, tt.fits)
			}
		})
	}
}

// TestBinpackDocExample follows "BinPack strategy example" in
// scheduler-strategy.md: two empty nodes with 2 GiB; -m 1G twice lands on
// node-1 both times, which leaves node-2 free for a 2G container.
func TestBinpackDocExample(t *testing.T) {
	nodes := cluster(2)
	s := mustScheduler(t, nil, "binpack", Options{Overcommit: DefaultOvercommit})
	withMemory := func(m int64) *Request {
		sp := newSpec()
		sp.hc.Memory = m
		return sp.request(t)
	}
	for _, name := range []string{"db", "frontend"} {
		if got := placeAndCommit(t, s, withMemory(gib), nodes, ctr(name)); got != "node-1" {
			t.Errorf("%s went to %s, want node-1", name, got)
		}
	}
	if got := placeAndCommit(t, s, withMemory(2*gib), nodes, ctr("big")); got != "node-2" {
		t.Errorf("2G container went to %s, want node-2", got)
	}
}

func TestBinpackPrefersLoadThenMoreContainers(t *testing.T) {
	s := mustScheduler(t, nil, "binpack", Options{})
	r := newSpec().request(t)

	nodes := cluster(3)
	nodes[1].Containers = []Container{ctr("a"), ctr("b")}
	nodes[2].Containers = []Container{ctr("a")}
	if d, _ := s.Place(r, nodes); d.Node.Name != "node-2" {
		t.Errorf("no reservation: %s, want node-2 (most containers)", d.Node.Name)
	}

	r.HostConfig.Memory = gib / 2
	nodes[2].Containers[0].Memory = gib
	if d, _ := s.Place(r, nodes); d.Node.Name != "node-3" {
		t.Errorf("node-3 loaded: %s, want node-3", d.Node.Name)
	}
	// ... unless it has no room left.
	nodes[2].Containers[0].Memory = 2 * gib
	if d, _ := s.Place(r, nodes); d.Node.Name != "node-2" {
		t.Errorf("node-3 full: %s, want node-2", d.Node.Name)
	}
}
