package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"drover/internal/engine"
	"drover/internal/placement"
)

// Objects that live on one engine (local networks, local volumes, containers)
// are named node/name through the manager, as classic Swarm named them. This
// file holds what the resources share about such references: splitting them,
// routing them, asking every engine at once, and choosing the node of a new
// network or volume.

// splitNodeRef splits node/name. ok is false when ref names no node.
func splitNodeRef(ref string) (node, name string, ok bool) {
	node, name, ok = strings.Cut(ref, "/")
	if !ok || node == "" || name == "" {
		return "", ref, false
	}
	return node, name, true
}

// nodeRefPath returns the path the router must see when path holds a
// node/name reference, which the docker CLI sends with its slash unescaped
// (/containers/node-1/web/json, /networks/node-1/net/connect,
// /volumes/node-1/vol): the same path with that slash escaped, so that the
// reference is one segment. It returns "" when path holds no such reference.
//
// A segment count alone would be ambiguous, so each resource's route shapes
// decide:
//
//	/containers/{ref}/{action}   /containers/{ref}/attach/ws   DELETE /containers/{ref}
//	GET, DELETE /networks/{ref}  POST /networks/{ref}/{connect,disconnect}
//	GET, DELETE /volumes/{ref}
func nodeRefPath(method, path string) string {
	resource, rest, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if !ok {
		return ""
	}
	segs := strings.Split(rest, "/")
	if len(segs) < 2 || slices.Contains(segs, "") {
		return ""
	}
	after := segs[2:] // what follows a two-segment reference
	var isRef bool
	switch resource {
	case "containers":
		switch len(after) {
		case 0:
			isRef = method == http.MethodDelete
		case 1:
			isRef = !(segs[1] == "attach" && after[0] == "ws") // /containers/{id}/attach/ws
		case 2:
			isRef = after[0] == "attach" && after[1] == "ws"
		}
	case "networks":
		switch len(after) {
		case 0:
			isRef = method == http.MethodGet || method == http.MethodDelete
		case 1:
			isRef = method == http.MethodPost
		}
	case "volumes":
		isRef = len(after) == 0 && (method == http.MethodGet || method == http.MethodDelete)
	}
	if !isRef {
		return ""
	}
	var b strings.Builder
	b.WriteString("/" + resource + "/" + url.PathEscape(segs[0]+"/"+segs[1]))
	for _, s := range after {
		b.WriteString("/" + url.PathEscape(s))
	}
	return b.String()
}

// nodeNameOf is the name the manager shows for an engine.
func nodeNameOf(e *engine.Engine) string { return e.State().Name(e.Addr) }

// onEachEngine calls fn on every engine at once; the answers keep the engines'
// order.
func onEachEngine[T any](ctx context.Context, engines []*engine.Engine, fn func(context.Context, *engine.Engine) (T, error)) ([]T, []error) {
	out := make([]T, len(engines))
	errs := make([]error, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Go(func() {
			out[i], errs[i] = fn(ctx, e)
			errs[i] = engine.Unwrap(errs[i])
		})
	}
	wg.Wait()
	return out, errs
}

// listedEngines keeps the engines whose listing answered. An engine that
// refuses the request itself (a bad filter) speaks for all, as every engine
// would refuse it alike; one that fails otherwise is left out of the listing.
func (s *Server) listedEngines(what string, engines []*engine.Engine, errs []error) ([]bool, error) {
	ok := make([]bool, len(engines))
	for i, err := range errs {
		switch {
		case err == nil:
			ok[i] = true
		case cerrdefs.IsInvalidArgument(err):
			return nil, err
		default:
			s.lg.Info("engine left out of the listing", zap.String("what", what), zap.String("engine", engines[i].Addr), zap.Error(err))
		}
	}
	return ok, nil
}

// filterKeyNode is the filter, classic Swarm's for images, that keeps the
// objects of the named nodes; engines don't know it, so the manager applies it.
const filterKeyNode = "node"

// listFilters reads the filters query parameter and takes the node filter out.
func listFilters(c *gin.Context) (nodes []string, args filters.Args, err error) {
	args, err = filters.FromJSON(c.Query("filters"))
	if err != nil {
		return nil, args, errInvalid("%s", err.Error())
	}
	nodes = args.Get(filterKeyNode)
	for _, n := range nodes {
		args.Del(filterKeyNode, n)
	}
	return nodes, args, nil
}

