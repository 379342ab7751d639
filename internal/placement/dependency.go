package placement

import "strings"

// dependencyFilter keeps the nodes that hold every container the request
// depends on: --volumes-from (HostConfig.VolumesFrom, "name[:ro|:rw]"), --link
// (HostConfig.Links, "name:alias") and --net=container:name; and every
// user-defined network it joins (--net=name or node/name, and the networks
// of NetworkingConfig); and every node-local named volume it mounts (-v
// name:/path, --mount type=volume,source=name) that some node holds.
// Dependencies on different nodes therefore leave no node at all.
//
// A volume no node holds pins nothing: the engine creates it on first use.
// Whether one is held anywhere is a question about all the nodes, not one,
// so Place answers it once per call, before the filters run, by dropping
// from the request the volumes no node holds (Request.withVolumesHeld); the
// filter then checks the rest node by node. A node/name volume pins its
// node whether or not the volume exists yet.
//
// A dependency is found by container name, full ID, or an ID prefix of at
// least 12 characters (the short ID docker prints).
//
// The reason is the option as written, e.g. "--volumes-from=db:ro", so the
// error names the dependency that could not be met.
type dependencyFilter struct{}

// Reasons of the dependency filter; %s is the option's value as written.
const (
	reasonVolumesFrom = "--volumes-from=%s"
	reasonLink        = "--link=%s"
	reasonNet         = "--net=%s"
	reasonVolume      = "--volume=%s"                             // the bind as written
	reasonMount       = "--mount=type=volume,source=%s,target=%s" // source and target
)

func (dependencyFilter) Name() string { return "dependency" }

func (dependencyFilter) Check(r *Request, n *Node) (bool, string) {
	for i := range r.deps {
		d := &r.deps[i]
		switch {
		case d.network && (d.node != "" && d.node != n.Name || !hasNetwork(n, d.ref)):
			return false, d.reason
		case !d.network && !hasContainer(n, d.ref):
			return false, d.reason
		}
	}
	for i := range r.volumes {
		v := &r.volumes[i]
		if v.node != "" && v.node != n.Name || v.node == "" && !hasVolume(n, v.name) {
			return false, v.reason
		}
	}
	return true, ""
}

// hasVolume finds a node-local volume by name.
func hasVolume(n *Node, name string) bool {
	for _, v := range n.Volumes {
		if v.Name == name {
			return true
		}
	}
	return false
}

// hasNetwork finds a network by name, full ID, or an ID prefix of at least
// 12 characters.
func hasNetwork(n *Node, ref string) bool {
	for _, net := range n.Networks {
		if net.Name == ref || net.ID == ref || len(ref) >= shortIDLen && strings.HasPrefix(net.ID, ref) {
			return true
		}
	}
	return false
}

// shortIDLen is the length of the container and image IDs docker prints.
const shortIDLen = 12

func hasContainer(n *Node, ref string) bool {
	for ci := range n.Containers {
		c := &n.Containers[ci]
		if c.ID == ref || len(ref) >= shortIDLen && strings.HasPrefix(c.ID, ref) {
			return true
		}
		for _, name := range c.Names {
			if name == ref {
				return true
			}
		}
	}
	return false
}
