package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/go-units"
	"github.com/gin-gonic/gin"

	"drover/internal/engine"
)

func (s *Server) ping(c *gin.Context) {
	c.Header("Cache-Control", "no-cache, no-store, must-revalidate")
	c.Header("Pragma", "no-cache")
	if c.Request.Method == http.MethodHead {
		c.Header("Content-Type", "text/plain; charset=utf-8")
		c.Header("Content-Length", "0")
		c.Status(http.StatusOK)
		return
	}
	c.String(http.StatusOK, "OK")
}

// livez answers while the process serves.
func (s *Server) livez(c *gin.Context) { c.String(http.StatusOK, "ok") }

// readyz answers 200 once etcd answers and at least one engine is healthy.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.opts.Store.Leader(ctx); err != nil {
		c.String(http.StatusServiceUnavailable, "etcd: %v", err)
		return
	}
	if len(s.opts.Pool.Healthy()) == 0 {
		c.String(http.StatusServiceUnavailable, "no healthy engine")
		return
	}
	c.String(http.StatusOK, "ok")
}

func (s *Server) version(c *gin.Context) {
	kernel := kernelVersion()
	writeJSON(c, http.StatusOK, types.Version{
		Platform: struct{ Name string }{Name: "Drover"},
		Components: []types.ComponentVersion{{
			Name: "Drover", Version: s.opts.Version,
			Details: map[string]string{"ApiVersion": s.opts.Pool.APIVersion(MaxAPIVersion), "MinAPIVersion": MinAPIVersion},
		}},
		Version:       s.opts.Version,
		APIVersion:    s.opts.Pool.APIVersion(MaxAPIVersion),
		MinAPIVersion: MinAPIVersion,
		GoVersion:     runtime.Version(),
		Os:            runtime.GOOS,
		Arch:          runtime.GOARCH,
		KernelVersion: kernel,
	})
}

// info describes the cluster as classic Swarm did: totals over every engine,
// and one block of SystemStatus rows per node.
func (s *Server) info(c *gin.Context) {
	engines := s.opts.Pool.Engines()
	hostname, _ := os.Hostname()
	info := system.Info{
		ID:              "drover",
		Name:            hostname,
		ServerVersion:   "drover/" + s.opts.Version,
		OperatingSystem: runtime.GOOS,
		OSType:          runtime.GOOS,
		Architecture:    runtime.GOARCH,
		KernelVersion:   kernelVersion(),
		SystemTime:      time.Now().Format(time.RFC3339Nano),
		Driver:          "",
		Labels:          []string{},
	}
	leader, err := s.opts.Store.Leader(c.Request.Context())
	role := "replica"
	if err == nil && leader == s.opts.Advertise {
		role = "primary"
	}
	var managers []string
	if list, err := s.opts.Store.Managers(c.Request.Context()); err == nil {
		for _, m := range list {
			managers = append(managers, m.Advertise)
		}
	}
	status := [][2]string{
		{"Role", role},
		{"Primary", leader},
		{"Managers", strings.Join(managers, ", ")},
		{"Strategy", s.opts.Scheduler.Strategy()},
		{"Filters", strings.Join(s.opts.Scheduler.Filters(), ", ")},
		{"Nodes", strconv.Itoa(len(engines))},
	}
	for _, e := range engines {
		st := e.State()
		if st.Healthy {
			info.NCPU += st.Info.NCPU
			info.MemTotal += st.Info.MemTotal
			info.Images += len(st.Images)
		}
		counts := countStates(st.Containers)
		info.Containers += len(st.Containers)
		info.ContainersRunning += counts.running
		info.ContainersPaused += counts.paused
		info.ContainersStopped += counts.stopped
		status = append(status, nodeStatus(e, st, counts)...)
	}
	info.SystemStatus = status
	writeJSON(c, http.StatusOK, info)
}

type stateCounts struct{ running, paused, stopped int }

func countStates(list []engine.Container) stateCounts {
	var n stateCounts
	for _, c := range list {
		switch c.State {
		case container.StateRunning:
			n.running++
		case container.StatePaused:
			n.paused++
		default:
			n.stopped++
		}
	}
	return n
}

// nodeStatus is one node's block of SystemStatus rows, worded as classic
// Swarm worded them (docker info prints them as they are).
func nodeStatus(e *engine.Engine, st *engine.State, n stateCounts) [][2]string {
	var cpus, mem int64
	for _, c := range st.Containers {
		nc, m := engine.Reservation(c.HostConfig)
		cpus, mem = cpus+nc, mem+m
	}
	health, errText := "Healthy", "(none)"
	if !st.Healthy {
		health, errText = "Unhealthy", st.Err
		if st.UpdatedAt.IsZero() {
			health = "Pending"
		}
	}
	labels := append([]string{}, st.Info.Labels...)
	labels = append(labels,
		"kernelversion="+st.Info.KernelVersion,
		"operatingsystem="+st.Info.OperatingSystem,
		"storagedriver="+st.Info.Driver)
	sort.Strings(labels)
	updated := "never"
	if !st.UpdatedAt.IsZero() {
		updated = st.UpdatedAt.UTC().Format(time.RFC3339)
	}
	return [][2]string{
		{" " + st.Name(e.Addr), e.Addr},
		{"  └ ID", st.Info.ID},
		{"  └ Status", health},
		{"  └ Containers", fmt.Sprintf("%d (%d Running, %d Paused, %d Stopped)", len(st.Containers), n.running, n.paused, n.stopped)},
		{"  └ Reserved CPUs", fmt.Sprintf("%s / %d", strconv.FormatFloat(float64(cpus)/1e9, 'f', -1, 64), st.Info.NCPU)},
		{"  └ Reserved Memory", units.BytesSize(float64(mem)) + " / " + units.BytesSize(float64(st.Info.MemTotal))},
		{"  └ Labels", strings.Join(labels, ", ")},
		{"  └ Error", errText},
		{"  └ UpdatedAt", updated},
		{"  └ ServerVersion", st.Info.ServerVersion},
	}
}

func kernelVersion() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
