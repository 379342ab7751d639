package store

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Wait follows one container's keys from the moment it is made. Made before
// the write it waits on, it sees the reconciler's answer as it is written.
// (A watch that starts at a past revision is caught up by etcd only every
// 100 ms; one registered first gets events at once.)
type Wait struct {
	s      *Store
	id     string
	events clientv3.WatchChan
	cancel context.CancelFunc
	rev    int64 // the last revision seen
}

// WatchContainer starts following a container's keys, and returns once etcd
// has registered the watch. Close it when done.
func (s *Store) WatchContainer(ctx context.Context, id string) (*Wait, error) {
	wctx, cancel := context.WithCancel(ctx)
	events := s.cli.Watch(wctx, s.containersPrefix()+id+"/", clientv3.WithPrefix(), clientv3.WithCreatedNotify())
	select {
	case resp, ok := <-events:
		if !ok || resp.Err() != nil || !resp.Created {
			cancel()
			return nil, fmt.Errorf("watch container %s: %v", id, resp.Err())
		}
		return &Wait{s: s, id: id, events: events, cancel: cancel, rev: resp.Header.Revision}, nil
	case <-ctx.Done():
		cancel()
		return nil, ctx.Err()
	}
}

// Close stops following.
func (w *Wait) Close() { w.cancel() }

// Created blocks until the container's status is final (created or failed).
func (w *Wait) Created(ctx context.Context) (Status, error) { return w.until(ctx, Status.Done) }

// Operation blocks until generation gen (or a later one) is carried out. A
// container removed meanwhile answers ErrNotFound, which is success for a
// remove.
func (w *Wait) Operation(ctx context.Context, gen int64) (Status, error) {
	return w.until(ctx, func(st Status) bool { return st.ObservedGeneration >= gen })
}

func (w *Wait) until(ctx context.Context, done func(Status) bool) (Status, error) {
	for {
		select {
		case resp, ok := <-w.events:
			if !ok || resp.Err() != nil {
				// The watch broke: go on from the last revision seen.
				return w.s.waitFor(ctx, w.id, w.rev+1, done)
			}
			if len(resp.Events) > 0 {
				w.rev = resp.Events[len(resp.Events)-1].Kv.ModRevision
			}
			if st, finished, err := w.s.statusIn(w.id, resp.Events, done); finished {
				return st, err
			}
		case <-ctx.Done():
			return Status{}, ctx.Err()
		}
	}
}
