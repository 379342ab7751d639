package engine

import (
	"context"
	"crypto/tls"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/versions"
	"go.uber.org/zap"
)

// Options configure a Pool.
type Options struct {
	Logger          *zap.Logger
	TLS             *tls.Config   // nil for plain TCP
	RefreshInterval time.Duration // how often each engine is read when nothing happens
}

// Pool is the set of engines Drover drives.
type Pool struct {
	opts  Options
	nodes chan []string

	mu        sync.RWMutex
	engines   map[string]*Engine
	cancels   map[string]context.CancelFunc
	listeners []func(*Engine, events.Message)
	watchers  []func(e *Engine, healthy bool)
}

// NewPool returns an empty pool; SetNodes fills it and Run drives it.
func NewPool(opts Options) *Pool {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = 5 * time.Second
	}
	return &Pool{
		opts:    opts,
		nodes:   make(chan []string, 1),
		engines: map[string]*Engine{},
		cancels: map[string]context.CancelFunc{},
	}
}

// OnEvent registers fn for every event of every engine. Call before Run.
func (p *Pool) OnEvent(fn func(*Engine, events.Message)) {
	p.listeners = append(p.listeners, fn)
}

// OnHealth registers fn for every engine whose health changes: one that
// stops answering, or answers again (or for the first time). Call before Run.
func (p *Pool) OnHealth(fn func(e *Engine, healthy bool)) {
	p.watchers = append(p.watchers, fn)
}

// SetNodes replaces the set of engine addresses; the latest call wins.
func (p *Pool) SetNodes(addrs []string) {
	for {
		select {
		case p.nodes <- slices.Clone(addrs):
			return
		default:
			select {
			case <-p.nodes:
			default:
			}
		}
	}
}

// Run drives the pool until ctx ends.
func (p *Pool) Run(ctx context.Context) {
	lg := p.opts.Logger
	for {
		select {
		case <-ctx.Done():
			return
		case addrs := <-p.nodes:
			p.apply(ctx, addrs, lg)
		}
	}
}

func (p *Pool) apply(ctx context.Context, addrs []string, lg *zap.Logger) {
	want := map[string]bool{}
	for _, a := range addrs {
		want[a] = true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for addr, cancel := range p.cancels {
		if !want[addr] {
			cancel()
			delete(p.cancels, addr)
			delete(p.engines, addr)
			lg.Info("engine left the pool", zap.String("engine", addr))
		}
	}
	for addr := range want {
		if p.engines[addr] != nil {
			continue
		}
		e, err := newEngine(addr, p.opts.TLS, lg)
		if err != nil {
			lg.Error("engine not added", zap.String("engine", addr), zap.Error(err))
			continue
		}
		ectx, cancel := context.WithCancel(ctx)
		p.engines[addr], p.cancels[addr] = e, cancel
		go e.run(ectx, p.opts.RefreshInterval, hooks{onEvent: p.dispatch, onHealth: p.healthChanged})
		lg.Info("engine joined the pool", zap.String("engine", addr))
	}
}

func (p *Pool) healthChanged(e *Engine, healthy bool) {
	for _, fn := range p.watchers {
		fn(e, healthy)
	}
}

func (p *Pool) dispatch(e *Engine, m events.Message) {
	for _, fn := range p.listeners {
		fn(e, m)
	}
}

// Engines lists the engines, ordered by name then address.
func (p *Pool) Engines() []*Engine {
	p.mu.RLock()
	out := make([]*Engine, 0, len(p.engines))
	for _, e := range p.engines {
		out = append(out, e)
	}
	p.mu.RUnlock()
	slices.SortFunc(out, func(a, b *Engine) int {
		if c := strings.Compare(a.State().Name(a.Addr), b.State().Name(b.Addr)); c != 0 {
			return c
		}
		return strings.Compare(a.Addr, b.Addr)
	})
	return out
}

// Healthy lists the engines whose last refresh succeeded.
func (p *Pool) Healthy() []*Engine {
	all := p.Engines()
	out := all[:0]
	for _, e := range all {
		if e.State().Healthy {
			out = append(out, e)
		}
	}
	return out
}

// WaitFresh waits, up to timeout, until every healthy engine's state was
// read after the last change it reported, so that a decision made on the
// states sees what the engines just did.
func (p *Pool) WaitFresh(ctx context.Context, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		fresh := true
		for _, e := range p.Healthy() {
			fresh = fresh && e.Fresh()
		}
		if fresh {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Get returns the engine at addr.
func (p *Pool) Get(addr string) (*Engine, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	e, ok := p.engines[addr]
	return e, ok
}

// ByName returns the engine with that name (or address).
func (p *Pool) ByName(name string) (*Engine, bool) {
	for _, e := range p.Engines() {
		if e.State().Info.Name == name || e.Addr == name {
			return e, true
		}
	}
	return nil, false
}

// APIVersion is the lowest API version among healthy engines, capped at max;
// max when no engine is healthy.
func (p *Pool) APIVersion(max string) string {
	v := max
	for _, e := range p.Healthy() {
		if ev := e.State().APIVersion; ev != "" && versions.LessThan(ev, v) {
			v = ev
		}
	}
	return v
}
