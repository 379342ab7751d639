package apiserver

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap/zaptest"

	"drover/internal/engine"
	"drover/internal/placement"
	"drover/internal/store"
	"drover/internal/testenv"
)

// harness is a Server on a real store (the shared embedded etcd, under
// /test-<test name>) and a real engine pool, empty unless a test adds nodes.
type harness struct {
	srv   *Server
	store *store.Store
	pool  *engine.Pool
	opts  Options
}

func newHarness(t *testing.T, change ...func(*Options)) *harness {
	t.Helper()
	st := store.New(apiEtcd, "/test-"+strings.ReplaceAll(t.Name(), "/", "-"))
	if _, err := apiEtcd.Delete(t.Context(), st.Prefix()+"/", clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	sched, err := placement.NewScheduler(nil, "", placement.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lg := zaptest.NewLogger(t)
	pool := engine.NewPool(engine.Options{Logger: lg, RefreshInterval: time.Hour})
	opts := Options{
		Logger: lg, Pool: pool, Store: st, Scheduler: sched,
		Version: "test", Advertise: "127.0.0.1:4000", CreateTimeout: 10 * time.Second,
	}
	for _, f := range change {
		f(&opts)
	}
	return &harness{srv: New(opts), store: st, pool: pool, opts: opts}
}

// runPool drives the harness's pool until the test ends.
func (h *harness) runPool(t *testing.T, nodes ...string) {
	t.Helper()
	h.pool.SetNodes(nodes)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.pool.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func (h *harness) do(t *testing.T, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequestWithContext(t.Context(), method, target, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	return rec
}

// wantError checks an answer is an engine-shaped error.
func wantError(t *testing.T, rec *httptest.ResponseRecorder, code int, msg string) {
	t.Helper()
	if rec.Code != code {
		t.Errorf("status %d, want %d (body %s)", rec.Code, code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want exactly application/json (the docker CLI reads the message only then)", ct)
	}
	var body struct{ Message string }
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q: %v", rec.Body, err)
	}
	if body.Message != msg {
		t.Errorf("message %q, want %q", body.Message, msg)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, what, cond)
}

func (h *harness) keysUnder(t *testing.T, dir string) int64 {
	t.Helper()
	resp, err := apiEtcd.Get(t.Context(), h.store.Prefix()+"/"+dir+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return resp.Count
}

func (h *harness) wantNothingStored(t *testing.T) {
	t.Helper()
	if n, m := h.keysUnder(t, "containers"), h.keysUnder(t, "names"); n != 0 || m != 0 {
		t.Errorf("%d container keys and %d names left in etcd, want none", n, m)
	}
}

// answerCreates plays the leader's reconciler: it answers every create it
// sees with verdict's status.
func (h *harness) answerCreates(t *testing.T, verdict func(store.Record) store.Status) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ids := make(chan string, 64)
	m := h.store.NewMirror(zaptest.NewLogger(t), func(id string) {
		select {
		case ids <- id:
		default:
		}
	})
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		m.Run(ctx)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		for {
			select {
			case <-ctx.Done():
				return
			case id := <-ids:
				if rec, ok := m.Get(id); ok && rec.Status == nil {
					_ = h.store.SetStatus(ctx, store.Fence{}, id, rec.SpecRev, verdict(rec))
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		<-done
	})
	select {
	case <-m.Synced():
	case <-time.After(10 * time.Second):
		t.Fatal("mirror never synced")
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
