package store

import (
	"context"
	"encoding/json"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Record is a desired container with its status and their mod revisions.
type Record struct {
	Container *Container
	SpecRev   int64
	Status    *Status // nil until the reconciler first writes one
	StatusRev int64
}

// Mirror keeps an in-memory copy of every desired container: it lists at a
// revision, watches from the next one, and relists when the watch breaks (a
// compaction, an etcd restart), so no change is missed or applied twice.
// OnChange is called with the id of every container that may have changed.
type Mirror struct {
	store    *Store
	lg       *zap.Logger
	onChange func(id string)

	mu      sync.RWMutex
	records map[string]*Record
	synced  chan struct{}
	once    sync.Once
}

// NewMirror returns a mirror that Run fills.
func (s *Store) NewMirror(lg *zap.Logger, onChange func(id string)) *Mirror {
	return &Mirror{store: s, lg: lg, onChange: onChange, records: map[string]*Record{}, synced: make(chan struct{})}
}

// Synced closes after the first full list.
func (m *Mirror) Synced() <-chan struct{} { return m.synced }

// Get returns a copy of one record.
func (m *Mirror) Get(id string) (Record, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.records[id]
	if !ok || r.Container == nil {
		return Record{}, false
	}
	return *r, true
}

// List returns copies of every record.
func (m *Mirror) List() []Record {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Record, 0, len(m.records))
	for _, r := range m.records {
		if r.Container != nil {
			out = append(out, *r)
		}
	}
	return out
}

// Run lists and watches until ctx ends.
func (m *Mirror) Run(ctx context.Context) {
	backoff := newBackoff()
	prefix := m.store.containersPrefix()
	for ctx.Err() == nil {
		rev, err := m.relist(ctx)
		if err != nil {
			m.lg.Warn("list containers failed", zap.Error(err))
			backoff.wait(ctx)
			continue
		}
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		for resp := range m.store.cli.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1)) {
			if err := resp.Err(); err != nil {
				m.lg.Info("container watch broke, relisting", zap.Error(err))
				break
			}
			backoff.reset()
			for _, ev := range resp.Events {
				m.apply(ev.Type == clientv3.EventTypeDelete, ev.Kv.Key, ev.Kv.Value, ev.Kv.ModRevision)
			}
		}
		cancel()
		backoff.wait(ctx)
	}
}

func (m *Mirror) relist(ctx context.Context) (int64, error) {
	resp, err := m.store.cli.Get(ctx, m.store.containersPrefix(), clientv3.WithPrefix())
	if err != nil {
		return 0, err
	}
	// The new copy is built aside and swapped in whole: a reader never sees
	// a half-filled mirror, which would read as containers deleted.
	fresh := map[string]*Record{}
	for _, kv := range resp.Kvs {
		m.fold(fresh, false, kv.Key, kv.Value, kv.ModRevision)
	}
	m.mu.Lock()
	changed := make([]string, 0, len(m.records)+len(fresh))
	for id := range m.records {
		changed = append(changed, id)
	}
	for id := range fresh {
		changed = append(changed, id)
	}
	m.records = fresh
	m.mu.Unlock()
	m.once.Do(func() { close(m.synced) })
	for _, id := range changed {
		m.onChange(id)
	}
	return resp.Header.Revision, nil
}

// apply folds one watched change into the mirror and reports it.
func (m *Mirror) apply(deleted bool, key, value []byte, rev int64) {
	m.mu.Lock()
	id := m.fold(m.records, deleted, key, value, rev)
	m.mu.Unlock()
	m.onChange(id)
}

// fold folds one key into records and returns the container's id. Records
// are replaced, never mutated, so copies handed out stay valid.
func (m *Mirror) fold(records map[string]*Record, deleted bool, key, value []byte, rev int64) string {
	id, kind := m.store.idFromKey(string(key))
	var next Record
	if r := records[id]; r != nil {
		next = *r
	}
	switch {
	case kind == "spec" && deleted:
		next.Container, next.SpecRev = nil, 0
	case kind == "spec":
		c := new(Container)
		if err := json.Unmarshal(value, c); err != nil {
			m.lg.Error("undecodable container spec", zap.String("key", string(key)), zap.Error(err))
			break
		}
		next.Container, next.SpecRev = c, rev
	case kind == "status" && deleted:
		next.Status, next.StatusRev = nil, 0
	case kind == "status":
		st := new(Status)
		if err := json.Unmarshal(value, st); err != nil {
			m.lg.Error("undecodable container status", zap.String("key", string(key)), zap.Error(err))
			break
		}
		next.Status, next.StatusRev = st, rev
	}
	if next.Container == nil && next.Status == nil {
		delete(records, id)
	} else {
		records[id] = &next
	}
	return id
}
