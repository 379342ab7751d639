package placement

import (
	"errors"
	"fmt"
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

// UnsatisfiedError says which conditions no node could meet.
type UnsatisfiedError struct{ Conditions []string }

func (e *UnsatisfiedError) Error() string {
	return "unable to find a node that satisfies the following conditions [" + strings.Join(e.Conditions, " ") + "]"
}

// Diagnostics records what placement did with the candidates.
type Diagnostics struct {
	Evaluated int
	Filtered  map[string]int // filter name → nodes it removed
	Reasons   []string       // distinct reasons, in the order first seen
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

// Place picks the node for r among nodes.
func (s *Scheduler) Place(r *Request, nodes []*Node) (Decision, error) {
	d := Decision{Diagnostics: Diagnostics{Evaluated: len(nodes), Filtered: map[string]int{}}}
	var best *Node
	var bestScore float64
	anyHealthy, anyPassed := false, false
	for _, n := range nodes {
		if n.Healthy {
			anyHealthy = true
		}
		if !s.passes(r, n, &d.Diagnostics) {
			continue
		}
		anyPassed = true
		score, fits := s.strategy.Score(r, n)
		if !fits {
			continue
		}
		if best == nil || score > bestScore {
			best, bestScore = n, score
		}
	}
	switch {
	case best != nil:
		d.Node = best
		return d, nil
	case !anyHealthy:
		return d, ErrNoHealthyNode
	case !anyPassed:
		return d, &UnsatisfiedError{Conditions: d.Diagnostics.Reasons}
	default:
		return d, ErrNoResources
	}
}

func (s *Scheduler) passes(r *Request, n *Node, diag *Diagnostics) bool {
	for _, f := range s.filters {
		ok, reason := f.Check(r, n)
		if ok {
			continue
		}
		diag.Filtered[f.Name()]++
		if reason != "" && !contains(diag.Reasons, reason) {
			diag.Reasons = append(diag.Reasons, reason)
		}
		return false
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func unknownName(kind, name string, valid []string) error {
	return fmt.Errorf("unknown %s %q (valid: %s)", kind, name, strings.Join(valid, ", "))
}
