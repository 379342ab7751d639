package reconciler

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
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
)

// fakeEngine answers the endpoints an engine refresh reads, as a Docker
// engine does, from state the test sets: the engine package offers no way to
// build an Engine with a given State, so snapshots are tested over a Pool
// reading this stand-in for dockerd.
type fakeEngine struct {
	srv *httptest.Server

	mu         sync.Mutex
	info       system.Info
	containers []container.Summary
	inspects   map[string]container.InspectResponse
	volumes    []*volume.Volume
}

var versionPrefix = regexp.MustCompile(`^/v[0-9]+\.[0-9]+`)

func newFakeEngine(t *testing.T, name string) *fakeEngine {
	t.Helper()
	f := &fakeEngine{
		info:     system.Info{ID: "ID-" + name, Name: name, NCPU: 4, MemTotal: 8 << 30, Driver: "overlay2"},
		inspects: map[string]container.InspectResponse{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeEngine) addr() string { return f.srv.Listener.Addr().String() }

func (f *fakeEngine) addContainer(c container.Summary, hc *container.HostConfig) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.containers = append(f.containers, c)
	f.inspects[c.ID] = container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{ID: c.ID, Name: c.Names[0], HostConfig: hc},
		Config:            &container.Config{Labels: c.Labels},
	}
}

func (f *fakeEngine) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Api-Version", "1.41")
	path := versionPrefix.ReplaceAllString(r.URL.Path, "")
	if path == "/events" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case path == "/_ping":
		_, _ = w.Write([]byte("OK"))
	case path == "/info":
		reply(w, http.StatusOK, f.info)
	case path == "/version":
		reply(w, http.StatusOK, types.Version{APIVersion: "1.41"})
	case path == "/containers/json":
		reply(w, http.StatusOK, f.containers)
	case path == "/images/json", path == "/networks":
		reply(w, http.StatusOK, []any{})
	case path == "/volumes":
		reply(w, http.StatusOK, volume.ListResponse{Volumes: f.volumes})
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

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
