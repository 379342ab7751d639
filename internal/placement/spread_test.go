package placement

import (
	"errors"
	"math/rand/v2"
	"testing"
)

func TestSpreadScore(t *testing.T) {
	withContainers := func(k int) *Node {
		return node(func(n *Node) {
			for range k {
				n.Containers = append(n.Containers, ctr("c"))
			}
		})
	}
	tests := []struct {
		name string
		mem  int64
		node *Node
		want float64
		fits bool
	}{
		{name: "empty node, no reservation", node: baseNode(), want: 200.5, fits: true},
		{name: "two containers, no reservation", node: withContainers(2), want: 200.25, fits: true},
		{name: "half the memory", mem: gib, node: baseNode(), want: 150.5, fits: true},
		{name: "no room", mem: 3 * gib, node: baseNode(), fits: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newSpec().request(t)
			r.HostConfig.Memory = tt.mem
			got, fits := spreadStrategy{}.Score(r, tt.node)
			if fits != tt.fits || (fits && got != tt.want) {
				t.Errorf("Score = %v, %v; want %v, %v", got, fits, tt.want, tt.fits)
			}
		})
	}
}

// TestSpreadDocExample follows "Spread strategy example" in
// scheduler-strategy.md: two empty nodes with 2 GiB and 2 CPUs; -m 1G twice.
func TestSpreadDocExample(t *testing.T) {
	nodes := cluster(2)
	s := mustScheduler(t, nil, "spread", Options{Overcommit: DefaultOvercommit})
	oneGiB := func() *Request {
		sp := newSpec()
		sp.hc.Memory = gib
		return sp.request(t)
	}
	// Equal ranking: the tie goes to the first node.
	if got := placeAndCommit(t, s, oneGiB(), nodes, ctr("db")); got != "node-1" {
		t.Errorf("db went to %s, want node-1", got)
	}
	if got := placeAndCommit(t, s, oneGiB(), nodes, ctr("frontend")); got != "node-2" {
		t.Errorf("frontend went to %s, want node-2 (the least loaded)", got)
	}
}

func TestSpreadPrefersLoadThenFewerContainers(t *testing.T) {
	s := mustScheduler(t, nil, "spread", Options{})
	r := newSpec().request(t)
	r.HostConfig.Memory = gib / 4

	// Equal load: fewer containers wins.
	nodes := cluster(3)
	nodes[0].Containers = []Container{ctr("a"), ctr("b")}
	nodes[1].Containers = []Container{ctr("a")}
	nodes[2].Containers = []Container{ctr("a"), ctr("b"), ctr("c")}
	if d, _ := s.Place(r, nodes); d.Node.Name != "node-2" {
		t.Errorf("equal load: %s, want node-2", d.Node.Name)
	}

	// Less load beats fewer containers.
	nodes[1].Containers[0].Memory = gib
	if d, _ := s.Place(r, nodes); d.Node.Name != "node-1" {
		t.Errorf("node-2 loaded: %s, want node-1", d.Node.Name)
	}

	// Whole percents: a difference under 1% is a tie, broken by count.
	nodes = cluster(2)
	nodes[0].Containers = []Container{{ID: "x", Memory: gib / 1000}}
	nodes[1].Containers = []Container{ctr("a"), ctr("b")}
	if d, _ := s.Place(r, nodes); d.Node.Name != "node-1" {
		t.Errorf("under 1%% apart: %s, want node-1", d.Node.Name)
	}
}

func TestSpreadNoResources(t *testing.T) {
	s := mustScheduler(t, nil, "spread", Options{Overcommit: DefaultOvercommit})
	nodes := cluster(2)
	r := newSpec().request(t)
	r.HostConfig.Memory = 3 * gib
	d, err := s.Place(r, nodes)
	if !errors.Is(err, ErrNoResources) || err.Error() != "no resources available to schedule container" {
		t.Fatalf("error %v, want ErrNoResources", err)
	}
	if d.Diagnostics.Unfit != 2 {
		t.Errorf("Unfit = %d, want 2", d.Diagnostics.Unfit)
	}
}

// For any node, spread and binpack scores add up to 201, and each stays in
// its documented range.
func TestSpreadBinpackInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		n := node(func(n *Node) {
			n.NanoCPUs, n.Memory = rng.Int64N(64e9), rng.Int64N(256*gib)
			for range rng.IntN(40) {
				n.Containers = append(n.Containers, Container{ID: "c", NanoCPUs: rng.Int64N(2e9), Memory: rng.Int64N(8 * gib)})
			}
		})
		r := newSpec().request(t)
		r.HostConfig.NanoCPUs, r.HostConfig.Memory = rng.Int64N(4e9), rng.Int64N(16*gib)
		oc := rng.Float64() * 0.5
		sp, fitsS := spreadStrategy{overcommit: oc}.Score(r, n)
		bp, fitsB := binpackStrategy{overcommit: oc}.Score(r, n)
		if fitsS != fitsB {
			t.Fatalf("case %d: spread fits=%v, binpack fits=%v", i, fitsS, fitsB)
		}
		if !fitsS {
			continue
		}
		if sum := sp + bp; sum < 201-1e-9 || sum > 201+1e-9 {
			t.Fatalf("case %d: spread %v + binpack %v = %v, want 201", i, sp, bp, sum)
		}
		if sp <= 0 || sp > 200.5 || bp < 0.5 || bp >= 201 {
			t.Fatalf("case %d: spread %v or binpack %v out of range", i, sp, bp)
		}
	}
}
