// Package engine is Drover's access to the Docker engines of the pool.
//
// A Pool holds one Engine per node address. Each engine is refreshed on a
// period and whenever its event stream reports a change: /info, /version, the
// containers (with the host config of each, inspected once) and the images.
// What a refresh learns is published as an immutable State, which the API
// reads for info and listings and the reconciler turns into placement
// snapshots. An engine that fails a refresh is unhealthy until one succeeds.
package engine
