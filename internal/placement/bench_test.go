package placement

import (
	"strconv"
	"testing"
)

// benchCluster builds k nodes with 30 containers each: every container
// reserves CPU and memory, holds one host port, and carries a label.
func benchCluster(k int) []*Node {
	nodes := make([]*Node, k)
	for i := range nodes {
		id := strconv.Itoa(i)
		n := node(func(n *Node) {
			rename(n, "node-"+id)
			n.NanoCPUs, n.Memory = 16e9, 64*gib
			n.Labels["storage"] = [...]string{"ssd", "disk"}[i%2]
			n.Labels["region"] = [...]string{"us-east", "us-west", "eu-west"}[i%3]
			n.Labels[LabelContainerSlots] = "100"
		})
		n.Containers = make([]Container, 30)
		for j := range n.Containers {
			c := &n.Containers[j]
			c.ID = strconv.Itoa(i*100+j) + "0123456789abcdef0123456789abcdef0123456789abcdef"
			c.Names = []string{"svc-" + strconv.Itoa(j)}
			c.Image = "app:" + strconv.Itoa(j%5)
			c.Labels = map[string]string{"com.example.tier": [...]string{"web", "db"}[j%2]}
			c.Running = j%7 != 0
			c.Ports = []PortBinding{{HostPort: uint16(20000 + j), Protocol: "tcp"}}
			c.NanoCPUs, c.Memory = 1e8*int64(1+(i+j)%5), int64(64+(i*j)%512)<<20
		}
		n.Images = []Image{{ID: "sha256:" + strconv.Itoa(i) + "aaaaaaaaaaaaaaaa", RepoTags: []string{"app:0", "app:1"}}}
		nodes[i] = n
	}
	// Port 8080 is taken on every tenth node.
	for i := 0; i < k; i += 10 {
		nodes[i].Containers[0].Ports = append(nodes[i].Containers[0].Ports, PortBinding{HostPort: 8080, Protocol: "tcp"})
	}
	return nodes
}

// BenchmarkPlace places one container with every filter and spread on sealed
// nodes (see Node.Seal). The request publishes a port, reserves CPU and
// memory, and carries a constraint, a soft constraint and an affinity, all
// satisfiable.
func BenchmarkPlace(b *testing.B) { benchmarkPlace(b, true) }

// BenchmarkPlaceUnsealed is BenchmarkPlace on nodes that are not sealed, so
// every call scans every container.
func BenchmarkPlaceUnsealed(b *testing.B) { benchmarkPlace(b, false) }

func benchmarkPlace(b *testing.B, seal bool) {
	for _, k := range []int{1000, 10000} {
		b.Run("nodes="+strconv.Itoa(k), func(b *testing.B) {
			nodes := benchCluster(k)
			if seal {
				for _, n := range nodes {
					n.Seal()
				}
			}
			s := mustScheduler(b, nil, "spread", Options{Overcommit: DefaultOvercommit})
			sp := newSpec("constraint:storage==ssd", "constraint:region==~us-*", "affinity:com.example.tier==web").publish("8080", "80/tcp")
			sp.hc.NanoCPUs, sp.hc.Memory = 5e8, 256<<20
			r := sp.request(b)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Place(r, nodes); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
