package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// RequestOperation records op as the container's next lifecycle operation
// and returns its generation and the revision of the write, to wait from. A
// rename moves the name reservation in the same transaction; a name held by
// another container fails with ErrConflict.
func (s *Store) RequestOperation(ctx context.Context, id string, op Operation) (gen, rev int64, err error) {
	if op.ID == "" {
		op.ID = newOpID()
	}
	for {
		resp, err := s.cli.Get(ctx, s.specKey(id))
		if err != nil {
			return 0, 0, fmt.Errorf("get container %s: %w", id, err)
		}
		if len(resp.Kvs) == 0 {
			return 0, 0, fmt.Errorf("container %s: %w", id, ErrNotFound)
		}
		var c Container
		if err := json.Unmarshal(resp.Kvs[0].Value, &c); err != nil {
			return 0, 0, fmt.Errorf("decode container %s: %w", id, err)
		}
		if c.Op != nil && c.Op.ID == op.ID {
			// An earlier try, lost in transit, did commit.
			return c.Generation, resp.Kvs[0].ModRevision, nil
		}
		conds := []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(s.specKey(id)), "=", resp.Kvs[0].ModRevision)}
		var ops []clientv3.Op
		if op.Kind == OpRename && op.Name != c.Name {
			conds = append(conds, clientv3.Compare(clientv3.CreateRevision(s.nameKey(op.Name)), "=", 0))
			ops = append(ops, clientv3.OpPut(s.nameKey(op.Name), id))
			if c.Name != "" {
				ops = append(ops, s.releaseName(c.Name, id))
			}
			c.Name = op.Name
		}
		c.Generation++
		c.Op = &op
		spec, err := json.Marshal(&c)
		if err != nil {
			return 0, 0, fmt.Errorf("encode container %s: %w", id, err)
		}
		ops = append(ops, clientv3.OpPut(s.specKey(id), string(spec)))
		txn, err := s.cli.Txn(ctx).If(conds...).Then(ops...).Commit()
		if transient(err) && ctx.Err() == nil {
			continue
		}
		if err != nil {
			return 0, 0, fmt.Errorf("request %s of %s: %w", op.Kind, id, err)
		}
		if txn.Succeeded {
			return c.Generation, txn.Header.Revision, nil
		}
		if op.Kind == OpRename {
			if holder, err := s.NameHolder(ctx, op.Name); err == nil && holder != id {
				return 0, 0, fmt.Errorf("container name %q: %w", op.Name, ErrConflict)
			}
		}
		// The spec changed under us: read it again.
	}
}

func newOpID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// releaseName deletes a name reservation if it is still id's.
func (s *Store) releaseName(name, id string) clientv3.Op {
	return clientv3.OpTxn(
		[]clientv3.Cmp{clientv3.Compare(clientv3.Value(s.nameKey(name)), "=", id)},
		[]clientv3.Op{clientv3.OpDelete(s.nameKey(name))}, nil)
}

// WaitOperation blocks until the reconciler has carried out generation gen
// (or a later one) and returns the status that says so. A container removed
// meanwhile answers ErrNotFound, which is success for a remove.
func (s *Store) WaitOperation(ctx context.Context, id string, gen, fromRev int64) (Status, error) {
	return s.waitFor(ctx, id, fromRev, func(st Status) bool { return st.ObservedGeneration >= gen })
}

// waitFor watches a container's keys from fromRev until done accepts its
// status. The watch replays from fromRev, so nothing written after the
// caller's own write is missed; a broken watch is resumed after a fresh read.
func (s *Store) waitFor(ctx context.Context, id string, fromRev int64, done func(Status) bool) (Status, error) {
	for {
		wctx, cancel := context.WithCancel(ctx)
		st, finished, err := s.watchStatus(wctx, id, fromRev, done)
		cancel()
		if finished || err != nil {
			return st, err
		}
		if ctx.Err() != nil {
			return Status{}, ctx.Err()
		}
		// The watch broke (compaction, etcd restart): read the present, then
		// resume from just after it.
		resp, err := s.cli.Get(ctx, s.containersPrefix()+id+"/", clientv3.WithPrefix())
		if err != nil {
			return Status{}, fmt.Errorf("get status of %s: %w", id, err)
		}
		found := false
		for _, kv := range resp.Kvs {
			_, kind := s.idFromKey(string(kv.Key))
			found = found || kind == "spec"
			var st Status
			if kind == "status" && json.Unmarshal(kv.Value, &st) == nil && done(st) {
				return st, nil
			}
		}
		if !found {
			return Status{}, fmt.Errorf("container %s: %w", id, ErrNotFound)
		}
		fromRev = resp.Header.Revision + 1
	}
}

func (s *Store) watchStatus(ctx context.Context, id string, fromRev int64, done func(Status) bool) (Status, bool, error) {
	for resp := range s.cli.Watch(ctx, s.containersPrefix()+id+"/", clientv3.WithPrefix(), clientv3.WithRev(fromRev)) {
		if resp.Err() != nil {
			return Status{}, false, nil
		}
		if st, finished, err := s.statusIn(id, resp.Events, done); finished {
			return st, true, err
		}
	}
	return Status{}, false, nil
}

// statusIn looks through a container's watched events for a status done
// accepts, or its spec deleted (ErrNotFound).
func (s *Store) statusIn(id string, events []*clientv3.Event, done func(Status) bool) (Status, bool, error) {
	for _, ev := range events {
		_, kind := s.idFromKey(string(ev.Kv.Key))
		if ev.Type == clientv3.EventTypeDelete && kind == "spec" {
			return Status{}, true, fmt.Errorf("container %s: %w", id, ErrNotFound)
		}
		if ev.Type != clientv3.EventTypePut || kind != "status" {
			continue
		}
		var st Status
		if err := json.Unmarshal(ev.Kv.Value, &st); err != nil {
			return Status{}, true, fmt.Errorf("decode status of %s: %w", id, err)
		}
		if done(st) {
			return st, true, nil
		}
	}
	return Status{}, false, nil
}

// IsRemoved reports whether a wait ended because the container is gone.
func IsRemoved(err error) bool { return errors.Is(err, ErrNotFound) }
