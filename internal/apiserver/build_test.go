package apiserver

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestPlacementArgs(t *testing.T) {
	cases := []struct {
		name, raw string
		env       []string
		rest      map[string]string // nil: rest is ""
		bad       bool
	}{
		{"none", "", nil, nil, false},
		{"no placement args: passed on as they came", `{"HTTP_PROXY":"x"}`, nil, map[string]string{"HTTP_PROXY": "x"}, false},
		{"the CLI's --build-arg constraint:node==node-2", `{"constraint:node":"=node-2"}`, []string{"constraint:node==node-2"}, nil, false},
		{"mixed", `{"affinity:image":"=busybox","V":"1","constraint:storage":"=ssd"}`,
			[]string{"affinity:image==busybox", "constraint:storage==ssd"}, map[string]string{"V": "1"}, false},
		{"malformed", `{bad`, nil, nil, true},
	}
	for _, tc := range cases {
		env, rest, err := placementArgs(tc.raw)
		if (err != nil) != tc.bad {
			t.Errorf("%s: error %v", tc.name, err)
			continue
		}
		if tc.bad {
			if statusFromError(err) != 400 {
				t.Errorf("%s: status %d, want 400", tc.name, statusFromError(err))
			}
			continue
		}
		slices.Sort(env)
		if !slices.Equal(env, tc.env) {
			t.Errorf("%s: env %v, want %v", tc.name, env, tc.env)
		}
		var got map[string]string
		if rest != "" {
			if err := json.Unmarshal([]byte(rest), &got); err != nil {
				t.Fatalf("%s: rest %q: %v", tc.name, rest, err)
			}
		}
		if len(got) != len(tc.rest) {
			t.Errorf("%s: rest %q, want %v", tc.name, rest, tc.rest)
		}
		for k, v := range tc.rest {
			if got[k] != v {
				t.Errorf("%s: rest %q, want %v", tc.name, rest, tc.rest)
			}
		}
	}
}
