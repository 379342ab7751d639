package reconciler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"go.uber.org/zap/zaptest"
	"k8s.io/client-go/util/workqueue"

	"drover/internal/testenv"
)

// outcome is what one Reconcile call of a script does.
type outcome struct {
	res   Result
	err   error
	panic any
}

// scripted is a Reconciler that plays, per key, a script of outcomes (then
// succeeds) and records every call.
type scripted struct {
	mu     sync.Mutex
	script map[string][]outcome
	calls  map[string]int
}

func newScripted(script map[string][]outcome) *scripted {
	return &scripted{script: script, calls: map[string]int{}}
}

func (s *scripted) Reconcile(_ context.Context, key string) (Result, error) {
	s.mu.Lock()
	n := s.calls[key]
	s.calls[key]++
	var o outcome
	if n < len(s.script[key]) {
		o = s.script[key][n]
	}
	s.mu.Unlock()
	if o.panic != nil {
		panic(o.panic)
	}
	return o.res, o.err
}

func (s *scripted) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[key]
}

// limiter is a rate limiter that records what the queue asks of it and
// retries after a millisecond.
type limiter struct {
	mu           sync.Mutex
	when, forget map[string]int
	failures     map[string]int
}

func newLimiter() *limiter {
	return &limiter{when: map[string]int{}, forget: map[string]int{}, failures: map[string]int{}}
}

func (l *limiter) When(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.when[key]++
	l.failures[key]++
	return time.Millisecond
}

func (l *limiter) Forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forget[key]++
	delete(l.failures, key)
}

func (l *limiter) NumRequeues(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failures[key]
}

func (l *limiter) counts(key string) (when, forget int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.when[key], l.forget[key]
}

func newQueue(t *testing.T, l *limiter) workqueue.TypedRateLimitingInterface[string] {
	t.Helper()
	q := workqueue.NewTypedRateLimitingQueueWithConfig[string](l, workqueue.TypedRateLimitingQueueConfig[string]{Name: "test"})
	t.Cleanup(q.ShutDown)
	return q
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, what, cond)
}

var errBoom = errors.New("boom")

func TestProcessNext(t *testing.T) {
	tests := []struct {
		name       string
		outcome    outcome
		wantRetry  bool // rate-limited again (When asked)
		wantForget bool
		wantBack   bool // the key comes back by itself
	}{
		{name: "success forgets the key", outcome: outcome{}, wantForget: true},
		{name: "an error is retried with back-off", outcome: outcome{err: errBoom}, wantRetry: true, wantBack: true},
		{name: "a terminal error is not retried", outcome: outcome{err: Terminal(errBoom)}, wantForget: true},
		{name: "a wrapped terminal error is not retried", outcome: outcome{err: fmt.Errorf("create: %w", Terminal(errBoom))}, wantForget: true},
		{name: "a panic is an error, retried", outcome: outcome{panic: "nil map"}, wantRetry: true, wantBack: true},
		{name: "RequeueAfter brings the key back without counting a failure", outcome: outcome{res: Result{RequeueAfter: time.Millisecond}}, wantForget: true, wantBack: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimiter()
			q := newQueue(t, l)
			r := newScripted(map[string][]outcome{"k": {tt.outcome}})
			q.Add("k")
			if !processNext(t.Context(), zaptest.NewLogger(t), q, r, time.Minute) {
				t.Fatal("processNext reported a shut down queue")
			}
			if r.count("k") != 1 {
				t.Fatalf("Reconcile called %d times, want once", r.count("k"))
			}
			when, forget := l.counts("k")
			if got := when > 0; got != tt.wantRetry {
				t.Errorf("rate-limited retry = %v, want %v", got, tt.wantRetry)
			}
			if got := forget > 0; got != tt.wantForget {
				t.Errorf("forgotten = %v, want %v", got, tt.wantForget)
			}
			if tt.wantBack {
				eventually(t, "the key back in the queue", func() bool { return q.Len() == 1 })
			} else if q.Len() != 0 {
				t.Errorf("queue holds %d keys, want none", q.Len())
			}
		})
	}
}

func TestProcessNextStopsOnShutdown(t *testing.T) {
	q := newQueue(t, newLimiter())
	q.ShutDown()
	if processNext(t.Context(), zaptest.NewLogger(t), q, newScripted(nil), time.Minute) {
		t.Error("processNext = true on a shut down queue, want false")
	}
}

func TestRunQueue(t *testing.T) {
	l := newLimiter()
	q := newQueue(t, l)
	r := newScripted(map[string][]outcome{
		"flaky":   {{err: errBoom}, {err: errBoom}},
		"doomed":  {{err: Terminal(errBoom)}},
		"later":   {{res: Result{RequeueAfter: 5 * time.Millisecond}}},
		"panicky": {{panic: "index out of range"}},
		"fine":    nil,
	})
	want := map[string]int{"flaky": 3, "doomed": 1, "later": 2, "panicky": 2, "fine": 1}
	for key := range want {
		q.Add(key)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runQueue(ctx, zaptest.NewLogger(t), q, r, 3, time.Minute)
	}()
	for key, n := range want {
		eventually(t, fmt.Sprintf("%s reconciled %d times", key, n), func() bool { return r.count(key) >= n })
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("runQueue did not return after its context ended")
	}
	// Nothing re-adds a key after its last call, so the counts are final.
	for key, n := range want {
		if got := r.count(key); got != n {
			t.Errorf("%s reconciled %d times, want %d", key, got, n)
		}
	}
	if when, _ := l.counts("doomed"); when != 0 {
		t.Errorf("the terminal key was rate-limited %d times, want never", when)
	}
	if when, _ := l.counts("flaky"); when != 2 {
		t.Errorf("the flaky key was retried %d times, want 2", when)
	}
}

