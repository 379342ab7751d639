package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"drover/internal/store"
)

// changes records the ids a mirror reports.
type changes struct {
	mu  sync.Mutex
	ids []string
}

func (c *changes) add(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids = append(c.ids, id)
}

func (c *changes) count(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, x := range c.ids {
		if x == id {
			n++
		}
	}
	return n
}

// runMirror runs a mirror of s until the test ends and waits for its first sync.
func runMirror(t *testing.T, s *store.Store, onChange func(string)) *store.Mirror {
	t.Helper()
	m := s.NewMirror(zaptest.NewLogger(t), onChange)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-m.Synced():
	case <-time.After(10 * time.Second):
		t.Fatal("the mirror never synced")
	}
	return m
}

func TestMirror(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	revA := mustCreate(t, s, desired("a", "web"))
	if err := s.SetStatus(ctx, store.Fence{}, "a", revA, store.Status{Phase: store.PhaseScheduled, Node: "n1:2375"}); err != nil {
		t.Fatal(err)
	}
	revB := mustCreate(t, s, desired("b", ""))

	seen := &changes{}
	m := runMirror(t, s, seen.add)

	t.Run("lists what exists, with revisions", func(t *testing.T) {
		a, ok := m.Get("a")
		if !ok || a.Container.Name != "web" || a.SpecRev != revA || a.Status == nil || a.Status.Phase != store.PhaseScheduled ||
			a.StatusRev != modRev(t, s, "a", "status") {
			t.Errorf("Get(a) = %+v, %v; want web at %d, scheduled at its status revision", a, ok, revA)
		}
		b, ok := m.Get("b")
		if !ok || b.SpecRev != revB || b.Status != nil || b.StatusRev != 0 {
			t.Errorf("Get(b) = %+v, %v; want spec at %d and no status", b, ok, revB)
		}
		if got := listedIDs(m); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("List() ids = %v, want [a b]", got)
		}
		if seen.count("a") == 0 || seen.count("b") == 0 {
			t.Errorf("onChange saw %v, want a and b after the first list", seen.ids)
		}
	})
	t.Run("follows a new spec", func(t *testing.T) {
		rev := mustCreate(t, s, desired("c", ""))
		eventually(t, 10*time.Second, "c mirrored", func() bool {
			c, ok := m.Get("c")
			return ok && c.SpecRev == rev
		})
		eventually(t, 10*time.Second, "onChange(c)", func() bool { return seen.count("c") > 0 })
	})
	t.Run("follows a status, and copies handed out stay as they were", func(t *testing.T) {
		before, _ := m.Get("b")
		n := seen.count("b")
		if err := s.SetStatus(ctx, store.Fence{}, "b", revB, store.Status{Phase: store.PhaseCreated, EngineID: "e1"}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "b's status mirrored", func() bool {
			b, ok := m.Get("b")
			return ok && b.Status != nil && b.Status.Phase == store.PhaseCreated && b.StatusRev == modRev(t, s, "b", "status")
		})
		if before.Status != nil {
			t.Errorf("a copy taken before the change now has status %+v", before.Status)
		}
		if seen.count("b") <= n {
			t.Error("onChange(b) not called for the status")
		}
	})
	t.Run("follows a delete", func(t *testing.T) {
		n := seen.count("a")
		if err := s.DeleteContainer(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "a gone from the mirror", func() bool {
			_, ok := m.Get("a")
			return !ok && !slices.Contains(listedIDs(m), "a")
		})
		eventually(t, 10*time.Second, "onChange(a)", func() bool { return seen.count("a") > n })
	})
	t.Run("a status without its spec is not a record", func(t *testing.T) {
		if _, err := s.Client().Put(ctx, s.Prefix()+"/containers/stray/status", `{"phase":"created"}`); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "onChange(stray)", func() bool { return seen.count("stray") > 0 })
		if r, ok := m.Get("stray"); ok {
			t.Errorf("Get(stray) = %+v, want no record", r)
		}
		if slices.Contains(listedIDs(m), "stray") {
			t.Error("List() holds stray")
		}
	})
}

func TestMirrorSyncsEmpty(t *testing.T) {
	m := runMirror(t, newStore(t), func(string) {})
	if got := m.List(); len(got) != 0 {
		t.Errorf("List() = %v, want nothing", got)
	}
}

func listedIDs(m *store.Mirror) []string {
	var ids []string
	for _, r := range m.List() {
		ids = append(ids, r.Container.ID)
	}
	slices.Sort(ids)
	return ids
}
