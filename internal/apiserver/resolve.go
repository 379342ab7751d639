package apiserver

import (
	"context"
	"encoding/json"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"

	"drover/internal/engine"
)

// located is a container found on its engine.
type located struct {
	engine  *engine.Engine
	inspect container.InspectResponse
	raw     []byte // the engine's inspect body, every field as the engine sent it
}

// locate finds the container a reference names: a full ID, a unique ID
// prefix, a name, or node/name. Each engine resolves the reference itself, so
// Drover's matching is exactly the engine's.
func (s *Server) locate(ctx context.Context, ref string) (*located, error) {
	if node, name, ok := strings.Cut(ref, "/"); ok && node != "" {
		e, found := s.opts.Pool.ByName(node)
		if !found {
			return nil, errNoSuchContainer(ref)
		}
		l, err := inspectOn(ctx, e, name)
		if cerrdefs.IsNotFound(err) {
			return nil, errNoSuchContainer(ref)
		}
		return l, err
	}
	if addr, ok := s.hint(ref); ok {
		if e, found := s.opts.Pool.Get(addr); found {
			if l, err := inspectOn(ctx, e, ref); err == nil {
				return l, nil
			}
		}
	}
	engines := s.opts.Pool.Healthy()
	found := make([]*located, len(engines))
	errs := make([]error, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			found[i], errs[i] = inspectOn(ctx, e, ref)
		}()
	}
	wg.Wait()
	var matches []*located
	for i, l := range found {
		switch {
		case l != nil && l.inspect.ID == ref:
			return l, nil // a full ID beats a name or prefix elsewhere
		case l != nil:
			matches = append(matches, l)
		case !cerrdefs.IsNotFound(errs[i]):
			return nil, errs[i]
		}
	}
	switch len(matches) {
	case 0:
		return nil, errNoSuchContainer(ref)
	case 1:
		s.remember(matches[0].inspect.ID, matches[0].engine.Addr)
		return matches[0], nil
	}
	nodes := make([]string, len(matches))
	for i, l := range matches {
		nodes[i] = l.engine.State().Name(l.engine.Addr) + "/" + strings.TrimPrefix(l.inspect.Name, "/")
	}
	return nil, errInvalid("multiple containers match %q: name one of %s", ref, strings.Join(nodes, ", "))
}

func inspectOn(ctx context.Context, e *engine.Engine, ref string) (*located, error) {
	_, raw, err := e.Client.ContainerInspectWithRaw(ctx, ref, false)
	if err != nil {
		return nil, engine.Unwrap(err)
	}
	l := &located{engine: e, raw: raw}
	if err := json.Unmarshal(raw, &l.inspect); err != nil || l.inspect.ContainerJSONBase == nil {
		return nil, errInvalid("engine %s answered an undecodable inspect for %s", e.Addr, ref)
	}
	return l, nil
}

const maxHints = 10000

func (s *Server) remember(id, addr string) {
	s.locatedMu.Lock()
	defer s.locatedMu.Unlock()
	if len(s.located) >= maxHints {
		clear(s.located)
	}
	s.located[id] = addr
}

func (s *Server) hint(ref string) (string, bool) {
	s.locatedMu.Lock()
	defer s.locatedMu.Unlock()
	addr, ok := s.located[ref]
	return addr, ok
}
