package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
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

// `docker save` through the manager, then `docker load` through it: the
// images land on every node, as they would from one registry, so that
// `docker images` shows busybox and tiny once each. (The test bed imports
// them on each engine apart, which gives each engine its own image IDs.)
func TestImagesSaveThenLoadOnEveryNode(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	for _, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			sameImagesEverywhere(t, cli, m)
			ids := map[string]bool{}
			for _, e := range engines {
				ids[mustDocker(t, "/usr/bin/docker", e, "image", "inspect", "-f", "{{.Id}}", "busybox")] = true
			}
			if len(ids) != 1 {
				t.Fatalf("after the load, busybox has IDs %v on the engines, want one", ids)
			}
		})
	}
}

// sameImagesEverywhere saves busybox and tiny through the manager and loads
// them back through it, then prunes what the load left dangling.
func sameImagesEverywhere(t *testing.T, cli string, m *manager) {
	t.Helper()
	archive := filepath.Join(t.TempDir(), "images.tar")
	mustDocker(t, cli, m.addr, "save", "-o", archive, "busybox", "tiny")
	if st, err := os.Stat(archive); err != nil || st.Size() < 1<<20 {
		t.Fatalf("docker save wrote %v (%v), want a tarball of both images", st, err)
	}
	loaded := mustDocker(t, cli, m.addr, "load", "-i", archive)
	for i := range engines {
		for _, img := range []string{"busybox:latest", "tiny:latest"} {
			if want := nodeName(i) + ": Loaded image: " + img; !strings.Contains(loaded, want) {
				t.Fatalf("docker load printed\n%s\nwant the line %q", loaded, want)
			}
		}
	}
	mustDocker(t, cli, m.addr, "image", "prune", "-f")
}

// `docker images` shows each image once across the nodes; --filter node=…
// shows one node's.
func TestImagesListedOnceAndByNode(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	sameImagesEverywhere(t, clis(t)[0], m)
	// A tag only node-2 holds, made straight on its engine.
	mustDocker(t, "/usr/bin/docker", engines[1], "tag", "tiny", "e2e-only-on-node-2:1")
	t.Cleanup(func() { removeFromEngines(t, "e2e-only-on-node-2:1") })
	for _, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			all := mustDocker(t, cli, m.addr, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
			for _, ref := range []string{"busybox:latest", "tiny:latest", "e2e-only-on-node-2:1"} {
				if n := len(regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(ref)+` `).FindAllString(all, -1)); n != 1 {
					t.Fatalf("docker images shows %s %d times, want once:\n%s", ref, n, all)
				}
			}
			node2 := mustDocker(t, cli, m.addr, "images", "--filter", "node=node-2", "--format", "{{.Repository}}:{{.Tag}}")
			direct := mustDocker(t, "/usr/bin/docker", engines[1], "images", "--format", "{{.Repository}}:{{.Tag}}")
			if sortedLines(node2) != sortedLines(direct) {
				t.Fatalf("docker images --filter node=node-2 shows\n%s\nwant what node-2 holds:\n%s", node2, direct)
			}
			node1 := mustDocker(t, cli, m.addr, "images", "--filter", "node=node-1", "--format", "{{.Repository}}:{{.Tag}}")
			if strings.Contains(node1, "e2e-only-on-node-2") || !strings.Contains(node1, "busybox:latest") {
				t.Fatalf("docker images --filter node=node-1 shows\n%s", node1)
			}
			if out := mustDocker(t, cli, m.addr, "images", "--filter", "node=node-9", "-q"); out != "" {
				t.Fatalf("an unknown node shows images: %q", out)
			}
			if out := mustDocker(t, cli, m.addr, "images", "--format", "{{.Repository}}", "tiny"); out != "tiny" {
				t.Fatalf("docker images tiny (a filter the engines apply) shows %q", out)
			}
		})
	}
}

