package placement

import "testing"

func TestAffinityFilter(t *testing.T) {
	frontend := Container{
		ID:      "87c4376856a8f3e1f0b0a4d2c9e8b7a6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0",
		Names:   []string{"frontend"},
		Image:   "nginx:1.25",
		ImageID: "sha256:a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6",
		Labels:  map[string]string{"com.example.type": "frontend"},
	}
	withFrontend := node(func(n *Node) { n.Containers = []Container{frontend} })
	withRedis := node(func(n *Node) {
		n.Images = []Image{{ID: "sha256:06a1f75304ba1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d", RepoTags: []string{"redis:latest", "redis:7"}}}
	})
	stopped := frontend
	stopped.Running = false
	withStopped := node(func(n *Node) { n.Containers = []Container{stopped} })

	tests := []struct {
		name   string
		env    []string
		label  string // LabelAffinities
		node   *Node
		ok     bool
		reason string
	}{
		{name: "no affinity", node: baseNode(), ok: true},
		{name: "container by name", env: []string{"affinity:container==frontend"}, node: withFrontend, ok: true},
		{name: "container by short ID", env: []string{"affinity:container==87c4376856a8"}, node: withFrontend, ok: true},
		{name: "container by full ID", env: []string{"affinity:container==" + frontend.ID}, node: withFrontend, ok: true},
		{name: "container glob", env: []string{"affinity:container==front*"}, node: withFrontend, ok: true},
		{name: "container absent", env: []string{"affinity:container==frontend"}, node: baseNode(), reason: "container==frontend"},
		{name: "container != present", env: []string{"affinity:container!=frontend"}, node: withFrontend, reason: "container!=frontend"},
		{name: "container != absent", env: []string{"affinity:container!=frontend"}, node: baseNode(), ok: true},
		{name: "stopped container counts", env: []string{"affinity:container==frontend"}, node: withStopped, ok: true},
		{name: "image by name", env: []string{"affinity:image==redis"}, node: withRedis, ok: true},
		{name: "image by name:tag", env: []string{"affinity:image==redis:7"}, node: withRedis, ok: true},
		{name: "image by other tag", env: []string{"affinity:image==redis:6"}, node: withRedis, reason: "image==redis:6"},
		{name: "image by short ID", env: []string{"affinity:image==06a1f75304ba"}, node: withRedis, ok: true},
		{name: "image by full ID", env: []string{"affinity:image==sha256:06a1f75304ba1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"}, node: withRedis, ok: true},
		{name: "image absent", env: []string{"affinity:image==redis"}, node: baseNode(), reason: "image==redis"},
		{name: "image of a container", env: []string{"affinity:image==nginx"}, node: withFrontend, ok: true},
		{name: "image ID of a container", env: []string{"affinity:image==a8758716bb6a"}, node: withFrontend, ok: true},
		{name: "image regexp", env: []string{"affinity:image==/^re/"}, node: withRedis, ok: true},
		{name: "container label", env: []string{"affinity:com.example.type==frontend"}, node: withFrontend, ok: true},
		{name: "container label differs", env: []string{"affinity:com.example.type==backend"}, node: withFrontend, reason: "com.example.type==backend"},
		{name: "container label absent", env: []string{"affinity:com.example.type==frontend"}, node: baseNode(), reason: "com.example.type==frontend"},
		{name: "from the label", label: `["container==frontend","image==nginx:1.25"]`, node: withFrontend, ok: true},
		{name: "from the label, unmet", label: `["container==frontend","image==nginx:1.24"]`, node: withFrontend, reason: "image==nginx:1.24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := newSpec(tt.env...)
			if tt.label != "" {
				sp.cfg.Labels = map[string]string{LabelAffinities: tt.label}
			}
			ok, reason := affinityFilter{}.Check(sp.request(t), tt.node)
			if ok != tt.ok || (!ok && reason != tt.reason) {
				t.Errorf("Check = %v, %q; want %v, %q", ok, reason, tt.ok, tt.reason)
			}
		})
	}
}

