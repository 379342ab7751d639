package placement

import "testing"

func TestContainerSlotsFilter(t *testing.T) {
	withSlots := func(label string, containers int) *Node {
		return node(func(n *Node) {
			n.Labels[LabelContainerSlots] = label
			for range containers {
				n.Containers = append(n.Containers, ctr("c"))
			}
		})
	}
	tests := []struct {
		name string
		node *Node
		ok   bool
	}{
		{name: "no label", node: node(func(n *Node) { n.Containers = []Container{ctr("a"), ctr("b")} }), ok: true},
		{name: "room left", node: withSlots("3", 2), ok: true},
		{name: "full", node: withSlots("3", 3)},
		{name: "over full", node: withSlots("3", 5)},
		{name: "zero slots", node: withSlots("0", 0)},
		{name: "spaces", node: withSlots(" 2 ", 2)},
		{name: "not a number", node: withSlots("many", 10), ok: true},
		{name: "empty", node: withSlots("", 10), ok: true},
		{name: "negative", node: withSlots("-1", 10), ok: true},
		{name: "stopped containers count", node: node(func(n *Node) {
			n.Labels[LabelContainerSlots] = "1"
			n.Containers = []Container{{ID: "x", Running: false}}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason := containerSlotsFilter{}.Check(newSpec().request(t), tt.node)
			if ok != tt.ok || (!ok && reason != reasonContainerSlots) {
				t.Errorf("Check = %v, %q; want %v", ok, reason, tt.ok)
			}
		})
	}
}

// TestContainerSlotsDocExample follows "Use the containerslots filter": with
// containerslots=3 a node takes 3 containers; when all are full, the error
// says no node has a slot.
func TestContainerSlotsDocExample(t *testing.T) {
	nodes := cluster(2)
	for _, n := range nodes {
		n.Labels[LabelContainerSlots] = "3"
	}
	s := mustScheduler(t, nil, "", Options{})
	for i := range 6 {
		if got := placeAndCommit(t, s, newSpec().request(t), nodes, ctr("c")); got != "node-1" && got != "node-2" {
			t.Fatalf("container %d: %s", i, got)
		}
	}
	want := "unable to find a node that satisfies the following conditions [available container slots]"
	if got := placeAndCommit(t, s, newSpec().request(t), nodes, ctr("c")); got != want {
		t.Errorf("7th container: got %q, want %q", got, want)
	}
}
