package apiserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"drover/internal/engine"
	"drover/internal/placement"
	"drover/internal/store"
)

// listContainers merges every healthy engine's containers, each name prefixed
// with its node's.
func (s *Server) listContainers(c *gin.Context) {
	opts, err := listOptions(c)
	if err != nil {
		writeError(c, err)
		return
	}
	engines := s.opts.Pool.Healthy()
	lists := make([][]container.Summary, len(engines))
	errs := make([]error, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lists[i], errs[i] = e.Client.ContainerList(c.Request.Context(), opts)
		}()
	}
	wg.Wait()
	merged := []container.Summary{}
	for i, e := range engines {
		if errs[i] != nil {
			if cerrdefs.IsInvalidArgument(errs[i]) {
				writeError(c, engine.Unwrap(errs[i]))
				return
			}
			s.lg.Info("engine left out of the listing", zap.String("engine", e.Addr), zap.Error(errs[i]))
			continue
		}
		node := e.State().Name(e.Addr)
		for _, ctr := range lists[i] {
			if !opts.All && isDroverImage(ctr.Image) {
				continue // as classic Swarm hid its own containers
			}
			for j, name := range ctr.Names {
				ctr.Names[j] = "/" + node + name
			}
			for j := range ctr.Ports {
				if ctr.Ports[j].IP == "0.0.0.0" {
					ctr.Ports[j].IP = e.IP
				}
			}
			merged = append(merged, ctr)
		}
	}
	slices.SortStableFunc(merged, func(a, b container.Summary) int { return int(b.Created - a.Created) })
	if opts.Limit > 0 && len(merged) > opts.Limit {
		merged = merged[:opts.Limit]
	}
	writeJSON(c, http.StatusOK, merged)
}

// isDroverImage tells Drover's own image, by its repository's last path
// element: drover, drover:tag, registry/org/drover@sha256:….
func isDroverImage(ref string) bool {
	name, _, _ := strings.Cut(ref, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	return name == "drover" || strings.HasSuffix(name, "/drover")
}

func listOptions(c *gin.Context) (container.ListOptions, error) {
	var opts container.ListOptions
	var err error
	if opts.All, err = boolQuery(c, "all"); err != nil {
		return opts, err
	}
	if opts.Size, err = boolQuery(c, "size"); err != nil {
		return opts, err
	}
	if v := c.Query("limit"); v != "" {
		if opts.Limit, err = strconv.Atoi(v); err != nil {
			return opts, errInvalid("invalid limit %q: must be an integer", v)
		}
	}
	if opts.Filters, err = filters.FromJSON(c.Query("filters")); err != nil {
		return opts, errInvalid("%s", err.Error())
	}
	return opts, nil
}

// boolQuery reads a boolean query parameter the way an engine does: empty,
// 0, no, false and none are false, anything else is true.
func boolQuery(c *gin.Context, key string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(c.Query(key))) {
	case "", "0", "no", "false", "none":
		return false, nil
	}
	return true, nil
}

// pruneContainers prunes every healthy engine: the deleted containers
// listed, the space reclaimed summed. The records of managed containers
// among them go when the reconciler sees them gone.
func (s *Server) pruneContainers(c *gin.Context) {
	if _, err := filters.FromJSON(c.Query("filters")); err != nil {
		writeError(c, errInvalid("%s", err.Error()))
		return
	}
	engines := s.opts.Pool.Healthy()
	calls := callAll(c.Request.Context(), s.newCall(c, "/containers/prune"), engines, nil)
	reports := decodeEach[container.PruneReport](calls)
	kick(engines)
	if err := mergedError(calls); err != nil {
		writeError(c, err)
		return
	}
	merged := container.PruneReport{ContainersDeleted: []string{}}
	for _, r := range reports {
		merged.ContainersDeleted = append(merged.ContainersDeleted, r.ContainersDeleted...)
		merged.SpaceReclaimed += r.SpaceReclaimed
	}
	writeJSON(c, http.StatusOK, merged)
}

// validName is the engine's rule for container names.
var validName = regexp.MustCompile(`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`)

