package placement

// constraintFilter keeps the nodes that satisfy every constraint expression of
// the request (env "constraint:…" and the LabelConstraints label).
//
// The key node matches the node's ID or name; any other key matches the node
// label of that name (engine labels and the default tags storagedriver,
// executiondriver, kernelversion, operatingsystem). A node without the label
// fails key==value and passes key!=value.
//
// The reason is the first unmet expression in canonical form, e.g.
// "storage==ssd", as classic Swarm listed constraints.
type constraintFilter struct{}

func (constraintFilter) Name() string { return "constraint" }

func (constraintFilter) Check(r *Request, n *Node) (bool, string) {
	for i := range r.constraints {
		e := &r.constraints[i]
		var found bool
		if e.lkey == "node" {
			found = e.matches(n.ID) || e.matches(n.Name)
		} else if v, ok := n.Labels[e.key]; ok {
			found = e.matches(v)
		}
		if !e.holds(found) {
			return false, e.text
		}
	}
	return true, ""
}
