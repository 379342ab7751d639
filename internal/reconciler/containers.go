package reconciler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"go.uber.org/zap"

	"drover/internal/engine"
	"drover/internal/placement"
	"drover/internal/store"
)

// failedRecordTTL is how long a failed create stays readable before it is
// swept; the API that waited for it normally deletes it at once.
const failedRecordTTL = 2 * time.Minute

// containerReconciler converges one desired container, keyed by swarm id.
type containerReconciler struct {
	lg     *zap.Logger
	store  *store.Store
	mirror *store.Mirror
	pool   *engine.Pool
	sched  *placement.Scheduler
	fence  store.Fence
	// cluster is this cluster's ID, labelled on what it creates.
	cluster string

	// placeMu serialises placement decisions, so each sees the last one's
	// reservation; engine calls for different containers run in parallel.
	placeMu sync.Mutex
	// decided holds the placements this term made that the mirror may not
	// show yet (its watch trails the writes), so the next decision counts
	// them. Guarded by placeMu.
	decided map[string]store.Record

	// carried remembers the generation this term carried out last for each
	// container, until the mirror shows it: an engine event can requeue the
	// container before the status write reaches the mirror, and an
	// operation must not run twice (a second start revives a container that
	// has already exited).
	carriedMu sync.Mutex
	carried   map[string]int64

	rescheduleAfter time.Duration
}

func (r *containerReconciler) Reconcile(ctx context.Context, id string) (Result, error) {
	rec, ok := r.mirror.Get(id)
	if !ok {
		r.forgetCarried(id)
		return Result{}, r.removeEverywhere(ctx, id)
	}
	st := rec.Status
	if st != nil && st.Phase == store.PhaseCreated && rescheduled(rec.Container) {
		if wait, down := r.nodeDown(st.Node); down && wait > 0 {
			return Result{RequeueAfter: wait}, nil
		} else if down {
			return r.reschedule(ctx, rec)
		}
	}
	switch {
	case st == nil || st.Phase == store.PhasePending:
		return r.place(ctx, rec)
	case st.Phase == store.PhaseScheduled:
		return r.create(ctx, rec)
	case st.Phase == store.PhaseCreated && st.ObservedGeneration < rec.Container.Generation:
		if r.carriedOut(rec.Container.ID, rec.Container.Generation) {
			return Result{}, nil // done; the mirror's update requeues it
		}
		return r.carryOut(ctx, rec)
	case st.Phase == store.PhaseCreated:
		r.forgetCarried(rec.Container.ID)
		return r.observe(ctx, rec)
	case st.Phase == store.PhaseFailed:
		if age := time.Since(st.UpdatedAt); age < failedRecordTTL {
			return Result{RequeueAfter: failedRecordTTL - age}, nil
		}
		return Result{}, r.store.DeleteRecord(ctx, r.fence, id, rec.StatusRev)
	}
	return Result{}, Terminal(fmt.Errorf("container %s: unknown phase %q", id, st.Phase))
}

// place chooses a node and records it before anything touches an engine, so
// a retry after a crash goes back to the same node and finds its container.
func (r *containerReconciler) place(ctx context.Context, rec store.Record) (Result, error) {
	c := rec.Container
	req, err := placement.NewRequest(c.Name, c.Config, c.HostConfig, c.NetworkingConfig)
	if err != nil {
		return Result{}, r.fail(ctx, rec, cerrdefs.ErrInvalidArgument.WithMessage(err.Error()))
	}
	r.placeMu.Lock()
	defer r.placeMu.Unlock()
	// Decide on states that include what the engines just reported.
	r.pool.WaitFresh(ctx, 2*time.Second)
	decision, err := r.sched.Place(req, snapshots(r.pool.Engines(), r.recordsWithDecided()))
	if err != nil {
		return Result{}, r.fail(ctx, rec, err)
	}
	st := store.Status{Phase: store.PhaseScheduled, Node: decision.Node.Addr}
	if err := r.store.SetStatus(ctx, r.fence, c.ID, rec.SpecRev, st); err != nil {
		return Result{}, fmt.Errorf("record placement of %s on %s: %w", c.ID, st.Node, err)
	}
	r.decided[c.ID] = store.Record{Container: c, Status: &st}
	r.lg.Debug("placed", zap.String("container", c.ID), zap.String("node", decision.Node.Name))
	rec.Status = &st
	return r.create(ctx, rec)
}

