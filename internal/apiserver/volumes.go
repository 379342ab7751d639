package apiserver

import (
	"context"
	"fmt"
	"net/http"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/gin-gonic/gin"

	"drover/internal/engine"
)

// Volumes. A volume of scope local exists on one engine and is named
// node/name through the manager; a global one (a multi-host driver's) is one
// volume however many engines see it. A new volume is created on one node:
// the one its name names (node-2/data), else the one already holding a
// volume of that name (a create is idempotent), else the one of the nodes
// meeting its constraint label with the fewest volumes; a docker-compose
// project's volumes go where its networks and volumes are (projectEngines).

func (s *Server) volumeRoutes(r *gin.Engine) {
	r.GET("/volumes", s.listVolumes)
	r.GET("/volumes/:name", s.inspectVolume)
	r.POST("/volumes/create", s.createVolume)
	r.POST("/volumes/prune", s.pruneVolumes)
	r.DELETE("/volumes/:name", s.removeVolume)
}

// listVolumes merges every healthy engine's volumes.
func (s *Server) listVolumes(c *gin.Context) {
	nodes, args, err := listFilters(c)
	if err != nil {
		writeError(c, err)
		return
	}
	engines := s.healthyOn(nodes)
	lists, errs := onEachEngine(c.Request.Context(), engines, func(ctx context.Context, e *engine.Engine) (volume.ListResponse, error) {
		return e.Client.VolumeList(ctx, volume.ListOptions{Filters: args})
	})
	ok, err := s.listedEngines("volumes", engines, errs)
	if err != nil {
		writeError(c, err)
		return
	}
	var names []string
	var answered []volume.ListResponse
	for i, e := range engines {
		if ok[i] {
			names = append(names, nodeNameOf(e))
			answered = append(answered, lists[i])
		}
	}
	writeJSON(c, http.StatusOK, mergeVolumes(names, answered))
}

// mergeVolumes lists the volumes of each node (lists[i] is node names[i]'s)
// as one engine would: local ones named node/name, global ones once.
func mergeVolumes(names []string, lists []volume.ListResponse) volume.ListResponse {
	out := volume.ListResponse{Volumes: []*volume.Volume{}}
	seen := map[string]bool{}
	for i, list := range lists {
		for _, v := range list.Volumes {
			if v == nil {
				continue
			}
			if isLocalScope(v.Scope) {
				local := *v
				local.Name = names[i] + "/" + v.Name
				v = &local
			} else if key := v.Driver + "/" + v.Name; seen[key] {
				continue
			} else {
				seen[key] = true
			}
			out.Volumes = append(out.Volumes, v)
		}
		for _, w := range list.Warnings {
			out.Warnings = append(out.Warnings, names[i]+": "+w)
		}
	}
	return out
}

// foundVolume is a volume as one engine answered its inspect.
type foundVolume struct {
	engine  *engine.Engine
	node    string
	inspect volume.Volume
	raw     []byte
}

// findVolume finds the volumes a reference names: node/name, or a name that
// each engine resolves itself. It answers several only for a global volume
// seen by several engines.
func (s *Server) findVolume(ctx context.Context, ref string) ([]foundVolume, error) {
	if node, name, ok := splitNodeRef(ref); ok {
		e, found := s.nodeEngine(node)
		if !found {
			return nil, errNoSuchVolume(ref)
		}
		v, raw, err := e.Client.VolumeInspectWithRaw(ctx, name)
		if err != nil {
			if cerrdefs.IsNotFound(err) {
				return nil, errNoSuchVolume(ref)
			}
			return nil, engine.Unwrap(err)
		}
		return []foundVolume{{engine: e, node: nodeNameOf(e), inspect: v, raw: raw}}, nil
	}
	engines := s.opts.Pool.Healthy()
	type answer struct {
		v   volume.Volume
		raw []byte
	}
	answers, errs := onEachEngine(ctx, engines, func(ctx context.Context, e *engine.Engine) (answer, error) {
		v, raw, err := e.Client.VolumeInspectWithRaw(ctx, ref)
		return answer{v, raw}, err
	})
	var found []foundVolume
	for i, err := range errs {
		switch {
		case err == nil:
			found = append(found, foundVolume{engine: engines[i], node: nodeNameOf(engines[i]), inspect: answers[i].v, raw: answers[i].raw})
		case !cerrdefs.IsNotFound(err):
			return nil, err
		}
	}
	return pickVolumes(ref, found)
}

// pickVolumes decides what the engines' answers to ref name: the one answer,
// or one global volume seen by several. Several local volumes are ambiguous.
func pickVolumes(ref string, found []foundVolume) ([]foundVolume, error) {
	if len(found) == 0 {
		return nil, errNoSuchVolume(ref)
	}
	global := true
	for _, f := range found {
		global = global && !isLocalScope(f.inspect.Scope) && f.inspect.Driver == found[0].inspect.Driver
	}
	if len(found) == 1 || global {
		return found, nil
	}
	where := make([]string, len(found))
	for i, f := range found {
		where[i] = f.node + "/" + f.inspect.Name
	}
	return nil, errAmbiguous("volumes", ref, where)
}

// errNoSuchVolume is an engine's answer for a missing volume.
func errNoSuchVolume(ref string) error {
	return cerrdefs.ErrNotFound.WithMessage("get " + ref + ": no such volume")
}

