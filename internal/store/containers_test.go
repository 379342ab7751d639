package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	clientv3 "go.etcd.io/etcd/client/v3"

	"drover/internal/store"
)

// desired is a minimal desired container.
func desired(id, name string) *store.Container {
	return &store.Container{
		ID:         id,
		Name:       name,
		Config:     &container.Config{Image: "busybox", Cmd: []string{"sleep", "600"}},
		HostConfig: &container.HostConfig{Resources: container.Resources{Memory: 64 << 20}},
		CreatedAt:  time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

// mustCreate writes c and returns the revision of the write.
func mustCreate(t *testing.T, s *store.Store, c *store.Container) int64 {
	t.Helper()
	rev, err := s.CreateContainer(t.Context(), c)
	if err != nil {
		t.Fatalf("CreateContainer(%s): %v", c.ID, err)
	}
	return rev
}

// modRev is the mod revision of a container's spec or status key (as the mirror
// reports it), read straight from etcd.
func modRev(t *testing.T, s *store.Store, id, kind string) int64 {
	t.Helper()
	resp, err := s.Client().Get(t.Context(), s.Prefix()+"/containers/"+id+"/"+kind)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return 0
	}
	return resp.Kvs[0].ModRevision
}

func TestCreateContainerReservesTheNameInOneTransaction(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()

	rev := mustCreate(t, s, desired("a", "web"))
	if rev <= 0 {
		t.Errorf("CreateContainer revision = %d, want > 0", rev)
	}
	if holder, err := s.NameHolder(ctx, "web"); err != nil || holder != "a" {
		t.Errorf("NameHolder(web) = %q, %v; want a", holder, err)
	}

	t.Run("a second create with the same name is a conflict and writes nothing", func(t *testing.T) {
		_, err := s.CreateContainer(ctx, desired("b", "web"))
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CreateContainer(b, web) error = %v, want ErrConflict", err)
		}
		if holder, err := s.NameHolder(ctx, "web"); err != nil || holder != "a" {
			t.Errorf("NameHolder(web) = %q, %v; want the first holder a", holder, err)
		}
		if _, _, err := s.Container(ctx, "b"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Container(b) error = %v, want ErrNotFound: the spec must not be written without the name", err)
		}
	})
	t.Run("the same id twice is a conflict", func(t *testing.T) {
		if _, err := s.CreateContainer(ctx, desired("a", "")); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateContainer(a again) error = %v, want ErrConflict", err)
		}
	})
	t.Run("unnamed containers reserve no name", func(t *testing.T) {
		mustCreate(t, s, desired("c", ""))
		mustCreate(t, s, desired("d", ""))
		resp, err := s.Client().Get(ctx, s.Prefix()+"/names/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			t.Fatal(err)
		}
		if resp.Count != 1 {
			t.Errorf("%d names reserved, want only web's", resp.Count)
		}
	})
	t.Run("an unknown name has no holder", func(t *testing.T) {
		if _, err := s.NameHolder(ctx, "db"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("NameHolder(db) error = %v, want ErrNotFound", err)
		}
	})
}

