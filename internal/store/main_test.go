package store_test

import (
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"drover/internal/store"
	"drover/internal/testenv"
)

// etcd is the embedded etcd every test of the package shares; each test
// keeps to its own key prefix (newStore).
var etcd *testenv.Etcd

func TestMain(m *testing.M) {
	testenv.MainWithEtcd(m, func(e *testenv.Etcd) { etcd = e }, "drover/internal/store.")
}

// otherManager is a second client on the shared etcd, as another manager
// process would have, with its own store on s's prefix.
func otherManager(t *testing.T, s *store.Store) *store.Store {
	t.Helper()
	cli, err := etcd.NewClient()
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
	s := store.New(etcd.Client, "/test-"+strings.ReplaceAll(t.Name(), "/", "-"))
	if _, err := etcd.Client.Delete(t.Context(), s.Prefix()+"/", clientv3.WithPrefix()); err != nil {
		t.Fatalf("clear %s: %v", s.Prefix(), err)
	}
	return s
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	testenv.Eventually(t, timeout, what, cond)
}
