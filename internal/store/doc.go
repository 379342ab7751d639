// Package store keeps Drover's shared truth in etcd v3.
//
// Every key lives under the cluster prefix (the path of the discovery URL,
// "/drover" by default):
//
//	<prefix>/nodes/<host:port>            node registration, kept alive under the joining agent's lease
//	<prefix>/containers/<swarm id>/spec   desired container (Container), written by the API
//	<prefix>/containers/<swarm id>/status observed status (Status), written by the leader's reconciler
//	<prefix>/names/<name>                 swarm id holding a container name, written with the spec
//	<prefix>/managers/<host:port>         manager registration (Manager), under the manager's lease
//	<prefix>/secrets/<swarm id>           registry credentials of a create, under a short lease of their own
//	<prefix>/leader/<lease>               election key; the oldest one leads (concurrency.Election)
//	<prefix>/cluster-id                   the cluster's identity, labelled on every container it creates
//
// A spec carries the lifecycle operation last asked for (start, stop, …) with
// its generation; the status reports the generation carried out. Spec and
// status are separate keys so that the API and the reconciler never
// overwrite each other's writes. Reconciler writes are fenced: each is a
// transaction that also compares the leader key's create revision, so a
// deposed leader's late write fails instead of racing the new leader.
package store