// inspectVolume answers the engine's inspect, a local volume named node/name
// as in the listing.
func (s *Server) inspectVolume(c *gin.Context) {
	found, err := s.findVolume(c.Request.Context(), c.Param("name"))
	if err != nil {
		writeError(c, err)
		return
	}
	body, err := withNodeName(found[0].raw, found[0].node, found[0].inspect.Scope)
	if err != nil {
		writeError(c, fmt.Errorf("decode volume inspect from %s: %w", found[0].engine.Addr, err))
		return
	}
	writeJSON(c, http.StatusOK, body)
}

// createVolume creates the volume on one node and answers it named as the
// listing names it.
func (s *Server) createVolume(c *gin.Context) {
	ctx := c.Request.Context()
	var req volume.CreateOptions
	if err := decodeJSONBody(c, &req); err != nil {
		writeError(c, err)
		return
	}
	e, err := s.volumeNode(ctx, &req)
	if err != nil {
		writeError(c, err)
		return
	}
	v, err := e.Client.VolumeCreate(ctx, req)
	if err != nil {
		writeError(c, engine.Unwrap(err))
		return
	}
	if isLocalScope(v.Scope) {
		v.Name = nodeNameOf(e) + "/" + v.Name
	}
	writeJSON(c, http.StatusCreated, v)
}

// composeProjectLabel marks what docker-compose makes for a project.
const composeProjectLabel = "com.docker.compose.project"

// projectEngines keeps, of engines, those that hold a network or a volume of
// the docker-compose project a new network or volume is labelled with: a
// project's containers join its default network and mount its volumes, and
// placement puts a container with its node-local networks and volumes, so
// they must all be on one node. Compose makes the networks first, then the
// volumes, then the containers. engines is returned as it is for an object
// of no project, or of a project with nothing on any engine yet.
func projectEngines(ctx context.Context, engines []*engine.Engine, labels map[string]string) ([]*engine.Engine, error) {
	project, ok := labels[composeProjectLabel]
	if !ok {
		return engines, nil
	}
	args := filters.NewArgs(filters.Arg("label", composeProjectLabel+"="+project))
	holds, errs := onEachEngine(ctx, engines, func(ctx context.Context, e *engine.Engine) (bool, error) {
		nets, err := e.Client.NetworkList(ctx, network.ListOptions{Filters: args})
		if err != nil || len(nets) > 0 {
			return len(nets) > 0, err
		}
		vols, err := e.Client.VolumeList(ctx, volume.ListOptions{Filters: args})
		return len(vols.Volumes) > 0, err
	})
	var kept []*engine.Engine
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("list project %s on %s: %w", project, nodeNameOf(engines[i]), err)
		}
		if holds[i] {
			kept = append(kept, engines[i])
		}
	}
	if len(kept) == 0 {
		return engines, nil
	}
	return kept, nil
}

// volumeNode chooses the node of a new volume, taking a node prefix off its
// name.
func (s *Server) volumeNode(ctx context.Context, req *volume.CreateOptions) (*engine.Engine, error) {
	if node, name, ok := splitNodeRef(req.Name); ok {
		e, found := s.nodeEngine(node)
		if !found {
			return nil, s.errNoSuchNode(node)
		}
		req.Name = name
		return e, nil
	}
	if req.Name != "" {
		found, err := s.findVolume(ctx, req.Name)
		switch {
		case err == nil:
			return found[0].engine, nil // the engine answers as for a second create
		case !cerrdefs.IsNotFound(err):
			return nil, err
		}
	}
	engines, err := projectEngines(ctx, s.opts.Pool.Healthy(), req.Labels)
	if err != nil {
		return nil, err
	}
	lists, errs := onEachEngine(ctx, engines, func(ctx context.Context, e *engine.Engine) (volume.ListResponse, error) {
		return e.Client.VolumeList(ctx, volume.ListOptions{})
	})
	held := make([]int, len(engines))
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("list volumes on %s: %w", nodeNameOf(engines[i]), err)
		}
		held[i] = len(lists[i].Volumes)
	}
	return s.chooseNode(engines, held, req.Labels)
}

// removeVolume removes the volume from its node (a global one through each
// engine that sees it).
func (s *Server) removeVolume(c *gin.Context) {
	ctx := c.Request.Context()
	force, err := boolQuery(c, "force")
	if err != nil {
		writeError(c, err)
		return
	}
	found, err := s.findVolume(ctx, c.Param("name"))
	if err != nil {
		writeError(c, err)
		return
	}
	for i, f := range found {
		err := f.engine.Client.VolumeRemove(ctx, f.inspect.Name, force)
		if err != nil && !(i > 0 && cerrdefs.IsNotFound(err)) { // gone with the first
			writeError(c, engine.Unwrap(err))
			return
		}
	}
	c.Status(http.StatusNoContent)
}

// pruneVolumes prunes every healthy node (or those of the node filter).
func (s *Server) pruneVolumes(c *gin.Context) {
	nodes, args, err := listFilters(c)
	if err != nil {
		writeError(c, err)
		return
	}
	engines := s.healthyOn(nodes)
	reports, errs := onEachEngine(c.Request.Context(), engines, func(ctx context.Context, e *engine.Engine) (volume.PruneReport, error) {
		return e.Client.VolumesPrune(ctx, args)
	})
	ok, err := s.listedEngines("volume prune", engines, errs)
	if err != nil {
		writeError(c, err)
		return
	}
	merged := volume.PruneReport{VolumesDeleted: []string{}}
	for i, e := range engines {
		if !ok[i] {
			continue
		}
		for _, name := range reports[i].VolumesDeleted {
			merged.VolumesDeleted = append(merged.VolumesDeleted, nodeNameOf(e)+"/"+name)
		}
		merged.SpaceReclaimed += reports[i].SpaceReclaimed
	}
	writeJSON(c, http.StatusOK, merged)
}