// createContainer writes the desired container to etcd and answers once the
// reconciler reports it created on an engine, or why it could not be.
func (s *Server) createContainer(c *gin.Context) {
	ctx := c.Request.Context()
	name := c.Query("name")
	if name != "" && !validName.MatchString(name) {
		writeError(c, errInvalid("Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name))
		return
	}
	name = strings.TrimPrefix(name, "/")
	var body container.CreateRequest
	if err := json.NewDecoder(c.Request.Body).Decode(&body); err != nil {
		if errors.Is(err, io.EOF) {
			writeError(c, errInvalid("config cannot be empty in order to create a container"))
			return
		}
		writeError(c, errInvalid("%s", err.Error()))
		return
	}
	if body.Config == nil {
		writeError(c, errInvalid("config cannot be empty in order to create a container"))
		return
	}
	if body.Image == "" {
		writeError(c, errInvalid("image name cannot be blank"))
		return
	}
	if _, err := placement.NewRequest(name, body.Config, body.HostConfig, body.NetworkingConfig); err != nil {
		writeError(c, errInvalid("%s", err.Error()))
		return
	}
	if body.HostConfig == nil {
		body.HostConfig = &container.HostConfig{}
	}
	desired := &store.Container{
		ID: newSwarmID(), Name: name, Config: body.Config, HostConfig: body.HostConfig,
		NetworkingConfig: body.NetworkingConfig, CreatedAt: time.Now().UTC(),
	}
	if auth := c.GetHeader("X-Registry-Auth"); auth != "" {
		// Kept only as long as the create can take, for the pull it may need.
		if err := s.opts.Store.PutRegistryAuth(ctx, desired.ID, auth, s.opts.CreateTimeout+opMargin); err != nil {
			writeError(c, err)
			return
		}
	}
	// Watch first: the reconciler's answer is then seen as it is written.
	wait, err := s.opts.Store.WatchContainer(ctx, desired.ID)
	if err != nil {
		writeError(c, err)
		return
	}
	defer wait.Close()
	if err := s.reserveAndWrite(ctx, desired); err != nil {
		writeError(c, err)
		return
	}
	st, err := s.awaitCreated(ctx, wait, desired.ID)
	if err != nil {
		writeError(c, err)
		return
	}
	s.remember(st.EngineID, st.Node)
	writeJSON(c, http.StatusCreated, container.CreateResponse{ID: st.EngineID, Warnings: []string{}})
}

// reserveAndWrite checks that no engine holds the name, then writes the
// desired container with its name reservation. A reservation left by a
// container that has since gone from every engine is stale and is released.
func (s *Server) reserveAndWrite(ctx context.Context, desired *store.Container) error {
	for attempt := 0; ; attempt++ {
		if desired.Name != "" {
			if err := s.checkNameFree(ctx, desired.Name); err != nil {
				return err
			}
		}
		_, err := s.opts.Store.CreateContainer(ctx, desired)
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
		holder, herr := s.opts.Store.NameHolder(ctx, desired.Name)
		if herr != nil || attempt > 0 {
			return errNameInUse(desired.Name, holder)
		}
		// No healthy engine holds the name: the reservation is stale unless a
		// create of that name is under way, or its container still exists
		// (on an engine that cannot answer now, or under another name after
		// a rename its engine refused).
		_, st, err := s.opts.Store.Container(ctx, holder)
		switch {
		case errors.Is(err, store.ErrNotFound):
			err = s.opts.Store.ReleaseName(ctx, desired.Name, holder)
		case err == nil && st != nil && st.Phase == store.PhaseFailed,
			err == nil && st != nil && st.Phase == store.PhaseCreated && s.goneFromEngine(ctx, st.Node, holder):
			err = s.opts.Store.DeleteContainer(ctx, holder)
		case err == nil:
			return errNameInUse(desired.Name, holder)
		}
		if err != nil {
			return err
		}
	}
}

// goneFromEngine reports whether the healthy engine at addr says it holds no
// container with the swarm id; false when the engine cannot say.
func (s *Server) goneFromEngine(ctx context.Context, addr, swarmID string) bool {
	e, ok := s.opts.Pool.Get(addr)
	if !ok || !e.State().Healthy {
		return false
	}
	list, err := e.Client.ContainerList(ctx, container.ListOptions{
		All: true, Filters: filters.NewArgs(filters.Arg("label", store.SwarmIDLabel+"="+swarmID)),
	})
	return err == nil && len(list) == 0
}

func errNameInUse(name, holder string) error {
	return errConflict("Conflict. The container name \"/%s\" is already in use by container \"%s\". You have to remove (or rename) that container to be able to reuse that name.", name, holder)
}

// checkNameFree fails with the engine's conflict when an engine holds name.
func (s *Server) checkNameFree(ctx context.Context, name string) error {
	holder, err := s.findByName(ctx, name)
	if err != nil {
		return err
	}
	if holder != "" {
		return errNameInUse(name, holder)
	}
	return nil
}

// findByName returns the ID of the container any healthy engine holds under
// name, or "".
func (s *Server) findByName(ctx context.Context, name string) (string, error) {
	opts := container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("name", "^/"+regexp.QuoteMeta(name)+"$"))}
	for _, e := range s.opts.Pool.Healthy() {
		list, err := e.Client.ContainerList(ctx, opts)
		if err != nil {
			return "", fmt.Errorf("list containers on %s: %w", e.Addr, engine.Unwrap(err))
		}
		if len(list) > 0 {
			return list[0].ID, nil
		}
	}
	return "", nil
}

