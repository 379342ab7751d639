package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dockerPyScript drives the manager with docker-py as a program would: it
// runs, lists, inspects, logs, execs and removes a container, and checks
// each answer. It prints "dockerpy: ok" when all hold, and exits non-zero
// with the failed check otherwise.
const dockerPyScript = `import sys
import time

import docker

client = docker.DockerClient(base_url="tcp://" + sys.argv[1], version="auto", timeout=60)


def check(cond, what):
    if not cond:
        sys.exit("dockerpy: " + what)


check(client.ping(), "ping")
info = client.info()
check(any("Nodes" in row[0] for row in info.get("SystemStatus") or []), "info without Swarm's SystemStatus: %r" % info.get("SystemStatus"))

out = client.containers.run("busybox", ["echo", "once"], remove=True)
# Twice the output would mean the container was started twice.
check(out == b"once\n", "run without detach returned %r" % out)

ctr = client.containers.run("busybox", ["sh", "-c", "echo hello-py; exec sleep 300"],
                            name="pyctr", detach=True, labels={"e2e": "dockerpy"})
listed = client.containers.list(filters={"label": "e2e=dockerpy"})
check([c.id for c in listed] == [ctr.id], "list by label gave %r" % [c.name for c in listed])
check(client.containers.get("pyctr").id == ctr.id, "get by name")

ctr.reload()
check(ctr.status == "running", "status %r" % ctr.status)
check(ctr.name.endswith("pyctr"), "name %r" % ctr.name)
node = ctr.attrs.get("Node") or {}
check(node.get("Name", "").startswith("node-"), "inspect without its Node: %r" % node)
check(ctr.attrs["Config"]["Labels"].get("e2e") == "dockerpy", "labels %r" % ctr.attrs["Config"]["Labels"])

deadline = time.time() + 20
while b"hello-py" not in ctr.logs() and time.time() < deadline:
    time.sleep(0.1)
check(ctr.logs() == b"hello-py\n", "logs %r" % ctr.logs())

code, out = ctr.exec_run(["sh", "-c", "echo exec-$((6*7))"])
check((code, out) == (0, b"exec-42\n"), "exec_run gave %r" % ((code, out),))
code, out = ctr.exec_run(["sh", "-c", "exit 3"])
check(code == 3, "a failing exec_run exited %r" % code)
code, out = ctr.exec_run(["sh", "-c", "echo $FOO $(pwd)"], environment={"FOO": "bar"}, workdir="/tmp")
check((code, out) == (0, b"bar /tmp\n"), "exec_run with env and workdir gave %r" % ((code, out),))

ctr.remove(force=True)
try:
    client.containers.get("pyctr")
    sys.exit("dockerpy: pyctr still there after remove")
except docker.errors.NotFound:
    pass
print("dockerpy: ok (on %s)" % node["Name"])
`

// docker-py (Debian's python3-docker, for Debian's python3) works through
// the manager: run, list, inspect, logs, exec and remove.
func TestDockerPy(t *testing.T) {
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import docker").Run(); err != nil {
		aptInstall(t, "python3-docker")
	}
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	t.Cleanup(func() { wipeEngines(t) })

	script := filepath.Join(t.TempDir(), "dockerpy.py")
	if err := os.WriteFile(script, []byte(dockerPyScript), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, m.addr)
	cmd.Env = cleanEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the docker-py script failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if out := stdout.String(); !strings.HasPrefix(out, "dockerpy: ok (on node-") {
		t.Fatalf("the docker-py script printed %q, want dockerpy: ok", out)
	}
	if n := total(engineContainers(t)); n != 0 {
		t.Fatalf("after the script the engines hold %d containers, want none", n)
	}
}