// blocking blocks the first Reconcile of each key until released, and
// records how many ran at once.
type blocking struct {
	started, release chan struct{}
	calls, running   atomic.Int32
	maxRunning       atomic.Int32
}

func (b *blocking) Reconcile(context.Context, string) (Result, error) {
	n := b.running.Add(1)
	defer b.running.Add(-1)
	for {
		m := b.maxRunning.Load()
		if n <= m || b.maxRunning.CompareAndSwap(m, n) {
			break
		}
	}
	if b.calls.Add(1) == 1 {
		close(b.started)
		<-b.release
	}
	return Result{}, nil
}

func TestRunQueueReconcilesAKeyOnceAtATime(t *testing.T) {
	q := newQueue(t, newLimiter())
	b := &blocking{started: make(chan struct{}), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runQueue(ctx, zaptest.NewLogger(t), q, b, 4, time.Minute)
	}()
	defer func() {
		cancel()
		<-done
	}()

	q.Add("k")
	<-b.started
	for range 5 {
		q.Add("k") // while k is being reconciled: merged into one more pass
	}
	close(b.release)
	eventually(t, "the second pass", func() bool { return b.calls.Load() >= 2 && q.Len() == 0 && b.running.Load() == 0 })
	if got := b.maxRunning.Load(); got != 1 {
		t.Errorf("%d reconciles of one key ran at once, want 1", got)
	}
	if got := b.calls.Load(); got != 2 {
		t.Errorf("Reconcile called %d times, want 2: adds during a pass merge into one", got)
	}
}

type reconcileFunc func(ctx context.Context, key string) (Result, error)

func (f reconcileFunc) Reconcile(ctx context.Context, key string) (Result, error) { return f(ctx, key) }

func TestReconcileSafely(t *testing.T) {
	t.Run("a panic becomes an error naming the key", func(t *testing.T) {
		_, err := reconcileSafely(t.Context(), reconcileFunc(func(context.Context, string) (Result, error) {
			panic("assignment to entry in nil map")
		}), "abc", time.Minute)
		if err == nil || !strings.Contains(err.Error(), "abc") || !strings.Contains(err.Error(), "assignment to entry in nil map") {
			t.Errorf("error = %v, want the panic and the key", err)
		}
		if IsTerminal(err) {
			t.Error("a panic is terminal, want it retried")
		}
	})
	t.Run("each reconcile is bounded by the timeout, with a cause", func(t *testing.T) {
		_, err := reconcileSafely(t.Context(), reconcileFunc(func(ctx context.Context, _ string) (Result, error) {
			<-ctx.Done()
			return Result{}, context.Cause(ctx)
		}), "abc", time.Millisecond)
		if err == nil || err.Error() != "reconcile of abc took over 1ms" {
			t.Errorf("error = %v, want the timeout's cause", err)
		}
	})
	t.Run("result and error pass through", func(t *testing.T) {
		res, err := reconcileSafely(t.Context(), reconcileFunc(func(context.Context, string) (Result, error) {
			return Result{RequeueAfter: time.Hour}, errBoom
		}), "abc", time.Minute)
		if res.RequeueAfter != time.Hour || !errors.Is(err, errBoom) {
			t.Errorf("reconcileSafely = %+v, %v", res, err)
		}
	})
}

func TestTerminal(t *testing.T) {
	notFound := cerrdefs.ErrNotFound.WithMessage("No such image: nosuch:latest")
	tests := []struct {
		name         string
		err          error
		wantTerminal bool
	}{
		{"nil", nil, false},
		{"plain error", errBoom, false},
		{"terminal", Terminal(errBoom), true},
		{"wrapped terminal", fmt.Errorf("create on n1: %w", Terminal(errBoom)), true},
		{"joined with a terminal", errors.Join(errors.New("other"), Terminal(errBoom)), true},
		{"terminal of a kind", Terminal(notFound), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsTerminal(tt.err); got != tt.wantTerminal {
				t.Errorf("IsTerminal(%v) = %v, want %v", tt.err, got, tt.wantTerminal)
			}
		})
	}
	t.Run("keeps the message, the cause and its kind", func(t *testing.T) {
		err := Terminal(notFound)
		if err.Error() != "No such image: nosuch:latest" {
			t.Errorf("message = %q", err)
		}
		if !errors.Is(err, notFound) || !cerrdefs.IsNotFound(err) {
			t.Errorf("%v lost its cause or kind", err)
		}
	})
}
