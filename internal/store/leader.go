package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

func (s *Store) electionPrefix() string { return s.key("leader") }

// Leadership is this process's term as leader. Its Fence guards every write
// the leader makes; Done closes when the term is over.
type Leadership struct {
	session  *concurrency.Session
	election *concurrency.Election
}

// Campaign blocks until this process leads (or ctx ends). ttl bounds how long
// a dead leader keeps the lead.
func (s *Store) Campaign(ctx context.Context, id string, ttl time.Duration) (*Leadership, error) {
	session, err := concurrency.NewSession(s.cli, concurrency.WithTTL(int((ttl+time.Second-1)/time.Second)), concurrency.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("open election session: %w", err)
	}
	election := concurrency.NewElection(session, s.electionPrefix())
	if err := election.Campaign(ctx, id); err != nil {
		session.Close()
		return nil, fmt.Errorf("campaign: %w", err)
	}
	return &Leadership{session: session, election: election}, nil
}

// Fence is the condition every leader write carries: the leader key still
// exists with the revision it was created at.
func (l *Leadership) Fence() Fence {
	return Fence{Key: l.election.Key(), Rev: l.election.Rev()}
}

// Done closes when the lease behind the leadership is lost.
func (l *Leadership) Done() <-chan struct{} { return l.session.Done() }

// Resign gives the lead up and releases the session.
func (l *Leadership) Resign(ctx context.Context) error {
	err := l.election.Resign(ctx)
	l.session.Close()
	return err
}

// Fence identifies one leadership term; the zero Fence guards nothing.
type Fence struct {
	Key string
	Rev int64
}

// Epoch numbers the term: later terms have larger epochs.
func (f Fence) Epoch() int64 { return f.Rev }

func (f Fence) cmps() []clientv3.Cmp {
	if f.Key == "" {
		return nil
	}
	return []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(f.Key), "=", f.Rev)}
}

// Leader returns the value (advertised address) of the current leader, or "".
func (s *Store) Leader(ctx context.Context) (string, error) {
	resp, err := s.cli.Get(ctx, s.electionPrefix()+"/", clientv3.WithFirstCreate()...)
	if err != nil {
		return "", fmt.Errorf("get leader: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return "", nil
	}
	return string(resp.Kvs[0].Value), nil
}

// SetStatus writes a container's status under the leader's fence, only if
// the spec is still at specRev: a late write of a deposed leader, or one about
// a container deleted or changed meanwhile, fails with ErrNotLeader or
// ErrConflict.
func (s *Store) SetStatus(ctx context.Context, fence Fence, id string, specRev int64, st Status) error {
	st.UpdatedAt = time.Now().UTC()
	val, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode status of %s: %w", id, err)
	}
	conds := append(fence.cmps(), clientv3.Compare(clientv3.ModRevision(s.specKey(id)), "=", specRev))
	ok, err := retry(ctx, func(attempt int) (bool, error) {
		resp, err := s.cli.Txn(ctx).If(conds...).Then(clientv3.OpPut(s.statusKey(id), string(val))).Commit()
		if err != nil {
			return false, err
		}
		if !resp.Succeeded && attempt > 0 {
			// A try lost in transit may have committed, and the spec moved
			// on since (the API saw the status and acted): the status in
			// etcd being ours, to the byte, says so.
			if got, err := s.cli.Get(ctx, s.statusKey(id)); err == nil && len(got.Kvs) > 0 && string(got.Kvs[0].Value) == string(val) {
				return true, nil
			}
		}
		return resp.Succeeded, nil
	})
	if err != nil {
		return fmt.Errorf("set status of %s: %w", id, err)
	}
	if !ok {
		return s.whyRefused(ctx, fence, id)
	}
	return nil
}

// DeleteRecord removes a container's record and its name under the leader's
// fence, only if its status is still at statusRev.
func (s *Store) DeleteRecord(ctx context.Context, fence Fence, id string, statusRev int64) error {
	c, _, err := s.Container(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	conds := append(fence.cmps(), clientv3.Compare(clientv3.ModRevision(s.statusKey(id)), "=", statusRev))
	ops := s.recordDeletes(id)
	if c.Name != "" {
		ops = append(ops, s.releaseName(c.Name, id))
	}
	resp, err := s.cli.Txn(ctx).If(conds...).Then(ops...).Commit()
	if err != nil {
		return fmt.Errorf("delete record of %s: %w", id, err)
	}
	if !resp.Succeeded {
		return s.whyRefused(ctx, fence, id)
	}
	return nil
}

func (s *Store) whyRefused(ctx context.Context, fence Fence, id string) error {
	if fence.Key != "" {
		resp, err := s.cli.Get(ctx, fence.Key)
		if err == nil && (len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != fence.Rev) {
			return fmt.Errorf("write for container %s: %w", id, ErrNotLeader)
		}
	}
	return fmt.Errorf("container %s changed meanwhile: %w", id, ErrConflict)
}