// Pulls fail at once in the test bed (its engines have no network): `docker
// pull` shows each node's failure and exits non-zero with the registry's
// error, and `docker run` of a missing image says it could not find it
// locally before it does the same.
func TestPullThatFailsEverywhere(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	for _, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			out, err := docker(t, cli, m.addr, "pull", "nosuch")
			if err == nil || !strings.Contains(err.Error(), "registry-1.docker.io") {
				t.Fatalf("docker pull nosuch: %v, want the registry's error", err)
			}
			for i := range engines {
				if !regexp.MustCompile(`(?m)^` + nodeName(i) + `: .*registry-1\.docker\.io`).MatchString(out) {
					t.Fatalf("docker pull printed\n%s\nwant a line for %s", out, nodeName(i))
				}
			}

			_, err = docker(t, cli, m.addr, "run", "--rm", "nosuchimage")
			if err == nil || !strings.Contains(err.Error(), "Unable to find image 'nosuchimage:latest' locally") ||
				!strings.Contains(err.Error(), "registry-1.docker.io") {
				t.Fatalf("docker run nosuchimage: %v", err)
			}
		})
	}
	if counts := engineContainers(t); total(counts) != 0 {
		t.Fatalf("a failed run left containers: %v", counts)
	}
}

// `docker import` of a tarball makes the image on every node.
func TestImportOnEveryNode(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	archive := tarball(t, map[string]string{"hello": "imported\n"})
	for _, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			t.Cleanup(func() { removeFromEngines(t, "e2e-imported:1") })
			out, _, err := dockerIO(t, cli, m.addr, bytes.NewReader(archive), nil, "import", "-m", "from e2e", "-", "e2e-imported:1")
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range engines {
				if !regexp.MustCompile(`(?m)^` + nodeName(i) + `: sha256:[0-9a-f]{64}$`).MatchString(out) {
					t.Fatalf("docker import printed\n%s\nwant %s's image ID", out, nodeName(i))
				}
				if got := mustDocker(t, "/usr/bin/docker", e, "image", "inspect", "-f", "{{.Comment}}", "e2e-imported:1"); got != "from e2e" {
					t.Fatalf("%s holds e2e-imported:1 with comment %q", nodeName(i), got)
				}
			}
		})
	}
}

// `docker tag` and `docker rmi` act on every node that holds the image.
func TestTagAndRemoveOnEveryNode(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	for _, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			t.Cleanup(func() { removeFromEngines(t, "e2e-tagged:1") })
			mustDocker(t, cli, m.addr, "tag", "busybox", "e2e-tagged:1")
			for i, e := range engines {
				if _, err := docker(t, "/usr/bin/docker", e, "image", "inspect", "e2e-tagged:1"); err != nil {
					t.Fatalf("after docker tag, %s: %v", nodeName(i), err)
				}
			}
			out := mustDocker(t, cli, m.addr, "rmi", "e2e-tagged:1")
			if out != "Untagged: e2e-tagged:1" {
				t.Fatalf("docker rmi printed %q, want one Untagged line", out)
			}
			for i, e := range engines {
				if _, err := docker(t, "/usr/bin/docker", e, "image", "inspect", "e2e-tagged:1"); err == nil {
					t.Fatalf("after docker rmi, %s still holds e2e-tagged:1", nodeName(i))
				}
				if _, err := docker(t, "/usr/bin/docker", e, "image", "inspect", "busybox"); err != nil {
					t.Fatalf("docker rmi of a tag removed busybox from %s", nodeName(i))
				}
			}
		})
	}
}

// `docker history` and `docker image inspect` answer from a node that holds
// the image, for names with slashes too.
func TestHistoryAndInspect(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	for _, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			history := mustDocker(t, cli, m.addr, "history", "busybox")
			if !strings.HasPrefix(history, "IMAGE") || !strings.Contains(history, "Imported from -") {
				t.Fatalf("docker history busybox printed\n%s", history)
			}
			id := mustDocker(t, cli, m.addr, "image", "inspect", "-f", "{{.Id}}", "library/busybox:latest")
			direct := mustDocker(t, "/usr/bin/docker", engines[0], "image", "inspect", "-f", "{{.Id}}", "busybox")
			if id != direct {
				t.Fatalf("image inspect library/busybox:latest = %q, want node-1's %q", id, direct)
			}
			if tags := mustDocker(t, cli, m.addr, "image", "inspect", "-f", "{{.RepoTags}}", "tiny"); tags != "[tiny:latest]" {
				t.Fatalf("image inspect tiny shows tags %s", tags)
			}
		})
	}
}

