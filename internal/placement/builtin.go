package placement

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Options configure the builtin strategies.
type Options struct {
	// Overcommit lets reservations exceed capacity by this fraction (0.05 = 5%).
	// The zero value means none; pass DefaultOvercommit for classic Swarm's
	// default. It must be greater than -1.
	Overcommit float64
	// Rand is the random source of the random strategy; nil seeds one. The
	// scheduler serialises its own use of it; don't use it elsewhere meanwhile.
	Rand *rand.Rand
}

// DefaultOvercommit is classic Swarm's swarm.overcommit default.
const DefaultOvercommit = 0.05

// DefaultStrategy is the strategy used when none is named.
const DefaultStrategy = "spread"

// builtinFilters lists every filter in its default order. Each entry makes a
// new instance, so schedulers never share filter state.
var builtinFilters = mustBeUnique([]func() Filter{
	func() Filter { return healthFilter{} },
	func() Filter { return portFilter{} },
	func() Filter { return containerSlotsFilter{} },
	func() Filter { return dependencyFilter{} },
	func() Filter { return affinityFilter{} },
	func() Filter { return constraintFilter{} },
})

// builtinStrategies maps each strategy name to a constructor of new instances.
var builtinStrategies = map[string]func(Options) Strategy{
	"spread":  func(o Options) Strategy { return spreadStrategy{overcommit: o.Overcommit} },
	"binpack": func(o Options) Strategy { return binpackStrategy{overcommit: o.Overcommit} },
	"random":  func(o Options) Strategy { return newRandomStrategy(o) },
}

func mustBeUnique(filters []func() Filter) []func() Filter {
	seen := map[string]bool{}
	for _, f := range filters {
		name := f().Name()
		if seen[name] {
			panic("placement: filter " + name + " registered twice")
		}
		seen[name] = true
	}
	return filters
}

// FilterNames lists the builtin filters in their default order.
func FilterNames() []string {
	names := make([]string, len(builtinFilters))
	for i, f := range builtinFilters {
		names[i] = f().Name()
	}
	return names
}

// StrategyNames lists the builtin strategies, sorted.
func StrategyNames() []string {
	names := make([]string, 0, len(builtinStrategies))
	for n := range builtinStrategies {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func selectFilters(names []string) ([]Filter, error) {
	if len(names) == 0 {
		names = FilterNames()
	}
	out := make([]Filter, 0, len(names))
	for _, name := range names {
		var made Filter
		for _, f := range builtinFilters {
			if fl := f(); fl.Name() == name {
				made = fl
				break
			}
		}
		if made == nil {
			return nil, unknownName("filter", name, FilterNames())
		}
		for _, f := range out {
			if f.Name() == name {
				return nil, fmt.Errorf("filter %q selected twice", name)
			}
		}
		out = append(out, made)
	}
	return out, nil
}

func selectStrategy(name string, opts Options) (Strategy, error) {
	if name == "" {
		name = DefaultStrategy
	}
	f, ok := builtinStrategies[name]
	if !ok {
		return nil, unknownName("strategy", name, StrategyNames())
	}
	if math.IsNaN(opts.Overcommit) || math.IsInf(opts.Overcommit, 0) || opts.Overcommit <= -1 {
		return nil, fmt.Errorf("overcommit %v out of range (want > -1)", opts.Overcommit)
	}
	return f(opts), nil
}
