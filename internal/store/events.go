package store

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Drover's own events that happen on the leader (a container rescheduled)
// reach the event streams of every replica through etcd: each is a key of
// its own under a short lease.

const eventTTL = 60 * time.Second

func (s *Store) eventsPrefix() string { return s.key("events") + "/" }

// PublishEvent records one event, encoded by the caller, for a minute.
func (s *Store) PublishEvent(ctx context.Context, id string, event []byte) error {
	lease, err := s.cli.Grant(ctx, int64(eventTTL/time.Second))
	if err != nil {
		return fmt.Errorf("grant lease for event: %w", err)
	}
	if _, err := s.cli.Put(ctx, s.eventsPrefix()+id, string(event), clientv3.WithLease(lease.ID)); err != nil {
		return fmt.Errorf("publish event: %w", err)
	}
	return nil
}

// WatchEvents delivers the events published from now on, until ctx ends.
func (s *Store) WatchEvents(ctx context.Context) <-chan []byte {
	out := make(chan []byte, 16)
	go func() {
		defer close(out)
		for resp := range s.cli.Watch(ctx, s.eventsPrefix(), clientv3.WithPrefix(), clientv3.WithFilterDelete()) {
			for _, ev := range resp.Events {
				select {
				case out <- ev.Kv.Value:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}
