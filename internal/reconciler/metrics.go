package reconciler

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	reconcileTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drover_reconciler_reconcile_total",
		Help: "Reconciles of desired containers, by result.",
	}, []string{"result"})
	reconcileDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "drover_reconciler_reconcile_duration_seconds",
		Help:    "How long one reconcile of a desired container took.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
	})
	isLeader = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "drover_reconciler_is_leader",
		Help: "1 while this manager leads and runs the reconcilers.",
	})
	leaderChanges = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "drover_reconciler_leader_changes_total",
		Help: "Times this manager became the leader.",
	})
)

// RegisterMetrics adds the reconciler's metrics to reg, every label at zero.
func RegisterMetrics(reg prometheus.Registerer) {
	for _, r := range []string{"success", "error", "terminal"} {
		reconcileTotal.WithLabelValues(r)
	}
	reg.MustRegister(reconcileTotal, reconcileDuration, isLeader, leaderChanges)
}

func observeReconcile(start time.Time, err error) {
	reconcileDuration.Observe(time.Since(start).Seconds())
	switch {
	case err == nil:
		reconcileTotal.WithLabelValues("success").Inc()
	case IsTerminal(err):
		reconcileTotal.WithLabelValues("terminal").Inc()
	default:
		reconcileTotal.WithLabelValues("error").Inc()
	}
}
