package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

func (s *Store) nodesPrefix() string { return s.key("nodes") + "/" }

// JoinNode registers addr and keeps its key alive, one heartbeat every
// heartbeat, under a lease of ttl: when the agent stops, the node disappears
// once the lease runs out. It returns when ctx ends, leaving the lease to
// expire as classic Swarm's join did.
func (s *Store) JoinNode(ctx context.Context, lg *zap.Logger, addr string, heartbeat, ttl time.Duration) error {
	return s.keepRegistered(ctx, lg, s.nodesPrefix()+addr, addr, heartbeat, ttl)
}

// keepRegistered puts key under a lease of ttl and renews the lease every
// heartbeat until ctx ends; a lease lost (etcd restored from elsewhere, a
// long partition) is replaced by a new registration.
func (s *Store) keepRegistered(ctx context.Context, lg *zap.Logger, key, value string, heartbeat, ttl time.Duration) error {
	if heartbeat <= 0 || ttl < time.Second {
		return fmt.Errorf("heartbeat %s and ttl %s: both must be positive, ttl at least 1s", heartbeat, ttl)
	}
	var lease clientv3.LeaseID
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		if lease == 0 {
			id, err := s.register(ctx, key, value, ttl)
			switch {
			case err == nil:
				lease = id
				lg.Info("registered", zap.String("key", key), zap.Duration("ttl", ttl))
			case ctx.Err() != nil:
				return nil
			default:
				lg.Warn("registration failed", zap.String("key", key), zap.Error(err))
			}
		} else if _, err := s.cli.KeepAliveOnce(ctx, lease); err != nil && ctx.Err() == nil {
			lg.Warn("heartbeat failed", zap.String("key", key), zap.Error(err))
			if errors.Is(err, rpctypes.ErrLeaseNotFound) {
				lease = 0
				continue
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (s *Store) register(ctx context.Context, key, value string, ttl time.Duration) (clientv3.LeaseID, error) {
	grant, err := s.cli.Grant(ctx, int64((ttl+time.Second-1)/time.Second))
	if err != nil {
		return 0, fmt.Errorf("grant lease: %w", err)
	}
	if _, err := s.cli.Put(ctx, key, value, clientv3.WithLease(grant.ID)); err != nil {
		return 0, fmt.Errorf("put %s: %w", key, err)
	}
	return grant.ID, nil
}

func (s *Store) managersPrefix() string { return s.key("managers") + "/" }

// Manager is a manager's registration.
type Manager struct {
	Advertise string    `json:"advertise"`
	Version   string    `json:"version"`
	StartedAt time.Time `json:"startedAt"`
}

// RegisterManager keeps this manager's registration alive under a lease of
// ttl until ctx ends. Which manager leads is not stored here: it is the
// holder of the oldest election key (Leader).
func (s *Store) RegisterManager(ctx context.Context, lg *zap.Logger, m Manager, ttl time.Duration) error {
	value, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode manager %s: %w", m.Advertise, err)
	}
	return s.keepRegistered(ctx, lg, s.managersPrefix()+m.Advertise, string(value), ttl/3, ttl)
}

// Managers lists the registered managers.
func (s *Store) Managers(ctx context.Context) ([]Manager, error) {
	resp, err := s.cli.Get(ctx, s.managersPrefix(), clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("list managers: %w", err)
	}
	out := make([]Manager, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		var m Manager
		if err := json.Unmarshal(kv.Value, &m); err != nil {
			return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// Nodes lists the registered node addresses, sorted.
func (s *Store) Nodes(ctx context.Context) ([]string, error) {
	addrs, _, err := s.listNodes(ctx)
	return addrs, err
}

func (s *Store) listNodes(ctx context.Context) ([]string, int64, error) {
	resp, err := s.cli.Get(ctx, s.nodesPrefix(), clientv3.WithPrefix())
	if err != nil {
		return nil, 0, fmt.Errorf("list nodes: %w", err)
	}
	addrs := make([]string, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		addrs = append(addrs, strings.TrimPrefix(string(kv.Key), s.nodesPrefix()))
	}
	slices.Sort(addrs)
	return addrs, resp.Header.Revision, nil
}

// WatchNodes calls fn with the full set of registered addresses now and after
// every change, until ctx ends. It relists whenever the watch breaks, so a
// compaction or an etcd restart costs a relist, never a missed change.
func (s *Store) WatchNodes(ctx context.Context, lg *zap.Logger, fn func(addrs []string)) {
	backoff := newBackoff()
	for ctx.Err() == nil {
		addrs, rev, err := s.listNodes(ctx)
		if err != nil {
			lg.Warn("list nodes failed", zap.Error(err))
			backoff.wait(ctx)
			continue
		}
		fn(addrs)
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		for resp := range s.cli.Watch(wctx, s.nodesPrefix(), clientv3.WithPrefix(), clientv3.WithRev(rev+1)) {
			if err := resp.Err(); err != nil {
				lg.Info("node watch broke, relisting", zap.Error(err))
				break
			}
			backoff.reset()
			if addrs, _, err = s.listNodes(ctx); err == nil {
				fn(addrs)
			}
		}
		cancel()
		backoff.wait(ctx)
	}
}
