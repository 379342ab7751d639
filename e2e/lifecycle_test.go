package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Every lifecycle command on a container the manager made goes through etcd
// and the leader, and the engine shows its effect.
func TestLifecycleGoesThroughDesiredState(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	for _, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			id := mustDocker(t, cli, m.addr, "run", "-d", "--name", "svc", "busybox", "sleep", "300")
			state := func() string { return mustDocker(t, cli, m.addr, "inspect", "-f", "{{.State.Status}}", id) }

			mustDocker(t, cli, m.addr, "pause", "svc")
			if s := state(); s != "paused" {
				t.Fatalf("after pause: %s", s)
			}
			mustDocker(t, cli, m.addr, "unpause", "svc")
			mustDocker(t, cli, m.addr, "kill", "-s", "KILL", "svc")
			if s := state(); s != "exited" {
				t.Fatalf("after kill: %s", s)
			}
			mustDocker(t, cli, m.addr, "start", "svc")
			mustDocker(t, cli, m.addr, "restart", "-t", "1", "svc")
			if s := state(); s != "running" {
				t.Fatalf("after restart: %s", s)
			}
			mustDocker(t, cli, m.addr, "update", "--memory", "64m", "--memory-swap", "128m", "svc")
			if mem := mustDocker(t, cli, m.addr, "inspect", "-f", "{{.HostConfig.Memory}}", id); mem != "67108864" {
				t.Fatalf("after update, memory = %s", mem)
			}

			mustDocker(t, cli, m.addr, "rename", "svc", "svc2")
			if name := mustDocker(t, cli, m.addr, "inspect", "-f", "{{.Name}}", id); name != "/svc2" {
				t.Fatalf("after rename: %s", name)
			}
			if _, err := docker(t, cli, m.addr, "run", "-d", "--name", "svc2", "busybox", "true"); err == nil || !strings.Contains(err.Error(), "is already in use") {
				t.Fatalf("the new name is not held: %v", err)
			}
			other := mustDocker(t, cli, m.addr, "run", "-d", "--name", "svc", "busybox", "sleep", "300") // the old name is free again
			if _, err := docker(t, cli, m.addr, "rename", "svc2", "svc"); err == nil || !strings.Contains(err.Error(), "is already in use") {
				t.Fatalf("rename onto a name in use: %v", err)
			}

			// The operations were recorded as desired state and carried out.
			spec, status := m.record(t, id)
			if spec.Generation < 8 || status.ObservedGeneration != spec.Generation || spec.Name != "svc2" {
				t.Fatalf("etcd holds generation %d, observed %d, name %q", spec.Generation, status.ObservedGeneration, spec.Name)
			}

			if _, err := docker(t, cli, m.addr, "rm", "svc2"); err == nil || !strings.Contains(err.Error(), "You cannot remove a running container") {
				t.Fatalf("rm of a running container: %v", err)
			}
			mustDocker(t, cli, m.addr, "rm", "-f", "svc2", other)
			waitFor(t, "the records to go", func() bool { return len(m.etcdKeys(t, "/drover/containers/")) == 0 })
			if names := m.etcdKeys(t, "/drover/names/"); len(names) != 0 {
				t.Fatalf("names left behind: %v", names)
			}
		})
	}
}

// record reads a managed container's spec and status from etcd, by the
// engine container's swarm id label.
func (m *manager) record(t *testing.T, engineID string) (spec struct {
	Name       string
	Generation int64
}, status struct{ ObservedGeneration int64 }) {
	t.Helper()
	var inspect struct {
		Config struct{ Labels map[string]string }
	}
	if err := m.getJSON("/containers/"+engineID+"/json", &inspect); err != nil {
		t.Fatal(err)
	}
	id := inspect.Config.Labels["com.docker.swarm.id"]
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"http://" + m.etcd}})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	for key, v := range map[string]any{"spec": &spec, "status": &status} {
		resp, err := cli.Get(t.Context(), "/drover/containers/"+id+"/"+key)
		if err != nil || len(resp.Kvs) == 0 {
			t.Fatalf("no %s for %s in etcd: %v", key, id, err)
		}
		if err := json.Unmarshal(resp.Kvs[0].Value, v); err != nil {
			t.Fatal(err)
		}
	}
	return spec, status
}

