package placement

import (
	"math/rand/v2"
	"sync"
	"testing"
)

func TestRandomIsUniformAmongFittingNodes(t *testing.T) {
	s := mustScheduler(t, nil, "random", Options{Rand: rand.New(rand.NewPCG(7, 7))})
	nodes := cluster(4)
	nodes[1].Containers = []Container{ctr("a"), ctr("b"), ctr("c")} // count does not matter
	nodes[3].Memory = gib / 2                                       // no room
	r := newSpec().request(t)
	r.HostConfig.Memory = gib

	const rounds = 3000
	count := map[string]int{}
	for range rounds {
		d, err := s.Place(r, nodes)
		if err != nil {
			t.Fatal(err)
		}
		count[d.Node.Name]++
	}
	if count["node-4"] != 0 {
		t.Errorf("node-4 has no room but was chosen %d times", count["node-4"])
	}
	for _, name := range []string{"node-1", "node-2", "node-3"} {
		if c := count[name]; c < rounds/3-150 || c > rounds/3+150 {
			t.Errorf("%s chosen %d times of %d, want about a third", name, c, rounds)
		}
	}
}

func TestRandomIsReproducibleWithASeed(t *testing.T) {
	pick := func() []string {
		s := mustScheduler(t, nil, "random", Options{Rand: rand.New(rand.NewPCG(1, 2))})
		var out []string
		for range 20 {
			d, err := s.Place(newSpec().request(t), cluster(5))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, d.Node.Name)
		}
		return out
	}
	a, b := pick(), pick()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different picks: %v and %v", a, b)
		}
	}
}

// A nil Rand is seeded, and the source is safe for concurrent Place calls.
func TestRandomConcurrent(t *testing.T) {
	s := mustScheduler(t, nil, "random", Options{})
	r := newSpec().request(t)
	nodes := cluster(3)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if _, err := s.Place(r, nodes); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
