// Package reconciler drives the engines to the desired state kept in etcd.
//
// It runs only on the elected leader (Leader.Run campaigns and starts the
// loops when it wins, stops them when the lease is lost). The loops are
// level-triggered, in the manner of Kubernetes controllers: event sources —
// the etcd watch of desired containers, each engine's event stream and a
// periodic resync — only enqueue a container's swarm id; Reconcile reads the
// desired state and what the engines report, and converges. A missed event
// costs latency, never correctness.
//
// Reconcile is idempotent: every container Drover creates carries the label
// com.docker.swarm.id=<swarm id>, so a retry, or a new leader after a crash,
// finds the engine container made before instead of making a second one. An
// engine container whose desired record is gone is removed. Every status the
// reconciler writes is fenced by the leader's election key.
package reconciler
