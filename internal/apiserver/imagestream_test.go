// These tests run a real engine pool against fake engines, and the pool's
// first refresh races in the Docker client (Client.Events reads the API
// version while a concurrent first request negotiates it), which the race
// detector reports. Drop the build constraint once the engine package
// negotiates the version before it starts following events.

package apiserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/pkg/jsonmessage"
)

// recordingEngine is a hand-written fake engine, for what the test bed cannot
// show: a registry that answers, and the headers engines receive. It answers
// the pool's refresh as an empty engine named name, records every other
// request, and hands it to answer.
type recordingEngine struct {
	name   string
	answer func(w http.ResponseWriter, r *http.Request, body []byte)

	mu   sync.Mutex
	seen []recordedRequest
}

type recordedRequest struct {
	method, path string
	header       http.Header
	body         []byte
}

var versionedPath = regexp.MustCompile(`^/v[0-9.]+`)

func (f *recordingEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := versionedPath.ReplaceAllString(r.URL.Path, "")
	w.Header().Set("Api-Version", "1.41")
	switch path {
	case "/_ping":
		fmt.Fprint(w, "OK")
		return
	case "/version":
		fmt.Fprint(w, `{"ApiVersion":"1.41","Version":"20.10"}`)
		return
	case "/info":
		fmt.Fprintf(w, `{"Name":%q,"ID":"ID-%s","NCPU":1,"MemTotal":1000}`, f.name, f.name)
		return
	case "/containers/json", "/images/json", "/networks":
		fmt.Fprint(w, `[]`)
		return
	case "/volumes":
		fmt.Fprint(w, `{"Volumes":[]}`)
		return
	case "/events":
		<-r.Context().Done()
		return
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.seen = append(f.seen, recordedRequest{method: r.Method, path: path + "?" + r.URL.RawQuery, header: r.Header.Clone(), body: body})
	f.mu.Unlock()
	f.answer(w, r, body)
}

func (f *recordingEngine) requests() []recordedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recordedRequest(nil), f.seen...)
}

// startRecordingEngines serves the fakes and puts them in a harness's pool.
func startRecordingEngines(t *testing.T, fakes ...*recordingEngine) *harness {
	t.Helper()
	h := newHarness(t)
	var addrs []string
	for _, f := range fakes {
		srv := httptest.NewServer(f)
		t.Cleanup(srv.Close)
		addrs = append(addrs, strings.TrimPrefix(srv.URL, "http://"))
	}
	h.runPool(t, addrs...)
	eventually(t, "the fake engines healthy", func() bool { return len(h.pool.Healthy()) == len(fakes) })
	return h
}

func streamJSON(w http.ResponseWriter, lines ...string) {
	w.Header().Set("Content-Type", "application/json")
	for _, l := range lines {
		fmt.Fprintln(w, l)
		w.(http.Flusher).Flush()
	}
}

func errorAnswer(code int, msg string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"message":%q}`+"\n", msg)
	}
}

func decodeMessages(t *testing.T, body string) []jsonmessage.JSONMessage {
	t.Helper()
	var out []jsonmessage.JSONMessage
	dec := json.NewDecoder(strings.NewReader(body))
	for dec.More() {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("answer %q: %v", body, err)
		}
		out = append(out, m)
	}
	return out
}

// A pull goes to every node with the client's registry credentials; each
// node's progress comes back tagged with its name, and a node's failure ends
// the stream with an error naming it.
func TestPullOnEveryNode(t *testing.T) {
	pulled := &recordingEngine{name: "fake-1", answer: func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		streamJSON(w,
			`{"status":"Pulling from library/app","id":"latest"}`,
			`{"status":"Downloading","progressDetail":{"current":5,"total":10},"id":"a1b2"}`,
			`{"status":"Status: Downloaded newer image for app:latest"}`)
	}}
	refused := &recordingEngine{name: "fake-2", answer: errorAnswer(http.StatusNotFound, "pull access denied for app")}
	h := startRecordingEngines(t, pulled, refused)

	req := httptest.NewRequestWithContext(t.Context(), "POST", "/v1.41/images/create?fromImage=app&tag=latest", nil)
	req.Header.Set("X-Registry-Auth", "c2VjcmV0")
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("pull answered %d %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	msgs := decodeMessages(t, rec.Body.String())
	var lines []string
	for _, m := range msgs {
		lines = append(lines, m.ID+"|"+m.Status+"|"+messageError(m))
	}
	want := []string{
		"|fake-2: pull access denied for app|",
		"fake-1: latest|Pulling from library/app|",
		"fake-1: a1b2|Downloading|",
		"|fake-1: Status: Downloaded newer image for app:latest|",
		"|" + "|fake-2: pull access denied for app",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stream:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if msgs[2].Progress == nil || msgs[2].Progress.Current != 5 {
		t.Errorf("progress lost: %+v", msgs[2])
	}
	for _, f := range []*recordingEngine{pulled, refused} {
		r := f.requests()
		if len(r) != 1 || r[0].path != "/images/create?fromImage=app&tag=latest" || r[0].header.Get("X-Registry-Auth") != "c2VjcmV0" {
			t.Errorf("%s received %+v, want the pull with the client's X-Registry-Auth", f.name, r)
		}
	}
}

// A pull that every node refuses as malformed is refused so.
func TestPullRefusedEverywhereAsMalformed(t *testing.T) {
	h := startRecordingEngines(t,
		&recordingEngine{name: "fake-1", answer: errorAnswer(http.StatusBadRequest, "invalid reference format")},
		&recordingEngine{name: "fake-2", answer: errorAnswer(http.StatusBadRequest, "invalid reference format")})
	wantError(t, h.do(t, "POST", "/images/create?fromImage=UPPER", ""), http.StatusBadRequest, "invalid reference format")
}

// An import sends the whole tarball to every node.
func TestImportSendsTheTarballToEveryNode(t *testing.T) {
	answer := func(w http.ResponseWriter, _ *http.Request, body []byte) {
		streamJSON(w, fmt.Sprintf(`{"status":"sha256:%d"}`, len(body)))
	}
	fakes := []*recordingEngine{{name: "fake-1", answer: answer}, {name: "fake-2", answer: answer}, {name: "fake-3", answer: answer}}
	h := startRecordingEngines(t, fakes...)
	tarball := strings.Repeat("layer data ", 50000)
	rec := h.do(t, "POST", "/images/create?fromSrc=-&repo=app&tag=1", tarball)
	if rec.Code != http.StatusOK {
		t.Fatalf("import answered %d: %s", rec.Code, rec.Body)
	}
	var statuses []string
	for _, m := range decodeMessages(t, rec.Body.String()) {
		statuses = append(statuses, m.Status)
	}
	for _, f := range fakes {
		want := fmt.Sprintf("%s: sha256:%d", f.name, len(tarball))
		if !strings.Contains(strings.Join(statuses, "\n"), want) {
			t.Errorf("stream %v lacks %q", statuses, want)
		}
		if r := f.requests(); len(r) != 1 || string(r[0].body) != tarball || !strings.HasPrefix(r[0].path, "/images/create?fromSrc=-") {
			t.Errorf("%s received %d requests; want the import with the whole tarball", f.name, len(r))
		}
	}
}
