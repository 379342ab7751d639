package placement

import (
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
)

func TestDependencyFilter(t *testing.T) {
	a := Container{ID: "aaaaaaaaaaaa1111111111111111", Names: []string{"A"}}
	b := Container{ID: "bbbbbbbbbbbb2222222222222222", Names: []string{"B"}, Running: false}
	withA := node(func(n *Node) { n.Containers = []Container{a} })
	withAB := node(func(n *Node) { n.Containers = []Container{a, b} })

	tests := []struct {
		name   string
		hc     container.HostConfig
		node   *Node
		ok     bool
		reason string
	}{
		{name: "none", node: baseNode(), ok: true},
		{name: "volumes-from by name", hc: container.HostConfig{VolumesFrom: []string{"A"}}, node: withA, ok: true},
		{name: "volumes-from read-only", hc: container.HostConfig{VolumesFrom: []string{"A:ro"}}, node: withA, ok: true},
		{name: "volumes-from short ID", hc: container.HostConfig{VolumesFrom: []string{"aaaaaaaaaaaa"}}, node: withA, ok: true},
		{name: "volumes-from full ID", hc: container.HostConfig{VolumesFrom: []string{a.ID}}, node: withA, ok: true},
		{name: "too short an ID prefix", hc: container.HostConfig{VolumesFrom: []string{"aaaa"}}, node: withA, reason: "--volumes-from=aaaa"},
		{name: "volumes-from missing", hc: container.HostConfig{VolumesFrom: []string{"B:ro"}}, node: withA, reason: "--volumes-from=B:ro"},
		{name: "link", hc: container.HostConfig{Links: []string{"A:db"}}, node: withA, ok: true},
		{name: "link missing", hc: container.HostConfig{Links: []string{"B:db"}}, node: withA, reason: "--link=B:db"},
		{name: "net container", hc: container.HostConfig{NetworkMode: "container:A"}, node: withA, ok: true},
		{name: "net container missing", hc: container.HostConfig{NetworkMode: "container:B"}, node: withA, reason: "--net=container:B"},
		{name: "stopped dependency counts", hc: container.HostConfig{VolumesFrom: []string{"B"}}, node: withAB, ok: true},
		{name: "all present", hc: container.HostConfig{VolumesFrom: []string{"A"}, NetworkMode: "container:B"}, node: withAB, ok: true},
		{name: "first missing", hc: container.HostConfig{VolumesFrom: []string{"A"}, Links: []string{"C:c"}, NetworkMode: "container:D"}, node: withAB, reason: "--link=C:c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRequest("x", nil, &tt.hc, nil)
			if err != nil {
				t.Fatal(err)
			}
			ok, reason := dependencyFilter{}.Check(r, tt.node)
			if ok != tt.ok || (!ok && reason != tt.reason) {
				t.Errorf("Check = %v, %q; want %v, %q", ok, reason, tt.ok, tt.reason)
			}
		})
	}
}

// TestDependencyDocExample follows "Use a dependency filter": with
// --volumes-from=A --net=container:B the container goes where A and B are,
// and is refused, naming both, when they are on different nodes.
func TestDependencyDocExample(t *testing.T) {
	s := mustScheduler(t, nil, "", Options{})
	hc := &container.HostConfig{VolumesFrom: []string{"A"}, NetworkMode: "container:B"}
	r, err := NewRequest("x", nil, hc, nil)
	if err != nil {
		t.Fatal(err)
	}

	together := cluster(3)
	together[2].Containers = []Container{ctr("A"), ctr("B")}
	if d, err := s.Place(r, together); err != nil || d.Node.Name != "node-3" {
		t.Errorf("A and B on node-3: Place = %v, %v", d.Node, err)
	}

	apart := cluster(3)
	apart[0].Containers = []Container{ctr("A")}
	apart[1].Containers = []Container{ctr("B")}
	want := "unable to find a node that satisfies the following conditions [--net=container:B --volumes-from=A]"
	if _, err := s.Place(r, apart); err == nil || err.Error() != want {
		t.Errorf("A and B apart: error %v, want %q", err, want)
	}

	missing := cluster(2)
	missing[0].Containers = []Container{ctr("A"), ctr("B")}
	missing[0].Healthy = false
	want = "unable to find a node that satisfies the following conditions [--volumes-from=A]"
	if _, err := s.Place(r, missing); err == nil || err.Error() != want {
		t.Errorf("A and B on an unhealthy node: error %v, want %q", err, want)
	}
}

