// Package testenv holds what the tests of several packages share: an
// embedded etcd for a package's tests, and a check that a package's
// goroutines have ended. Only tests import it.
package testenv

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

// Etcd is the embedded etcd a package's tests share.
type Etcd struct {
	Endpoint string
	Client   *clientv3.Client
}

// NewClient is one more client on the shared etcd, as another manager
// process would have.
func (e *Etcd) NewClient() (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{Endpoints: []string{e.Endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
}

// MainWithEtcd runs a package's tests with an embedded etcd in a temporary
// directory, then fails them if goroutines of the packages named (by
// "import/path." prefix) are still running. Call it from TestMain.
func MainWithEtcd(m *testing.M, use func(*Etcd), leakPrefixes ...string) {
	os.Exit(runWithEtcd(m, use, leakPrefixes))
}

func runWithEtcd(m *testing.M, use func(*Etcd), leakPrefixes []string) int {
	dir, err := os.MkdirTemp("", "drover-test-etcd-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	embedded, err := store.StartEmbedded(dir, "", zap.NewNop())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer embedded.Close()
	e := &Etcd{Endpoint: embedded.Endpoint}
	if e.Client, err = e.NewClient(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	use(e)
	code := m.Run()
	e.Client.Close()
	return checkLeaks(code, leakPrefixes)
}

// Main runs a package's tests, then checks for leaked goroutines as
// MainWithEtcd does.
func Main(m *testing.M, leakPrefixes ...string) {
	os.Exit(checkLeaks(m.Run(), leakPrefixes))
}

func checkLeaks(code int, prefixes []string) int {
	if leaks := LeakedGoroutines(prefixes...); code == 0 && leaks != "" {
		fmt.Fprintf(os.Stderr, "goroutines still running after the tests:\n%s\n", leaks)
		return 1
	}
	return code
}

// LeakedGoroutines returns the stacks of goroutines still running code of
// the packages named (by "import/path." prefix), waiting a little for those
// on their way out. goleak checks every goroutine; the embedded etcd and the
// gRPC clients keep some of theirs, so this looks only at ours.
func LeakedGoroutines(pkgPrefixes ...string) string {
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

// Eventually polls cond until it holds, failing the test after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for: %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
