package placement

// spreadStrategy prefers the least loaded node, so containers spread thinly
// and a lost node takes few of them along.
//
// Score = 200 − cpu% − mem% + 1/(containers+2), in (0, 200.5]: cpu% and mem%
// are the node's reservations in whole percent after placing the request
// (see weigh; 0 for a resource the request does not ask for). The fraction is
// the tie-break: it is below 1, so it only orders nodes of equal load, and the
// node with fewer containers wins. Requests that reserve nothing are spread
// by container count alone, as in classic Swarm. Nodes still tied keep their
// input order. For the same node, spread + binpack = 201.
type spreadStrategy struct{ overcommit float64 }

func (spreadStrategy) Name() string { return "spread" }

func (s spreadStrategy) Score(r *Request, n *Node) (float64, bool) {
	l := weigh(r, n, s.overcommit)
	if !l.fits {
		return 0, false
	}
	return float64(200-l.cpu-l.mem) + 1/float64(len(n.Containers)+2), true
}