// A container on a user-defined network goes to a node holding that network:
// named plainly, by ID, as node/name, or through NetworkingConfig.
func TestNetworkDependency(t *testing.T) {
	front := Network{ID: "f1f1f1f1f1f1aaaaaaaaaaaaaaaa", Name: "front", Local: true}
	withFront := node(func(n *Node) { n.Name = "node-2"; n.Networks = []Network{front} })
	without := node(func(n *Node) { n.Name = "node-1"; n.Networks = []Network{{ID: "b", Name: "bridge", Local: true}} })

	tests := []struct {
		name   string
		hc     container.HostConfig
		nc     *network.NetworkingConfig
		node   *Node
		ok     bool
		reason string
	}{
		{name: "by name", hc: container.HostConfig{NetworkMode: "front"}, node: withFront, ok: true},
		{name: "by name, elsewhere", hc: container.HostConfig{NetworkMode: "front"}, node: without, reason: "--net=front"},
		{name: "by short ID", hc: container.HostConfig{NetworkMode: "f1f1f1f1f1f1"}, node: withFront, ok: true},
		{name: "node/name", hc: container.HostConfig{NetworkMode: "node-2/front"}, node: withFront, ok: true},
		{name: "node/name on another node", hc: container.HostConfig{NetworkMode: "node-1/front"}, node: withFront, reason: "--net=node-1/front"},
		{name: "endpoint config", nc: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{"front": {}}}, node: without, reason: "--net=front"},
		{name: "default networks need nothing", hc: container.HostConfig{NetworkMode: "bridge"}, node: without, ok: true},
		{name: "host needs nothing", hc: container.HostConfig{NetworkMode: "host"}, node: without, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRequest("x", nil, &tt.hc, tt.nc)
			if err != nil {
				t.Fatal(err)
			}
			ok, reason := dependencyFilter{}.Check(r, tt.node)
			if ok != tt.ok || (!ok && reason != tt.reason) {
				t.Errorf("Check = %v, %q; want %v, %q", ok, reason, tt.ok, tt.reason)
			}
		})
	}
}

// A container mounting a named volume goes to a node holding it: a bind
// or a mount, named plainly or as node/name.
func TestVolumeDependency(t *testing.T) {
	withV1 := node(func(n *Node) { n.Name = "node-2"; n.Volumes = []Volume{{Name: "v1"}} })
	withBoth := node(func(n *Node) { n.Name = "node-2"; n.Volumes = []Volume{{Name: "v1"}, {Name: "v2"}} })
	without := node(func(n *Node) { n.Name = "node-1"; n.Volumes = []Volume{{Name: "other"}} })
	mnt := func(src string) []mount.Mount {
		return []mount.Mount{{Type: mount.TypeVolume, Source: src, Target: "/data"}}
	}

	tests := []struct {
		name   string
		hc     container.HostConfig
		node   *Node
		ok     bool
		reason string
	}{
		{name: "bind, held", hc: container.HostConfig{Binds: []string{"v1:/data"}}, node: withV1, ok: true},
		{name: "bind, elsewhere", hc: container.HostConfig{Binds: []string{"v1:/data:ro"}}, node: without, reason: "--volume=v1:/data:ro"},
		{name: "mount, held", hc: container.HostConfig{Mounts: mnt("v1")}, node: withV1, ok: true},
		{name: "mount, elsewhere", hc: container.HostConfig{Mounts: mnt("v1")}, node: without, reason: "--mount=type=volume,source=v1,target=/data"},
		{name: "node/name on its node", hc: container.HostConfig{Binds: []string{"node-2/v1:/data"}}, node: withV1, ok: true},
		{name: "node/name not yet made", hc: container.HostConfig{Binds: []string{"node-2/new:/data"}}, node: withV1, ok: true},
		{name: "node/name on another node", hc: container.HostConfig{Binds: []string{"node-2/v1:/data"}}, node: without, reason: "--volume=node-2/v1:/data"},
		{name: "every volume held", hc: container.HostConfig{Binds: []string{"v1:/a", "v2:/b"}}, node: withBoth, ok: true},
		{name: "one missing", hc: container.HostConfig{Binds: []string{"v1:/a", "v2:/b"}}, node: withV1, reason: "--volume=v2:/b"},
		{name: "host paths need nothing", hc: container.HostConfig{Binds: []string{"/srv:/data"}}, node: without, ok: true},
		{name: "another driver needs nothing", hc: container.HostConfig{VolumeDriver: "nfs", Binds: []string{"v1:/data"}}, node: without, ok: true},
		{name: "containers first", hc: container.HostConfig{Links: []string{"db:db"}, Binds: []string{"v1:/a"}}, node: without, reason: "--link=db:db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRequest("x", nil, &tt.hc, nil)
			if err != nil {
				t.Fatal(err)
			}
			ok, reason := dependencyFilter{}.Check(r, tt.node)
			if ok != tt.ok || (!ok && reason != tt.reason) {
				t.Errorf("Check = %v, %q; want %v, %q", ok, reason, tt.ok, tt.reason)
			}
		})
	}
}

