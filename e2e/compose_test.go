package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// composeProject is a three-service project: db serves a page it writes
// into a named volume; app fetches it from http://db/ and serves it; web,
// published on port 8080, fetches it from http://app/ and serves it. So a
// page read through web's published port shows that services reach each
// other by service name over the project's network. httpd runs as PID 1,
// which ignores SIGTERM: a short grace period keeps down quick.
const composeProject = `version: "2.4"
services:
  db:
    image: busybox
    stop_grace_period: 1s
    command: ["sh", "-c", "echo hello-from-db > /www/index.html && exec httpd -f -p 80 -h /www"]
    volumes:
      - data:/www
  app:
    image: busybox
    stop_grace_period: 1s
    depends_on: [db]
    command: ["sh", "-c", "mkdir -p /srv && until wget -q -O /srv/index.html http://db/; do sleep 0.2; done && echo fetched from db && exec httpd -f -p 80 -h /srv"]
  web:
    image: busybox
    stop_grace_period: 1s
    depends_on: [app]
    ports: ["8080:80"]
    command: ["sh", "-c", "mkdir -p /srv && until wget -q -O /srv/index.html http://app/; do sleep 0.2; done && exec httpd -f -p 80 -h /srv"]
volumes:
  data: {}
`

// docker-compose (Debian's 1.29) brings a project up through the manager,
// scales it, shows and logs it, and takes it down leaving nothing behind.
//
// Compose makes the project's default network, then its volume, then the
// containers; each container joins the network and db mounts the volume,
// both node-local. The test bed is arranged so that, chosen independently,
// the network (fewest networks) would go to node-1 and the volume (fewest
// volumes) to node-2: the manager must put the project's volume with its
// network, and placement every container with both.
func TestComposeProject(t *testing.T) {
	compose := needPackage(t, "docker-compose", "docker-compose")
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	wipeNetworksAndVolumes(t)
	t.Cleanup(func() {
		wipeEngines(t)
		wipeNetworksAndVolumes(t)
	})
	cli := clis(t)[0]
	mustDocker(t, cli, m.addr, "network", "create", "node-2/filler")
	mustDocker(t, cli, m.addr, "network", "create", "node-3/filler")
	mustDocker(t, cli, m.addr, "volume", "create", "node-1/filler")

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(composeProject), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := runCompose(t, compose, dir, m.addr, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	run("up", "-d")
	if on := networkNodes(t, "cmp_default"); !slices.Equal(on, []string{"node-1"}) {
		t.Fatalf("the project's network is on %v, want node-1 (fewest networks)", on)
	}
	if on := volumeNodes(t, "cmp_data"); !slices.Equal(on, []string{"node-1"}) {
		t.Fatalf("the project's volume is on %v, want node-1, with its network", on)
	}
	if counts := engineContainers(t); !slices.Equal(counts, []int{3, 0, 0}) {
		t.Fatalf("the engines hold %v containers, want all 3 on node-1 with the network and the volume", counts)
	}
	ip, _, _ := strings.Cut(engines[0], ":") // web's node, node-1, publishes on its own address
	page := func() string {
		resp, err := http.Get("http://" + ip + ":8080/")
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(body))
	}
	waitFor(t, "web to serve the page db wrote, through app", func() bool { return page() == "hello-from-db" })

	run("up", "-d", "--scale", "app=3")
	if counts := engineContainers(t); !slices.Equal(counts, []int{5, 0, 0}) {
		t.Fatalf("after scaling app to 3 the engines hold %v containers, want 5 on node-1", counts)
	}
	ps := run("ps")
	for _, name := range []string{"cmp_db_1", "cmp_app_1", "cmp_app_2", "cmp_app_3", "cmp_web_1"} {
		if !regexp.MustCompile(`(?m)^` + name + `\s.*\sUp\b`).MatchString(ps) {
			t.Fatalf("docker-compose ps shows\n%s\nwant %s up", ps, name)
		}
	}
	if !strings.Contains(ps, ip+":8080->80/tcp") {
		t.Fatalf("docker-compose ps shows\n%s\nwant web published on %s:8080", ps, ip)
	}
	waitFor(t, "every app replica to fetch from db", func() bool {
		logs, err := runCompose(t, compose, dir, m.addr, "logs", "--no-color", "app")
		return err == nil && strings.Count(logs, "fetched from db") == 3 &&
			strings.Contains(logs, "app_1") && strings.Contains(logs, "app_3")
	})
	// Each replica answers under the service name from web's side.
	if out := mustDocker(t, cli, m.addr, "exec", "cmp_web_1", "wget", "-q", "-O", "-", "http://app/"); strings.TrimSpace(out) != "hello-from-db" {
		t.Fatalf("web fetching http://app/ read %q", out)
	}

	run("down", "-v")
	for i, e := range engines {
		if ids := mustDocker(t, "/usr/bin/docker", e, "ps", "-aq"); ids != "" {
			t.Errorf("after down, %s holds containers %s", nodeName(i), ids)
		}
		if nets := mustDocker(t, "/usr/bin/docker", e, "network", "ls", "-q", "--filter", "name=cmp_"); nets != "" {
			t.Errorf("after down, %s holds the project's network %s", nodeName(i), nets)
		}
		if vols := mustDocker(t, "/usr/bin/docker", e, "volume", "ls", "-q", "--filter", "name=cmp_"); vols != "" {
			t.Errorf("after down -v, %s holds the project's volume %s", nodeName(i), vols)
		}
	}
}

// runCompose runs docker-compose as project cmp in dir against the manager.
func runCompose(t *testing.T, compose, dir, host string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, compose, append([]string{"-p", "cmp"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "DOCKER_HOST=tcp://"+host, "DOCKER_CONFIG="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("docker-compose %s: %w\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	// Compose writes its progress on stderr, and logs there too when its
	// output is not a terminal; the callers look at both.
	return stdout.String() + stderr.String(), nil
}

// needPackage returns the path of command, installing Debian's package
// with apt-get when the machine lacks it.
func needPackage(t *testing.T, command, pkg string) string {
	t.Helper()
	if path, err := exec.LookPath(command); err == nil {
		return path
	}
	aptInstall(t, pkg)
	path, err := exec.LookPath(command)
	if err != nil {
		t.Fatalf("%s installed, but no %s: %v", pkg, command, err)
	}
	return path
}

// aptInstall installs one of Debian's packages.
func aptInstall(t *testing.T, pkg string) {
	t.Helper()
	install := exec.Command("apt-get", "install", "-y", "-qq", pkg)
	install.Env = append(cleanEnv(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("install %s: %v: %s", pkg, err, out)
	}
}
