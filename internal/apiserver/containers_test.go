package apiserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/gin-gonic/gin"

	"drover/internal/store"
)

// queryContext is a gin context for a request with query q.
func queryContext(q string) *gin.Context {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodGet, "/containers/json?"+q, nil)
	return c
}

func TestBoolQuery(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{"", false}, {"0", false}, {"no", false}, {"false", false}, {"none", false},
		{"FALSE", false}, {" no ", false},
		{"1", true}, {"yes", true}, {"true", true}, {"True", true}, {" 1", true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, err := boolQuery(queryContext("all="+url.QueryEscape(tt.value)), "all")
			if err != nil || got != tt.want {
				t.Errorf("boolQuery(all=%q) = %v, %v; want %v", tt.value, got, err, tt.want)
			}
		})
	}
	t.Run("absent", func(t *testing.T) {
		if got, err := boolQuery(queryContext(""), "all"); err != nil || got {
			t.Errorf("boolQuery without all = %v, %v; want false", got, err)
		}
	})
}

func TestBoolQueryAcceptsWhatAnEngineAccepts(t *testing.T) {
	for _, v := range []string{"on", "2", "y", "anything"} {
		if got, err := boolQuery(queryContext("all="+v), "all"); err != nil || !got {
			t.Errorf("boolQuery(all=%q) = %v, %v; want true, as an engine reads it", v, got, err)
		}
	}
}

func TestListOptions(t *testing.T) {
	tests := []struct {
		name       string
		query      string
		wantAll    bool
		wantSize   bool
		wantLimit  int
		wantFilter map[string][]string
		wantErr    bool
	}{
		{name: "nothing asked", query: ""},
		{name: "all, size and limit", query: "all=1&size=true&limit=3", wantAll: true, wantSize: true, wantLimit: 3},
		{name: "filters", query: "filters=" + url.QueryEscape(`{"status":{"running":true},"label":{"a=b":true}}`),
			wantFilter: map[string][]string{"status": {"running"}, "label": {"a=b"}}},
		{name: "a limit that is not a number", query: "limit=ten", wantErr: true},
		{name: "filters that are not JSON", query: "filters=" + url.QueryEscape("{status"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := listOptions(queryContext(tt.query))
			if tt.wantErr {
				if !cerrdefs.IsInvalidArgument(err) {
					t.Errorf("listOptions(%s) error = %v, want an invalid argument", tt.query, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("listOptions(%s): %v", tt.query, err)
			}
			if opts.All != tt.wantAll || opts.Size != tt.wantSize || opts.Limit != tt.wantLimit {
				t.Errorf("listOptions(%s) = all %v, size %v, limit %d", tt.query, opts.All, opts.Size, opts.Limit)
			}
			if opts.Filters.Len() != len(tt.wantFilter) {
				t.Errorf("filters %v, want %v", opts.Filters, tt.wantFilter)
			}
			for k, want := range tt.wantFilter {
				if got := opts.Filters.Get(k); !slices.Equal(got, want) {
					t.Errorf("filter %s = %v, want %v", k, got, want)
				}
			}
		})
	}
}

func TestListContainersWithoutEngines(t *testing.T) {
	h := newHarness(t)
	rec := h.do(t, http.MethodGet, "/v1.41/containers/json?all=1", "")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /containers/json = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	var list []container.Summary
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || list == nil || len(list) != 0 {
		t.Errorf("body %s, want an empty JSON list", rec.Body)
	}
	wantError(t, h.do(t, http.MethodGet, "/v1.41/containers/json?limit=ten", ""), http.StatusBadRequest,
		`invalid limit "ten": must be an integer`)
}

func TestContainerReferencesNoEngineHolds(t *testing.T) {
	h := newHarness(t)
	tests := []struct{ method, target, ref string }{
		{http.MethodGet, "/v1.41/containers/web/json", "web"},
		{http.MethodGet, "/containers/0123456789ab/json", "0123456789ab"},
		{http.MethodGet, "/v1.41/containers/node-1/web/json", "node-1/web"},
		{http.MethodDelete, "/v1.41/containers/web?force=1", "web"},
		{http.MethodDelete, "/v1.41/containers/node-1/web", "node-1/web"},
		{http.MethodPost, "/v1.41/containers/web/start", "web"},
		{http.MethodPost, "/v1.41/containers/node-1/web/stop", "node-1/web"},
		{http.MethodGet, "/v1.41/containers/node-1/web/logs", "node-1/web"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			wantError(t, h.do(t, tt.method, tt.target, ""), http.StatusNotFound, "No such container: "+tt.ref)
		})
	}
}

func TestCreateRefusesBadRequestsBeforeWriting(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name, query, body, wantMsg string
	}{
		{"a name the engine refuses", "name=-web", `{"Image":"busybox"}`,
			"Invalid container name (-web), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"},
		{"a one-character name", "name=a", `{"Image":"busybox"}`,
			"Invalid container name (a), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"},
		{"no body", "", "", "config cannot be empty in order to create a container"},
		{"no config", "", `{}`, "config cannot be empty in order to create a container"},
		{"no image", "name=web", `{"Cmd":["true"]}`, "image name cannot be blank"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, h.do(t, http.MethodPost, "/v1.41/containers/create?"+tt.query, tt.body), http.StatusBadRequest, tt.wantMsg)
			h.wantNothingStored(t)
		})
	}
	t.Run("a malformed constraint", func(t *testing.T) {
		rec := h.do(t, http.MethodPost, "/v1.41/containers/create", `{"Image":"busybox","Env":["constraint:node=~["]}`)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("status %d (%s), want 400", rec.Code, rec.Body)
		}
		h.wantNothingStored(t)
	})
	t.Run("a body that is not JSON", func(t *testing.T) {
		rec := h.do(t, http.MethodPost, "/v1.41/containers/create", `{"Image":`)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("status %d (%s), want 400", rec.Code, rec.Body)
		}
		h.wantNothingStored(t)
	})
}

