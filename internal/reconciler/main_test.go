package reconciler

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if leaks := leakedGoroutines("drover/internal/reconciler.", "drover/internal/engine."); code == 0 && leaks != "" {
		fmt.Fprintf(os.Stderr, "goroutines still running after the tests:\n%s\n", leaks)
		code = 1
	}
	os.Exit(code)
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
