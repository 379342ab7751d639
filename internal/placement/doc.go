// Package placement decides which engine a new container goes to.
//
// It is pure code over immutable snapshots and does no I/O:
//
//	Request + []*Node ──► filters (narrow the candidates) ──► strategy (ranks what is left) ──► Decision
//
// Filters and strategies are plugins registered by name (builtin.go). A filter
// is a per-node predicate that says why it refused a node; a strategy scores a
// node. Failures explain themselves: Diagnostics records how many nodes each
// filter removed and why, and the error is worded as classic Swarm worded it.
//
// Reservations of containers whose placement is decided but not yet reported by
// an engine are the caller's to include in the snapshots, so that containers
// placed in quick succession spread out.
package placement
