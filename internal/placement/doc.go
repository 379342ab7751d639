// Package placement decides which engine a new container goes to.
//
// It is pure code over immutable snapshots and does no I/O:
//
//	NewRequest (parse once) ─► Request
//	Request + []*Node ──► filters (narrow the candidates) ──► strategy (ranks what is left) ──► Decision
//
// # Pipeline
//
// Filters and strategies are plugins registered by name (builtin.go). A filter
// is a per-node predicate that says why it refused a node; a strategy scores a
// node and says whether the request fits on it at all. Place loops once over
// the nodes: each goes through the filters in order until one refuses it, and
// the strategy scores those that pass; the highest score wins. Failures
// explain themselves: Diagnostics records how many nodes each filter removed
// and why, and the error is worded as classic Swarm worded it.
//
// Default filters, in order: health, port, containerslots, dependency,
// affinity, constraint. Strategies: spread (default), binpack, random.
//
// # Dependencies
//
// The dependency filter keeps a container with what it depends on: the
// containers of --volumes-from, --link and --net=container:; the
// user-defined networks it joins, which live on the nodes holding them
// (node-local ones on one node); and the node-local named volumes it mounts
// (Binds "name:/path[:opts]", Mounts of type volume). A node/name reference
// names the node. A volume is a softer dependency: one that no node holds
// yet pins nothing, since the engine creates it on first use. That is a
// question about every node, so Place settles it in a pre-pass, once per
// call: it drops from the request the volumes no node of the snapshot holds
// (healthy or not: a volume on a failed node is still that volume), and the
// filter checks the rest node by node as usual. The caller counts a volume
// held by a node when a container placed there but not yet created mounts
// it (NamedVolumes), so that two such containers placed back to back meet.
//
// Reservations of containers whose placement is decided but not yet reported by
// an engine are the caller's to include in the snapshots, so that containers
// placed in quick succession spread out. A snapshot may be sealed (Node.Seal)
// once complete: placement then reads a small per-node summary instead of
// every container, which matters at thousands of nodes.
//
// # Expressions
//
// Constraints select nodes by their ID, name or labels; affinities select
// nodes by the containers and images on them. A request carries them as env
// entries, one expression each, or as a label holding a JSON list:
//
//	Env:    constraint:<expression>          affinity:<expression>
//	Labels: com.docker.swarm.constraints=["<expression>", …]
//	        com.docker.swarm.affinities=["<expression>", …]
//
// The grammar of an expression (spaces around key and value are ignored):
//
//	expression = key operator value
//	key        = ( letter | "_" ) { letter | digit | "_" | "." | "-" | "/" }
//	operator   = ( "==" | "!=" ) [ "~" ]
//	value      = "/" re2 "/"        a regular expression, unanchored: /^node-\d$/
//	           | glob               "*" matches any run of characters; the rest is literal
//
// The operator is the first "==" or "!=" in the expression. "==" holds when
// something on the node matches the value, "!=" when nothing does. A "~" makes
// the expression soft. Regular expressions use RE2 syntax, so "(?i)" makes one
// case-insensitive; globs and plain values match the whole string, case
// sensitively. The keywords node, container and image are matched without
// regard to case; label keys exactly. Values may not be empty, nor hold
// control characters; a malformed expression is refused by NewRequest
// (ErrInvalidExpression), and every pattern is compiled there, once.
//
// Constraint keys: node (the node's ID or name) or a node label (engine
// labels and the default tags storagedriver, executiondriver, kernelversion,
// operatingsystem). Affinity keys: container (name or ID of a container on
// the node), image (an image on the node, or of a container on it), or a
// container label.
//
// # Soft expressions
//
// Soft expressions are honoured when possible and dropped when not. Place
// first runs the whole pipeline with them; only if that chooses no node (no
// node passes the filters, or none that passes has room) does it run again
// with the request's hard expressions alone. Filters never know which pass
// they are in: they are handed the request or its hard-only twin.
//
// # Concurrency
//
// A Scheduler holds no mutable state but the random strategy's guarded source;
// Place may be called from many goroutines. Requests and nodes are read, never
// written.
package placement
