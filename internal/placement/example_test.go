package placement_test

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/docker/docker/api/types/container"

	"drover/internal/placement"
)

func ExampleNewScheduler() {
	s, err := placement.NewScheduler(nil, "", placement.Options{Overcommit: placement.DefaultOvercommit})
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Filters(), s.Strategy())

	_, err = placement.NewScheduler([]string{"health", "ports"}, "binpack", placement.Options{})
	fmt.Println(err)

	r, err := placement.NewScheduler(nil, "random", placement.Options{Rand: rand.New(rand.NewPCG(1, 2))})
	fmt.Println(r.Strategy(), err)
	// Output:
	// [health port containerslots dependency affinity constraint] spread
	// unknown filter "ports" (valid: health, port, containerslots, dependency, affinity, constraint)
	// random <nil>
}

func ExampleNewRequest() {
	cfg := &container.Config{
		Image: "mysql",
		Env:   []string{"MYSQL_ROOT_PASSWORD=x", "constraint:storage==ssd", "affinity:image==~mysql"},
	}
	r, err := placement.NewRequest("db", cfg, &container.HostConfig{Resources: container.Resources{Memory: 1 << 30}}, nil)
	fmt.Println(r.Constraints(), r.Affinities(), r.Memory(), err)

	cfg.Env = []string{"constraint:storage=ssd"}
	_, err = placement.NewRequest("db", cfg, nil, nil)
	fmt.Println(err)
	fmt.Println(errors.Is(err, placement.ErrInvalidExpression), errors.Is(err, placement.ErrInvalidRequest))
	// Output:
	// [storage==ssd] [image==~mysql] 1073741824 <nil>
	// invalid expression "constraint:storage=ssd": missing operator (want ==, !=, ==~ or !=~)
	// true true
}

func ExampleScheduler_Place() {
	nodes := []*placement.Node{
		{ID: "A1", Name: "node-1", Healthy: true, NanoCPUs: 2e9, Memory: 2 << 30,
			Labels: map[string]string{"node": "node-1", "storage": "ssd"}},
		{ID: "B2", Name: "node-2", Healthy: true, NanoCPUs: 2e9, Memory: 2 << 30,
			Labels: map[string]string{"node": "node-2", "storage": "disk"}},
		{ID: "C3", Name: "node-3", Healthy: false,
			Labels: map[string]string{"node": "node-3", "storage": "ssd"}},
	}
	for _, n := range nodes {
		n.Seal() // optional: the snapshot is complete
	}
	s, _ := placement.NewScheduler(nil, "spread", placement.Options{Overcommit: placement.DefaultOvercommit})

	place := func(env ...string) {
		r, err := placement.NewRequest("web", &container.Config{Env: env}, &container.HostConfig{Resources: container.Resources{Memory: 1 << 30}}, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		d, err := s.Place(r, nodes)
		if err != nil {
			fmt.Printf("%v (filtered %v)\n", err, d.Diagnostics.Filtered)
			return
		}
		fmt.Println(d.Node.Name)
	}
	place("constraint:storage==ssd")
	place("constraint:storage==tape")
	place("constraint:storage==~tape") // soft: dropped, since no node matches
	// Output:
	// node-1
	// unable to find a node that satisfies the following conditions [storage==tape] (filtered map[constraint:2 health:1])
	// node-1
}
