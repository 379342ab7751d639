package engine

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/nat"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// Engine is one Docker engine of the pool.
type Engine struct {
	Addr   string         // host:port
	IP     string         // host part of Addr
	Client *client.Client // API client, version negotiated with the engine
	HTTP   *http.Client   // raw client for proxied requests
	Scheme string         // http or https

	lg      *zap.Logger
	kick    chan struct{}
	changes atomic.Uint64 // counts the events and kicks seen
	mu      sync.RWMutex
	state   *State
	details map[string]details // by container ID, inspected once
}

// State is what the last refresh learnt of an engine. It is never mutated
// after it is published.
type State struct {
	Healthy    bool
	Err        string // why the last refresh failed
	Info       system.Info
	APIVersion string
	Containers []Container
	Images     []image.Summary
	Networks   []network.Summary
	Volumes    []*volume.Volume
	UpdatedAt  time.Time
	// Seen is how many changes the engine had reported when this state was
	// read: a state is fresh while no change came after.
	Seen uint64
	// DownSince is when the engine stopped answering; zero while it answers.
	DownSince time.Time
}

// Container is a container as listed, with what only an inspect tells: its
// host config and the ports its image exposes.
type Container struct {
	container.Summary
	HostConfig   *container.HostConfig
	ExposedPorts nat.PortSet
}

type details struct {
	hostConfig   *container.HostConfig
	exposedPorts nat.PortSet
}

// Name is the engine's name, or its address while it has never answered.
func (s *State) Name(addr string) string {
	if s.Info.Name != "" {
		return s.Info.Name
	}
	return addr
}

