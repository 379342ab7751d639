package engine_test

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/go-connections/nat"
	"go.uber.org/zap/zaptest"

	"drover/internal/engine"
	"drover/internal/testenv"
)

// runPool runs a pool until the test ends.
func runPool(t *testing.T, opts engine.Options, setup func(*engine.Pool)) *engine.Pool {
	t.Helper()
	opts.Logger = zaptest.NewLogger(t)
	p := engine.NewPool(opts)
	if setup != nil {
		setup(p)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return p
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, what, cond)
}

func addrs(es []*engine.Engine) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Addr
	}
	return out
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestEmptyPool(t *testing.T) {
	p := engine.NewPool(engine.Options{})
	if len(p.Engines()) != 0 || len(p.Healthy()) != 0 {
		t.Errorf("a new pool lists %v", addrs(p.Engines()))
	}
	if v := p.APIVersion("1.41"); v != "1.41" {
		t.Errorf("APIVersion(1.41) with no engine = %q, want the cap", v)
	}
	if _, ok := p.Get("10.0.0.1:2375"); ok {
		t.Error("Get found an engine in an empty pool")
	}
	if _, ok := p.ByName("node-1"); ok {
		t.Error("ByName found an engine in an empty pool")
	}
}

func TestPoolReadsItsEngines(t *testing.T) {
	n2 := newFakeEngine(t, "node-2", "1.41")
	n1 := newFakeEngine(t, "node-1", "1.40")
	n1.addContainer(
		container.Summary{ID: "c1", Names: []string{"/web"}, Image: "busybox", State: container.StateRunning},
		&container.HostConfig{Resources: container.Resources{Memory: 64 << 20}},
		&container.Config{ExposedPorts: nat.PortSet{"80/tcp": {}}},
	)
	dead := closedPort(t)
	p := runPool(t, engine.Options{RefreshInterval: time.Hour}, func(p *engine.Pool) {
		p.SetNodes([]string{n2.addr(), dead, n1.addr()})
	})
	eventually(t, "every engine refreshed once", func() bool {
		for _, e := range p.Engines() {
			if e.State().UpdatedAt.IsZero() {
				return false
			}
		}
		return len(p.Engines()) == 3
	})

	t.Run("engines are ordered by name, an unnamed one by address", func(t *testing.T) {
		want := []string{dead, n1.addr(), n2.addr()} // "127.0.0.1:…" sorts before "node-…"
		if got := addrs(p.Engines()); !slices.Equal(got, want) {
			t.Errorf("Engines() = %v, want %v", got, want)
		}
	})
	t.Run("an unreachable engine is unhealthy and says why", func(t *testing.T) {
		e, ok := p.Get(dead)
		if !ok {
			t.Fatal("Get(dead) found nothing")
		}
		if st := e.State(); st.Healthy || st.Err == "" || st.Name(e.Addr) != dead {
			t.Errorf("state of the unreachable engine = healthy %v, err %q, name %q", st.Healthy, st.Err, st.Name(e.Addr))
		}
		if got := addrs(p.Healthy()); !slices.Equal(got, []string{n1.addr(), n2.addr()}) {
			t.Errorf("Healthy() = %v, want the two answering engines", got)
		}
	})
	t.Run("the state holds info, API version and containers with their inspect details", func(t *testing.T) {
		e, _ := p.Get(n1.addr())
		st := e.State()
		if st.Info.Name != "node-1" || st.Info.NCPU != 4 || st.APIVersion != "1.40" {
			t.Errorf("state = name %q, NCPU %d, API %q", st.Info.Name, st.Info.NCPU, st.APIVersion)
		}
		if len(st.Containers) != 1 {
			t.Fatalf("containers = %+v, want c1", st.Containers)
		}
		c := st.Containers[0]
		if c.ID != "c1" || c.HostConfig == nil || c.HostConfig.Memory != 64<<20 {
			t.Errorf("container = %+v, want c1 with its host config", c)
		}
		if _, ok := c.ExposedPorts["80/tcp"]; !ok {
			t.Errorf("exposed ports = %v, want 80/tcp", c.ExposedPorts)
		}
	})
	t.Run("the API version is the lowest of the healthy engines, capped", func(t *testing.T) {
		if v := p.APIVersion("1.41"); v != "1.40" {
			t.Errorf("APIVersion(1.41) = %q, want 1.40", v)
		}
		if v := p.APIVersion("1.30"); v != "1.30" {
			t.Errorf("APIVersion(1.30) = %q, want the cap", v)
		}
	})
	t.Run("engines are found by name or address", func(t *testing.T) {
		for _, ref := range []string{"node-1", n1.addr()} {
			if e, ok := p.ByName(ref); !ok || e.Addr != n1.addr() {
				t.Errorf("ByName(%s) found %v, %v", ref, e, ok)
			}
		}
	})
	t.Run("a kick refreshes", func(t *testing.T) {
		e, _ := p.Get(n2.addr())
		before := n2.infoCount()
		e.Kick()
		eventually(t, "a refresh after the kick", func() bool { return n2.infoCount() > before })
	})
	t.Run("engines leave with the node set", func(t *testing.T) {
		p.SetNodes([]string{n2.addr()})
		eventually(t, "two engines gone", func() bool { return slices.Equal(addrs(p.Engines()), []string{n2.addr()}) })
		if _, ok := p.Get(n1.addr()); ok {
			t.Error("Get still finds a removed engine")
		}
	})
}

func TestPoolPassesEngineEventsOn(t *testing.T) {
	f := newFakeEngine(t, "node-1", "1.41")
	var mu sync.Mutex
	var got []events.Message
	p := runPool(t, engine.Options{RefreshInterval: time.Hour}, func(p *engine.Pool) {
		p.OnEvent(func(e *engine.Engine, m events.Message) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, m)
		})
		p.SetNodes([]string{f.addr()})
	})
	eventually(t, "the engine healthy", func() bool { return len(p.Healthy()) == 1 })
	before := f.infoCount()
	f.events <- events.Message{Type: events.ContainerEventType, Action: events.ActionDie,
		Actor: events.Actor{ID: "c1", Attributes: map[string]string{"com.docker.swarm.id": "s1"}}}
	eventually(t, "the event delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 1
	})
	mu.Lock()
	m := got[0]
	mu.Unlock()
	if m.Actor.ID != "c1" || m.Actor.Attributes["com.docker.swarm.id"] != "s1" || m.Action != events.ActionDie {
		t.Errorf("listener got %+v", m)
	}
	eventually(t, "a refresh after the event", func() bool { return f.infoCount() > before })
}

func TestUnreachableEngine(t *testing.T) {
	dead := closedPort(t)
	p := runPool(t, engine.Options{RefreshInterval: time.Hour}, func(p *engine.Pool) { p.SetNodes([]string{dead}) })
	eventually(t, "the first refresh", func() bool {
		e, ok := p.Get(dead)
		return ok && !e.State().UpdatedAt.IsZero()
	})
	e, _ := p.Get(dead)
	if st := e.State(); st.Healthy || st.Err == "" {
		t.Errorf("state = healthy %v, err %q; want unhealthy with the reason", st.Healthy, st.Err)
	}
	if len(p.Healthy()) != 0 {
		t.Errorf("Healthy() = %v, want none", addrs(p.Healthy()))
	}
	if v := p.APIVersion("1.41"); v != "1.41" {
		t.Errorf("APIVersion(1.41) = %q: an unhealthy engine must not lower it", v)
	}
	if got, ok := p.ByName(dead); !ok || got != e {
		t.Errorf("ByName(address) of an engine never heard from = %v, %v", got, ok)
	}
}
