package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// `docker exec` through the manager, with each docker CLI: output, stdin,
// exit codes, detached, and -it under a pseudo-terminal.
func TestExecThroughTheManager(t *testing.T) {
	m := startManager(t)
	m.waitHealthy(t, 3)
	for _, cli := range clis(t) {
		t.Run(cli, func(t *testing.T) {
			wipeEngines(t)
			mustDocker(t, cli, m.addr, "run", "-d", "--name", "web", "busybox", "sleep", "300")
			node := mustDocker(t, cli, m.addr, "inspect", "-f", "{{.Node.Name}}", "web")

			if out := mustDocker(t, cli, m.addr, "exec", "web", "echo", "hi"); out != "hi" {
				t.Fatalf("docker exec web echo hi printed %q", out)
			}
			if out := mustDocker(t, cli, m.addr, "exec", node+"/web", "echo", "by node/name"); out != "by node/name" {
				t.Fatalf("docker exec %s/web printed %q", node, out)
			}
			if out := mustDocker(t, cli, m.addr, "exec", "-e", "FOO=bar", "-w", "/tmp", "web", "sh", "-c", "echo $FOO $(pwd)"); out != "bar /tmp" {
				t.Fatalf("exec with -e and -w printed %q", out)
			}
			if out := dockerWithStdin(t, cli, m.addr, "hello\nworld\n", "exec", "-i", "web", "cat"); out != "hello\nworld\n" {
				t.Fatalf("docker exec -i web cat gave back %q", out)
			}
			out, err := docker(t, cli, m.addr, "exec", "web", "sh", "-c", "echo out; echo err >&2; exit 3")
			if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "err") || out != "out\n" {
				t.Fatalf("a failing exec: out %q, err %v; want out, err on stderr and exit status 3", out, err)
			}

			mustDocker(t, cli, m.addr, "exec", "-d", "web", "sh", "-c", "sleep 1; echo done > /tmp/mark")
			waitFor(t, "the detached exec to write its mark", func() bool {
				out, _ := docker(t, cli, m.addr, "exec", "web", "cat", "/tmp/mark")
				return strings.TrimSpace(out) == "done"
			})

			tty := dockerTTY(t, cli, m.addr, "abc\n", "exec", "-it", "web", "sh", "-c", "tty; read x; stty size; echo got-$x")
			if !strings.Contains(tty, "/dev/pts/") || !strings.Contains(tty, "got-abc") {
				t.Fatalf("docker exec -it under a terminal printed %q, want a tty and got-abc", tty)
			}
			if !strings.Contains(tty, "40 100") {
				t.Fatalf("docker exec -it printed %q, want the terminal's size 40 100 (resize)", tty)
			}

			_, err = docker(t, cli, m.addr, "exec", "nope", "true")
			if err == nil || !strings.Contains(err.Error(), "No such container: nope") {
				t.Fatalf("exec in an unknown container: %v", err)
			}
			mustDocker(t, cli, m.addr, "stop", "-t", "0", "web")
			_, err = docker(t, cli, m.addr, "exec", "web", "true")
			if err == nil || !strings.Contains(err.Error(), "is not running") {
				t.Fatalf("exec in a stopped container: %v", err)
			}
			wipeEngines(t)
		})
	}
}