// carriedOut reports whether this term already carried out generation gen
// of the container (observe forgets it once the mirror shows it).
func (r *containerReconciler) carriedOut(id string, gen int64) bool {
	r.carriedMu.Lock()
	defer r.carriedMu.Unlock()
	return r.carried[id] >= gen
}

func (r *containerReconciler) markCarried(id string, gen int64) {
	r.carriedMu.Lock()
	defer r.carriedMu.Unlock()
	r.carried[id] = gen
}

func (r *containerReconciler) forgetCarried(id string) {
	r.carriedMu.Lock()
	defer r.carriedMu.Unlock()
	delete(r.carried, id)
}

// recordsWithDecided is the mirror's records plus the placements decided
// that it does not show yet; the ones it shows are forgotten.
func (r *containerReconciler) recordsWithDecided() []store.Record {
	records := r.mirror.List()
	for id, d := range r.decided {
		rec, ok := r.mirror.Get(id)
		if !ok || (rec.Status != nil && rec.Status.Node != "") {
			delete(r.decided, id) // deleted, or the mirror caught up
			continue
		}
		records = append(records, d)
	}
	return records
}

// create makes the container on its node unless the node already has it.
func (r *containerReconciler) create(ctx context.Context, rec store.Record) (Result, error) {
	c, node := rec.Container, rec.Status.Node
	e, ok := r.pool.Get(node)
	if !ok || !e.State().Healthy {
		// The node left or failed before the container was made: place again.
		return Result{}, r.store.SetStatus(ctx, r.fence, c.ID, rec.SpecRev, store.Status{Phase: store.PhasePending})
	}
	engineID, err := r.findBySwarmID(ctx, e, c.ID)
	if err != nil {
		return Result{}, err
	}
	if engineID == "" {
		engineID, err = r.createOn(ctx, e, c)
		if err != nil {
			if isAnswer(err) {
				return Result{}, r.fail(ctx, rec, err)
			}
			return Result{}, fmt.Errorf("create %s on %s: %w", c.ID, node, err)
		}
	}
	e.Kick()
	if err := r.store.DeleteRegistryAuth(ctx, c.ID); err != nil {
		r.lg.Warn("registry auth not deleted; its lease will expire", zap.String("container", c.ID), zap.Error(err))
	}
	st := store.Status{Phase: store.PhaseCreated, Node: node, EngineID: engineID, Epoch: r.fence.Epoch()}
	if err := r.store.SetStatus(ctx, r.fence, c.ID, rec.SpecRev, st); err != nil {
		if !errors.Is(err, store.ErrConflict) {
			return Result{}, err
		}
		// The record changed meanwhile. Deleted: the container made for it
		// must not outlive it. Changed otherwise: the next pass finds the
		// container by its label and records it.
		if _, _, gerr := r.store.Container(ctx, c.ID); errors.Is(gerr, store.ErrNotFound) {
			return Result{}, r.removeEverywhere(ctx, c.ID)
		}
		return Result{}, err
	}
	return Result{}, nil
}

// createOn creates c on e, pulling its image first if e lacks it.
func (r *containerReconciler) createOn(ctx context.Context, e *engine.Engine, c *store.Container) (string, error) {
	cfg := *c.Config
	cfg.Labels = maps.Clone(cfg.Labels)
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	cfg.Labels[store.SwarmIDLabel] = c.ID
	cfg.Labels[store.ClusterLabel] = r.cluster
	cfg.Labels[store.EpochLabel] = strconv.FormatInt(r.fence.Epoch(), 10)
	hc, nc := engineNetworks(c.HostConfig, c.NetworkingConfig)
	hc = engineVolumes(hc)
	resp, err := e.Client.ContainerCreate(ctx, &cfg, hc, nc, nil, c.Name)
	if cerrdefs.IsNotFound(err) && !hasImage(ctx, e, cfg.Image) {
		// As classic Swarm did, the node pulls what it lacks. When the pull
		// fails the engine's own "No such image" stands, so that the docker
		// CLI pulls through the manager and shows the registry's answer.
		auth, authErr := r.store.RegistryAuth(ctx, c.ID)
		if authErr != nil {
			return "", authErr
		}
		if pullErr := pull(ctx, e, cfg.Image, auth); pullErr != nil {
			r.lg.Info("image pull failed", zap.String("image", cfg.Image), zap.String("node", e.Addr), zap.Error(pullErr))
			return "", engine.Unwrap(err)
		}
		resp, err = e.Client.ContainerCreate(ctx, &cfg, hc, nc, nil, c.Name)
	}
	if err != nil {
		return "", engine.Unwrap(err)
	}
	r.lg.Info("container created", zap.String("container", c.ID), zap.String("node", e.State().Info.Name), zap.String("engineId", resp.ID))
	return resp.ID, nil
}

