// Package apiserver speaks the Docker Remote API for the whole cluster.
//
// Reads (info, ps, inspect) merge what the engines report. A container create
// is written to etcd as desired state and answered once the reconciler has
// reported it created (or failed); nothing else writes to engines on behalf of
// a create. Operations on an existing container (start, stop, logs, attach, …)
// go to the engine that holds it: plain requests through a reverse proxy,
// attach over a hijacked connection.
//
// Errors are answered as an engine answers them, {"message": "…"} with the
// engine's status code; errors.go is the one place that maps kinds to codes.
package apiserver
