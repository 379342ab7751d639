package store_test

import (
	"errors"
	"path"
	"strconv"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"drover/internal/store"
)

const leaderTTL = 5 * time.Second

func campaign(t *testing.T, s *store.Store, id string) *store.Leadership {
	t.Helper()
	l, err := s.Campaign(t.Context(), id, leaderTTL)
	if err != nil {
		t.Fatalf("Campaign(%s): %v", id, err)
	}
	return l
}

func resign(t *testing.T, l *store.Leadership) {
	t.Helper()
	if err := l.Resign(t.Context()); err != nil {
		t.Fatalf("Resign: %v", err)
	}
}

func leader(t *testing.T, s *store.Store) string {
	t.Helper()
	v, err := s.Leader(t.Context())
	if err != nil {
		t.Fatalf("Leader: %v", err)
	}
	return v
}

func TestElection(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	s2 := otherManager(t, s)

	if got := leader(t, s); got != "" {
		t.Fatalf("Leader() before any campaign = %q, want \"\"", got)
	}
	first := campaign(t, s, "10.0.0.1:4000")
	if got := leader(t, s2); got != "10.0.0.1:4000" {
		t.Fatalf("Leader() = %q, want the campaigner's value 10.0.0.1:4000", got)
	}

	type won struct {
		l   *store.Leadership
		err error
	}
	second := make(chan won, 1)
	go func() {
		l, err := s2.Campaign(ctx, "10.0.0.2:4000", leaderTTL)
		second <- won{l, err}
	}()
	eventually(t, 10*time.Second, "the second manager to stand", func() bool {
		resp, err := s.Client().Get(ctx, s.Prefix()+"/leader/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		return err == nil && resp.Count == 2
	})
	if got := leader(t, s2); got != "10.0.0.1:4000" {
		t.Errorf("Leader() while a second manager waits = %q, want the first", got)
	}

	rev := mustCreate(t, s, desired("a", "web"))
	// Taken while leading, as the reconciler takes it: after Resign,
	// Fence() no longer names the term's key.
	oldFence := first.Fence()
	resign(t, first)
	var w won
	select {
	case w = <-second:
	case <-time.After(10 * time.Second):
		t.Fatal("the second manager did not take the lead after the first resigned")
	}
	if w.err != nil {
		t.Fatal(w.err)
	}
	if got := leader(t, s); got != "10.0.0.2:4000" {
		t.Errorf("Leader() after the handover = %q, want 10.0.0.2:4000", got)
	}
	if old, cur := oldFence.Epoch(), w.l.Fence().Epoch(); cur <= old {
		t.Errorf("epoch of the second term %d, want more than the first's %d", cur, old)
	}

	t.Run("the deposed leader's writes fail", func(t *testing.T) {
		err := s.SetStatus(ctx, oldFence, "a", rev, store.Status{Phase: store.PhaseScheduled, Node: "n1:2375"})
		if !errors.Is(err, store.ErrNotLeader) {
			t.Errorf("SetStatus under the old fence: %v, want ErrNotLeader", err)
		}
		if err := s.DeleteRecord(ctx, oldFence, "a", 0); !errors.Is(err, store.ErrNotLeader) {
			t.Errorf("DeleteRecord under the old fence: %v, want ErrNotLeader", err)
		}
	})
	t.Run("the new leader's writes succeed", func(t *testing.T) {
		if err := s2.SetStatus(ctx, w.l.Fence(), "a", rev, store.Status{Phase: store.PhaseScheduled, Node: "n1:2375"}); err != nil {
			t.Errorf("SetStatus under the new fence: %v", err)
		}
	})

	resign(t, w.l)
	if got := leader(t, s); got != "" {
		t.Errorf("Leader() once everyone resigned = %q, want \"\"", got)
	}
}

func TestSetStatusIsFenced(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	l := campaign(t, s, "10.0.0.1:4000")
	defer resign(t, l)
	fence := l.Fence()
	scheduled := store.Status{Phase: store.PhaseScheduled, Node: "n1:2375"}

	rev := mustCreate(t, s, desired("a", ""))
	goneRev := mustCreate(t, s, desired("gone", ""))
	if err := s.DeleteContainer(ctx, "gone"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		fence   store.Fence
		id      string
		specRev int64
		want    error
	}{
		{"current leader, current spec", fence, "a", rev, nil},
		{"the zero fence guards nothing", store.Fence{}, "a", rev, nil},
		{"fence of another term", store.Fence{Key: fence.Key, Rev: fence.Rev + 1}, "a", rev, store.ErrNotLeader},
		{"fence whose key is gone", store.Fence{Key: fence.Key + "0", Rev: fence.Rev}, "a", rev, store.ErrNotLeader},
		{"stale spec revision", fence, "a", rev - 1, store.ErrConflict},
		{"spec revision from the future", fence, "a", rev + 1000, store.ErrConflict},
		{"container deleted meanwhile", fence, "gone", goneRev, store.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.SetStatus(ctx, tt.fence, tt.id, tt.specRev, scheduled)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("SetStatus = %v, want %v", err, tt.want)
			}
			if tt.want != nil {
				return
			}
			if _, st, err := s.Container(ctx, tt.id); err != nil || st == nil || st.Phase != store.PhaseScheduled {
				t.Errorf("status after SetStatus = %+v, %v; want scheduled", st, err)
			}
		})
	}
}