// engineVolumes names volumes as the engine knows them: the cluster's
// node/name, in a bind (node/name:/path[:opts]) or a volume mount's source,
// is name on that node (placement put the container there). Host paths
// start with "/" and are left alone.
func engineVolumes(hc *container.HostConfig) *container.HostConfig {
	if hc == nil || len(hc.Binds) == 0 && len(hc.Mounts) == 0 {
		return hc
	}
	local := func(src string) string {
		if strings.HasPrefix(src, "/") {
			return src
		}
		if _, name, ok := strings.Cut(src, "/"); ok {
			return name
		}
		return src
	}
	h := *hc
	if len(hc.Binds) > 0 {
		h.Binds = make([]string, len(hc.Binds))
		for i, b := range hc.Binds {
			if src, rest, ok := strings.Cut(b, ":"); ok {
				b = local(src) + ":" + rest
			}
			h.Binds[i] = b
		}
	}
	if len(hc.Mounts) > 0 {
		h.Mounts = slices.Clone(hc.Mounts)
		for i := range h.Mounts {
			if h.Mounts[i].Type == mount.TypeVolume {
				h.Mounts[i].Source = local(h.Mounts[i].Source)
			}
		}
	}
	return &h
}

// engineNetworks names networks as the engine knows them: the cluster's
// node/name is name on that node (placement put the container there).
func engineNetworks(hc *container.HostConfig, nc *network.NetworkingConfig) (*container.HostConfig, *network.NetworkingConfig) {
	local := func(name string) string {
		if _, n, ok := strings.Cut(name, "/"); ok && !container.NetworkMode(name).IsContainer() {
			return n
		}
		return name
	}
	if hc != nil {
		h := *hc
		h.NetworkMode = container.NetworkMode(local(string(h.NetworkMode)))
		hc = &h
	}
	if nc != nil && len(nc.EndpointsConfig) > 0 {
		endpoints := make(map[string]*network.EndpointSettings, len(nc.EndpointsConfig))
		for name, ep := range nc.EndpointsConfig {
			endpoints[local(name)] = ep
		}
		nc = &network.NetworkingConfig{EndpointsConfig: endpoints}
	}
	return hc, nc
}

func hasImage(ctx context.Context, e *engine.Engine, ref string) bool {
	_, err := e.Client.ImageInspect(ctx, ref)
	return err == nil
}

func pull(ctx context.Context, e *engine.Engine, ref, auth string) error {
	rc, err := e.Client.ImagePull(ctx, ref, image.PullOptions{RegistryAuth: auth})
	if err != nil {
		return engine.Unwrap(err)
	}
	defer rc.Close()
	return jsonmessage.DisplayJSONMessagesStream(rc, io.Discard, 0, false, nil)
}

