package placement

import (
	"math/rand/v2"
	"sync"
)

// randomStrategy picks uniformly among the nodes with room: each fitting node
// scores an independent draw in [0, 1) and the highest wins. Nodes without
// room are refused as by spread and binpack. The source is shared by every
// Place call of the scheduler, so it is guarded.
type randomStrategy struct {
	overcommit float64
	mu         sync.Mutex
	rng        *rand.Rand
}

func newRandomStrategy(o Options) *randomStrategy {
	rng := o.Rand
	if rng == nil {
		rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return &randomStrategy{overcommit: o.Overcommit, rng: rng}
}

func (*randomStrategy) Name() string { return "random" }

func (s *randomStrategy) Score(r *Request, n *Node) (float64, bool) {
	if !weigh(r, n, s.overcommit).fits {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64(), true
}