// `docker build` lands on the node a constraint build arg names.
func TestBuildOnTheConstrainedNode(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN echo built > /built\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			t.Cleanup(func() { removeFromEngines(t, "e2e-built:1") })
			// BuildKit needs the /session endpoint, which the manager does
			// not relay; the classic builder streams like every engine.
			out, _, err := dockerIO(t, cli, m.addr, nil, []string{"DOCKER_BUILDKIT=0"},
				"build", "--build-arg", "constraint:node==node-2", "-t", "e2e-built:1", dir)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "Successfully tagged e2e-built:1") || strings.Contains(out, "were not consumed") {
				t.Fatalf("docker build printed\n%s", out)
			}
			for i, e := range engines {
				_, err := docker(t, "/usr/bin/docker", e, "image", "inspect", "e2e-built:1")
				if (err == nil) != (i == 1) {
					t.Fatalf("e2e-built:1 on %s: %v; want it on node-2 only", nodeName(i), err)
				}
			}
			if got := mustDocker(t, cli, m.addr, "run", "--rm", "-e", "constraint:node==node-2", "e2e-built:1", "cat", "/built"); got != "built" {
				t.Fatalf("running the built image printed %q", got)
			}

			_, _, err = dockerIO(t, cli, m.addr, nil, []string{"DOCKER_BUILDKIT=0"},
				"build", "--build-arg", "constraint:node==node-9", dir)
			if err == nil || !strings.Contains(err.Error(), "unable to find a node that satisfies the following conditions [node==node-9]") {
				t.Fatalf("a build no node can take: %v", err)
			}
		})
	}
}

// `docker system df` adds up the nodes.
func TestSystemDF(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	wipeEngines(t)
	cli := clis(t)[0]
	mustDocker(t, cli, m.addr, "run", "-d", "--name", "e2e-df", "busybox", "sleep", "300")
	defer wipeEngines(t)
	var want int64
	for _, e := range engines {
		var du struct{ LayersSize int64 }
		code, body := apiCall(t, e, "GET", "/v1.41/system/df")
		if code != http.StatusOK || json.Unmarshal(body, &du) != nil {
			t.Fatalf("df straight from %s: %d %s", e, code, body)
		}
		want += du.LayersSize
	}
	var du struct {
		LayersSize int64
		Containers []struct{ Names []string }
	}
	code, body := apiCall(t, m.addr, "GET", "/system/df")
	if code != http.StatusOK || json.Unmarshal(body, &du) != nil {
		t.Fatalf("GET /system/df = %d %s", code, body)
	}
	if du.LayersSize != want || len(du.Containers) != 1 || !regexp.MustCompile(`^/node-[123]/e2e-df$`).MatchString(du.Containers[0].Names[0]) {
		t.Fatalf("df = %s; want LayersSize %d (the engines' sum) and e2e-df named node/name", body, want)
	}
	for _, cli := range clis(t) {
		out := mustDocker(t, cli, m.addr, "system", "df")
		if !regexp.MustCompile(`(?m)^Images\s+\d+\s+1\s`).MatchString(out) || !regexp.MustCompile(`(?m)^Containers\s+1\s+1\s`).MatchString(out) {
			t.Fatalf("%s system df printed\n%s\nwant one active image and one running container", cli, out)
		}
	}
}

