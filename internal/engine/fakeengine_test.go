package engine_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/system"
)

// fakeEngine answers the few endpoints an engine refresh reads, the way a
// Docker engine does, from state the test sets. It stands in for dockerd,
// which unit tests do not have; the e2e suite runs the real thing.
type fakeEngine struct {
	srv    *httptest.Server
	events chan events.Message

	mu         sync.Mutex
	info       system.Info
	apiVersion string
	containers []container.Summary
	inspects   map[string]container.InspectResponse
	images     []image.Summary
	infoCalls  int
}

var versionPrefix = regexp.MustCompile(`^/v[0-9]+\.[0-9]+`)

func newFakeEngine(t *testing.T, name, apiVersion string) *fakeEngine {
	t.Helper()
	f := &fakeEngine{
		events:     make(chan events.Message, 16),
		info:       system.Info{ID: "ID-" + name, Name: name, NCPU: 4, MemTotal: 8 << 30},
		apiVersion: apiVersion,
		inspects:   map[string]container.InspectResponse{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeEngine) addr() string { return f.srv.Listener.Addr().String() }

func (f *fakeEngine) infoCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.infoCalls
}

func (f *fakeEngine) addContainer(c container.Summary, hc *container.HostConfig, cfg *container.Config) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.containers = append(f.containers, c)
	f.inspects[c.ID] = container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{ID: c.ID, Name: c.Names[0], HostConfig: hc},
		Config:            cfg,
	}
}

func (f *fakeEngine) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Api-Version", f.apiVersion)
	path := versionPrefix.ReplaceAllString(r.URL.Path, "")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case path == "/_ping":
		_, _ = w.Write([]byte("OK"))
	case path == "/info":
		f.infoCalls++
		reply(w, http.StatusOK, f.info)
	case path == "/version":
		reply(w, http.StatusOK, types.Version{APIVersion: f.apiVersion, Version: "28.0.0"})
	case path == "/containers/json":
		reply(w, http.StatusOK, f.containers)
	case path == "/images/json":
		reply(w, http.StatusOK, f.images)
	case path == "/networks":
		reply(w, http.StatusOK, []any{})
	case path == "/volumes":
		reply(w, http.StatusOK, map[string]any{"Volumes": []any{}})
	case path == "/events":
		f.mu.Unlock()
		f.streamEvents(w, r)
		f.mu.Lock()
	case strings.HasPrefix(path, "/containers/") && strings.HasSuffix(path, "/json"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, "/containers/"), "/json")
		if inspect, ok := f.inspects[id]; ok {
			reply(w, http.StatusOK, inspect)
			return
		}
		reply(w, http.StatusNotFound, map[string]string{"message": "No such container: " + id})
	default:
		reply(w, http.StatusNotFound, map[string]string{"message": "page not found"})
	}
}

func (f *fakeEngine) streamEvents(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	enc := json.NewEncoder(w)
	for {
		select {
		case <-r.Context().Done():
			return
		case m := <-f.events:
			_ = enc.Encode(m)
			w.(http.Flusher).Flush()
		}
	}
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
