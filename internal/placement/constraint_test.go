package placement

import "testing"

func TestConstraintFilter(t *testing.T) {
	tests := []struct {
		name   string
		env    []string
		node   *Node
		ok     bool
		reason string
	}{
		{name: "no constraint", node: baseNode(), ok: true},
		{name: "node by name", env: []string{"constraint:node==node-1"}, node: baseNode(), ok: true},
		{name: "node by ID", env: []string{"constraint:node==N1AAAAAAAAAA"}, node: baseNode(), ok: true},
		{name: "node keyword ignores case", env: []string{"constraint:NODE==node-1"}, node: baseNode(), ok: true},
		{name: "other node", env: []string{"constraint:node==node-2"}, node: baseNode(), reason: "node==node-2"},
		{name: "not this node", env: []string{"constraint:node!=node-1"}, node: baseNode(), reason: "node!=node-1"},
		{name: "not this node by ID", env: []string{"constraint:node!=N1AAAAAAAAAA"}, node: baseNode(), reason: "node!=N1AAAAAAAAAA"},
		{name: "default tag", env: []string{"constraint:storagedriver==overlay*"}, node: baseNode(), ok: true},
		{name: "default tag with spaces", env: []string{"constraint:operatingsystem==Debian GNU/Linux 12 (bookworm)"}, node: baseNode(), ok: true},
		{name: "engine label", env: []string{"constraint:storage==ssd"}, node: node(func(n *Node) { n.Labels["storage"] = "ssd" }), ok: true},
		{name: "engine label differs", env: []string{"constraint:storage==ssd"}, node: node(func(n *Node) { n.Labels["storage"] = "disk" }), reason: "storage==ssd"},
		{name: "label keys are exact", env: []string{"constraint:Storage==ssd"}, node: node(func(n *Node) { n.Labels["storage"] = "ssd" }), reason: "Storage==ssd"},
		{name: "missing label fails ==", env: []string{"constraint:storage==ssd"}, node: baseNode(), reason: "storage==ssd"},
		{name: "missing label fails ==*", env: []string{"constraint:region==*"}, node: baseNode(), reason: "region==*"},
		{name: "missing label passes !=", env: []string{"constraint:region!=us*"}, node: baseNode(), ok: true},
		{name: "glob !=", env: []string{"constraint:region!=us*"}, node: node(func(n *Node) { n.Labels["region"] = "us-east" }), reason: "region!=us*"},
		{name: "regexp", env: []string{`constraint:node==/node-\d/`}, node: baseNode(), ok: true},
		{name: "case-insensitive regexp", env: []string{"constraint:node==/(?i)NODE-1/"}, node: baseNode(), ok: true},
		{name: "soft is checked like hard", env: []string{"constraint:node==~node-2"}, node: baseNode(), reason: "node==~node-2"},
		{name: "first unmet of several", env: []string{"constraint:node==node-1", "constraint:storage==ssd", "constraint:region==us"}, node: baseNode(), reason: "storage==ssd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason := constraintFilter{}.Check(newSpec(tt.env...).request(t), tt.node)
			if ok != tt.ok || (!ok && reason != tt.reason) {
				t.Errorf("Check = %v, %q; want %v, %q", ok, reason, tt.ok, tt.reason)
			}
		})
	}
}

// TestConstraintDocExample follows "Example node constraints" in
// scheduler-filter.md: node-1 has storage=ssd, node-2 storage=disk.
func TestConstraintDocExample(t *testing.T) {
	nodes := cluster(2)
	nodes[0].Labels["storage"] = "ssd"
	nodes[1].Labels["storage"] = "disk"
	s := mustScheduler(t, nil, "", Options{Overcommit: DefaultOvercommit})

	if got := placeAndCommit(t, s, newSpec("constraint:storage==ssd").request(t), nodes, ctr("db")); got != "node-1" {
		t.Errorf("db went to %s, want node-1", got)
	}
	if got := placeAndCommit(t, s, newSpec("constraint:storage==disk").request(t), nodes, ctr("frontend")); got != "node-2" {
		t.Errorf("frontend went to %s, want node-2", got)
	}
	want := "unable to find a node that satisfies the following conditions [storage==tape]"
	if got := placeAndCommit(t, s, newSpec("constraint:storage==tape").request(t), nodes, ctr("x")); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Each unmet constraint is listed once, in the order nodes met it:
	// node-1 fails storage==disk, node-2 fails node==node-1.
	want = "unable to find a node that satisfies the following conditions [storage==disk node==node-1]"
	if got := placeAndCommit(t, s, newSpec("constraint:node==node-1", "constraint:storage==disk").request(t), nodes, ctr("x")); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
