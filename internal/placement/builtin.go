package placement

import "math/rand/v2"

// Options configure the builtin strategies.
type Options struct {
	// Overcommit lets reservations exceed capacity by this fraction (0.05 = 5%).
	Overcommit float64
	// Rand is the random source of the random strategy; nil seeds one.
	Rand *rand.Rand
}

// DefaultOvercommit is classic Swarm's swarm.overcommit default.
const DefaultOvercommit = 0.05

// builtinFilters lists every filter in its default order.
var builtinFilters = []func() Filter{
	func() Filter { return healthFilter{} },
}

var builtinStrategies = map[string]func(Options) Strategy{
	"spread": func(o Options) Strategy { return spreadStrategy{overcommit: o.Overcommit} },
}

// FilterNames lists the builtin filters in their default order.
func FilterNames() []string {
	names := make([]string, len(builtinFilters))
	for i, f := range builtinFilters {
		names[i] = f().Name()
	}
	return names
}

func selectFilters(names []string) ([]Filter, error) {
	if len(names) == 0 {
		names = FilterNames()
	}
	byName := map[string]func() Filter{}
	for _, f := range builtinFilters {
		byName[f().Name()] = f
	}
	out := make([]Filter, 0, len(names))
	for _, name := range names {
		f, ok := byName[name]
		if !ok {
			return nil, unknownName("filter", name, FilterNames())
		}
		out = append(out, f())
	}
	return out, nil
}

func selectStrategy(name string, opts Options) (Strategy, error) {
	if name == "" {
		name = "spread"
	}
	f, ok := builtinStrategies[name]
	if !ok {
		valid := make([]string, 0, len(builtinStrategies))
		for n := range builtinStrategies {
			valid = append(valid, n)
		}
		return nil, unknownName("strategy", name, valid)
	}
	return f(opts), nil
}
