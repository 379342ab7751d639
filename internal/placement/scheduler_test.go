package placement

import (
	"errors"
	"maps"
	"math"
	"slices"
	"testing"
)

func TestNewScheduler(t *testing.T) {
	tests := []struct {
		name     string
		filters  []string
		strategy string
		opts     Options
		wantF    []string
		wantS    string
		err      string
	}{
		{name: "defaults", wantF: []string{"health", "port", "containerslots", "dependency", "affinity", "constraint"}, wantS: "spread"},
		{name: "subset in the given order", filters: []string{"health", "dependency"}, strategy: "binpack", wantF: []string{"health", "dependency"}, wantS: "binpack"},
		{name: "reordered", filters: []string{"constraint", "health"}, strategy: "random", wantF: []string{"constraint", "health"}, wantS: "random"},
		{name: "unknown filter", filters: []string{"health", "x"},
			err: `unknown filter "x" (valid: health, port, containerslots, dependency, affinity, constraint)`},
		{name: "unknown strategy", strategy: "fast", err: `unknown strategy "fast" (valid: binpack, random, spread)`},
		{name: "duplicate filter", filters: []string{"port", "port"}, err: `filter "port" selected twice`},
		{name: "overcommit -1", opts: Options{Overcommit: -1}, err: "overcommit -1 out of range (want > -1)"},
		{name: "overcommit NaN", opts: Options{Overcommit: math.NaN()}, err: "overcommit NaN out of range (want > -1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewScheduler(tt.filters, tt.strategy, tt.opts)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Filters(); !slices.Equal(got, tt.wantF) {
				t.Errorf("Filters() = %q, want %q", got, tt.wantF)
			}
			if got := s.Strategy(); got != tt.wantS {
				t.Errorf("Strategy() = %q, want %q", got, tt.wantS)
			}
		})
	}
}

func TestNames(t *testing.T) {
	if got, want := FilterNames(), []string{"health", "port", "containerslots", "dependency", "affinity", "constraint"}; !slices.Equal(got, want) {
		t.Errorf("FilterNames() = %q", got)
	}
	if got, want := StrategyNames(), []string{"binpack", "random", "spread"}; !slices.Equal(got, want) {
		t.Errorf("StrategyNames() = %q", got)
	}
}

// Each scheduler gets its own instances: the random strategy's source is
// never shared between schedulers.
func TestSchedulersDoNotShareInstances(t *testing.T) {
	a := mustScheduler(t, nil, "random", Options{})
	b := mustScheduler(t, nil, "random", Options{})
	if a.strategy == b.strategy {
		t.Error("two schedulers share one random strategy")
	}
}

func TestPlaceSoftExpressions(t *testing.T) {
	ssd := node(func(n *Node) { rename(n, "ssd"); n.Labels["storage"] = "ssd" })
	disk := node(func(n *Node) { rename(n, "disk"); n.Labels["storage"] = "disk" })
	busy := node(func(n *Node) { rename(n, "busy"); n.Labels["storage"] = "ssd"; n.Memory = gib / 2 })
	s := mustScheduler(t, nil, "", Options{})

	tests := []struct {
		name    string
		env     []string
		label   string // LabelConstraints
		mem     int64
		nodes   []*Node
		want    string // node name or error text
		dropped bool
	}{
		{name: "soft honoured", env: []string{"constraint:storage==~ssd"}, nodes: []*Node{disk, ssd}, want: "ssd"},
		{name: "soft dropped when nothing matches", env: []string{"constraint:storage==~tape"}, nodes: []*Node{disk, ssd}, want: "disk", dropped: true},
		{name: "hard kept when soft dropped", env: []string{"constraint:storage==~tape", "constraint:node!=disk"}, nodes: []*Node{disk, ssd}, want: "ssd", dropped: true},
		{name: "hard still refuses", env: []string{"constraint:storage==~ssd", "constraint:storage==tape"}, nodes: []*Node{disk, ssd},
			want: "unable to find a node that satisfies the following conditions [storage==tape]", dropped: true},
		{name: "soft dropped when matching nodes lack room", env: []string{"constraint:storage==~ssd"}, mem: gib, nodes: []*Node{busy, disk}, want: "disk", dropped: true},
		{name: "soft expressions from the label", label: `["storage==~ssd"]`, nodes: []*Node{disk, ssd}, want: "ssd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := newSpec(tt.env...)
			if tt.label != "" {
				sp.cfg.Labels = map[string]string{LabelConstraints: tt.label}
			}
			sp.hc.Memory = tt.mem
			d, err := s.Place(sp.request(t), tt.nodes)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = d.Node.Name
			}
			if got != tt.want || d.Diagnostics.SoftDropped != tt.dropped {
				t.Errorf("got %q (SoftDropped=%v), want %q (SoftDropped=%v)", got, d.Diagnostics.SoftDropped, tt.want, tt.dropped)
			}
		})
	}
}