func newEngine(addr string, tlsConfig *tls.Config, lg *zap.Logger) (*Engine, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("engine address %q: %w", addr, err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConfig
	tr.MaxIdleConnsPerHost = 32
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	httpClient := &http.Client{Transport: tr}
	cli, err := client.NewClientWithOpts(
		client.WithHTTPClient(httpClient),
		client.WithHost("tcp://"+addr),
		client.WithAPIVersionNegotiation(),
	)
	if err != nil {
		return nil, fmt.Errorf("engine client for %s: %w", addr, err)
	}
	return &Engine{
		Addr: addr, IP: host, Client: cli, HTTP: httpClient, Scheme: scheme,
		lg:      lg.With(zap.String("engine", addr)),
		kick:    make(chan struct{}, 1),
		state:   &State{},
		details: map[string]details{},
	}, nil
}

// State returns the latest published state.
func (e *Engine) State() *State {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.state
}

// Kick asks for a refresh soon, without waiting for it.
func (e *Engine) Kick() {
	e.changes.Add(1)
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// Fresh reports whether the published state was read after every change
// the engine reported.
func (e *Engine) Fresh() bool { return e.State().Seen >= e.changes.Load() }

// hooks are what the pool is told of an engine: its events, and its health
// changing.
type hooks struct {
	onEvent  func(*Engine, events.Message)
	onHealth func(e *Engine, healthy bool)
}

// run refreshes the engine until ctx ends.
func (e *Engine) run(ctx context.Context, interval time.Duration, h hooks) {
	// Settle the API version before two goroutines use the client: the
	// client negotiates lazily, and not safely for concurrent first calls.
	e.Client.NegotiateAPIVersion(ctx)
	go e.watchEvents(ctx, h.onEvent)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if changed, healthy := e.refresh(ctx); changed {
			h.onHealth(e, healthy)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.kick:
		}
	}
}

// watchEvents follows the engine's event stream: every container, image or
// network event kicks a refresh and goes to onEvent. A broken stream kicks a
// refresh too, which is how a dead engine is noticed at once.
func (e *Engine) watchEvents(ctx context.Context, onEvent func(*Engine, events.Message)) {
	for ctx.Err() == nil {
		msgs, errs := e.Client.Events(ctx, events.ListOptions{})
	stream:
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-msgs:
				e.Kick()
				if onEvent != nil {
					onEvent(e, m)
				}
			case <-errs:
				e.Kick()
				break stream
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// refresh reads the engine's state and publishes it, and reports whether
// the engine's health changed (a first answer counts as a change).
func (e *Engine) refresh(ctx context.Context) (changed, healthy bool) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	seen := e.changes.Load()
	prev := e.State()
	next, err := e.read(ctx)
	if err != nil {
		if ctx.Err() != nil && ctx.Err() != context.DeadlineExceeded {
			return false, prev.Healthy
		}
		failed := *prev
		failed.Healthy, failed.Err, failed.UpdatedAt, failed.Seen = false, err.Error(), time.Now(), seen
		if failed.DownSince.IsZero() {
			failed.DownSince = failed.UpdatedAt
		}
		e.publish(&failed)
		if prev.Healthy || prev.UpdatedAt.IsZero() {
			e.lg.Warn("engine unhealthy", zap.Error(err))
		}
		return prev.Healthy, false
	}
	next.Seen = seen
	if !prev.Healthy {
		e.lg.Info("engine healthy", zap.String("name", next.Info.Name), zap.String("api", next.APIVersion))
	}
	e.publish(next)
	return !prev.Healthy, true
}

func (e *Engine) publish(s *State) {
	e.mu.Lock()
	e.state = s
	e.mu.Unlock()
}

func (e *Engine) read(ctx context.Context) (*State, error) {
	s := &State{Healthy: true, UpdatedAt: time.Now()}
	var list []container.Summary
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { s.Info, err = e.Client.Info(gctx); return wrap("info", err) })
	g.Go(func() error {
		v, err := e.Client.ServerVersion(gctx)
		s.APIVersion = v.APIVersion
		return wrap("version", err)
	})
	g.Go(func() (err error) {
		list, err = e.Client.ContainerList(gctx, container.ListOptions{All: true})
		return wrap("list containers", err)
	})
	g.Go(func() (err error) {
		s.Images, err = e.Client.ImageList(gctx, image.ListOptions{})
		return wrap("list images", err)
	})
	g.Go(func() (err error) {
		s.Networks, err = e.Client.NetworkList(gctx, network.ListOptions{})
		return wrap("list networks", err)
	})
	g.Go(func() error {
		list, err := e.Client.VolumeList(gctx, volume.ListOptions{})
		s.Volumes = list.Volumes
		return wrap("list volumes", err)
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	s.Containers = e.withDetails(ctx, list)
	return s, nil
}

// withDetails adds each container's host config, inspecting only containers
// not seen before, and forgets the ones gone.
func (e *Engine) withDetails(ctx context.Context, list []container.Summary) []Container {
	out := make([]Container, 0, len(list))
	seen := make(map[string]bool, len(list))
	for _, c := range list {
		seen[c.ID] = true
		d, ok := e.details[c.ID]
		if !ok {
			if inspect, err := e.Client.ContainerInspect(ctx, c.ID); err == nil && inspect.ContainerJSONBase != nil {
				d.hostConfig = inspect.HostConfig
				if inspect.Config != nil {
					d.exposedPorts = inspect.Config.ExposedPorts
				}
				e.details[c.ID] = d
			}
		}
		out = append(out, Container{Summary: c, HostConfig: d.hostConfig, ExposedPorts: d.exposedPorts})
	}
	for id := range e.details {
		if !seen[id] {
			delete(e.details, id)
		}
	}
	return out
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Reservation is what the container reserves of its node: CPU counts
// CpuShares as whole cores (classic Swarm's meaning) plus NanoCPUs (--cpus),
// memory is HostConfig.Memory.
func Reservation(hc *container.HostConfig) (nanoCPUs, memory int64) {
	if hc == nil {
		return 0, 0
	}
	return hc.CPUShares*1e9 + hc.NanoCPUs, hc.Memory
}