func TestContainer(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	want := desired("a", "web")
	rev := mustCreate(t, s, want)

	t.Run("reads the spec as written and no status before the first", func(t *testing.T) {
		c, st, err := s.Container(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if c.ID != "a" || c.Name != "web" || c.Config.Image != "busybox" || c.HostConfig.Memory != 64<<20 || !c.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("Container(a) = %+v, want %+v", c, want)
		}
		if st != nil {
			t.Errorf("status = %+v, want nil before the reconciler writes one", st)
		}
	})
	t.Run("reads the status once written", func(t *testing.T) {
		if err := s.SetStatus(ctx, store.Fence{}, "a", rev, store.Status{Phase: store.PhaseCreated, Node: "n1:2375", EngineID: "e1"}); err != nil {
			t.Fatal(err)
		}
		_, st, err := s.Container(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if st == nil || st.Phase != store.PhaseCreated || st.Node != "n1:2375" || st.EngineID != "e1" || st.UpdatedAt.IsZero() {
			t.Errorf("status = %+v, want created on n1:2375 as e1, with UpdatedAt set", st)
		}
	})
	t.Run("unknown id is not found", func(t *testing.T) {
		if _, _, err := s.Container(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Container(nope) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("an id is not a prefix of another", func(t *testing.T) {
		mustCreate(t, s, desired("xyz", ""))
		if _, _, err := s.Container(ctx, "xy"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Container(xy) error = %v, want ErrNotFound although xyz exists", err)
		}
	})
}

func TestDeleteContainer(t *testing.T) {
	ctx := t.Context()

	t.Run("removes spec, status and name", func(t *testing.T) {
		s := newStore(t)
		rev := mustCreate(t, s, desired("a", "web"))
		if err := s.SetStatus(ctx, store.Fence{}, "a", rev, store.Status{Phase: store.PhaseScheduled, Node: "n1:2375"}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteContainer(ctx, "a"); err != nil {
			t.Fatalf("DeleteContainer: %v", err)
		}
		resp, err := s.Client().Get(ctx, s.Prefix()+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			t.Fatal(err)
		}
		if resp.Count != 0 {
			t.Errorf("%d keys left under %s, want none", resp.Count, s.Prefix())
		}
		if _, err := s.CreateContainer(ctx, desired("b", "web")); err != nil {
			t.Errorf("the released name cannot be reused: %v", err)
		}
	})
	t.Run("is idempotent", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, desired("a", "web"))
		for i := range 2 {
			if err := s.DeleteContainer(ctx, "a"); err != nil {
				t.Errorf("DeleteContainer #%d: %v", i+1, err)
			}
		}
		if err := s.DeleteContainer(ctx, "never-was"); err != nil {
			t.Errorf("DeleteContainer(never-was): %v", err)
		}
	})
	t.Run("leaves a name another container holds", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, desired("a", "web"))
		// The name has passed to b meanwhile (as after a stale release).
		if _, err := s.Client().Put(ctx, s.Prefix()+"/names/web", "b"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteContainer(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if holder, err := s.NameHolder(ctx, "web"); err != nil || holder != "b" {
			t.Errorf("NameHolder(web) = %q, %v; want b to keep it", holder, err)
		}
	})
}

func TestWaitStatus(t *testing.T) {
	ctx := t.Context()
	type result struct {
		st  store.Status
		err error
	}
	wait := func(s *store.Store, id string, rev int64) <-chan result {
		ch := make(chan result, 1)
		go func() {
			st, err := s.WaitStatus(ctx, id, rev)
			ch <- result{st, err}
		}()
		return ch
	}
	receive := func(t *testing.T, ch <-chan result) result {
		t.Helper()
		select {
		case r := <-ch:
			return r
		case <-time.After(10 * time.Second):
			t.Fatal("WaitStatus did not return")
		}
		return result{}
	}

	t.Run("returns the final status written after it started, skipping the others", func(t *testing.T) {
		s := newStore(t)
		rev := mustCreate(t, s, desired("a", ""))
		done := wait(s, "a", rev)
		if err := s.SetStatus(ctx, store.Fence{}, "a", rev, store.Status{Phase: store.PhaseScheduled, Node: "n1:2375"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetStatus(ctx, store.Fence{}, "a", rev, store.Status{Phase: store.PhaseCreated, Node: "n1:2375", EngineID: "e1"}); err != nil {
			t.Fatal(err)
		}
		r := receive(t, done)
		if r.err != nil || r.st.Phase != store.PhaseCreated || r.st.EngineID != "e1" {
			t.Errorf("WaitStatus = %+v, %v; want created as e1", r.st, r.err)
		}
	})
	t.Run("returns a failure with its kind", func(t *testing.T) {
		s := newStore(t)
		rev := mustCreate(t, s, desired("a", ""))
		done := wait(s, "a", rev)
		failure := store.FailureOf(cerrdefs.ErrNotFound.WithMessage("No such image: nosuch:latest"))
		if err := s.SetStatus(ctx, store.Fence{}, "a", rev, store.Status{Phase: store.PhaseFailed, Failure: failure}); err != nil {
			t.Fatal(err)
		}
		r := receive(t, done)
		if r.err != nil || r.st.Phase != store.PhaseFailed || r.st.Failure == nil || !cerrdefs.IsNotFound(r.st.Failure.Err()) {
			t.Errorf("WaitStatus = %+v, %v; want failed, not found", r.st, r.err)
		}
	})
	t.Run("the container deleted while waited for is not found", func(t *testing.T) {
		s := newStore(t)
		rev := mustCreate(t, s, desired("a", "web"))
		done := wait(s, "a", rev)
		if err := s.DeleteContainer(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if r := receive(t, done); !errors.Is(r.err, store.ErrNotFound) {
			t.Errorf("WaitStatus = %+v, %v; want ErrNotFound", r.st, r.err)
		}
	})
	t.Run("a final status written before the call is found from an earlier revision", func(t *testing.T) {
		s := newStore(t)
		rev := mustCreate(t, s, desired("a", ""))
		if err := s.SetStatus(ctx, store.Fence{}, "a", rev, store.Status{Phase: store.PhaseCreated, EngineID: "e1"}); err != nil {
			t.Fatal(err)
		}
		r := receive(t, wait(s, "a", rev))
		if r.err != nil || r.st.EngineID != "e1" {
			t.Errorf("WaitStatus = %+v, %v; want created as e1", r.st, r.err)
		}
	})
	t.Run("ends with its context", func(t *testing.T) {
		s := newStore(t)
		rev := mustCreate(t, s, desired("a", ""))
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			_, err := s.WaitStatus(cctx, "a", rev)
			done <- err
		}()
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("WaitStatus error = %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("WaitStatus did not return after its context ended")
		}
	})
}

// TestWaitStatusAfterCompaction is not parallel: it compacts the shared etcd.
func TestWaitStatusAfterCompaction(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	rev := mustCreate(t, s, desired("a", ""))
	if err := s.SetStatus(ctx, store.Fence{}, "a", rev, store.Status{Phase: store.PhaseCreated, EngineID: "e1"}); err != nil {
		t.Fatal(err)
	}
	now := modRev(t, s, "a", "status")
	if _, err := s.Client().Compact(ctx, now); err != nil {
		t.Fatal(err)
	}
	// Watching from rev is impossible now; the status is read instead.
	st, err := s.WaitStatus(ctx, "a", rev)
	if err != nil || st.EngineID != "e1" {
		t.Errorf("WaitStatus from a compacted revision = %+v, %v; want created as e1", st, err)
	}
}

func TestStatusDone(t *testing.T) {
	for phase, want := range map[store.Phase]bool{
		store.PhasePending:   false,
		store.PhaseScheduled: false,
		store.PhaseCreated:   true,
		store.PhaseFailed:    true,
	} {
		if got := (store.Status{Phase: phase}).Done(); got != want {
			t.Errorf("Status{%s}.Done() = %v, want %v", phase, got, want)
		}
	}
}

func TestFailureKeepsKindAndMessage(t *testing.T) {
	kinds := map[string]func(error) bool{
		"invalid":      cerrdefs.IsInvalidArgument,
		"notfound":     cerrdefs.IsNotFound,
		"conflict":     cerrdefs.IsConflict,
		"unavailable":  cerrdefs.IsUnavailable,
		"forbidden":    cerrdefs.IsPermissionDenied,
		"unauthorized": cerrdefs.IsUnauthorized,
	}
	tests := []struct {
		name     string
		err      error
		wantKind string // "" means none of kinds
		wantMsg  string
	}{
		{"invalid argument", cerrdefs.ErrInvalidArgument.WithMessage("invalid reference format"), "invalid", "invalid reference format"},
		{"not found", cerrdefs.ErrNotFound.WithMessage("No such image: nosuch:latest"), "notfound", "No such image: nosuch:latest"},
		{"conflict", cerrdefs.ErrConflict.WithMessage(`Conflict. The container name "/web" is already in use`), "conflict", `Conflict. The container name "/web" is already in use`},
		{"unavailable", cerrdefs.ErrUnavailable.WithMessage("engine down"), "unavailable", "engine down"},
		{"permission denied", cerrdefs.ErrPermissionDenied.WithMessage("denied"), "forbidden", "denied"},
		{"unauthenticated", cerrdefs.ErrUnauthenticated.WithMessage("login first"), "unauthorized", "login first"},
		{"wrapped kind", fmt.Errorf("create on n1: %w", cerrdefs.ErrNotFound), "notfound", "create on n1: not found"},
		{"plain error", errors.New("unable to find a node that satisfies the following conditions [port 80]"), "", "unable to find a node that satisfies the following conditions [port 80]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The failure crosses etcd as JSON.
			b, err := json.Marshal(store.FailureOf(tt.err))
			if err != nil {
				t.Fatal(err)
			}
			var f store.Failure
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatal(err)
			}
			got := f.Err()
			if got.Error() != tt.wantMsg {
				t.Errorf("message = %q, want %q", got.Error(), tt.wantMsg)
			}
			for kind, is := range kinds {
				if want := kind == tt.wantKind; is(got) != want {
					t.Errorf("kind %s of %q = %v, want %v", kind, got, is(got), want)
				}
			}
		})
	}
}
