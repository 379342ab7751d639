// Package hollow is a hollow Docker engine for scale benchmarks: it answers
// the Engine API calls Drover makes — ping, version, info, events, container
// create, start, stop, inspect, list and remove, images, networks, volumes —
// and keeps containers in memory, running nothing. Hundreds of them fit in
// one process, where real engines would need a machine each.
package hollow

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/system"
)

// Engine is one hollow engine; serve it with net/http (Handler).
type Engine struct {
	name string

	mu         sync.Mutex
	containers map[string]*container.InspectResponse
	created    int
}

// New returns an empty hollow engine named name.
func New(name string) *Engine {
	return &Engine{name: name, containers: map[string]*container.InspectResponse{}}
}

var versionPrefix = regexp.MustCompile(`^/v[0-9.]+`)

// ServeHTTP answers one Engine API request.
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := versionPrefix.ReplaceAllString(r.URL.Path, "")
	switch {
	case path == "/_ping":
		w.Header().Set("Api-Version", "1.41")
		fmt.Fprint(w, "OK")
	case path == "/version":
		reply(w, http.StatusOK, types.Version{Version: "hollow", APIVersion: "1.41", MinAPIVersion: "1.12"})
	case path == "/info":
		reply(w, http.StatusOK, e.info())
	case path == "/events":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	case path == "/images/json", path == "/networks":
		reply(w, http.StatusOK, []any{})
	case path == "/volumes":
		reply(w, http.StatusOK, map[string]any{"Volumes": []any{}})
	case strings.HasPrefix(path, "/images/") && strings.HasSuffix(path, "/json"):
		reply(w, http.StatusOK, map[string]any{"Id": "sha256:hollow"})
	case path == "/containers/json":
		e.list(w, r)
	case path == "/containers/create" && r.Method == http.MethodPost:
		e.create(w, r)
	case strings.HasPrefix(path, "/containers/"):
		e.onContainer(w, r, strings.TrimPrefix(path, "/containers/"))
	default:
		reply(w, http.StatusNotFound, map[string]string{"message": "page not found"})
	}
}

func (e *Engine) info() system.Info {
	e.mu.Lock()
	defer e.mu.Unlock()
	running := 0
	for _, c := range e.containers {
		if c.State.Running {
			running++
		}
	}
	return system.Info{
		ID: "HOLLOW-" + e.name, Name: e.name, NCPU: 8, MemTotal: 32 << 30, ServerVersion: "hollow",
		Containers: len(e.containers), ContainersRunning: running, ContainersStopped: len(e.containers) - running,
		OperatingSystem: "hollow", KernelVersion: "hollow", Driver: "hollow",
	}
}

func (e *Engine) create(w http.ResponseWriter, r *http.Request) {
	var body container.CreateRequest
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Config == nil {
		reply(w, http.StatusBadRequest, map[string]string{"message": "bad create request"})
		return
	}
	name := "/" + strings.TrimPrefix(r.URL.Query().Get("name"), "/")
	e.mu.Lock()
	defer e.mu.Unlock()
	e.created++
	if name == "/" {
		name = fmt.Sprintf("/hollow_%d", e.created)
	}
	for _, c := range e.containers {
		if c.Name == name {
			reply(w, http.StatusConflict, map[string]string{"message": "Conflict. The container name \"" + name + "\" is already in use"})
			return
		}
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	if body.HostConfig == nil {
		body.HostConfig = &container.HostConfig{}
	}
	e.containers[id] = &container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{
			ID: id, Name: name, Image: body.Image, Created: time.Now().Format(time.RFC3339Nano),
			State: &container.State{Status: container.StateCreated}, HostConfig: body.HostConfig,
		},
		Config: body.Config,
	}
	reply(w, http.StatusCreated, container.CreateResponse{ID: id, Warnings: []string{}})
}

func (e *Engine) onContainer(w http.ResponseWriter, r *http.Request, rest string) {
	ref, action, _ := strings.Cut(rest, "/")
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.find(ref)
	if c == nil {
		reply(w, http.StatusNotFound, map[string]string{"message": "No such container: " + ref})
		return
	}
	switch {
	case action == "json":
		reply(w, http.StatusOK, c)
	case action == "start":
		c.State.Running, c.State.Status = true, container.StateRunning
		w.WriteHeader(http.StatusNoContent)
	case action == "stop" || action == "kill":
		c.State.Running, c.State.Status = false, container.StateExited
		w.WriteHeader(http.StatusNoContent)
	case action == "" && r.Method == http.MethodDelete:
		delete(e.containers, c.ID)
		w.WriteHeader(http.StatusNoContent)
	default:
		reply(w, http.StatusNotFound, map[string]string{"message": "page not found"})
	}
}

// find resolves a full ID, a unique prefix or a name.
func (e *Engine) find(ref string) *container.InspectResponse {
	if c, ok := e.containers[ref]; ok {
		return c
	}
	var match *container.InspectResponse
	for id, c := range e.containers {
		if c.Name == "/"+ref || strings.HasPrefix(id, ref) {
			match = c
		}
	}
	return match
}

func (e *Engine) list(w http.ResponseWriter, r *http.Request) {
	args, err := filters.FromJSON(r.URL.Query().Get("filters"))
	if err != nil {
		reply(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []container.Summary{}
	for _, c := range e.containers {
		if !args.MatchKVList("label", c.Config.Labels) || args.Contains("name") && !args.Match("name", c.Name) {
			continue
		}
		s := container.Summary{ID: c.ID, Names: []string{c.Name}, Image: c.Image, Labels: c.Config.Labels, State: c.State.Status}
		s.HostConfig.NetworkMode = string(c.HostConfig.NetworkMode)
		out = append(out, s)
	}
	reply(w, http.StatusOK, out)
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
