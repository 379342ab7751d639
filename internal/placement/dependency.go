package placement

import "strings"

// dependencyFilter keeps the nodes that hold every container the request
// depends on: --volumes-from (HostConfig.VolumesFrom, "name[:ro|:rw]"), --link
// (HostConfig.Links, "name:alias") and --net=container:name; and every
// user-defined network it joins (--net=name or node/name, and the networks
// of NetworkingConfig). Dependencies on different nodes therefore leave no
// node at all.
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
	return true, ""
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
