package reconciler

import (
	"testing"

	"github.com/docker/docker/api/types/container"

	"drover/internal/store"
)

func TestReschedulePolicy(t *testing.T) {
	tests := []struct {
		name string
		cfg  *container.Config
		want bool
	}{
		{"none", &container.Config{}, false},
		{"no config", nil, false},
		{"env", &container.Config{Env: []string{"A=b", "reschedule:on-node-failure"}}, true},
		{"env, other policy", &container.Config{Env: []string{"reschedule:off"}}, false},
		{"label", &container.Config{Labels: map[string]string{reschedulePolicyLabel: `["on-node-failure"]`}}, true},
		{"label, other policy", &container.Config{Labels: map[string]string{reschedulePolicyLabel: `["off"]`}}, false},
		{"label, not JSON", &container.Config{Labels: map[string]string{reschedulePolicyLabel: `on-node-failure`}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rescheduled(&store.Container{Config: tt.cfg}); got != tt.want {
				t.Errorf("rescheduled = %v, want %v", got, tt.want)
			}
		})
	}
}
