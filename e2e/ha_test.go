package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// etcdCluster is three real etcd processes (Debian's etcd-server) on loopback.
type etcdCluster struct {
	t       *testing.T
	dir     string
	names   []string
	clients []string
	peers   []string
	cmds    []*exec.Cmd
}

func startEtcdCluster(t *testing.T) *etcdCluster {
	t.Helper()
	if _, err := exec.LookPath("etcd"); err != nil {
		install := exec.Command("apt-get", "install", "-y", "-qq", "etcd-server")
		install.Env = append(cleanEnv(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := install.CombinedOutput(); err != nil {
			t.Fatalf("install etcd-server: %v: %s", err, out)
		}
	}
	c := &etcdCluster{t: t, dir: t.TempDir()}
	var initial []string
	for i := range 3 {
		c.names = append(c.names, fmt.Sprintf("e%d", i))
		c.clients = append(c.clients, freeAddr(t))
		c.peers = append(c.peers, freeAddr(t))
		initial = append(initial, c.names[i]+"=http://"+c.peers[i])
	}
	c.cmds = make([]*exec.Cmd, 3)
	for i := range 3 {
		c.start(i, strings.Join(initial, ","))
	}
	t.Cleanup(func() {
		for i := range c.cmds {
			c.kill(i)
		}
	})
	c.waitHealthy()
	return c
}

func (c *etcdCluster) start(i int, initialCluster string) {
	c.t.Helper()
	cmd := exec.Command("etcd",
		"--name", c.names[i], "--data-dir", filepath.Join(c.dir, c.names[i]),
		"--listen-client-urls", "http://"+c.clients[i], "--advertise-client-urls", "http://"+c.clients[i],
		"--listen-peer-urls", "http://"+c.peers[i], "--initial-advertise-peer-urls", "http://"+c.peers[i],
		"--initial-cluster", initialCluster, "--initial-cluster-state", "new", "--initial-cluster-token", "drover-e2e",
		"--log-level", "error", "--logger", "zap")
	cmd.Env = append(cleanEnv(), "ETCD_UNSUPPORTED_ARCH=")
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.cmds[i] = cmd
}

// restart starts member i again on its data.
func (c *etcdCluster) restart(i int) {
	var initial []string
	for j := range c.names {
		initial = append(initial, c.names[j]+"=http://"+c.peers[j])
	}
	c.start(i, strings.Join(initial, ","))
}

func (c *etcdCluster) kill(i int) {
	if c.cmds[i] != nil && c.cmds[i].Process != nil {
		_ = c.cmds[i].Process.Kill()
		_ = c.cmds[i].Wait()
		c.cmds[i] = nil
	}
}

func (c *etcdCluster) stop(i int) {
	if c.cmds[i] != nil {
		_ = c.cmds[i].Process.Signal(syscall.SIGTERM)
		_ = c.cmds[i].Wait()
		c.cmds[i] = nil
	}
}

func (c *etcdCluster) client() *clientv3.Client {
	var eps []string
	for _, a := range c.clients {
		eps = append(eps, "http://"+a)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { cli.Close() })
	return cli
}

func (c *etcdCluster) waitHealthy() {
	c.t.Helper()
	cli := c.client()
	waitFor(c.t, "etcd to answer", func() bool {
		ctx, cancel := context.WithTimeout(c.t.Context(), time.Second)
		defer cancel()
		_, err := cli.Put(ctx, "/e2e-probe", "ok")
		return err == nil
	})
}

// haCluster is three managers sharing the etcd cluster under one prefix.
type haCluster struct {
	etcd     *etcdCluster
	prefix   string
	managers []*manager
}

func startHACluster(t *testing.T) *haCluster {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	h := &haCluster{etcd: startEtcdCluster(t), prefix: "/ha-" + hex.EncodeToString(b)}
	for range 3 {
		h.managers = append(h.managers, h.startManager(t))
	}
	for _, m := range h.managers {
		m.waitHealthy(t, 3)
	}
	leader := h.leader(t)
	waitFor(t, "info to list the three managers", func() bool {
		var info struct{ SystemStatus [][2]string }
		if leader.getJSON("/info", &info) != nil || len(info.SystemStatus) < 3 || info.SystemStatus[2][0] != "Managers" {
			return false
		}
		for _, m := range h.managers {
			if !strings.Contains(info.SystemStatus[2][1], m.addr) {
				return false
			}
		}
		return true
	})
	return h
}

func (h *haCluster) startManager(t *testing.T) *manager {
	return startManager(t, "--replication", "--replication-ttl", "2s",
		"--store", "etcd://"+strings.Join(h.etcd.clients, ",")+h.prefix,
		"nodes://"+strings.Join(engines, ","))
}

// leader waits until one live manager says it is the primary and returns it.
func (h *haCluster) leader(t *testing.T) *manager {
	t.Helper()
	var found *manager
	waitFor(t, "a primary", func() bool {
		for _, m := range h.live() {
			var info struct{ SystemStatus [][2]string }
			if m.getJSON("/info", &info) == nil && len(info.SystemStatus) > 0 && info.SystemStatus[0] == [2]string{"Role", "primary"} {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

func (h *haCluster) live() []*manager {
	var out []*manager
	for _, m := range h.managers {
		if m.cmd.ProcessState == nil {
			out = append(out, m)
		}
	}
	return out
}

func (h *haCluster) kill(m *manager) {
	_ = m.cmd.Process.Kill()
	_ = m.cmd.Wait()
}

// call is one client call of the recorded history.
type call struct {
	name        string
	start, end  int64
	ok, unknown bool
	err         string
}

// history records calls as they start and end.
type history struct {
	mu    sync.Mutex
	calls []call
	epoch time.Time
}

func newHistory() *history { return &history{epoch: time.Now()} }

func (h *history) run(t *testing.T, m *manager, name string, args ...string) call {
	c := call{name: name, start: int64(time.Since(h.epoch))}
	_, err := docker(t, "/usr/bin/docker", m.addr, args...)
	c.end = int64(time.Since(h.epoch))
	c.ok = err == nil
	if err != nil {
		// A docker run is several API calls: a failure does not say whether
		// the container was made, so its outcome is unknown.
		c.unknown, c.err = true, err.Error()
	}
	h.mu.Lock()
	h.calls = append(h.calls, c)
	h.mu.Unlock()
	return c
}

// containersByName lists this test's containers straight on the engines.
func containersByName(t *testing.T) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, e := range engines {
		for _, n := range strings.Fields(mustDocker(t, "/usr/bin/docker", e, "ps", "-a", "--format", "{{.Names}}")) {
			counts[n]++
		}
	}
	return counts
}

// settle waits until every desired container in etcd is created with its
// operations carried out, and the engines hold exactly those containers.
func (h *haCluster) settle(t *testing.T) {
	t.Helper()
	cli := h.etcd.client()
	waitFor(t, "etcd and the engines to agree", func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		resp, err := cli.Get(ctx, h.prefix+"/containers/", clientv3.WithPrefix())
		if err != nil {
			return false
		}
		records := map[string]bool{}
		for _, kv := range resp.Kvs {
			id, kind, _ := strings.Cut(strings.TrimPrefix(string(kv.Key), h.prefix+"/containers/"), "/")
			if kind != "status" {
				continue
			}
			var st struct{ Phase string }
			if json.Unmarshal(kv.Value, &st) != nil || st.Phase != "created" {
				return false
			}
			records[id] = true
		}
		onEngines := map[string]int{}
		for _, e := range engines {
			out, err := docker(t, "/usr/bin/docker", e, "ps", "-a", "--format", `{{.Label "com.docker.swarm.id"}}`)
			if err != nil {
				return false
			}
			for _, id := range strings.Fields(out) {
				onEngines[id]++
			}
		}
		if len(onEngines) != len(records) {
			return false
		}
		for id, n := range onEngines {
			if n != 1 || !records[id] {
				return false
			}
		}
		return true
	})
}

// checkHistory checks the recorded history against what the engines hold,
// with porcupine: per name, a create that succeeded made exactly one
// container, one that failed made at most one, and nothing else exists.
func checkHistory(t *testing.T, h *history, final map[string]int) {
	t.Helper()
	type input struct {
		observe bool
		count   int
	}
	type output struct{ ok, unknown bool }
	var ops []porcupine.Operation
	var end int64
	for i, c := range h.calls {
		ret := c.end
		if c.unknown {
			ret = 1 << 62 // an unknown outcome may take effect any time after the call
		}
		ops = append(ops, porcupine.Operation{ClientId: i, Input: input{}, Output: output{ok: c.ok, unknown: c.unknown}, Call: c.start, Return: ret, Metadata: c.name})
		end = max(end, c.end)
	}
	for name, n := range final {
		ops = append(ops, porcupine.Operation{ClientId: len(ops), Input: input{observe: true, count: n}, Output: output{}, Call: end + 1, Return: end + 2, Metadata: name})
	}
	model := (&porcupine.NondeterministicModel{
		Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
			byName := map[string][]porcupine.Operation{}
			for _, op := range history {
				byName[op.Metadata.(string)] = append(byName[op.Metadata.(string)], op)
			}
			var parts [][]porcupine.Operation
			for _, p := range byName {
				parts = append(parts, p)
			}
			return parts
		},
		Init: func() []any { return []any{0} },
		Step: func(state, in, out any) []any {
			n, i, o := state.(int), in.(input), out.(output)
			switch {
			case i.observe && n == i.count:
				return []any{n}
			case i.observe:
				return nil
			case o.ok:
				return []any{n + 1}
			default: // failed: it made nothing, or one container
				return []any{n, n + 1}
			}
		},
	}).ToModel()
	if !porcupine.CheckOperations(model, ops) {
		t.Fatalf("the history is not linearizable: a container exists twice, or without a create that made it")
	}
	for name, n := range final {
		if n > 1 {
			t.Errorf("container %s exists %d times", name, n)
		}
	}
}

// Three managers; 200 `docker run -d` spread over the three while the leader
// is killed with SIGKILL half-way: every run that succeeded made exactly one
// container, none exists twice, and no engine holds an orphan.
func TestHALeaderKilledUnderLoad(t *testing.T) {
	h := startHACluster(t)
	wipeEngines(t)
	leader := h.leader(t)
	hist := newHistory()
	const runs, workers = 200, 8
	jobs := make(chan int)
	var started atomic.Int32
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				m := h.managers[i%len(h.managers)]
				name := fmt.Sprintf("ha-%03d", i)
				hist.run(t, m, name, "run", "-d", "--name", name, "busybox", "sleep", "600")
			}
		}()
	}
	for i := range runs {
		if started.Add(1) == runs/2 {
			h.kill(leader)
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	newLeader := h.leader(t)
	if newLeader == leader {
		t.Fatal("the killed manager still leads")
	}
	h.settle(t)
	final := containersByName(t)
	checkHistory(t, hist, final)
	var ok, failed int
	for _, c := range hist.calls {
		if c.ok {
			ok++
		} else {
			failed++
		}
	}
	t.Logf("%d runs: %d succeeded, %d failed (those sent to the killed manager), %d containers exist", runs, ok, failed, len(final))
	if ok < runs/2 {
		t.Fatalf("only %d of %d runs succeeded", ok, runs)
	}
	wipeEngines(t)
}

// A create sent while no manager leads waits, and completes once one is
// elected. Measures failover: leader killed → next container created.
func TestHACreateWaitsForANewLeader(t *testing.T) {
	h := startHACluster(t)
	wipeEngines(t)
	var took []time.Duration
	for round := range 5 {
		leader := h.leader(t)
		var survivor *manager
		for _, m := range h.live() {
			if m != leader {
				survivor = m
				break
			}
		}
		h.kill(leader)
		start := time.Now()
		name := fmt.Sprintf("failover-%d", round)
		if _, err := docker(t, "/usr/bin/docker", survivor.addr, "run", "-d", "--name", name, "busybox", "sleep", "600"); err != nil {
			t.Fatalf("round %d: a create sent with no leader failed: %v", round, err)
		}
		took = append(took, time.Since(start))
		h.managers = append(h.live(), h.startManager(t))
		h.managers[len(h.managers)-1].waitHealthy(t, 3)
	}
	slices.Sort(took)
	t.Logf("failover (leader killed → next container created), replication-ttl 2s: median %s of %v", took[len(took)/2], took)
	h.settle(t)
	wipeEngines(t)
}

// One etcd member killed under load: the managers carry on. Then etcd is
// restarted entirely: the managers reconnect and resume without a restart.
func TestHAEtcdMemberLossAndFullRestart(t *testing.T) {
	h := startHACluster(t)
	wipeEngines(t)
	hist := newHistory()
	for i := range 6 {
		hist.run(t, h.managers[i%3], fmt.Sprintf("before-%d", i), "run", "-d", "--name", fmt.Sprintf("before-%d", i), "busybox", "sleep", "600")
	}
	h.etcd.kill(0)
	for i := range 12 {
		name := fmt.Sprintf("one-down-%d", i)
		if c := hist.run(t, h.managers[i%3], name, "run", "-d", "--name", name, "busybox", "sleep", "600"); !c.ok {
			t.Errorf("with one etcd member down, %s failed: %s", name, c.err)
		}
	}
	h.etcd.restart(0)
	h.etcd.waitHealthy()

	for i := range 3 {
		h.etcd.stop(i)
	}
	time.Sleep(3 * time.Second)
	for i := range 3 {
		h.etcd.restart(i)
	}
	h.etcd.waitHealthy()
	for i, m := range h.managers {
		attempt := 0
		waitFor(t, "manager "+m.addr+" to create again", func() bool {
			attempt++
			name := fmt.Sprintf("after-restart-%d-%d", i, attempt)
			return hist.run(t, m, name, "run", "-d", "--name", name, "busybox", "sleep", "600").ok
		})
		if m.cmd.ProcessState != nil {
			t.Fatalf("manager %s exited", m.addr)
		}
	}
	h.settle(t)
	checkHistory(t, hist, containersByName(t))
	wipeEngines(t)
}

// The leader paused (SIGSTOP) for longer than its TTL loses the lead; when it
// resumes (SIGCONT) none of its writes lands and no container ends up doubled.
func TestHAPausedLeaderIsFenced(t *testing.T) {
	h := startHACluster(t)
	wipeEngines(t)
	old := h.leader(t)
	cli := h.etcd.client()
	oldEpoch := leaderEpoch(t, cli, h.prefix)
	var others []*manager
	for _, m := range h.managers {
		if m != old {
			others = append(others, m)
		}
	}
	hist := newHistory()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 6 {
				name := fmt.Sprintf("paused-%d-%d", w, i)
				hist.run(t, others[(w+i)%2], name, "run", "-d", "--name", name, "busybox", "sleep", "600")
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	_ = old.cmd.Process.Signal(syscall.SIGSTOP)
	var takeover time.Time
	waitFor(t, "another manager to lead", func() bool {
		if leaderEpoch(t, cli, h.prefix) != oldEpoch {
			takeover = time.Now()
			return true
		}
		return false
	})
	time.Sleep(time.Second)
	_ = old.cmd.Process.Signal(syscall.SIGCONT)
	wg.Wait()
	h.settle(t)
	checkHistory(t, hist, containersByName(t))

	resp, err := cli.Get(t.Context(), h.prefix+"/containers/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range resp.Kvs {
		var st struct {
			Epoch     int64
			UpdatedAt time.Time
		}
		if strings.HasSuffix(string(kv.Key), "/status") && json.Unmarshal(kv.Value, &st) == nil &&
			st.Epoch == oldEpoch && st.UpdatedAt.After(takeover) {
			t.Errorf("the deposed leader wrote %s at %s, after the takeover at %s", kv.Key, st.UpdatedAt, takeover)
		}
	}
	if !bytes.Contains(old.log.Bytes(), []byte("leadership lost")) {
		t.Errorf("the paused leader never noticed it lost the lead")
	}
	wipeEngines(t)
}

// leaderEpoch is the create revision of the current leader's election key.
func leaderEpoch(t *testing.T, cli *clientv3.Client, prefix string) int64 {
	t.Helper()
	resp, err := cli.Get(t.Context(), prefix+"/leader/", clientv3.WithFirstCreate()...)
	if err != nil || len(resp.Kvs) == 0 {
		return 0
	}
	return resp.Kvs[0].CreateRevision
}
