package placement

import (
	"strings"
	"testing"
)

func TestParseExpr(t *testing.T) {
	tests := []struct {
		in     string
		text   string
		key    string
		negate bool
		soft   bool
		regexp bool
	}{
		{in: "node==node1", text: "node==node1", key: "node"},
		{in: "node!=node1", text: "node!=node1", key: "node", negate: true},
		{in: "region!=us*", text: "region!=us*", key: "region", negate: true, regexp: true},
		{in: "node==/node[12]/", text: "node==/node[12]/", key: "node", regexp: true},
		{in: "image==~redis", text: "image==~redis", key: "image", soft: true},
		{in: "container!=~redis*", text: "container!=~redis*", key: "container", negate: true, soft: true, regexp: true},
		{in: " storage == ssd ", text: "storage==ssd", key: "storage"},
		{in: "com.example.type==frontend", text: "com.example.type==frontend", key: "com.example.type"},
		{in: "_x-y/z==1", text: "_x-y/z==1", key: "_x-y/z"},
		{in: "operatingsystem==Ubuntu 14.04.4 LTS", text: "operatingsystem==Ubuntu 14.04.4 LTS", key: "operatingsystem"},
		{in: "node==a==b", text: "node==a==b", key: "node"}, // first operator splits
		{in: "node==/", text: "node==/", key: "node"},       // one slash is a literal
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := parseExpr(tt.in)
			if err != nil {
				t.Fatalf("parseExpr: %v", err)
			}
			if e.text != tt.text || e.key != tt.key || e.negate != tt.negate || e.soft != tt.soft || (e.re != nil) != tt.regexp {
				t.Errorf("got text=%q key=%q negate=%v soft=%v regexp=%v", e.text, e.key, e.negate, e.soft, e.re != nil)
			}
		})
	}
}

func TestParseExprRefuses(t *testing.T) {
	tests := []struct{ in, why string }{
		{"node=node1", "missing operator"},
		{"node", "missing operator"},
		{"", "missing operator"},
		{"==node1", "empty key"},
		{"node==", "empty value"},
		{"node==~", "empty value"},
		{"node==~ ", "empty value"},
		{"1node==x", "must start with a letter"},
		{"no de==x", "holds ' '"},
		{"node==//", "empty regular expression"},
		{"node==/a(/", "bad regular expression"},
		{"node==/(?<x/", "bad regular expression"},
		{"node==a\nb", "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := parseExpr(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.why) {
				t.Fatalf("parseExpr(%q) = %v, want error containing %q", tt.in, err, tt.why)
			}
		})
	}
}

// TestExprMatch runs the examples of "How to write filter expressions" in
// scheduler-filter.md against one candidate value each.
func TestExprMatch(t *testing.T) {
	tests := []struct {
		expr string
		in   []string // candidates that satisfy the expression
		out  []string // candidates that do not
	}{
		{"node==node1", []string{"node1"}, []string{"node2", "node10", "mynode1", "NODE1"}},
		{"node!=node1", []string{"node2", "node10"}, []string{"node1"}},
		{"region!=us*", []string{"eu-west", "asia", "aus"}, []string{"us", "us-east", "useast"}},
		{"node==/node[12]/", []string{"node1", "node2"}, []string{"node3", "node"}},
		{`node==/node\d/`, []string{"node0", "node7"}, []string{"node", "nodex"}},
		{"node!=/node-[01]/", []string{"node-2", "node-a"}, []string{"node-0", "node-1"}},
		{`node!=/foo\[bar\]/`, []string{"foobar", "foo"}, []string{"foo[bar]"}},
		{"node==/(?i)node1/", []string{"node1", "NoDe1", "NODE1"}, []string{"node2"}},
		{"region==~us*", []string{"us-east", "us"}, []string{"eu-us"}},
		{"container!=~redis*", []string{"mysql", "myredis"}, []string{"redis", "redis5"}},
		{"image==~redis", []string{"redis"}, []string{"redis5"}},
		// Globs quote everything but '*'.
		{"v==a.b*", []string{"a.b", "a.bc"}, []string{"axb", "xa.b"}},
		{"v==*(x)*", []string{"(x)", "a(x)b"}, []string{"x"}},
		// A regexp matches anywhere unless anchored, as in classic Swarm.
		{"node==/node1/", []string{"node1", "node10"}, []string{"node2"}},
		{"node==/^node1$/", []string{"node1"}, []string{"node10"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := parseExpr(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.in {
				if !e.holds(e.matches(s)) {
					t.Errorf("%s should hold for %q", tt.expr, s)
				}
			}
			for _, s := range tt.out {
				if e.holds(e.matches(s)) {
					t.Errorf("%s should not hold for %q", tt.expr, s)
				}
			}
		})
	}
}

func TestGlobPattern(t *testing.T) {
	tests := map[string]string{
		"us*":   `^us.*$`,
		"*":     `^.*$`,
		"a.b*c": `^a\.b.*c$`,
		"x[1]*": `^x\[1\].*$`,
	}
	for glob, want := range tests {
		if got := globPattern(glob); got != want {
			t.Errorf("globPattern(%q) = %q, want %q", glob, got, want)
		}
	}
}