// Place drops the volumes no node holds before filtering, so a volume the
// engine will create pins nothing, while one held somewhere pins its node.
func TestVolumeDependencyPlace(t *testing.T) {
	s := mustScheduler(t, nil, "", Options{})
	holding := func(volumes map[int][]string) []*Node {
		nodes := cluster(3)
		for i, names := range volumes {
			for _, name := range names {
				nodes[i].Volumes = append(nodes[i].Volumes, Volume{Name: name})
			}
		}
		return nodes
	}
	tests := []struct {
		name  string
		binds []string
		env   []string
		nodes []*Node
		want  string // the node's name, or the error
	}{
		{name: "held nowhere: spread decides", binds: []string{"new:/data"}, nodes: holding(nil), want: "node-1"},
		{name: "held on node-3", binds: []string{"v1:/data"}, nodes: holding(map[int][]string{2: {"v1"}}), want: "node-3"},
		{name: "one held, one new", binds: []string{"new:/a", "v1:/b"}, nodes: holding(map[int][]string{1: {"v1"}}), want: "node-2"},
		{name: "held apart", binds: []string{"v1:/a", "v2:/b"}, nodes: holding(map[int][]string{0: {"v1"}, 2: {"v2"}}),
			want: "unable to find a node that satisfies the following conditions [--volume=v2:/b --volume=v1:/a]"}, // as first seen: node-1 lacks v2
		{name: "held on an unhealthy node only", binds: []string{"v1:/data"},
			nodes: func() []*Node { n := holding(map[int][]string{0: {"v1"}}); n[0].Healthy = false; return n }(),
			want:  "unable to find a node that satisfies the following conditions [--volume=v1:/data]"},
		{name: "node/name not yet made", binds: []string{"node-2/new:/data"}, nodes: holding(nil), want: "node-2"},
		{name: "soft expression dropped, volume kept", binds: []string{"new:/a", "v1:/b"}, env: []string{"constraint:node==~node-1"},
			nodes: holding(map[int][]string{2: {"v1"}}), want: "node-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRequest("x", &container.Config{Env: tt.env}, &container.HostConfig{Binds: tt.binds}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if d, err := s.Place(r, tt.nodes); err != nil {
				got = err.Error()
			} else {
				got = d.Node.Name
			}
			if got != tt.want {
				t.Errorf("Place = %q, want %q", got, tt.want)
			}
			if len(r.volumes) != len(tt.binds) {
				t.Errorf("Place changed the request: %d volumes left of %d", len(r.volumes), len(tt.binds))
			}
		})
	}
}