// observe checks that a created container still exists, once: one removed
// behind Drover's back (or by --rm) takes its record with it, and any other
// engine container carrying its swarm id — a deposed leader's late create,
// or a retry's — is removed.
func (r *containerReconciler) observe(ctx context.Context, rec store.Record) (Result, error) {
	id, st := rec.Container.ID, rec.Status
	home, ok := r.pool.Get(st.Node)
	if !ok || !home.State().Healthy {
		return Result{}, nil // rescheduling after node failure is decided elsewhere
	}
	// The home engine is asked; the others are looked at in their states,
	// read after their last event, so that a pool of hundreds of engines
	// costs no call per engine. A copy an engine reports later requeues the
	// container through its event.
	ids, err := r.listBySwarmID(ctx, home, id)
	if err != nil {
		return Result{}, err
	}
	found := false
	for _, engineID := range ids {
		if engineID == st.EngineID {
			found = true
		} else if err := r.removeCopy(ctx, home, id, engineID); err != nil {
			return Result{}, err
		}
	}
	r.pool.WaitFresh(ctx, 2*time.Second)
	for _, e := range r.pool.Healthy() {
		if e == home {
			continue
		}
		for _, c := range e.State().Containers {
			if c.Labels[store.SwarmIDLabel] == id && c.Labels[store.ClusterLabel] == r.cluster {
				if err := r.removeCopy(ctx, e, id, c.ID); err != nil {
					return Result{}, err
				}
			}
		}
	}
	if found {
		return Result{}, nil
	}
	r.lg.Info("container gone from its engine, dropping its record", zap.String("container", id))
	err = r.store.DeleteRecord(ctx, r.fence, id, rec.StatusRev)
	if errors.Is(err, store.ErrConflict) {
		return Result{}, nil // changed meanwhile: the change requeues it
	}
	return Result{}, err
}

// removeCopy removes a duplicate of a container: a deposed leader's late
// create, or the copy left on a node that came back after a reschedule.
func (r *containerReconciler) removeCopy(ctx context.Context, e *engine.Engine, id, engineID string) error {
	err := e.Client.ContainerRemove(ctx, engineID, container.RemoveOptions{Force: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove duplicate of %s on %s: %w", id, e.Addr, err)
	}
	r.lg.Warn("duplicate removed", zap.String("container", id), zap.String("node", e.Addr), zap.String("engineId", engineID))
	e.Kick()
	return nil
}

// fail records a create that cannot succeed.
func (r *containerReconciler) fail(ctx context.Context, rec store.Record, cause error) error {
	st := store.Status{Phase: store.PhaseFailed, Failure: store.FailureOf(cause)}
	if err := r.store.DeleteRegistryAuth(ctx, rec.Container.ID); err != nil {
		return err
	}
	if err := r.store.SetStatus(ctx, r.fence, rec.Container.ID, rec.SpecRev, st); err != nil {
		return err
	}
	return Terminal(cause)
}

// removeEverywhere removes every engine container carrying the swarm id:
// its record is gone, so it is an orphan.
func (r *containerReconciler) removeEverywhere(ctx context.Context, id string) error {
	var errs []error
	for _, e := range r.pool.Healthy() {
		engineID, err := r.findBySwarmID(ctx, e, id)
		if err != nil || engineID == "" {
			errs = append(errs, err)
			continue
		}
		err = e.Client.ContainerRemove(ctx, engineID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove orphan %s from %s: %w", id, e.Addr, err))
			continue
		}
		r.lg.Info("orphan removed", zap.String("container", id), zap.String("node", e.Addr))
		e.Kick()
	}
	return errors.Join(errs...)
}

// findBySwarmID asks the engine itself, not its cached state, which of this
// cluster's containers carries the swarm id ("" for none).
func (r *containerReconciler) findBySwarmID(ctx context.Context, e *engine.Engine, id string) (string, error) {
	ids, err := r.listBySwarmID(ctx, e, id)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

func (r *containerReconciler) listBySwarmID(ctx context.Context, e *engine.Engine, id string) ([]string, error) {
	list, err := e.Client.ContainerList(ctx, container.ListOptions{
		All: true,
		Filters: filters.NewArgs(
			filters.Arg("label", store.SwarmIDLabel+"="+id),
			filters.Arg("label", store.ClusterLabel+"="+r.cluster),
		),
	})
	if err != nil {
		return nil, fmt.Errorf("look for %s on %s: %w", id, e.Addr, err)
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	return ids, nil
}

// isAnswer tells an engine's answer, which a retry would only repeat, from a
// failure to get one (the engine unreachable, a timeout), worth retrying.
func isAnswer(err error) bool {
	return !client.IsErrConnectionFailed(err) && !errors.Is(err, context.DeadlineExceeded) &&
		!errors.Is(err, context.Canceled) && !cerrdefs.IsUnavailable(err)
}
