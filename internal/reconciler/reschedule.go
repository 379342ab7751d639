package reconciler

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/events"
	"go.uber.org/zap"

	"drover/internal/store"
)

// Rescheduling, as classic Swarm did it: a container asks for it with the
// environment entry reschedule:on-node-failure or the label
// com.docker.swarm.reschedule-policies=["on-node-failure"]. When its node has
// been down for the reschedule delay, the container is made again on another
// node and its last lifecycle operation is carried out again there (a running
// container is started). When the old node comes back, its copy is removed as
// a duplicate.

const (
	reschedulePolicyLabel = "com.docker.swarm.reschedule-policies"
	rescheduleEnv         = "reschedule:"
	onNodeFailure         = "on-node-failure"
)

// rescheduled reports whether the container asks to be rescheduled when its
// node fails.
func rescheduled(c *store.Container) bool {
	if c.Config == nil {
		return false
	}
	for _, e := range c.Config.Env {
		if v, ok := strings.CutPrefix(e, rescheduleEnv); ok && strings.TrimSpace(v) == onNodeFailure {
			return true
		}
	}
	var policies []string
	if raw := c.Config.Labels[reschedulePolicyLabel]; raw != "" && json.Unmarshal([]byte(raw), &policies) == nil {
		return slices.Contains(policies, onNodeFailure)
	}
	return false
}

// nodeDown reports whether the node at addr is down (gone from the pool, or
// not answering) and how long is left before its containers are rescheduled.
func (r *containerReconciler) nodeDown(addr string) (wait time.Duration, down bool) {
	e, ok := r.pool.Get(addr)
	if !ok {
		return 0, true
	}
	st := e.State()
	if st.Healthy || st.DownSince.IsZero() {
		return 0, false
	}
	return r.rescheduleAfter - time.Since(st.DownSince), true
}

// reschedule sends the container back to placement, away from its node, and
// tells the event streams.
func (r *containerReconciler) reschedule(ctx context.Context, rec store.Record) (Result, error) {
	c, from := rec.Container, rec.Status.Node
	if err := r.store.SetStatus(ctx, r.fence, c.ID, rec.SpecRev, store.Status{Phase: store.PhasePending}); err != nil {
		return Result{}, fmt.Errorf("reschedule %s: %w", c.ID, err)
	}
	r.forgetCarried(c.ID)
	r.lg.Info("rescheduling after node failure", zap.String("container", c.ID), zap.String("from", from))
	now := time.Now()
	ev := events.Message{
		Type: events.ContainerEventType, Action: "rescheduled", Status: "rescheduled", Scope: "local",
		Actor: events.Actor{ID: rec.Status.EngineID, Attributes: map[string]string{
			"name": c.Name, "image": c.Config.Image, store.SwarmIDLabel: c.ID, "node.from": from,
		}},
		Time: now.Unix(), TimeNano: now.UnixNano(),
	}
	if raw, err := json.Marshal(ev); err == nil {
		if err := r.store.PublishEvent(ctx, c.ID+"-"+fmt.Sprint(now.UnixNano()), raw); err != nil {
			r.lg.Warn("rescheduled event not published", zap.String("container", c.ID), zap.Error(err))
		}
	}
	return Result{}, nil
}