// A manager replica that did not create an exec instance starts, resizes
// and inspects it: it finds the instance by asking the engines.
func TestExecStartedThroughAnotherManager(t *testing.T) {
	m1 := startManager(t)
	m1.waitHealthy(t, 3)
	m2 := startManager(t, "--store", "etcd://"+m1.etcd+"/drover", "nodes://"+strings.Join(engines, ","))
	m2.waitHealthy(t, 3)
	wipeEngines(t)
	cli := clis(t)[0]
	mustDocker(t, cli, m1.addr, "run", "-d", "--name", "web", "busybox", "sleep", "300")

	execCreate := func(body string) string {
		t.Helper()
		status, resp := execAPI(t, m1.addr, "POST", "/v1.41/containers/web/exec", body)
		var created struct{ Id string }
		if status != http.StatusCreated || json.Unmarshal(resp, &created) != nil || created.Id == "" {
			t.Fatalf("exec create through the first manager = %d %s", status, resp)
		}
		return created.Id
	}

	id := execCreate(`{"Cmd":["sh","-c","echo replica > /tmp/r"]}`)
	if status, resp := execAPI(t, m2.addr, "POST", "/v1.41/exec/"+id+"/start", `{"Detach":true}`); status != http.StatusOK {
		t.Fatalf("detached start through the second manager = %d %s", status, resp)
	}
	waitFor(t, "the exec to end", func() bool {
		var inspect struct {
			Running  bool
			ExitCode int
		}
		status, resp := execAPI(t, m2.addr, "GET", "/v1.41/exec/"+id+"/json", "")
		return status == http.StatusOK && json.Unmarshal(resp, &inspect) == nil && !inspect.Running && inspect.ExitCode == 0
	})
	if out := mustDocker(t, cli, m2.addr, "exec", "web", "cat", "/tmp/r"); out != "replica" {
		t.Fatalf("the exec started through the second manager wrote %q", out)
	}

	// Attached, without an upgrade: the engine's raw stream until the end.
	// The engine holds a resize until the exec has started.
	id = execCreate(`{"Cmd":["sh","-c","sleep 1; stty size"],"Tty":true,"AttachStdout":true}`)
	type answer struct {
		status int
		body   []byte
	}
	started := make(chan answer, 1)
	go func() {
		status, resp, err := sendAPI(t.Context(), m2.addr, "POST", "/v1.41/exec/"+id+"/start", `{"Tty":true}`)
		if err != nil {
			resp = []byte(err.Error())
		}
		started <- answer{status, resp}
	}()
	if status, resp := execAPI(t, m2.addr, "POST", "/v1.41/exec/"+id+"/resize?h=12&w=34", ""); status != http.StatusOK && status != http.StatusCreated {
		t.Fatalf("resize through the second manager = %d %s", status, resp)
	}
	if a := <-started; a.status != http.StatusOK || strings.TrimSpace(string(a.body)) != "12 34" {
		t.Fatalf("attached start through the second manager = %d %q, want 200 and the size set", a.status, a.body)
	}

	for _, path := range []string{"/v1.41/exec/nope/json", "/v1.41/exec/nope/start"} {
		status, resp := execAPI(t, m2.addr, map[bool]string{true: "GET", false: "POST"}[strings.HasSuffix(path, "json")], path, `{"Detach":true}`)
		if status != http.StatusNotFound || !strings.Contains(string(resp), "No such exec instance: nope") {
			t.Fatalf("%s = %d %s, want 404 No such exec instance", path, status, resp)
		}
	}
	wipeEngines(t)
}

// execAPI sends one request to the manager and returns the status and body.
func execAPI(t *testing.T, host, method, path, body string) (int, []byte) {
	t.Helper()
	status, resp, err := sendAPI(t.Context(), host, method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	return status, resp
}

func sendAPI(ctx context.Context, host, method, path, body string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, "http://"+host+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// apiMessage is the message of an error answer, or the whole body.
func apiMessage(body []byte) string {
	var msg struct{ Message string }
	if json.Unmarshal(body, &msg) != nil || msg.Message == "" {
		return string(body)
	}
	return msg.Message
}

// dockerWithStdin runs a docker CLI with stdin and returns its stdout.
func dockerWithStdin(t *testing.T, cli, host, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Env = append(cleanEnv(), "DOCKER_HOST=tcp://"+host, "DOCKER_CONFIG="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// dockerTTY runs a docker CLI on a pseudo-terminal of 40 rows and 100
// columns, as at a terminal, typing input into it; it returns what the
// terminal showed.
func dockerTTY(t *testing.T, cli, host, input string, args ...string) string {
	t.Helper()
	quoted := []string{"stty rows 40 cols 100;", "exec", shellQuote(cli)}
	for _, a := range args {
		quoted = append(quoted, shellQuote(a))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "script", "-qec", strings.Join(quoted, " "), "/dev/null")
	cmd.Env = append(cleanEnv(), "DOCKER_HOST=tcp://"+host, "DOCKER_CONFIG="+t.TempDir(), "TERM=xterm")
	// A pipe that stays open until the command ends: at the end of its
	// input, script would end the session.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	var out bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r, &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // let the CLI set the terminal up
	fmt.Fprint(w, input)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("docker %s on a terminal: %v: %s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