// TestAffinityDocExamples follows "Use an affinity filter" in
// scheduler-filter.md.
func TestAffinityDocExamples(t *testing.T) {
	t.Run("name affinity", func(t *testing.T) {
		nodes := cluster(2)
		s := mustScheduler(t, nil, "", Options{})
		frontend := ctr("frontend")
		frontend.ID = "87c4376856a8" + frontend.ID[12:]
		if got := placeAndCommit(t, s, newSpec().publish("80", "80/tcp").request(t), nodes, frontend); got != "node-1" {
			t.Fatalf("frontend went to %s", got)
		}
		for _, aff := range []string{"affinity:container==frontend", "affinity:container==87c4376856a8"} {
			// Spread alone would pick the empty node-2.
			if got := placeAndCommit(t, s, newSpec(aff).request(t), nodes, ctr("logger")); got != "node-1" {
				t.Errorf("%s: logger went to %s, want node-1", aff, got)
			}
		}
	})
	t.Run("image affinity", func(t *testing.T) {
		nodes := cluster(3)
		redis := Image{ID: "sha256:06a1f75304ba9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c", RepoTags: []string{"redis:latest"}}
		nodes[0].Images = []Image{redis}
		nodes[1].Images = []Image{{ID: "sha256:1111", RepoTags: []string{"mysql:latest"}}}
		nodes[2].Images = []Image{redis}
		s := mustScheduler(t, nil, "", Options{})
		count := map[string]int{}
		for i := 1; i <= 8; i++ {
			r := newSpec("affinity:image==redis").request(t)
			count[placeAndCommit(t, s, r, nodes, ctr("redis"))]++
		}
		if count["node-1"] != 4 || count["node-3"] != 4 {
			t.Errorf("placements = %v, want 4 on node-1 and 4 on node-3", count)
		}
		if got := placeAndCommit(t, s, newSpec("affinity:image==06a1f75304ba").request(t), nodes, ctr("redis1")); got != "node-1" && got != "node-3" {
			t.Errorf("by image ID: went to %s", got)
		}
	})
	t.Run("label affinity", func(t *testing.T) {
		nodes := cluster(2)
		nodes[0].Containers = []Container{{ID: "87c4376856a8", Names: []string{"trusting_yonath"}, Labels: map[string]string{"com.example.type": "frontend"}}}
		s := mustScheduler(t, nil, "", Options{})
		if got := placeAndCommit(t, s, newSpec("affinity:com.example.type==frontend").request(t), nodes, ctr("happy_hawking")); got != "node-1" {
			t.Errorf("logger went to %s, want node-1", got)
		}
	})
	t.Run("soft anti-affinity", func(t *testing.T) {
		// affinity:container!=~redis* puts redis5 on a node without redis*,
		// and anywhere once every node has one.
		nodes := cluster(3)
		nodes[0].Containers = []Container{ctr("redis1")}
		nodes[2].Containers = []Container{ctr("redis2"), ctr("other")}
		s := mustScheduler(t, nil, "binpack", Options{}) // binpack would prefer node-3
		d, err := s.Place(newSpec("affinity:container!=~redis*").request(t), nodes)
		if err != nil || d.Node.Name != "node-2" || d.Diagnostics.SoftDropped {
			t.Fatalf("Place = %v, %v, %+v; want node-2", d.Node, err, d.Diagnostics)
		}
		nodes[1].Containers = []Container{ctr("redis3")}
		d, err = s.Place(newSpec("affinity:container!=~redis*").request(t), nodes)
		if err != nil || d.Node.Name != "node-3" || !d.Diagnostics.SoftDropped {
			t.Fatalf("Place = %v, %v, %+v; want node-3 with the soft affinity dropped", d.Node, err, d.Diagnostics)
		}
	})
	t.Run("soft image affinity", func(t *testing.T) {
		nodes := cluster(2)
		s := mustScheduler(t, nil, "", Options{})
		if got := placeAndCommit(t, s, newSpec("affinity:image==~redis").request(t), nodes, ctr("redis1")); got != "node-1" {
			t.Errorf("without redis anywhere: went to %s, want node-1", got)
		}
		nodes[1].Images = []Image{{ID: "sha256:06a1f75304ba", RepoTags: []string{"redis:latest"}}}
		nodes[1].Containers = []Container{ctr("a"), ctr("b")}
		if got := placeAndCommit(t, s, newSpec("affinity:image==~redis").request(t), nodes, ctr("redis2")); got != "node-2" {
			t.Errorf("with redis on node-2: went to %s, want node-2", got)
		}
	})
}
