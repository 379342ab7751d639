// Package e2e drives a real Drover manager in front of the real engines of
// the test bed (deploy/local/testbed.sh) with the real docker CLI, the way a
// person at a terminal would.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	droverBin string
	engines   []string // engine addresses, node-1 first
)

func TestMain(m *testing.M) {
	if os.Getuid() != 0 {
		fmt.Println("e2e: needs root to run the test bed; skipped")
		os.Exit(0)
	}
	root, _ := filepath.Abs("..")
	droverBin = os.Getenv("DROVER_BIN")
	if droverBin == "" {
		droverBin = filepath.Join(root, "bin", "drover")
		build := exec.Command("go", "build", "-o", droverBin, "./cmd/drover")
		build.Dir, build.Stdout, build.Stderr = root, os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Println("e2e: build drover:", err)
			os.Exit(1)
		}
	}
	up := exec.Command(filepath.Join(root, "deploy/local/testbed.sh"), "up", "3")
	up.Stdout, up.Stderr = os.Stderr, os.Stderr
	if err := up.Run(); err != nil {
		fmt.Println("e2e: test bed:", err)
		os.Exit(1)
	}
	out, err := exec.Command(filepath.Join(root, "deploy/local/testbed.sh"), "env").Output()
	if err != nil {
		fmt.Println("e2e: test bed env:", err)
		os.Exit(1)
	}
	engines = strings.Split(strings.TrimSpace(string(out)), ",")
	os.Exit(m.Run())
}

// clis are the docker CLIs on the machine: Debian's docker.io and, where the
// machine has one, a newer CLI. Every CLI test runs with each.
func clis(t *testing.T) []string {
	var found []string
	for _, p := range []string{"/usr/bin/docker", "/usr/local/bin/docker"} {
		if _, err := os.Stat(p); err == nil {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		t.Fatal("no docker CLI on the machine")
	}
	return found
}

// manager is one running `drover manage`.
type manager struct {
	addr string
	etcd string // embedded etcd's client address
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startManager runs a manager with an embedded etcd; with no discovery given
// it fronts the whole test bed.
func startManager(t *testing.T, args ...string) *manager {
	t.Helper()
	m := &manager{addr: freeAddr(t), etcd: freeAddr(t), log: &bytes.Buffer{}}
	if len(args) == 0 {
		args = []string{"nodes://" + strings.Join(engines, ",")}
	}
	full := append([]string{"manage", "-H", m.addr, "--data-dir", t.TempDir(), "--etcd-listen", m.etcd}, args...)
	m.cmd = exec.Command(droverBin, full...)
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = m.cmd.Process.Kill()
		_ = m.cmd.Wait()
		if t.Failed() {
			t.Logf("manager log:\n%s", m.log.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + m.addr + "/_ping"); err == nil {
			resp.Body.Close()
			return m
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("manager on %s did not answer; log:\n%s", m.addr, m.log.String())
	return nil
}

// waitHealthy waits until the manager sees n healthy engines.
func (m *manager) waitHealthy(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var info struct{ SystemStatus [][2]string }
		if m.getJSON("/info", &info) == nil {
			healthy := 0
			for _, row := range info.SystemStatus {
				if row[0] == "  └ Status" && row[1] == "Healthy" {
					healthy++
				}
			}
			if healthy == n {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("manager never saw %d healthy engines", n)
}

func (m *manager) getJSON(path string, v any) error {
	resp, err := http.Get("http://" + m.addr + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// docker runs a docker CLI against host and returns its stdout; a failure
// returns stderr in the error.
func docker(t *testing.T, cli, host string, args ...string) (string, error) {
	t.Helper()
	// Not t.Context(): cleanups run docker too, after that is cancelled.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Env = append(cleanEnv(), "DOCKER_HOST=tcp://"+host, "DOCKER_CONFIG="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// mustDocker is docker that fails the test on error.
func mustDocker(t *testing.T, cli, host string, args ...string) string {
	t.Helper()
	out, err := docker(t, cli, host, args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DOCKER_") {
			env = append(env, kv)
		}
	}
	return env
}

// wipeEngines removes every container from every engine, straight on the
// engines, so each test starts from an empty pool.
func wipeEngines(t *testing.T) {
	t.Helper()
	for _, e := range engines {
		ids := strings.Fields(mustDocker(t, "/usr/bin/docker", e, "ps", "-aq"))
		if len(ids) > 0 {
			mustDocker(t, "/usr/bin/docker", e, append([]string{"rm", "-f"}, ids...)...)
		}
	}
}

// engineContainers counts the containers each engine holds, straight on the
// engines.
func engineContainers(t *testing.T) []int {
	t.Helper()
	counts := make([]int, len(engines))
	for i, e := range engines {
		counts[i] = len(strings.Fields(mustDocker(t, "/usr/bin/docker", e, "ps", "-aq")))
	}
	return counts
}

func total(counts []int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

func nodeName(i int) string { return "node-" + strconv.Itoa(i+1) }
