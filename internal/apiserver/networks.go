package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/network"
	"github.com/gin-gonic/gin"

	"drover/internal/engine"
	"drover/internal/placement"
)

// Networks. A network of scope local exists on one engine and is named
// node/name through the manager (node-1/bridge, node-2/mynet); a network of
// wider scope (swarm, global) is one network however many engines see it.
//
// A new network with a local driver (bridge, the default; classic Swarm's
// default, overlay, needs a cluster store these engines lack) is created on
// one node: the one its name names (node-2/mynet), else the one of the nodes
// meeting its constraint label with the fewest networks. A network of any
// other driver is passed to every node.

func (s *Server) networkRoutes(r *gin.Engine) {
	r.GET("/networks", s.listNetworks)
	r.GET("/networks/:id", s.inspectNetwork)
	r.POST("/networks/create", s.createNetwork)
	r.POST("/networks/prune", s.pruneNetworks)
	r.POST("/networks/:id/connect", s.connectNetwork)
	r.POST("/networks/:id/disconnect", s.disconnectNetwork)
	r.DELETE("/networks/:id", s.removeNetwork)
}

// scopeLocal is the scope of an object that exists on one engine only.
const scopeLocal = "local"

func isLocalScope(scope string) bool { return scope == scopeLocal || scope == "" }

// listNetworks merges every healthy engine's networks.
func (s *Server) listNetworks(c *gin.Context) {
	nodes, args, err := listFilters(c)
	if err != nil {
		writeError(c, err)
		return
	}
	engines := s.healthyOn(nodes)
	lists, errs := onEachEngine(c.Request.Context(), engines, func(ctx context.Context, e *engine.Engine) ([]network.Summary, error) {
		return e.Client.NetworkList(ctx, network.ListOptions{Filters: args})
	})
	ok, err := s.listedEngines("networks", engines, errs)
	if err != nil {
		writeError(c, err)
		return
	}
	var names []string
	var answered [][]network.Summary
	for i, e := range engines {
		if ok[i] {
			names = append(names, nodeNameOf(e))
			answered = append(answered, lists[i])
		}
	}
	writeJSON(c, http.StatusOK, mergeNetworks(names, answered))
}

// mergeNetworks lists the networks of each node (lists[i] is node names[i]'s)
// as one engine would: local ones named node/name, the others once.
func mergeNetworks(names []string, lists [][]network.Summary) []network.Summary {
	out := []network.Summary{}
	seen := map[string]bool{}
	for i, list := range lists {
		for _, n := range list {
			if isLocalScope(n.Scope) {
				n.Name = names[i] + "/" + n.Name
			} else if seen[n.ID] {
				continue
			}
			seen[n.ID] = true
			out = append(out, n)
		}
	}
	return out
}

// foundNetwork is a network as one engine answered its inspect.
type foundNetwork struct {
	engine  *engine.Engine
	node    string
	inspect network.Inspect
	raw     []byte
}

// findNetwork finds the networks a reference names: node/name, or a name,
// ID or ID prefix that each engine resolves itself. It answers several only
// for one network of wider scope seen by several engines (or made on each).
func (s *Server) findNetwork(ctx context.Context, ref string, opts network.InspectOptions) ([]foundNetwork, error) {
	if node, name, ok := splitNodeRef(ref); ok {
		if e, found := s.nodeEngine(node); found {
			n, raw, err := e.Client.NetworkInspectWithRaw(ctx, name, opts)
			if err != nil {
				if cerrdefs.IsNotFound(err) {
					return nil, errNoSuchNetwork(ref)
				}
				return nil, engine.Unwrap(err)
			}
			return []foundNetwork{{engine: e, node: nodeNameOf(e), inspect: n, raw: raw}}, nil
		}
		// No such node: the engines allow a slash in a network's name.
	}
	engines := s.opts.Pool.Healthy()
	type answer struct {
		n   network.Inspect
		raw []byte
	}
	answers, errs := onEachEngine(ctx, engines, func(ctx context.Context, e *engine.Engine) (answer, error) {
		n, raw, err := e.Client.NetworkInspectWithRaw(ctx, ref, opts)
		return answer{n, raw}, err
	})
	var found []foundNetwork
	for i, err := range errs {
		switch {
		case err == nil:
			found = append(found, foundNetwork{engine: engines[i], node: nodeNameOf(engines[i]), inspect: answers[i].n, raw: answers[i].raw})
		case !cerrdefs.IsNotFound(err):
			return nil, err
		}
	}
	return pickNetworks(ref, found)
}

