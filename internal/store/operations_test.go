package store_test

import (
	"errors"
	"testing"
	"time"

	"drover/internal/store"
)

func TestRequestOperation(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	mustCreate(t, s, desired("a", "web"))
	mustCreate(t, s, desired("b", "db"))

	t.Run("each operation is a new generation recorded in the spec", func(t *testing.T) {
		gen1, rev1, err := s.RequestOperation(ctx, "a", store.Operation{Kind: store.OpStop})
		if err != nil {
			t.Fatal(err)
		}
		gen2, rev2, err := s.RequestOperation(ctx, "a", store.Operation{Kind: store.OpStart})
		if err != nil {
			t.Fatal(err)
		}
		if gen1 != 1 || gen2 != 2 || rev2 <= rev1 {
			t.Errorf("generations %d, %d at revisions %d, %d; want 1, 2 at growing revisions", gen1, gen2, rev1, rev2)
		}
		c, _, err := s.Container(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if c.Generation != 2 || c.Op == nil || c.Op.Kind != store.OpStart || c.Op.ID == "" {
			t.Errorf("spec holds generation %d, op %+v; want 2, the start with an id", c.Generation, c.Op)
		}
	})
	t.Run("a retried request with the same id is recorded once", func(t *testing.T) {
		op := store.Operation{ID: "op-1", Kind: store.OpKill, Signal: "SIGTERM"}
		gen1, _, err := s.RequestOperation(ctx, "a", op)
		if err != nil {
			t.Fatal(err)
		}
		gen2, _, err := s.RequestOperation(ctx, "a", op)
		if err != nil || gen2 != gen1 {
			t.Errorf("the retry answered generation %d, %v; want %d again", gen2, err, gen1)
		}
	})
	t.Run("an unknown container is not found", func(t *testing.T) {
		if _, _, err := s.RequestOperation(ctx, "nope", store.Operation{Kind: store.OpStart}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RequestOperation(nope) = %v, want ErrNotFound", err)
		}
	})
	t.Run("a rename moves the name reservation", func(t *testing.T) {
		if _, _, err := s.RequestOperation(ctx, "a", store.Operation{Kind: store.OpRename, Name: "front"}); err != nil {
			t.Fatal(err)
		}
		if holder, err := s.NameHolder(ctx, "front"); err != nil || holder != "a" {
			t.Errorf("NameHolder(front) = %q, %v; want a", holder, err)
		}
		if _, err := s.NameHolder(ctx, "web"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the old name is still reserved: %v", err)
		}
		if c, _, _ := s.Container(ctx, "a"); c == nil || c.Name != "front" {
			t.Errorf("spec name = %+v, want front", c)
		}
	})
	t.Run("a rename to a name another holds is a conflict and changes nothing", func(t *testing.T) {
		_, _, err := s.RequestOperation(ctx, "a", store.Operation{Kind: store.OpRename, Name: "db"})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("RequestOperation(rename to db) = %v, want ErrConflict", err)
		}
		if holder, _ := s.NameHolder(ctx, "db"); holder != "b" {
			t.Errorf("db now held by %q, want b", holder)
		}
		if holder, _ := s.NameHolder(ctx, "front"); holder != "a" {
			t.Errorf("front now held by %q, want a", holder)
		}
	})
}

func TestWaitOperation(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	specRev := mustCreate(t, s, desired("a", ""))
	if err := s.SetStatus(ctx, store.Fence{}, "a", specRev, store.Status{Phase: store.PhaseCreated, EngineID: "e1"}); err != nil {
		t.Fatal(err)
	}

	t.Run("ends once the generation is observed", func(t *testing.T) {
		gen, rev, err := s.RequestOperation(ctx, "a", store.Operation{Kind: store.OpStop})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		var st store.Status
		go func() {
			var err error
			st, err = s.WaitOperation(ctx, "a", gen, rev)
			done <- err
		}()
		specRev := modRev(t, s, "a", "spec")
		if err := s.SetStatus(ctx, store.Fence{}, "a", specRev, store.Status{Phase: store.PhaseCreated, EngineID: "e1", ObservedGeneration: gen - 1}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetStatus(ctx, store.Fence{}, "a", specRev, store.Status{Phase: store.PhaseCreated, EngineID: "e1", ObservedGeneration: gen, OpNotModified: true}); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil || st.ObservedGeneration != gen || !st.OpNotModified {
				t.Errorf("WaitOperation = %+v, %v; want the status observing generation %d", st, err, gen)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("WaitOperation did not return")
		}
	})
	t.Run("a container removed meanwhile ends the wait as removed", func(t *testing.T) {
		gen, rev, err := s.RequestOperation(ctx, "a", store.Operation{Kind: store.OpRemove, Force: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteContainer(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		_, err = s.WaitOperation(ctx, "a", gen, rev)
		if !store.IsRemoved(err) {
			t.Errorf("WaitOperation = %v, want removed", err)
		}
	})
}

func TestReleaseName(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	mustCreate(t, s, desired("a", "web"))
	if err := s.ReleaseName(ctx, "web", "b"); err != nil {
		t.Fatal(err)
	}
	if holder, err := s.NameHolder(ctx, "web"); err != nil || holder != "a" {
		t.Errorf("after a release by another id: NameHolder(web) = %q, %v; want a", holder, err)
	}
	if err := s.ReleaseName(ctx, "web", "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.NameHolder(ctx, "web"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after a release by its holder: %v, want the name free", err)
	}
	if err := s.ReleaseName(ctx, "web", "a"); err != nil {
		t.Errorf("releasing a free name: %v", err)
	}
}

func TestRegistryAuth(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	if auth, err := s.RegistryAuth(ctx, "a"); err != nil || auth != "" {
		t.Errorf("RegistryAuth before any = %q, %v; want none", auth, err)
	}
	if err := s.PutRegistryAuth(ctx, "a", "eyJ1c2VybmFtZSI6InUifQ==", time.Minute); err != nil {
		t.Fatal(err)
	}
	if auth, err := s.RegistryAuth(ctx, "a"); err != nil || auth != "eyJ1c2VybmFtZSI6InUifQ==" {
		t.Errorf("RegistryAuth = %q, %v", auth, err)
	}
	for range 2 {
		if err := s.DeleteRegistryAuth(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
	if auth, err := s.RegistryAuth(ctx, "a"); err != nil || auth != "" {
		t.Errorf("RegistryAuth after delete = %q, %v; want none", auth, err)
	}
}
