package placement

// spreadStrategy prefers the node with the fewest containers.
type spreadStrategy struct{ overcommit float64 }

func (spreadStrategy) Name() string { return "spread" }

func (s spreadStrategy) Score(_ *Request, n *Node) (float64, bool) {
	return -float64(len(n.Containers)), true
}