// pickNetworks decides what the engines' answers to ref name: a network of
// that full ID; one network seen by several engines (same ID, or wider scope
// and same name); or the one answer. Several local networks are ambiguous.
func pickNetworks(ref string, found []foundNetwork) ([]foundNetwork, error) {
	if len(found) == 0 {
		return nil, errNoSuchNetwork(ref)
	}
	var byID []foundNetwork
	for _, f := range found {
		if f.inspect.ID == ref {
			byID = append(byID, f)
		}
	}
	if len(byID) > 0 {
		return byID, nil
	}
	sameID, wide := true, true
	for _, f := range found {
		sameID = sameID && f.inspect.ID == found[0].inspect.ID
		wide = wide && !isLocalScope(f.inspect.Scope) && f.inspect.Name == found[0].inspect.Name
	}
	if sameID || wide {
		return found, nil
	}
	where := make([]string, len(found))
	for i, f := range found {
		where[i] = f.node + "/" + f.inspect.Name
	}
	return nil, errAmbiguous("networks", ref, where)
}

func errNoSuchNetwork(ref string) error {
	return cerrdefs.ErrNotFound.WithMessage("network " + ref + " not found")
}

// inspectNetwork answers the engine's inspect, a local network named
// node/name as in the listing.
func (s *Server) inspectNetwork(c *gin.Context) {
	opts := network.InspectOptions{Scope: c.Query("scope")}
	var err error
	if opts.Verbose, err = boolQuery(c, "verbose"); err != nil {
		writeError(c, err)
		return
	}
	found, err := s.findNetwork(c.Request.Context(), c.Param("id"), opts)
	if err != nil {
		writeError(c, err)
		return
	}
	body, err := withNodeName(found[0].raw, found[0].node, found[0].inspect.Scope)
	if err != nil {
		writeError(c, fmt.Errorf("decode network inspect from %s: %w", found[0].engine.Addr, err))
		return
	}
	writeJSON(c, http.StatusOK, body)
}

// withNodeName returns an engine's inspect body, every field as the engine
// sent it, with the Name of a local object prefixed by its node's.
func withNodeName(raw []byte, node, scope string) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	if isLocalScope(scope) {
		var name string
		if err := json.Unmarshal(fields["Name"], &name); err != nil {
			return nil, err
		}
		fields["Name"], _ = json.Marshal(node + "/" + name)
	}
	return fields, nil
}

// localDrivers are the network drivers whose networks exist on one engine.
var localDrivers = map[string]bool{"": true, "bridge": true, "macvlan": true, "ipvlan": true, "host": true, "null": true}

// isLocalNetwork tells whether a network to create lives on one engine.
func isLocalNetwork(req *network.CreateRequest) bool {
	switch req.Scope {
	case scopeLocal:
		return true
	case "swarm", "global":
		return false
	}
	return localDrivers[req.Driver]
}

