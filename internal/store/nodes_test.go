package store_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

func TestJoinNodeRefusesBadTimings(t *testing.T) {
	s := newStore(t)
	tests := []struct {
		name           string
		heartbeat, ttl time.Duration
	}{
		{"no heartbeat", 0, 10 * time.Second},
		{"negative heartbeat", -time.Second, 10 * time.Second},
		{"ttl under a second", time.Second, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.JoinNode(t.Context(), zaptest.NewLogger(t), "10.0.0.1:2375", tt.heartbeat, tt.ttl)
			if err == nil || !strings.Contains(err.Error(), "ttl at least 1s") {
				t.Errorf("JoinNode(heartbeat %s, ttl %s) = %v, want an error", tt.heartbeat, tt.ttl, err)
			}
		})
	}
}

// TestJoinNode waits out etcd's minimum lease (about 2s) twice.
func TestJoinNode(t *testing.T) {
	s := newStore(t)
	const addr = "10.0.0.1:2375"
	ttl := 2 * time.Second
	nodes := func() []string {
		n, err := s.Nodes(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	joined := make(chan error, 1)
	go func() { joined <- s.JoinNode(ctx, zaptest.NewLogger(t), addr, 200*time.Millisecond, ttl) }()

	eventually(t, 10*time.Second, "the node registered", func() bool { return slices.Equal(nodes(), []string{addr}) })

	// Longer than the lease: only the heartbeats keep the node.
	time.Sleep(ttl + time.Second)
	if got := nodes(); !slices.Equal(got, []string{addr}) {
		t.Fatalf("Nodes() while the agent runs, past the TTL = %v, want [%s]", got, addr)
	}

	cancel()
	select {
	case err := <-joined:
		if err != nil {
			t.Errorf("JoinNode returned %v when its context ended, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("JoinNode did not return when its context ended")
	}
	eventually(t, 10*time.Second, "the node to expire with its lease", func() bool { return len(nodes()) == 0 })
}

func TestWatchNodes(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	put := func(addr string) {
		if _, err := s.Client().Put(ctx, s.Prefix()+"/nodes/"+addr, addr); err != nil {
			t.Fatal(err)
		}
	}
	put("10.0.0.2:2375")

	var mu sync.Mutex
	var calls [][]string
	last := func() []string {
		mu.Lock()
		defer mu.Unlock()
		if len(calls) == 0 {
			return nil
		}
		return calls[len(calls)-1]
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.WatchNodes(wctx, zaptest.NewLogger(t), func(addrs []string) {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, addrs)
		})
	}()
	defer func() {
		cancel()
		<-done
	}()

	eventually(t, 10*time.Second, "the nodes registered before the watch", func() bool {
		return slices.Equal(last(), []string{"10.0.0.2:2375"})
	})
	put("10.0.0.1:2375")
	eventually(t, 10*time.Second, "an addition, sorted in", func() bool {
		return slices.Equal(last(), []string{"10.0.0.1:2375", "10.0.0.2:2375"})
	})
	if _, err := s.Client().Delete(ctx, s.Prefix()+"/nodes/10.0.0.2:2375"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a removal", func() bool {
		return slices.Equal(last(), []string{"10.0.0.1:2375"})
	})
	if got, err := s.Nodes(ctx); err != nil || !slices.Equal(got, []string{"10.0.0.1:2375"}) {
		t.Errorf("Nodes() = %v, %v; want what WatchNodes reported last", got, err)
	}
}