// A container made straight on an engine is listed by the manager and can be
// operated through it.
func TestContainersMadeOnAnEngineCanBeOperated(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	cli := clis(t)[0]
	id := mustDocker(t, "/usr/bin/docker", engines[1], "run", "-d", "--name", "local", "busybox", "sleep", "300")
	waitFor(t, "the manager to list it", func() bool {
		out, _ := docker(t, cli, m.addr, "ps", "--format", "{{.Names}}")
		return strings.TrimSpace(out) == "node-2/local"
	})
	mustDocker(t, cli, m.addr, "stop", "-t", "0", "local")
	mustDocker(t, cli, m.addr, "start", "node-2/local")
	mustDocker(t, cli, m.addr, "rename", "local", "local2")
	if name := mustDocker(t, "/usr/bin/docker", engines[1], "inspect", "-f", "{{.Name}}", id); name != "/local2" {
		t.Fatalf("after rename through the manager, the engine says %s", name)
	}
	mustDocker(t, cli, m.addr, "rm", "-f", "local2")
	if counts := engineContainers(t); total(counts) != 0 {
		t.Fatalf("after rm -f: %v", counts)
	}
}

// Registry credentials sent with a create reach the pull but do not stay in
// etcd, and never appear in the manager's log.
func TestRegistryCredentialsDoNotStay(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	const secret = "eyJ1c2VybmFtZSI6InNlY3JldC11c2VyIiwicGFzc3dvcmQiOiJzM2NyM3QifQ=="
	for _, image := range []string{"busybox", "private.example/app:1"} {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", "http://"+m.addr+"/v1.41/containers/create",
			strings.NewReader(`{"Image":"`+image+`","Cmd":["true"]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Registry-Auth", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[string]int{"busybox": 201, "private.example/app:1": 404}[image]; resp.StatusCode != want {
			t.Fatalf("create of %s = %d, want %d", image, resp.StatusCode, want)
		}
		if keys := m.etcdKeys(t, "/drover/secrets/"); len(keys) != 0 {
			t.Fatalf("after the create of %s etcd still holds %v", image, keys)
		}
	}
	if strings.Contains(m.log.String(), secret) || strings.Contains(m.log.String(), "s3cr3t") {
		t.Fatal("the manager logged the registry credentials")
	}
	wipeEngines(t)
}

// docker cp both ways, and docker container prune over every engine.
func TestCopyAndPrune(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	cli := clis(t)[0]
	mustDocker(t, cli, m.addr, "run", "-d", "--name", "box", "busybox", "sleep", "300")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("copied in\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustDocker(t, cli, m.addr, "cp", filepath.Join(dir, "in.txt"), "box:/tmp/in.txt")
	if out := mustDocker(t, cli, m.addr, "exec", "box", "cat", "/tmp/in.txt"); out != "copied in" {
		t.Fatalf("after docker cp in, the file holds %q", out)
	}
	mustDocker(t, cli, m.addr, "cp", "box:/tmp/in.txt", filepath.Join(dir, "out.txt"))
	if b, err := os.ReadFile(filepath.Join(dir, "out.txt")); err != nil || string(b) != "copied in\n" {
		t.Fatalf("docker cp out gave %q, %v", b, err)
	}

	for range 3 {
		mustDocker(t, cli, m.addr, "run", "-d", "busybox", "true")
	}
	waitFor(t, "three exited containers", func() bool {
		return strings.Count(mustDocker(t, cli, m.addr, "ps", "-a", "--filter", "status=exited", "-q"), "\n") == 2
	})
	out := mustDocker(t, cli, m.addr, "container", "prune", "-f")
	if got := strings.Count(out, "\n"); got < 4 {
		t.Fatalf("container prune printed\n%s\nwant three deleted containers", out)
	}
	if ps := mustDocker(t, cli, m.addr, "ps", "-aq"); strings.Count(ps, "\n") != 0 || ps == "" {
		t.Fatalf("after prune, ps -a shows %q, want the running box only", ps)
	}
	wipeEngines(t)
}

// docker commit makes the image on the container's node.
func TestCommit(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	cli := clis(t)[0]
	mustDocker(t, cli, m.addr, "run", "-d", "--name", "tocommit", "-e", "constraint:node==node-2", "busybox", "sh", "-c", "echo made > /made; sleep 300")
	waitFor(t, "the file", func() bool {
		out, _ := docker(t, cli, m.addr, "exec", "tocommit", "cat", "/made")
		return strings.TrimSpace(out) == "made"
	})
	mustDocker(t, cli, m.addr, "commit", "node-2/tocommit", "committed:e2e")
	t.Cleanup(func() { _, _ = docker(t, "/usr/bin/docker", engines[1], "rmi", "-f", "committed:e2e") })
	if _, err := docker(t, "/usr/bin/docker", engines[1], "image", "inspect", "committed:e2e"); err != nil {
		t.Fatalf("the committed image is not on node-2: %v", err)
	}
	if _, err := docker(t, cli, m.addr, "commit", "nope", "x:y"); err == nil || !strings.Contains(err.Error(), "No such container: nope") {
		t.Fatalf("commit of an unknown container: %v", err)
	}
	wipeEngines(t)
}
