package placement

// binpackStrategy prefers the most loaded node that still has room, leaving
// empty nodes free for big containers.
//
// Score = cpu% + mem% + (containers+1)/(containers+2), in [0.5, 201): cpu% and
// mem% are the node's reservations in whole percent after placing the
// request (see weigh; 0 for a resource the request does not ask for). The
// fraction is the tie-break: it is below 1, so it only orders nodes of equal
// load, and the node with more containers wins. Nodes still tied keep their
// input order. For the same node, spread + binpack = 201.
type binpackStrategy struct{ overcommit float64 }

func (binpackStrategy) Name() string { return "binpack" }

func (s binpackStrategy) Score(r *Request, n *Node) (float64, bool) {
	l := weigh(r, n, s.overcommit)
	if !l.fits {
		return 0, false
	}
	c := float64(len(n.Containers))
	return float64(l.cpu+l.mem) + (c+1)/(c+2), true
}
