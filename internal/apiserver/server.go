package apiserver

import (
	"context"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/docker/docker/api/types/versions"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"drover/internal/engine"
	"drover/internal/placement"
	"drover/internal/store"
)

// The API versions Drover serves. The advertised version is the lowest among
// healthy engines, capped at MaxAPIVersion.
const (
	MaxAPIVersion = "1.41"
	MinAPIVersion = "1.24"
)

// enginePool is the API's view of the engines.
type enginePool interface {
	Engines() []*engine.Engine
	Healthy() []*engine.Engine
	Get(addr string) (*engine.Engine, bool)
	ByName(name string) (*engine.Engine, bool)
	APIVersion(max string) string
	OnHealth(fn func(e *engine.Engine, healthy bool))
}

// desiredState is the API's view of the store.
type desiredState interface {
	CreateContainer(ctx context.Context, c *store.Container) (int64, error)
	DeleteContainer(ctx context.Context, id string) error
	NameHolder(ctx context.Context, name string) (string, error)
	ReleaseName(ctx context.Context, name, id string) error
	Container(ctx context.Context, id string) (*store.Container, *store.Status, error)
	Leader(ctx context.Context) (string, error)
	Managers(ctx context.Context) ([]store.Manager, error)
	ClusterID(ctx context.Context) (string, error)
	RequestOperation(ctx context.Context, id string, op store.Operation) (gen, rev int64, err error)
	WatchContainer(ctx context.Context, id string) (*store.Wait, error)
	PutRegistryAuth(ctx context.Context, id, auth string, ttl time.Duration) error
	WatchEvents(ctx context.Context) <-chan []byte
}

// Options configure a Server.
type Options struct {
	Logger    *zap.Logger
	Pool      enginePool
	Store     desiredState
	Scheduler *placement.Scheduler
	Version   string // Drover's version
	Advertise string // this manager's address, as other managers reach it
	// CreateTimeout bounds how long a create waits for the reconciler.
	CreateTimeout time.Duration
	Metrics       *prometheus.Registry
}

// Server is the Docker Remote API of one manager.
type Server struct {
	opts   Options
	lg     *zap.Logger
	router *gin.Engine

	// located remembers which engine holds a container ID, so the calls that
	// follow a create ask that engine first.
	locatedMu sync.Mutex
	located   map[string]string

	clusterMu sync.Mutex
	cluster   string // the cluster's ID, read once

	ownEvents broadcast // Drover's own events, to the open event streams
}

// New builds the server and its routes.
func New(opts Options) *Server {
	if opts.CreateTimeout <= 0 {
		opts.CreateTimeout = 60 * time.Second
	}
	s := &Server{opts: opts, lg: opts.Logger.Named("api"), located: map[string]string{}}
	opts.Pool.OnHealth(s.engineHealthChanged)
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.UseRawPath = true // node/name references arrive as node%2Fname, see ServeHTTP
	r.HandleMethodNotAllowed = false
	r.Use(s.recover, s.headers)
	r.NoRoute(func(c *gin.Context) {
		writeRawError(c.Writer, http.StatusNotFound, "page not found")
	})
	s.router = r
	s.routes(r)
	if opts.Metrics != nil {
		r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(opts.Metrics, promhttp.HandlerOpts{})))
	}
	return s
}

// versionPrefix matches the /v1.41 that versioned paths start with.
var versionPrefix = regexp.MustCompile(`^/v([0-9]+\.[0-9]+)/`)

// ServeHTTP strips the API version from the path, refuses versions Drover
// does not speak, and rewrites node/name references to containers, networks
// and volumes so that the router sees them as one path segment.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if m := versionPrefix.FindStringSubmatch(path); m != nil {
		v := m[1]
		switch {
		case versions.LessThan(v, MinAPIVersion), versions.GreaterThan(v, MaxAPIVersion):
			s.setHeaders(w.Header())
		}
		switch {
		case versions.LessThan(v, MinAPIVersion):
			writeRawError(w, http.StatusBadRequest, "client version "+v+" is too old. Minimum supported API version is "+MinAPIVersion+", please upgrade your client to a newer version")
			return
		case versions.GreaterThan(v, MaxAPIVersion):
			writeRawError(w, http.StatusBadRequest, "client version "+v+" is too new. Maximum supported API version is "+MaxAPIVersion)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), apiVersionKey{}, v))
		path = path[len(m[0])-1:]
	}
	r.URL.Path, r.URL.RawPath = path, nodeRefPath(r.Method, path)
	s.router.ServeHTTP(w, r)
}

type apiVersionKey struct{}

// apiVersion is the version the client asked for, or the advertised one.
func (s *Server) apiVersion(c *gin.Context) string {
	if v, ok := c.Request.Context().Value(apiVersionKey{}).(string); ok {
		return v
	}
	return s.opts.Pool.APIVersion(MaxAPIVersion)
}

func (s *Server) headers(c *gin.Context) {
	s.setHeaders(c.Writer.Header())
	start := time.Now()
	c.Next()
	s.lg.Debug("request", zap.String("method", c.Request.Method), zap.String("path", c.Request.URL.Path),
		zap.Int("status", c.Writer.Status()), zap.Duration("took", time.Since(start)))
}

// setHeaders sets what an engine sends with every answer.
func (s *Server) setHeaders(h http.Header) {
	h.Set("Api-Version", s.opts.Pool.APIVersion(MaxAPIVersion))
	h.Set("Server", "Drover/"+s.opts.Version+" (linux)")
	h.Set("Ostype", "linux")
	h.Set("Docker-Experimental", "false")
}

func (s *Server) recover(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.lg.Error("handler panicked", zap.Any("panic", p), zap.String("path", c.Request.URL.Path), zap.Stack("stack"))
			if !c.Writer.Written() {
				writeRawError(c.Writer, http.StatusInternalServerError, "internal error")
			}
		}
	}()
	c.Next()
}

func writeRawError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(`{"message":` + quoteJSON(msg) + "}\n"))
}