func TestCreateAnswersWithTheReconcilersVerdict(t *testing.T) {
	t.Run("created: the engine's container ID", func(t *testing.T) {
		h := newHarness(t)
		h.answerCreates(t, func(store.Record) store.Status {
			return store.Status{Phase: store.PhaseCreated, Node: "10.0.0.1:2375", EngineID: "0123abcd"}
		})
		rec := h.do(t, http.MethodPost, "/v1.41/containers/create?name=web", `{"Image":"busybox","Cmd":["sleep","600"]}`)
		if rec.Code != http.StatusCreated || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("status %d %s (%s), want 201 JSON", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
		var resp container.CreateResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.ID != "0123abcd" || resp.Warnings == nil {
			t.Errorf("body %s, want Id 0123abcd and empty Warnings", rec.Body)
		}
		holder, err := h.store.NameHolder(t.Context(), "web")
		if err != nil {
			t.Fatal(err)
		}
		c, st, err := h.store.Container(t.Context(), holder)
		if err != nil || c.Config.Image != "busybox" || st.Phase != store.PhaseCreated {
			t.Errorf("desired record = %+v, %+v, %v; want it kept, created", c, st, err)
		}
	})
	t.Run("failed: the engine's status and words, and nothing left", func(t *testing.T) {
		h := newHarness(t)
		h.answerCreates(t, func(store.Record) store.Status {
			return store.Status{Phase: store.PhaseFailed, Failure: store.FailureOf(cerrdefs.ErrNotFound.WithMessage("No such image: nosuch:latest"))}
		})
		rec := h.do(t, http.MethodPost, "/v1.41/containers/create?name=web", `{"Image":"nosuch"}`)
		wantError(t, rec, http.StatusNotFound, "No such image: nosuch:latest")
		h.wantNothingStored(t)
	})
	t.Run("registry credentials reach the reconciler", func(t *testing.T) {
		h := newHarness(t)
		auths := make(chan string, 1)
		h.answerCreates(t, func(rec store.Record) store.Status {
			auth, _ := h.store.RegistryAuth(t.Context(), rec.Container.ID)
			auths <- auth
			return store.Status{Phase: store.PhaseCreated, EngineID: "e1"}
		})
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/v1.41/containers/create", strings.NewReader(`{"Image":"private/app"}`))
		req.Header.Set("X-Registry-Auth", "eyJ1c2VybmFtZSI6InUifQ==")
		h.srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			t.Fatalf("status %d (%s), want 201", rec.Code, rec.Body)
		}
		if got := <-auths; got != "eyJ1c2VybmFtZSI6InUifQ==" {
			t.Errorf("the reconciler read credentials %q", got)
		}
	})
	t.Run("no verdict in time: an error, and nothing left", func(t *testing.T) {
		h := newHarness(t, func(o *Options) { o.CreateTimeout = 200 * time.Millisecond })
		rec := h.do(t, http.MethodPost, "/v1.41/containers/create?name=web", `{"Image":"busybox"}`)
		wantError(t, rec, http.StatusInternalServerError,
			"timed out after 200ms waiting for the container to be created: is a manager leading?")
		h.wantNothingStored(t)
	})
}