func TestPlaceDiagnostics(t *testing.T) {
	nodes := []*Node{
		node(func(n *Node) { rename(n, "down"); n.Healthy = false }),
		node(func(n *Node) {
			rename(n, "busy80")
			n.Containers = []Container{{ID: "c", Ports: []PortBinding{{HostPort: 80, Protocol: "tcp"}}}}
		}),
		node(func(n *Node) { rename(n, "full"); n.Labels[LabelContainerSlots] = "0" }),
		node(func(n *Node) { rename(n, "eu"); n.Labels["region"] = "eu" }),
		nil, // ignored
		node(func(n *Node) {
			rename(n, "also-busy80")
			n.Containers = []Container{{ID: "c", Ports: []PortBinding{{HostPort: 80}}}}
		}),
		node(func(n *Node) { rename(n, "us-small"); n.Labels["region"] = "us"; n.Memory = gib }),
	}
	s := mustScheduler(t, nil, "", Options{})
	sp := newSpec("constraint:region==us").publish("80", "80/tcp")
	sp.hc.Memory = 2 * gib
	d, err := s.Place(sp.request(t), nodes)
	if !errors.Is(err, ErrNoResources) {
		t.Fatalf("error %v, want ErrNoResources", err)
	}
	diag := d.Diagnostics
	wantFiltered := map[string]int{"health": 1, "port": 2, "containerslots": 1, "constraint": 1}
	if diag.Evaluated != 7 || diag.Unfit != 1 || !maps.Equal(diag.Filtered, wantFiltered) {
		t.Errorf("Diagnostics = %+v", diag)
	}
	wantReasons := []string{reasonUnhealthy, "port 80 (Bridge mode)", "available container slots", "region==us"}
	if !slices.Equal(diag.Reasons, wantReasons) {
		t.Errorf("Reasons = %q, want %q", diag.Reasons, wantReasons)
	}

	// Without the node that fits but lacks room, the filters left nothing:
	// the error lists the conditions grouped by filter, health excluded.
	d, err = s.Place(sp.request(t), nodes[:6])
	var unsat *UnsatisfiedError
	if !errors.As(err, &unsat) {
		t.Fatalf("error %v, want *UnsatisfiedError", err)
	}
	want := "unable to find a node that satisfies the following conditions [port 80 (Bridge mode) available container slots region==us]"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if d.Node != nil {
		t.Errorf("Node = %v on error", d.Node)
	}
}

func TestPlaceSuccessDiagnostics(t *testing.T) {
	s := mustScheduler(t, nil, "", Options{})
	d, err := s.Place(newSpec().request(t), cluster(3))
	if err != nil {
		t.Fatal(err)
	}
	if d.Diagnostics.Evaluated != 3 || len(d.Diagnostics.Filtered) != 0 || len(d.Diagnostics.Reasons) != 0 || d.Diagnostics.SoftDropped {
		t.Errorf("Diagnostics = %+v", d.Diagnostics)
	}
}

func TestUnsatisfiedErrorText(t *testing.T) {
	tests := []struct {
		conds []string
		want  string
	}{
		{[]string{"available container slots"}, "unable to find a node that satisfies the following conditions [available container slots]"},
		{[]string{"node==node-1"}, "unable to find a node that satisfies the following conditions [node==node-1]"},
		{[]string{"port 80 (Bridge mode)"}, "unable to find a node that satisfies the following conditions [port 80 (Bridge mode)]"},
		{[]string{"--volumes-from=A", "--net=container:B"}, "unable to find a node that satisfies the following conditions [--volumes-from=A --net=container:B]"},
	}
	for _, tt := range tests {
		if got := (&UnsatisfiedError{Conditions: tt.conds}).Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
