package placement

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Filter is a per-node predicate. When it refuses a node it says why, in the
// words classic Swarm used for that condition.
type Filter interface {
	Name() string
	Check(r *Request, n *Node) (ok bool, reason string)
}

// Strategy scores a node that passed every filter; the highest score wins.
// fits is false when the node has no room for the request at all.
type Strategy interface {
	Name() string
	Score(r *Request, n *Node) (score float64, fits bool)
}

// ErrNoHealthyNode is returned when no node is healthy at all.
var ErrNoHealthyNode = errors.New("no healthy node available in the cluster")

// ErrNoResources is returned when nodes pass the filters but none has room.
var ErrNoResources = errors.New("no resources available to schedule container")

// UnsatisfiedError says which conditions no node could meet, in classic
// Swarm's words: "port 80 (Bridge mode)", "available container slots",
// "node==node-1", "--volumes-from=db". Conditions are grouped by filter in
// pipeline order, each listed once.
type UnsatisfiedError struct{ Conditions []string }

func (e *UnsatisfiedError) Error() string {
	return "unable to find a node that satisfies the following conditions [" + strings.Join(e.Conditions, " ") + "]"
}

// Diagnostics records what placement did with the candidates.
type Diagnostics struct {
	Evaluated int
	Filtered  map[string]int // filter name → nodes it removed
	// Reasons holds each distinct reason a filter gave, grouped by filter in
	// pipeline order, then in the order first seen.
	Reasons []string
	// Unfit counts the nodes that passed every filter but had no room.
	Unfit int
	// SoftDropped is true when no node satisfied the soft expressions, so
	// the figures above come from the pass made without them.
	SoftDropped bool
}

// Decision is the outcome of a placement.
type Decision struct {
	Node        *Node
	Diagnostics Diagnostics
}

// Scheduler chains the selected filters and one strategy.
type Scheduler struct {
	filters  []Filter
	strategy Strategy
}

// NewScheduler builds a scheduler from filter names (in order; nil means all
// builtin filters) and a strategy name ("" means spread).
func NewScheduler(filterNames []string, strategyName string, opts Options) (*Scheduler, error) {
	filters, err := selectFilters(filterNames)
	if err != nil {
		return nil, err
	}
	strategy, err := selectStrategy(strategyName, opts)
	if err != nil {
		return nil, err
	}
	return &Scheduler{filters: filters, strategy: strategy}, nil
}

// Filters names the filters in the order they run.
func (s *Scheduler) Filters() []string {
	names := make([]string, len(s.filters))
	for i, f := range s.filters {
		names[i] = f.Name()
	}
	return names
}

// Strategy names the strategy.
func (s *Scheduler) Strategy() string { return s.strategy.Name() }

// Place picks the node for r among nodes. It only reads its arguments and is
// safe for concurrent use; but for the random strategy, the same arguments
// give the same decision.
//
// Every node goes once through the filters, in order, stopping at the first
// that refuses it; the strategy scores the survivors and the highest score
// wins (ties: the earlier node). If the request has soft expressions and no
// node is chosen, the pass is made again without them. Before the first
// pass, the named volumes of r that no node holds are dropped from it (the
// engine will create them): the only question a filter cannot answer one
// node at a time.
//
// Errors: ErrNoHealthyNode when no node is healthy (or there is none),
// *UnsatisfiedError when the filters leave no node, ErrNoResources when nodes
// pass the filters but none has room, and an error wrapping
// ErrInvalidRequest when r was not built by NewRequest and does not parse.
func (s *Scheduler) Place(r *Request, nodes []*Node) (Decision, error) {
	r, err := r.prepared()
	if err != nil {
		return Decision{}, err
	}
	r = r.withVolumesHeld(nodes)
	var d Decision
	res := s.pass(r, nodes, &d.Diagnostics)
	if res.best == nil && r.hard != nil {
		d.Diagnostics = Diagnostics{SoftDropped: true}
		res = s.pass(r.hard, nodes, &d.Diagnostics)
	}
	switch {
	case res.best != nil:
		d.Node = res.best
		return d, nil
	case !res.anyHealthy:
		return d, ErrNoHealthyNode
	case !res.anyPassed:
		return d, &UnsatisfiedError{Conditions: conditions(d.Diagnostics.Reasons)}
	default:
		return d, ErrNoResources
	}
}

type passResult struct {
	best                  *Node
	anyHealthy, anyPassed bool
}

// pass runs the filters and the strategy over nodes once, recording in diag.
// Refusals are tallied per filter index and turned into diag's map and list
// at the end, so the loop itself allocates nothing.
func (s *Scheduler) pass(r *Request, nodes []*Node, diag *Diagnostics) passResult {
	var (
		res       passResult
		bestScore float64
		removed   []int      // per filter; allocated on the first refusal
		reasons   [][]string // per filter, distinct
	)
	diag.Evaluated = len(nodes)
nodes:
	for _, n := range nodes {
		if n == nil {
			continue
		}
		if n.Healthy {
			res.anyHealthy = true
		}
		for i, f := range s.filters {
			ok, reason := f.Check(r, n)
			if ok {
				continue
			}
			if removed == nil {
				removed = make([]int, len(s.filters))
				reasons = make([][]string, len(s.filters))
			}
			removed[i]++
			if reason != "" && !slices.Contains(reasons[i], reason) {
				reasons[i] = append(reasons[i], reason)
			}
			continue nodes
		}
		res.anyPassed = true
		score, fits := s.strategy.Score(r, n)
		if !fits {
			diag.Unfit++
			continue
		}
		if res.best == nil || score > bestScore {
			res.best, bestScore = n, score
		}
	}
	if removed != nil {
		diag.Filtered = make(map[string]int, len(s.filters))
		for i, f := range s.filters {
			if removed[i] > 0 {
				diag.Filtered[f.Name()] = removed[i]
			}
			diag.Reasons = append(diag.Reasons, reasons[i]...)
		}
	}
	return res
}

// conditions lists the reasons an UnsatisfiedError names: all but health,
// which classic Swarm never listed (no healthy node at all is its own error).
func conditions(reasons []string) []string {
	out := make([]string, 0, len(reasons))
	for _, r := range reasons {
		if r != reasonUnhealthy {
			out = append(out, r)
		}
	}
	return out
}

func unknownName(kind, name string, valid []string) error {
	return fmt.Errorf("unknown %s %q (valid: %s)", kind, name, strings.Join(valid, ", "))
}