// awaitCreated waits for the reconciler's verdict. A create that fails or
// times out leaves nothing behind: its record is deleted, and the reconciler
// removes any engine container whose record is gone.
func (s *Server) awaitCreated(ctx context.Context, wait *store.Wait, id string) (store.Status, error) {
	wctx, cancel := context.WithTimeout(ctx, s.opts.CreateTimeout)
	defer cancel()
	st, err := wait.Created(wctx)
	if err == nil && st.Phase == store.PhaseCreated {
		return st, nil
	}
	cleanup, ccancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer ccancel()
	if derr := s.opts.Store.DeleteContainer(cleanup, id); derr != nil {
		s.lg.Warn("failed create not cleaned up", zap.String("container", id), zap.Error(derr))
	}
	switch {
	case err == nil:
		return st, st.Failure.Err()
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		return st, fmt.Errorf("timed out after %s waiting for the container to be created: is a manager leading?", s.opts.CreateTimeout)
	default:
		return st, err
	}
}

func newSwarmID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// inspectContainer answers the engine's inspect with the Node object added and
// the HostIP 0.0.0.0 of published ports replaced by the node's IP.
func (s *Server) inspectContainer(c *gin.Context) {
	l, err := s.locate(c.Request.Context(), c.Param("name"))
	if err != nil {
		writeError(c, err)
		return
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(l.raw, &fields); err != nil {
		writeError(c, fmt.Errorf("decode inspect from %s: %w", l.engine.Addr, err))
		return
	}
	fields["Node"], _ = json.Marshal(nodeObject(l.engine))
	if l.inspect.NetworkSettings != nil && len(l.inspect.NetworkSettings.Ports) > 0 {
		var ns map[string]json.RawMessage
		if json.Unmarshal(fields["NetworkSettings"], &ns) == nil {
			ports := l.inspect.NetworkSettings.Ports
			for _, bindings := range ports {
				for i := range bindings {
					if bindings[i].HostIP == "0.0.0.0" {
						bindings[i].HostIP = l.engine.IP
					}
				}
			}
			ns["Ports"], _ = json.Marshal(ports)
			fields["NetworkSettings"], _ = json.Marshal(ns)
		}
	}
	writeJSON(c, http.StatusOK, fields)
}

// nodeObject is the Node field classic Swarm adds to a container's inspect.
func nodeObject(e *engine.Engine) map[string]any {
	st := e.State()
	labels := map[string]string{}
	for _, l := range st.Info.Labels {
		k, v, _ := strings.Cut(l, "=")
		labels[k] = v
	}
	return map[string]any{
		"Id":     st.Info.ID,
		"Ip":     e.IP,
		"Addr":   e.Scheme + "://" + e.Addr,
		"Name":   st.Name(e.Addr),
		"Cpus":   st.Info.NCPU,
		"Memory": st.Info.MemTotal,
		"Labels": labels,
	}
}
