package reconciler

import (
	"context"
	"errors"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"go.uber.org/zap"

	"drover/internal/engine"
	"drover/internal/store"
)

// carryOut performs the container's pending lifecycle operation on its
// engine, once, and reports the outcome as the observed generation. An
// engine's answer, success or refusal, is the outcome; an engine that cannot
// be reached is retried.
func (r *containerReconciler) carryOut(ctx context.Context, rec store.Record) (Result, error) {
	c, st := rec.Container, *rec.Status
	op := c.Op
	e, ok := r.pool.Get(st.Node)
	if !ok || !e.State().Healthy {
		return Result{}, fmt.Errorf("%s of %s: node %s is not healthy", op.Kind, c.ID, st.Node)
	}
	engineID, err := r.findBySwarmID(ctx, e, c.ID)
	if err != nil {
		return Result{}, err
	}
	st.OpFailure, st.OpNotModified, st.OpWarnings = nil, false, nil
	if engineID == "" {
		// Gone from its engine: a remove is done, anything else fails as
		// the engine would fail it.
		if op.Kind != store.OpRemove {
			st.OpFailure = store.FailureOf(cerrdefs.ErrNotFound.WithMessage("No such container: " + st.EngineID))
		}
	} else if err := r.perform(ctx, e, engineID, op, &st); err != nil {
		if !isAnswer(err) {
			return Result{}, fmt.Errorf("%s of %s on %s: %w", op.Kind, c.ID, e.Addr, err)
		}
		st.OpFailure = store.FailureOf(engine.Unwrap(err))
	}
	e.Kick()
	if op.Kind == store.OpRemove && st.OpFailure == nil {
		r.lg.Info("container removed", zap.String("container", c.ID), zap.String("node", e.Addr))
		if err := r.store.DeleteRecord(ctx, r.fence, c.ID, rec.StatusRev); err != nil {
			return Result{}, err
		}
		r.markCarried(c.ID, c.Generation)
		return Result{}, nil
	}
	st.ObservedGeneration, st.Epoch = c.Generation, r.fence.Epoch()
	err = r.store.SetStatus(ctx, r.fence, c.ID, rec.SpecRev, st)
	if errors.Is(err, store.ErrConflict) {
		return Result{}, nil // a newer operation came in: its change requeues the container
	}
	if err == nil {
		r.markCarried(c.ID, c.Generation)
	}
	return Result{}, err
}

// perform makes the engine call of one operation.
func (r *containerReconciler) perform(ctx context.Context, e *engine.Engine, engineID string, op *store.Operation, st *store.Status) error {
	cli := e.Client
	switch op.Kind {
	case store.OpStart, store.OpStop:
		inspect, err := cli.ContainerInspect(ctx, engineID)
		if err != nil {
			return err
		}
		// Starting a running container, or stopping a stopped one, is the
		// engine's 304: nothing to do.
		if running := inspect.State != nil && inspect.State.Running; running == (op.Kind == store.OpStart) {
			st.OpNotModified = true
			return nil
		}
		if op.Kind == store.OpStart {
			return cli.ContainerStart(ctx, engineID, container.StartOptions{})
		}
		return cli.ContainerStop(ctx, engineID, container.StopOptions{Signal: op.Signal, Timeout: op.Timeout})
	case store.OpKill:
		return cli.ContainerKill(ctx, engineID, op.Signal)
	case store.OpRestart:
		return cli.ContainerRestart(ctx, engineID, container.StopOptions{Signal: op.Signal, Timeout: op.Timeout})
	case store.OpPause:
		return cli.ContainerPause(ctx, engineID)
	case store.OpUnpause:
		return cli.ContainerUnpause(ctx, engineID)
	case store.OpRename:
		return cli.ContainerRename(ctx, engineID, op.Name)
	case store.OpUpdate:
		resp, err := cli.ContainerUpdate(ctx, engineID, *op.Update)
		st.OpWarnings = resp.Warnings
		return err
	case store.OpRemove:
		return cli.ContainerRemove(ctx, engineID, container.RemoveOptions{Force: op.Force, RemoveVolumes: op.RemoveVolumes, RemoveLinks: op.RemoveLinks})
	}
	return cerrdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf("unknown operation %q", op.Kind))
}
