package store

import (
	"context"
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
	if heartbeat <= 0 || ttl < time.Second {
		return fmt.Errorf("heartbeat %s and ttl %s: both must be positive, ttl at least 1s", heartbeat, ttl)
	}
	var lease clientv3.LeaseID
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		if lease == 0 {
			id, err := s.registerNode(ctx, addr, ttl)
			switch {
			case err == nil:
				lease = id
				lg.Info("node registered", zap.String("addr", addr), zap.Duration("ttl", ttl))
			case ctx.Err() != nil:
				return nil
			default:
				lg.Warn("node registration failed", zap.String("addr", addr), zap.Error(err))
			}
		} else if _, err := s.cli.KeepAliveOnce(ctx, lease); err != nil && ctx.Err() == nil {
			lg.Warn("heartbeat failed", zap.String("addr", addr), zap.Error(err))
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

func (s *Store) registerNode(ctx context.Context, addr string, ttl time.Duration) (clientv3.LeaseID, error) {
	grant, err := s.cli.Grant(ctx, int64((ttl+time.Second-1)/time.Second))
	if err != nil {
		return 0, fmt.Errorf("grant lease: %w", err)
	}
	if _, err := s.cli.Put(ctx, s.nodesPrefix()+addr, addr, clientv3.WithLease(grant.ID)); err != nil {
		return 0, fmt.Errorf("put node %s: %w", addr, err)
	}
	return grant.ID, nil
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
