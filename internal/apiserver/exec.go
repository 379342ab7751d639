package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/gin-gonic/gin"

	"drover/internal/engine"
)

// Exec instances live on the engine of their container. The manager that
// creates one remembers its engine, among the container IDs it remembers
// (both are IDs an engine holds); any other manager, or this one having
// forgotten, finds it by asking every healthy engine: only the engine that
// holds an exec instance knows its ID.

func (s *Server) execRoutes(r *gin.Engine) {
	r.POST("/containers/:name/exec", s.createExec)
	r.POST("/exec/:id/start", s.startExec)
	r.POST("/exec/:id/resize", s.forwardExec("resize"))
	r.GET("/exec/:id/json", s.forwardExec("json"))
}

// createExec creates the exec instance on the engine holding the container.
func (s *Server) createExec(c *gin.Context) {
	ctx := c.Request.Context()
	var opts container.ExecOptions
	if err := decodeJSONBody(c, &opts); err != nil {
		writeError(c, err)
		return
	}
	l, err := s.locate(ctx, c.Param("name"))
	if err != nil {
		writeError(c, err)
		return
	}
	resp, err := l.engine.Client.ContainerExecCreate(ctx, l.inspect.ID, opts)
	if err != nil {
		writeError(c, engine.Unwrap(err))
		return
	}
	s.remember(resp.ID, l.engine.Addr)
	writeJSON(c, http.StatusCreated, resp)
}

// maxExecStartBody bounds the small JSON body of an exec start.
const maxExecStartBody = 1 << 20

// startExec starts an exec instance on its engine. Attached (the docker CLI's
// `docker exec`, with or without -i and -t), the connection is hijacked and
// relayed both ways; detached, the engine's plain answer is passed on.
func (s *Server) startExec(c *gin.Context) {
	id := c.Param("id")
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxExecStartBody))
	if err != nil {
		writeError(c, errInvalid("read request body: %s", err.Error()))
		return
	}
	var opts container.ExecStartOptions
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &opts); err != nil {
			writeError(c, errInvalid("%s", err.Error()))
			return
		}
	}
	e, err := s.locateExec(c.Request.Context(), id)
	if err != nil {
		writeError(c, err)
		return
	}
	// The engine reads the body again.
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	c.Request.ContentLength, c.Request.TransferEncoding = int64(len(body)), nil
	if opts.Detach {
		s.forward(c, e, "/exec/"+id+"/start")
		return
	}
	s.hijack(c, e, "/exec/"+id+"/start")
}

// forwardExec passes a request about an exec instance to its engine.
func (s *Server) forwardExec(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.Param("id")
		e, err := s.locateExec(c.Request.Context(), id)
		if err != nil {
			writeError(c, err)
			return
		}
		s.forward(c, e, "/exec/"+id+"/"+action)
	}
}

// locateExec finds the engine holding an exec instance: the one remembered
// when it was created here, else the one of the healthy engines that knows
// it. Engines match exec IDs exactly, so at most one does.
func (s *Server) locateExec(ctx context.Context, id string) (*engine.Engine, error) {
	if addr, ok := s.hint(id); ok {
		if e, found := s.opts.Pool.Get(addr); found {
			return e, nil
		}
	}
	engines := s.opts.Pool.Healthy()
	_, errs := onEachEngine(ctx, engines, func(ctx context.Context, e *engine.Engine) (container.ExecInspect, error) {
		return e.Client.ContainerExecInspect(ctx, id)
	})
	var failed error
	for i, err := range errs {
		switch {
		case err == nil:
			s.remember(id, engines[i].Addr)
			return engines[i], nil
		case !cerrdefs.IsNotFound(err) && failed == nil:
			failed = err
		}
	}
	if failed != nil {
		return nil, failed // the engine that failed may hold it
	}
	return nil, cerrdefs.ErrNotFound.WithMessage("No such exec instance: " + id)
}
