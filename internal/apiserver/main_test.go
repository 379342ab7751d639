package apiserver

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

// apiEtcd is the client of the embedded etcd the package's tests share; each
// test keeps to its own key prefix (see newHarness).
var apiEtcd *clientv3.Client

func TestMain(m *testing.M) { os.Exit(runAPITests(m)) }

func runAPITests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "drover-apiserver-test-")
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
	apiEtcd, err = clientv3.New(clientv3.Config{Endpoints: []string{etcd.Endpoint}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	apiEtcd.Close()
	if leaks := goroutinesOf("drover/internal/store.", "drover/internal/engine."); code == 0 && leaks != "" {
		fmt.Fprintf(os.Stderr, "goroutines still running after the tests:\n%s\n", leaks)
		return 1
	}
	return code
}

// goroutinesOf returns the stacks of goroutines still running code of the
// packages named (by "import/path." prefix), waiting a little for those on
// their way out. goleak would do this, but go.mod does not require it.
func goroutinesOf(pkgPrefixes ...string) string {
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
