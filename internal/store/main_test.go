package store_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"drover/internal/store"
)

// etcdClient talks to the embedded etcd every test of the package shares, at
// etcdEndpoint; each test keeps to its own key prefix (newStore).
var (
	etcdClient   *clientv3.Client
	etcdEndpoint string
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "drover-store-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	etcd, err := store.StartEmbedded(dir, "", zap.NewNop())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer etcd.Close()
	etcdEndpoint = etcd.Endpoint
	etcdClient, err = newClient(etcdEndpoint)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	etcdClient.Close()
	if leaks := leakedGoroutines("drover/internal/store."); code == 0 && leaks != "" {
		fmt.Fprintf(os.Stderr, "goroutines of the store still running after the tests:\n%s\n", leaks)
		return 1
	}
	return code
}

func newClient(endpoint string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   []string{endpoint},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
}

// otherManager is a second client on the shared etcd, as another manager
// process would have, with its own store on s's prefix.
func otherManager(t *testing.T, s *store.Store) *store.Store {
	t.Helper()
	cli, err := newClient(etcdEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return store.New(cli, s.Prefix())
}

// newStore returns a store on the shared etcd under /test-<test name>,
// emptied first so that -count=N reruns start clean.
func newStore(t *testing.T) *store.Store {
	t.Helper()
	s := store.New(etcdClient, "/test-"+strings.ReplaceAll(t.Name(), "/", "-"))
	if _, err := etcdClient.Delete(t.Context(), s.Prefix()+"/", clientv3.WithPrefix()); err != nil {
		t.Fatalf("clear %s: %v", s.Prefix(), err)
	}
	return s
}

// leakedGoroutines returns the stacks of goroutines still running code of
// the packages named (by "import/path." prefix), waiting a little for those
// on their way out. goleak would do this, but go.mod does not require it.
func leakedGoroutines(pkgPrefixes ...string) string {
	var leaked []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		leaked = leaked[:0]
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, ".TestMain(") {
				continue
			}
			for _, p := range pkgPrefixes {
				if strings.Contains(g, p) {
					leaked = append(leaked, g)
					break
				}
			}
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
	}
}

// eventually polls cond until it holds, failing the test after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for: %s", timeout, what)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("test ended waiting for: %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
