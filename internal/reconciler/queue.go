package reconciler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
	"k8s.io/client-go/util/workqueue"
)

// Reconciler converges one object, named by its key, to its desired state.
type Reconciler interface {
	Reconcile(ctx context.Context, key string) (Result, error)
}

// Result tells the queue when to look at the key again when nothing failed.
type Result struct {
	RequeueAfter time.Duration
}

// Terminal marks an error that retrying won't fix; Terminal(nil) is nil.
func Terminal(err error) error {
	if err == nil {
		return nil
	}
	return &terminalError{err: err}
}

type terminalError struct{ err error }

func (t *terminalError) Error() string { return t.err.Error() }
func (t *terminalError) Unwrap() error { return t.err }
func (t *terminalError) Is(target error) bool {
	_, ok := target.(*terminalError)
	return ok
}

// IsTerminal reports whether err was marked Terminal.
func IsTerminal(err error) bool { return errors.Is(err, &terminalError{}) }

// runQueue runs workers that take keys off q and reconcile them, until ctx
// ends. The queue guarantees one worker per key at a time and merges repeated
// adds; errors are retried with back-off unless terminal.
func runQueue(ctx context.Context, lg *zap.Logger, q workqueue.TypedRateLimitingInterface[string], r Reconciler, workers int, timeout time.Duration) {
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for processNext(ctx, lg, q, r, timeout) {
			}
		}()
	}
	<-ctx.Done()
	q.ShutDown()
	wg.Wait()
}

func processNext(ctx context.Context, lg *zap.Logger, q workqueue.TypedRateLimitingInterface[string], r Reconciler, timeout time.Duration) bool {
	key, shutdown := q.Get()
	if shutdown {
		return false
	}
	defer q.Done(key)
	start := time.Now()
	res, err := reconcileSafely(ctx, r, key, timeout)
	observeReconcile(start, err)
	switch {
	case err != nil && IsTerminal(err):
		q.Forget(key)
		lg.Info("reconcile gave up", zap.String("key", key), zap.Error(err))
	case err != nil:
		q.AddRateLimited(key)
		lg.Info("reconcile failed, will retry", zap.String("key", key), zap.Error(err))
	case res.RequeueAfter > 0:
		q.Forget(key)
		q.AddAfter(key, res.RequeueAfter)
	default:
		q.Forget(key)
	}
	return true
}

func reconcileSafely(ctx context.Context, r Reconciler, key string, timeout time.Duration) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic reconciling %s: %v", key, p)
		}
	}()
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("reconcile of %s took over %s", key, timeout))
	defer cancel()
	return r.Reconcile(ctx, key)
}
