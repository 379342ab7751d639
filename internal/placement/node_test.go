package placement

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestNodeReserved(t *testing.T) {
	n := node(func(n *Node) {
		n.Containers = []Container{{ID: "a", NanoCPUs: 1e9, Memory: gib}, {ID: "b", NanoCPUs: 5e8, Memory: gib / 2, Running: false}}
	})
	for _, seal := range []bool{false, true} {
		if seal {
			n.Seal()
		}
		if cpu, mem := n.ReservedNanoCPUs(), n.ReservedMemory(); cpu != 1.5e9 || mem != gib+gib/2 {
			t.Errorf("sealed=%v: reserved %d CPUs, %d bytes", seal, cpu, mem)
		}
	}
}

// A sealed node whose container slice is replaced or grown is read afresh.
func TestSealNoticesNewContainers(t *testing.T) {
	n := node(func(n *Node) {
		n.Containers = make([]Container, 1, 4)
		n.Containers[0] = Container{ID: "a", Memory: gib, Ports: []PortBinding{{HostPort: 80}}}
		n.Labels[LabelContainerSlots] = "2"
	})
	n.Seal()
	if n.summary() == nil {
		t.Fatal("fresh seal not used")
	}

	grown := *n
	grown.Containers = append(grown.Containers, Container{ID: "b", Memory: gib / 2, Ports: []PortBinding{{HostPort: 81}}})
	if grown.summary() != nil {
		t.Error("summary used after append")
	}
	if mem := grown.ReservedMemory(); mem != gib+gib/2 {
		t.Errorf("ReservedMemory() = %d after append", mem)
	}
	if !portHeld(&grown, "", 81, "tcp") {
		t.Error("port of the appended container not seen")
	}
	if ok, _ := (containerSlotsFilter{}).Check(nil, &grown); ok {
		t.Error("containerslots=2 with 2 containers passed")
	}

	replaced := *n
	replaced.Containers = []Container{{ID: "c"}}
	if replaced.summary() != nil || replaced.ReservedMemory() != 0 || portHeld(&replaced, "", 80, "tcp") {
		t.Error("summary used after the slice was replaced")
	}

	emptied := *n
	emptied.Containers = nil
	if emptied.summary() != nil {
		t.Error("summary used after the containers were removed")
	}
}

// Sealing changes speed, never decisions: random clusters and requests get
// the same node, error and diagnostics either way.
func TestSealDoesNotChangeDecisions(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		plain, sealed := randomCluster(rng), []*Node(nil)
		for _, n := range plain {
			c := *n
			c.Seal()
			sealed = append(sealed, &c)
		}
		sp := newSpec(fmt.Sprintf("constraint:region==%s", [...]string{"a", "b", "~a"}[rng.IntN(3)]))
		if rng.IntN(2) == 0 {
			sp.bind([...]string{"", "10.0.0.1", "10.0.0.2"}[rng.IntN(3)], fmt.Sprint(80+rng.IntN(4)), [...]string{"80/tcp", "80/udp"}[rng.IntN(2)])
		}
		sp.hc.Memory = rng.Int64N(gib)
		sp.hc.NanoCPUs = rng.Int64N(2e9)
		r := sp.request(t)
		strategy := [...]string{"spread", "binpack"}[rng.IntN(2)]
		s := mustScheduler(t, nil, strategy, Options{Overcommit: DefaultOvercommit})
		d1, err1 := s.Place(r, plain)
		d2, err2 := s.Place(r, sealed)
		same := fmt.Sprint(err1) == fmt.Sprint(err2) && (d1.Node == nil) == (d2.Node == nil) &&
			(d1.Node == nil || d1.Node.ID == d2.Node.ID) &&
			fmt.Sprint(d1.Diagnostics) == fmt.Sprint(d2.Diagnostics)
		if !same {
			t.Fatalf("case %d (%s): unsealed %v %v %+v, sealed %v %v %+v", i, strategy, d1.Node, err1, d1.Diagnostics, d2.Node, err2, d2.Diagnostics)
		}
	}
}

func randomCluster(rng *rand.Rand) []*Node {
	nodes := make([]*Node, 1+rng.IntN(6))
	for i := range nodes {
		nodes[i] = node(func(n *Node) {
			rename(n, fmt.Sprint("node-", i))
			n.Healthy = rng.IntN(8) > 0
			n.Labels["region"] = [...]string{"a", "b"}[rng.IntN(2)]
			if rng.IntN(3) == 0 {
				n.Labels[LabelContainerSlots] = fmt.Sprint(rng.IntN(4))
			}
			for range rng.IntN(5) {
				c := Container{ID: "c", NanoCPUs: rng.Int64N(1e9), Memory: rng.Int64N(gib)}
				for range rng.IntN(3) {
					c.Ports = append(c.Ports, PortBinding{
						HostIP:   [...]string{"", "0.0.0.0", "10.0.0.1", "10.0.0.2"}[rng.IntN(4)],
						HostPort: uint16(80 + rng.IntN(4)),
						Protocol: [...]string{"", "tcp", "udp"}[rng.IntN(3)],
					})
				}
				n.Containers = append(n.Containers, c)
			}
		})
	}
	return nodes
}