// Bad input gets the engine's answer: an unknown image is a 404 in the
// engine's words, a malformed query a 400.
func TestImageBadInput(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	cases := []struct {
		name, method, path string
		status             int
		message            string
	}{
		{"inspect an unknown image", "GET", "/v1.41/images/nosuch/json", 404, "No such image: nosuch:latest"},
		{"inspect an unknown image named with slashes", "GET", "/images/library/nosuch:1/json", 404, "No such image: nosuch:1"},
		{"history of an unknown image", "GET", "/images/nosuch/history", 404, "No such image: nosuch:latest"},
		{"tag an unknown image", "POST", "/images/nosuch/tag?repo=x", 404, "No such image: nosuch:latest"},
		{"remove an unknown image", "DELETE", "/images/nosuch", 404, "No such image: nosuch:latest"},
		{"save an unknown image", "GET", "/images/nosuch/get", 404, "No such image: nosuch"},
		{"save an unknown image among others", "GET", "/images/get?names=busybox&names=nosuch", 404, "No such image: nosuch"},
		{"malformed list filters", "GET", "/images/json?filters=%7Bbroken", 400, "invalid filter"},
		{"a list filter the engines refuse", "GET", "/images/json?filters=%7B%22dangling%22%3A%5B%22maybe%22%5D%7D", 400, "Invalid filter 'dangling=[maybe]'"},
		{"malformed prune filters", "POST", "/images/prune?filters=%7Bbroken", 400, "invalid filter"},
		{"pull of an invalid reference", "POST", "/images/create?fromImage=UPPER", 400, "invalid reference format"},
		{"malformed build args", "POST", "/build?buildargs=%7Bbroken", 400, "error reading build args"},
		{"a malformed constraint", "POST", "/build?buildargs=%7B%22constraint%3Anode%22%3A%22%3D%2F%5B%2F%22%7D", 400, "invalid expression"},
		{"malformed events filters", "GET", "/events?filters=%7Bbroken", 400, "invalid filter"},
		{"malformed since", "GET", "/events?since=yesterday", 400, `parsing "yesterday"`},
		{"an unknown image route", "GET", "/images/busybox/nothing", 404, "page not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := apiCall(t, m.addr, tc.method, tc.path)
			var msg struct{ Message string }
			if code != tc.status || json.Unmarshal(body, &msg) != nil || !strings.Contains(msg.Message, tc.message) {
				t.Fatalf("%s %s = %d %s, want %d with a message containing %q", tc.method, tc.path, code, body, tc.status, tc.message)
			}
		})
	}
	t.Run("the CLI shows the engine's words", func(t *testing.T) {
		for _, cli := range clis(t) {
			if _, err := docker(t, cli, m.addr, "rmi", "nosuch"); err == nil || !strings.Contains(err.Error(), "No such image: nosuch") {
				t.Fatalf("%s rmi nosuch: %v", cli, err)
			}
			if _, err := docker(t, cli, m.addr, "history", "nosuch"); err == nil || !strings.Contains(err.Error(), "No such image: nosuch") {
				t.Fatalf("%s history nosuch: %v", cli, err)
			}
		}
	})
}

// dockerIO runs a docker CLI against host with stdin and extra environment,
// and returns its stdout and stderr; a failure's error holds stderr.
func dockerIO(t *testing.T, cli, host string, stdin io.Reader, env []string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Env = append(append(cleanEnv(), "DOCKER_HOST=tcp://"+host, "DOCKER_CONFIG="+t.TempDir()), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), stderr.String(), fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), stderr.String(), nil
}

// apiCall sends one request straight to host's API.
func apiCall(t *testing.T, host, method, path string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, "http://"+host+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// removeFromEngines removes the images straight from every engine, whether
// or not they are there. It runs in cleanups, after the test's context has
// ended, so it does not use it.
func removeFromEngines(t *testing.T, refs ...string) {
	for _, e := range engines {
		cmd := exec.Command("/usr/bin/docker", append([]string{"rmi", "-f"}, refs...)...)
		cmd.Env = append(cleanEnv(), "DOCKER_HOST=tcp://"+e)
		if out, err := cmd.CombinedOutput(); err != nil && !strings.Contains(string(out), "No such image") {
			t.Logf("clean up %v on %s: %v: %s", refs, e, err, out)
		}
	}
}

// tarball is an image filesystem of the given files.
func tarball(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		body := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