// createNetwork creates a local network on one node, any other on every node.
func (s *Server) createNetwork(c *gin.Context) {
	ctx := c.Request.Context()
	var req network.CreateRequest
	if err := decodeJSONBody(c, &req); err != nil {
		writeError(c, err)
		return
	}
	node, name, prefixed := splitNodeRef(req.Name)
	if prefixed {
		req.Name = name
	}
	var resp network.CreateResponse
	var err error
	switch {
	case prefixed:
		e, ok := s.nodeEngine(node)
		if !ok {
			writeError(c, s.errNoSuchNode(node))
			return
		}
		resp, err = s.createNetworkOn(ctx, e, &req)
	case isLocalNetwork(&req):
		resp, err = s.createLocalNetwork(ctx, &req)
	default:
		resp, err = s.createNetworkEverywhere(ctx, &req)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	writeJSON(c, http.StatusCreated, resp)
}

func (s *Server) createNetworkOn(ctx context.Context, e *engine.Engine, req *network.CreateRequest) (network.CreateResponse, error) {
	resp, err := e.Client.NetworkCreate(ctx, req.Name, req.CreateOptions)
	if err != nil {
		return resp, engine.Unwrap(err)
	}
	e.Kick()
	return resp, nil
}

// createLocalNetwork creates the network on the chosen node, unless a node
// already holds one of that name: the manager answers as one engine would.
// A docker-compose project's networks go where its networks and volumes are
// (projectEngines).
func (s *Server) createLocalNetwork(ctx context.Context, req *network.CreateRequest) (network.CreateResponse, error) {
	engines := s.opts.Pool.Healthy()
	lists, errs := onEachEngine(ctx, engines, func(ctx context.Context, e *engine.Engine) ([]network.Summary, error) {
		return e.Client.NetworkList(ctx, network.ListOptions{})
	})
	held := make(map[*engine.Engine]int, len(engines))
	for i, err := range errs {
		if err != nil {
			return network.CreateResponse{}, fmt.Errorf("list networks on %s: %w", nodeNameOf(engines[i]), err)
		}
		held[engines[i]] = len(lists[i])
		for _, n := range lists[i] {
			if n.Name == req.Name {
				return network.CreateResponse{}, errConflict("network with name %s already exists on %s", req.Name, nodeNameOf(engines[i]))
			}
		}
	}
	candidates, err := projectEngines(ctx, engines, req.Labels)
	if err != nil {
		return network.CreateResponse{}, err
	}
	counts := make([]int, len(candidates))
	for i, e := range candidates {
		counts[i] = held[e]
	}
	e, err := s.chooseNode(candidates, counts, req.Labels)
	if err != nil {
		return network.CreateResponse{}, err
	}
	return s.createNetworkOn(ctx, e, req)
}

// createNetworkEverywhere passes a multi-host network to every healthy node.
// Engines that share a cluster store see the first one made; the others get
// their own. A failure removes what was made.
func (s *Server) createNetworkEverywhere(ctx context.Context, req *network.CreateRequest) (network.CreateResponse, error) {
	engines := s.opts.Pool.Healthy()
	if len(engines) == 0 {
		return network.CreateResponse{}, placement.ErrNoHealthyNode
	}
	var made []*engine.Engine
	var ids []string
	var first network.CreateResponse
	var warnings []string
	for i, e := range engines {
		if i > 0 {
			if _, err := e.Client.NetworkInspect(ctx, first.ID, network.InspectOptions{}); err == nil {
				continue // the cluster store shares it
			}
		}
		resp, err := s.createNetworkOn(ctx, e, req)
		if err != nil {
			for j, m := range made {
				_ = m.Client.NetworkRemove(context.WithoutCancel(ctx), ids[j])
			}
			if i > 0 {
				err = fmt.Errorf("create on %s: %w", nodeNameOf(e), err)
			}
			return network.CreateResponse{}, err
		}
		if i == 0 {
			first = resp
		}
		made, ids = append(made, e), append(ids, resp.ID)
		if resp.Warning != "" {
			warnings = append(warnings, resp.Warning)
		}
	}
	first.Warning = strings.Join(warnings, "\n")
	return first, nil
}

// removeNetwork removes the network from its node, or a multi-host one from
// every node.
func (s *Server) removeNetwork(c *gin.Context) {
	ctx := c.Request.Context()
	found, err := s.findNetwork(ctx, c.Param("id"), network.InspectOptions{})
	if err != nil {
		writeError(c, err)
		return
	}
	for i, f := range found {
		err := f.engine.Client.NetworkRemove(ctx, f.inspect.ID)
		if err != nil && !(i > 0 && cerrdefs.IsNotFound(err)) { // gone with the first, through a shared store
			writeError(c, engine.Unwrap(err))
			return
		}
		f.engine.Kick()
	}
	c.Status(http.StatusNoContent)
}

// connectNetwork connects a container to a network of its own node.
func (s *Server) connectNetwork(c *gin.Context) {
	ctx := c.Request.Context()
	var body network.ConnectOptions
	if err := decodeEndpointBody(c, &body, &body.Container); err != nil {
		writeError(c, err)
		return
	}
	l, err := s.locate(ctx, body.Container)
	if err != nil {
		writeError(c, err)
		return
	}
	s.actOnNetwork(c, c.Param("id"), l, body.Container, func(onNode string) error {
		return l.engine.Client.NetworkConnect(ctx, onNode, l.inspect.ID, body.EndpointConfig)
	})
}

// decodeEndpointBody reads a connect or disconnect body, which must name a
// container (its field is container).
func decodeEndpointBody(c *gin.Context, body any, container *string) error {
	if err := decodeJSONBody(c, body); err != nil {
		return err
	}
	if *container == "" {
		return errInvalid("invalid name or ID supplied: %q", "")
	}
	return nil
}

// actOnNetwork runs act with the network as the container's node knows it,
// and answers as the engine did; a network of another node is explained.
func (s *Server) actOnNetwork(c *gin.Context, ref string, l *located, ctr string, act func(onNode string) error) {
	onNode, err := s.networkOnNode(ref, l.engine, ctr)
	if err == nil {
		err = engine.Unwrap(act(onNode))
	}
	if err != nil {
		writeError(c, s.explainElsewhere(c.Request.Context(), err, ref, l.engine, ctr))
		return
	}
	l.engine.Kick()
	c.Status(http.StatusOK)
}

// disconnectNetwork disconnects a container from a network of its node. A
// forced disconnect of a container no engine holds any more goes to the
// network's node, which may still hold its endpoint.
func (s *Server) disconnectNetwork(c *gin.Context) {
	ctx := c.Request.Context()
	var body network.DisconnectOptions
	if err := decodeEndpointBody(c, &body, &body.Container); err != nil {
		writeError(c, err)
		return
	}
	ref := c.Param("id")
	l, err := s.locate(ctx, body.Container)
	if cerrdefs.IsNotFound(err) && body.Force {
		found, ferr := s.findNetwork(ctx, ref, network.InspectOptions{})
		if ferr != nil {
			writeError(c, ferr)
			return
		}
		_, ctr, _ := splitNodeRef(body.Container)
		if err := found[0].engine.Client.NetworkDisconnect(ctx, found[0].inspect.ID, ctr, true); err != nil {
			writeError(c, engine.Unwrap(err))
			return
		}
		c.Status(http.StatusOK)
		return
	}
	if err != nil {
		writeError(c, err)
		return
	}
	s.actOnNetwork(c, ref, l, body.Container, func(onNode string) error {
		return l.engine.Client.NetworkDisconnect(ctx, onNode, l.inspect.ID, body.Force)
	})
}

// networkOnNode turns a network reference into the one engine e knows it
// by: node/name must name e's node, and becomes name.
func (s *Server) networkOnNode(ref string, e *engine.Engine, ctr string) (string, error) {
	node, name, ok := splitNodeRef(ref)
	if !ok {
		return ref, nil
	}
	ne, found := s.opts.Pool.ByName(node)
	switch {
	case !found:
		return ref, nil // a name with a slash in it
	case ne.Addr != e.Addr:
		return "", errOtherNode(ref, node, ctr, nodeNameOf(e))
	}
	return name, nil
}

// explainElsewhere turns the engine's "network … not found" into a clearer
// answer when the network exists, but on another node than the container's.
func (s *Server) explainElsewhere(ctx context.Context, err error, ref string, e *engine.Engine, ctr string) error {
	if !cerrdefs.IsNotFound(err) {
		return err
	}
	// Not found on the container's node: explain only when the network is
	// found, and found elsewhere alone.
	found, ferr := s.findNetwork(ctx, ref, network.InspectOptions{})
	if ferr != nil {
		return err
	}
	for _, f := range found {
		if f.engine.Addr == e.Addr {
			return err
		}
	}
	return errOtherNode(ref, found[0].node, ctr, nodeNameOf(e))
}

func errOtherNode(ref, netNode, ctr, ctrNode string) error {
	return errInvalid("network %s is on %s and container %s on %s: a container joins the networks of its own node only", ref, netNode, ctr, ctrNode)
}

// pruneNetworks prunes every healthy node (or those of the node filter).
func (s *Server) pruneNetworks(c *gin.Context) {
	nodes, args, err := listFilters(c)
	if err != nil {
		writeError(c, err)
		return
	}
	engines := s.healthyOn(nodes)
	reports, errs := onEachEngine(c.Request.Context(), engines, func(ctx context.Context, e *engine.Engine) (network.PruneReport, error) {
		return e.Client.NetworksPrune(ctx, args)
	})
	ok, err := s.listedEngines("network prune", engines, errs)
	if err != nil {
		writeError(c, err)
		return
	}
	merged := network.PruneReport{NetworksDeleted: []string{}}
	for i, e := range engines {
		if !ok[i] {
			continue
		}
		for _, name := range reports[i].NetworksDeleted {
			merged.NetworksDeleted = append(merged.NetworksDeleted, nodeNameOf(e)+"/"+name)
		}
		e.Kick()
	}
	writeJSON(c, http.StatusOK, merged)
}