// healthyOn lists the healthy engines named in nodes, or all of them when
// nodes is empty.
func (s *Server) healthyOn(nodes []string) []*engine.Engine {
	all := s.opts.Pool.Healthy()
	if len(nodes) == 0 {
		return all
	}
	var out []*engine.Engine
	for _, e := range all {
		if slices.Contains(nodes, nodeNameOf(e)) || slices.Contains(nodes, e.Addr) {
			out = append(out, e)
		}
	}
	return out
}

// nodeEngine is the healthy engine named node (its name or address).
func (s *Server) nodeEngine(node string) (*engine.Engine, bool) {
	e, ok := s.opts.Pool.ByName(node)
	if !ok || !e.State().Healthy {
		return nil, false
	}
	return e, true
}

// errNoSuchNode answers a create that names a node the pool lacks.
func (s *Server) errNoSuchNode(node string) error {
	var names []string
	for _, e := range s.opts.Pool.Healthy() {
		names = append(names, nodeNameOf(e))
	}
	return errInvalid("no healthy node named %s (nodes: %s)", node, strings.Join(names, ", "))
}

// decodeJSONBody reads a JSON request body into v, with the engine's words for
// an empty or malformed one.
func decodeJSONBody(c *gin.Context, v any) error {
	err := json.NewDecoder(c.Request.Body).Decode(v)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF):
		return errInvalid("got EOF while reading request body")
	default:
		return errInvalid("%s", err.Error())
	}
}

// chooseNode picks the node of a new network or volume among engines:
// those meeting the constraints the labels carry (placement.LabelConstraints,
// as on a container: ["node==node-2"]), then the one holding the fewest such
// objects (held[i] for engines[i]); ties go to the first, engines being in
// name order.
func (s *Server) chooseNode(engines []*engine.Engine, held []int, labels map[string]string) (*engine.Engine, error) {
	nodes := make([]*placement.Node, len(engines))
	for i, e := range engines {
		nodes[i] = constraintNode(e)
	}
	i, err := pickNode(s.opts.Scheduler, nodes, held, labels)
	if err != nil {
		return nil, err
	}
	return engines[i], nil
}

// pickNode is chooseNode over placement's view of the engines. The
// scheduler's filters (those selected with --filter) decide which nodes meet
// the constraints; the node's count, not the strategy, decides among them.
func pickNode(sched *placement.Scheduler, nodes []*placement.Node, held []int, labels map[string]string) (int, error) {
	ok := make([]bool, len(nodes))
	anyOK := false
	for i, n := range nodes {
		ok[i] = n.Healthy
		anyOK = anyOK || ok[i]
	}
	if !anyOK {
		return -1, placement.ErrNoHealthyNode
	}
	if raw, found := labels[placement.LabelConstraints]; found && sched != nil {
		req, err := placement.NewRequest("", &container.Config{Labels: map[string]string{placement.LabelConstraints: raw}}, nil, nil)
		if err != nil {
			return -1, errInvalid("%s", err.Error())
		}
		anyOK = false
		for i := range nodes {
			if ok[i] {
				_, err := sched.Place(req, nodes[i:i+1])
				ok[i] = err == nil
				anyOK = anyOK || ok[i]
			}
		}
		if !anyOK {
			_, err := sched.Place(req, nodes)
			return -1, err
		}
	}
	return fewestHeld(held, ok), nil
}

// fewestHeld is the index of the smallest held[i] with ok[i], the first on ties;
// -1 when no ok[i].
func fewestHeld(held []int, ok []bool) int {
	best := -1
	for i := range held {
		if ok[i] && (best < 0 || held[i] < held[best]) {
			best = i
		}
	}
	return best
}

// constraintNode describes an engine to the constraint filter: its name, ID
// and labels (engine labels and classic Swarm's default tags). A network or
// volume competes with no container, so the node holds none.
func constraintNode(e *engine.Engine) *placement.Node {
	st := e.State()
	labels := map[string]string{
		"node":            st.Info.Name,
		"storagedriver":   st.Info.Driver,
		"executiondriver": "native",
		"kernelversion":   st.Info.KernelVersion,
		"operatingsystem": st.Info.OperatingSystem,
	}
	for _, l := range st.Info.Labels {
		k, v, _ := strings.Cut(l, "=")
		labels[k] = v
	}
	return &placement.Node{
		ID: st.Info.ID, Name: st.Name(e.Addr), Addr: e.Addr, IP: e.IP,
		Labels: labels, Healthy: st.Healthy,
		NanoCPUs: int64(st.Info.NCPU) * 1e9, Memory: st.Info.MemTotal,
	}
}

// errAmbiguous is the error for a reference several nodes answer to.
func errAmbiguous(kind, ref string, where []string) error {
	return errInvalid("multiple %s match %q: name one of %s", kind, ref, strings.Join(where, ", "))
}