func TestDeleteRecordIsFenced(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	l := campaign(t, s, "10.0.0.1:4000")
	defer resign(t, l)
	fence := l.Fence()

	// withStatus creates a container with a status and returns the status's
	// revision.
	withStatus := func(t *testing.T, id, name string) int64 {
		t.Helper()
		rev := mustCreate(t, s, desired(id, name))
		if err := s.SetStatus(ctx, fence, id, rev, store.Status{Phase: store.PhaseFailed}); err != nil {
			t.Fatal(err)
		}
		return modRev(t, s, id, "status")
	}
	exists := func(id string) bool {
		_, _, err := s.Container(ctx, id)
		return err == nil
	}

	t.Run("a deposed leader's delete is refused", func(t *testing.T) {
		statusRev := withStatus(t, "a", "")
		err := s.DeleteRecord(ctx, store.Fence{Key: fence.Key, Rev: fence.Rev - 1}, "a", statusRev)
		if !errors.Is(err, store.ErrNotLeader) {
			t.Errorf("DeleteRecord = %v, want ErrNotLeader", err)
		}
		if !exists("a") {
			t.Error("the record is gone")
		}
	})
	t.Run("a delete from a stale status is a conflict", func(t *testing.T) {
		statusRev := withStatus(t, "b", "")
		if err := s.DeleteRecord(ctx, fence, "b", statusRev-1); !errors.Is(err, store.ErrConflict) {
			t.Errorf("DeleteRecord = %v, want ErrConflict", err)
		}
		if !exists("b") {
			t.Error("the record is gone")
		}
	})
	t.Run("the leader deletes the record and releases its name", func(t *testing.T) {
		statusRev := withStatus(t, "c", "web")
		if err := s.DeleteRecord(ctx, fence, "c", statusRev); err != nil {
			t.Fatalf("DeleteRecord: %v", err)
		}
		if exists("c") {
			t.Error("the record is still there")
		}
		if holder, err := s.NameHolder(ctx, "web"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("NameHolder(web) = %q, %v; want the name released", holder, err)
		}
	})
	t.Run("a record without status is deleted at status revision 0", func(t *testing.T) {
		mustCreate(t, s, desired("d", ""))
		if err := s.DeleteRecord(ctx, fence, "d", 0); err != nil {
			t.Fatalf("DeleteRecord: %v", err)
		}
		if exists("d") {
			t.Error("the record is still there")
		}
	})
}

func TestLeadershipEndsWithItsLease(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	l := campaign(t, s, "10.0.0.1:4000")
	rev := mustCreate(t, s, desired("a", ""))

	// The election key is named after its lease, in hex.
	lease, err := strconv.ParseInt(path.Base(l.Fence().Key), 16, 64)
	if err != nil {
		t.Fatalf("lease of election key %s: %v", l.Fence().Key, err)
	}
	if _, err := s.Client().Revoke(ctx, clientv3.LeaseID(lease)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done did not close after the lease was lost")
	}
	if err := s.SetStatus(ctx, l.Fence(), "a", rev, store.Status{Phase: store.PhasePending}); !errors.Is(err, store.ErrNotLeader) {
		t.Errorf("SetStatus after the lease was lost = %v, want ErrNotLeader", err)
	}
	if got := leader(t, s); got != "" {
		t.Errorf("Leader() = %q, want \"\" once the only leader's lease is gone", got)
	}
}

func TestClusterID(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)

	ids := make([]string, 8)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() { ids[i], errs[i] = s.ClusterID(ctx) })
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil {
			t.Fatalf("ClusterID: %v", errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("concurrent first calls disagree: %q and %q", ids[0], ids[i])
		}
	}
	if len(ids[0]) != 32 {
		t.Errorf("ClusterID() = %q, want 32 hex digits", ids[0])
	}
	if again, err := otherManager(t, s).ClusterID(ctx); err != nil || again != ids[0] {
		t.Errorf("ClusterID() from another manager = %q, %v; want %q", again, err, ids[0])
	}
	other := store.New(s.Client(), s.Prefix()+"-other")
	if _, err := other.Client().Delete(ctx, other.Prefix()+"/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	if id, err := other.ClusterID(ctx); err != nil || id == ids[0] {
		t.Errorf("ClusterID() of another cluster = %q, %v; want a different one", id, err)
	}
}