func TestCreateWithANameAlreadyReserved(t *testing.T) {
	inUse := func(holder string) string {
		return `Conflict. The container name "/web" is already in use by container "` + holder +
			`". You have to remove (or rename) that container to be able to reuse that name.`
	}
	created := func(store.Record) store.Status { return store.Status{Phase: store.PhaseCreated, EngineID: "e-new"} }

	t.Run("by a create under way: conflict", func(t *testing.T) {
		h := newHarness(t)
		if _, err := h.store.CreateContainer(t.Context(), &store.Container{ID: "under-way", Name: "web", Config: &container.Config{Image: "busybox"}}); err != nil {
			t.Fatal(err)
		}
		wantError(t, h.do(t, http.MethodPost, "/v1.41/containers/create?name=web", `{"Image":"busybox"}`), http.StatusConflict, inUse("under-way"))
		if holder, _ := h.store.NameHolder(t.Context(), "web"); holder != "under-way" {
			t.Errorf("the name passed to %q", holder)
		}
	})
	t.Run("by a record already gone: released and reused", func(t *testing.T) {
		h := newHarness(t)
		if _, err := apiEtcd.Put(t.Context(), h.store.Prefix()+"/names/web", "gone"); err != nil {
			t.Fatal(err)
		}
		h.answerCreates(t, created)
		rec := h.do(t, http.MethodPost, "/v1.41/containers/create?name=web", `{"Image":"busybox"}`)
		if rec.Code != http.StatusCreated {
			t.Fatalf("status %d (%s), want 201", rec.Code, rec.Body)
		}
	})
	t.Run("by a finished create whose container no engine holds: released and reused", func(t *testing.T) {
		h := newHarness(t)
		rev, err := h.store.CreateContainer(t.Context(), &store.Container{ID: "failed-one", Name: "web", Config: &container.Config{Image: "busybox"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.store.SetStatus(t.Context(), store.Fence{}, "failed-one", rev, store.Status{Phase: store.PhaseFailed, Failure: &store.Failure{Kind: "internal", Message: "x"}}); err != nil {
			t.Fatal(err)
		}
		h.answerCreates(t, created)
		rec := h.do(t, http.MethodPost, "/v1.41/containers/create?name=web", `{"Image":"busybox"}`)
		if rec.Code != http.StatusCreated {
			t.Fatalf("status %d (%s), want 201", rec.Code, rec.Body)
		}
		if _, _, err := h.store.Container(t.Context(), "failed-one"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the stale record is still there: %v", err)
		}
	})
}

func TestCreateKeepsTheNameOfAContainerOnAnUnreachableEngine(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.CreateTimeout = 300 * time.Millisecond })
	dead := closedAddr(t)
	h.runPool(t, dead)
	eventually(t, "the engine found unreachable", func() bool {
		e, ok := h.pool.Get(dead)
		return ok && !e.State().UpdatedAt.IsZero()
	})
	rev, err := h.store.CreateContainer(t.Context(), &store.Container{ID: "live", Name: "web", Config: &container.Config{Image: "busybox"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.store.SetStatus(t.Context(), store.Fence{}, "live", rev, store.Status{Phase: store.PhaseCreated, Node: dead, EngineID: "e-live"}); err != nil {
		t.Fatal(err)
	}
	rec := h.do(t, http.MethodPost, "/v1.41/containers/create?name=web", `{"Image":"busybox"}`)
	if rec.Code != http.StatusConflict {
		t.Errorf("status %d (%s), want 409: the name's holder may well be alive on its unreachable engine", rec.Code, rec.Body)
	}
	if _, st, err := h.store.Container(t.Context(), "live"); err != nil || st == nil || st.EngineID != "e-live" {
		t.Errorf("the live container's record = %+v, %v; want it kept", st, err)
	}
}
