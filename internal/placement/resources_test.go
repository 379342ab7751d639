package placement

import "testing"

func TestWeigh(t *testing.T) {
	reserving := func(cpu, mem int64) Container { return Container{ID: "r", NanoCPUs: cpu, Memory: mem} }
	tests := []struct {
		name       string
		cpu, mem   int64 // request: NanoCPUs, Memory
		node       *Node
		overcommit float64
		want       load
	}{
		{name: "asks nothing", node: baseNode(), want: load{fits: true}},
		{name: "asks nothing of a node of unknown size", node: node(func(n *Node) { n.NanoCPUs, n.Memory = 0, 0 }), want: load{fits: true}},
		{name: "memory of a node of unknown memory", mem: 1, node: node(func(n *Node) { n.Memory = 0 }), want: load{}},
		{name: "cpu of a node of unknown cpus", cpu: 1, node: node(func(n *Node) { n.NanoCPUs = 0 }), want: load{}},
		{name: "memory on a node of unknown cpus", mem: gib, node: node(func(n *Node) { n.NanoCPUs = 0 }), want: load{mem: 50, fits: true}},
		{name: "half the memory", mem: gib, node: baseNode(), want: load{mem: 50, fits: true}},
		{name: "all the memory", mem: 2 * gib, node: baseNode(), want: load{mem: 100, fits: true}},
		{name: "too much memory", mem: 2*gib + 1, node: baseNode(), want: load{}},
		{name: "overcommit makes room", mem: 2*gib + 1, node: baseNode(), overcommit: 0.05, want: load{mem: 95, fits: true}},
		{name: "overcommit has a limit", mem: 22 * gib / 10, node: baseNode(), overcommit: 0.05, want: load{}},
		{name: "negative overcommit keeps headroom", mem: 2 * gib, node: baseNode(), overcommit: -0.1, want: load{}},
		{name: "reservations add up", mem: gib, node: node(func(n *Node) { n.Containers = []Container{reserving(0, gib/2)} }), want: load{mem: 75, fits: true}},
		{name: "stopped containers reserve too", mem: gib, node: node(func(n *Node) { n.Containers = []Container{reserving(0, 1.5*gib)} }), want: load{}},
		{name: "cpu and memory", cpu: 1e9, mem: gib / 2, node: node(func(n *Node) { n.Containers = []Container{reserving(5e8, 0)} }), want: load{cpu: 75, mem: 25, fits: true}},
		{name: "cpu full", cpu: 1e9, node: node(func(n *Node) { n.Containers = []Container{reserving(1.5e9, 0)} }), want: load{}},
		{name: "rounds down", mem: gib/3 + 1, node: baseNode(), want: load{mem: 16, fits: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newSpec().request(t)
			r.HostConfig.NanoCPUs, r.HostConfig.Memory = tt.cpu, tt.mem
			if got := weigh(r, tt.node, tt.overcommit); got != tt.want {
				t.Errorf("weigh = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// CpuShares count as whole cores, as in classic Swarm.
func TestWeighCPUShares(t *testing.T) {
	r := newSpec().request(t)
	r.HostConfig.CPUShares = 1
	if got := weigh(r, baseNode(), 0); got != (load{cpu: 50, fits: true}) {
		t.Errorf("-c 1 on 2 CPUs: %+v, want 50%%", got)
	}
	r.HostConfig.CPUShares = 3
	if got := weigh(r, baseNode(), 0); got.fits {
		t.Errorf("-c 3 on 2 CPUs fits: %+v", got)
	}
}
