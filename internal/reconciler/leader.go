package reconciler

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/docker/docker/api/types/events"
	"go.uber.org/zap"
	"k8s.io/client-go/util/workqueue"

	"drover/internal/engine"
	"drover/internal/placement"
	"drover/internal/store"
)

// Options configure the leader's loops.
type Options struct {
	Logger    *zap.Logger
	Store     *store.Store
	Pool      *engine.Pool
	Scheduler *placement.Scheduler
	// Advertise identifies this manager in the election (its API address).
	Advertise string
	// TTL bounds how long a dead leader keeps the lead.
	TTL time.Duration
	// Workers reconcile different containers in parallel.
	Workers int
	// Resync is how often every container is looked at again regardless of
	// events.
	Resync time.Duration
	// RescheduleAfter is how long a node must have been down before its
	// containers with the on-node-failure policy are made again elsewhere.
	RescheduleAfter time.Duration
}

// Leader campaigns for the lead and runs the reconcilers while it has it.
type Leader struct {
	opts Options
	lg   *zap.Logger
	// term is set while leading: where engine events go.
	term atomic.Pointer[term]
}

type term struct {
	queue   workqueue.TypedRateLimitingInterface[string]
	cluster string
	mirror  *store.Mirror
}

// NewLeader prepares the leader's loops and subscribes them to engine events.
// Call before the pool runs.
func NewLeader(opts Options) *Leader {
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.Resync <= 0 {
		opts.Resync = 30 * time.Second
	}
	if opts.TTL <= 0 {
		opts.TTL = 15 * time.Second
	}
	if opts.RescheduleAfter <= 0 {
		opts.RescheduleAfter = 10 * time.Second
	}
	l := &Leader{opts: opts, lg: opts.Logger.Named("reconciler")}
	opts.Pool.OnEvent(l.engineEvent)
	opts.Pool.OnHealth(l.engineHealth)
	return l
}

// Run campaigns, leads until the lease is lost, and campaigns again, until
// ctx ends.
func (l *Leader) Run(ctx context.Context) {
	for ctx.Err() == nil {
		leadership, err := l.opts.Store.Campaign(ctx, l.opts.Advertise, l.opts.TTL)
		if err != nil {
			if ctx.Err() == nil {
				l.lg.Warn("campaign failed", zap.Error(err))
				sleep(ctx, time.Second)
			}
			continue
		}
		l.lg.Info("leading", zap.String("advertise", l.opts.Advertise), zap.Int64("epoch", leadership.Fence().Epoch()))
		isLeader.Set(1)
		leaderChanges.Inc()
		lctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-leadership.Done():
				l.lg.Warn("leadership lost")
			case <-lctx.Done():
			}
			cancel()
		}()
		l.lead(lctx, leadership.Fence())
		cancel()
		isLeader.Set(0)
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		_ = leadership.Resign(rctx)
		rcancel()
	}
}

// lead runs the reconcilers for one term.
func (l *Leader) lead(ctx context.Context, fence store.Fence) {
	q := workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "containers"},
	)
	defer q.ShutDown()
	cluster, err := l.opts.Store.ClusterID(ctx)
	if err != nil {
		l.lg.Warn("cluster id unreadable", zap.Error(err))
		return
	}
	mirror := l.opts.Store.NewMirror(l.lg.Named("mirror"), q.Add)
	r := &containerReconciler{
		lg: l.lg, store: l.opts.Store, mirror: mirror, pool: l.opts.Pool,
		sched: l.opts.Scheduler, fence: fence, cluster: cluster, rescheduleAfter: l.opts.RescheduleAfter,
		decided: map[string]store.Record{},
		carried: map[string]int64{},
	}
	go mirror.Run(ctx)
	select {
	case <-mirror.Synced():
	case <-ctx.Done():
		return
	}
	l.term.Store(&term{queue: q, cluster: cluster, mirror: mirror})
	defer l.term.Store(nil)
	go l.resync(ctx, q, mirror, cluster)
	runQueue(ctx, l.lg, q, r, l.opts.Workers, 2*time.Minute)
}

// resync enqueues every desired container, and every engine container
// labelled with a swarm id that has no desired record (an orphan), on a period.
func (l *Leader) resync(ctx context.Context, q workqueue.TypedRateLimitingInterface[string], mirror *store.Mirror, cluster string) {
	t := time.NewTicker(l.opts.Resync)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, rec := range mirror.List() {
			q.Add(rec.Container.ID)
		}
		for _, e := range l.opts.Pool.Healthy() {
			for _, c := range e.State().Containers {
				if id := c.Labels[store.SwarmIDLabel]; id != "" && c.Labels[store.ClusterLabel] == cluster {
					if _, ok := mirror.Get(id); !ok {
						q.Add(id)
					}
				}
			}
		}
	}
}

// engineEvent enqueues the swarm id of a container of this cluster that an
// engine reports on.
func (l *Leader) engineEvent(_ *engine.Engine, m events.Message) {
	t := l.term.Load()
	if t == nil || m.Type != events.ContainerEventType || m.Actor.Attributes[store.ClusterLabel] != t.cluster {
		return
	}
	if id := m.Actor.Attributes[store.SwarmIDLabel]; id != "" {
		t.queue.Add(id)
	}
}

// engineHealth looks again at the containers of a node that went down, once
// the reschedule delay has passed, and at every container when a node comes
// back (it may hold copies of containers rescheduled meanwhile).
func (l *Leader) engineHealth(e *engine.Engine, healthy bool) {
	t := l.term.Load()
	if t == nil {
		return
	}
	for _, rec := range t.mirror.List() {
		switch {
		case healthy:
			t.queue.Add(rec.Container.ID)
		case rec.Status != nil && rec.Status.Node == e.Addr:
			t.queue.AddAfter(rec.Container.ID, l.opts.RescheduleAfter)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
