package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/gin-gonic/gin"

	"drover/internal/engine"
	"drover/internal/store"
)

// opMargin is how long, beyond the engine's own stop timeout, a lifecycle
// request waits for the reconciler before it gives up.
const opMargin = 30 * time.Second

// operate runs a lifecycle operation. On a container of this cluster it goes
// through etcd: the operation is recorded as desired state, the leader's
// reconciler carries it out, and the answer is the engine's. Other containers
// (made straight on an engine) are operated on their engine directly.
func (s *Server) operate(kind store.OpKind) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		op, err := parseOperation(c, kind)
		if err != nil {
			writeError(c, err)
			return
		}
		l, err := s.locate(ctx, c.Param("name"))
		if err != nil {
			writeError(c, err)
			return
		}
		id, err := s.managedID(ctx, l)
		if err != nil {
			writeError(c, err)
			return
		}
		if id == "" {
			s.operateDirectly(c, l, op)
			return
		}
		if kind == store.OpRename {
			if err := s.checkNameFree(ctx, op.Name); err != nil {
				writeError(c, err)
				return
			}
		}
		watch, err := s.opts.Store.WatchContainer(ctx, id)
		if err != nil {
			writeError(c, err)
			return
		}
		defer watch.Close()
		gen, _, err := s.opts.Store.RequestOperation(ctx, id, op)
		if errors.Is(err, store.ErrConflict) {
			holder, _ := s.opts.Store.NameHolder(ctx, op.Name)
			err = errNameInUse(op.Name, holder)
		}
		if err != nil {
			writeError(c, err)
			return
		}
		wait := opMargin
		if op.Timeout != nil && *op.Timeout > 0 {
			wait += time.Duration(*op.Timeout) * time.Second
		} else if kind == store.OpStop || kind == store.OpRestart {
			wait += 10 * time.Second
		}
		wctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		st, err := watch.Operation(wctx, gen)
		switch {
		case kind == store.OpRemove && store.IsRemoved(err):
			c.Status(http.StatusNoContent)
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			writeError(c, fmt.Errorf("timed out after %s waiting for %s of %s: is a manager leading?", wait, kind, c.Param("name")))
		case err != nil:
			writeError(c, err)
		case st.OpFailure != nil:
			writeError(c, st.OpFailure.Err())
		case st.OpNotModified:
			c.Status(http.StatusNotModified)
		case kind == store.OpUpdate:
			writeJSON(c, http.StatusOK, container.UpdateResponse{Warnings: orEmpty(st.OpWarnings)})
		default:
			c.Status(http.StatusNoContent)
		}
	}
}

// managedID returns the swarm id of a container this cluster manages, or ""
// for a container it does not (made straight on an engine, or by another
// cluster sharing the engine).
func (s *Server) managedID(ctx context.Context, l *located) (string, error) {
	if l.inspect.Config == nil {
		return "", nil
	}
	id := l.inspect.Config.Labels[store.SwarmIDLabel]
	if id == "" {
		return "", nil
	}
	cluster, err := s.clusterID(ctx)
	if err != nil || l.inspect.Config.Labels[store.ClusterLabel] != cluster {
		return "", err
	}
	if _, _, err := s.opts.Store.Container(ctx, id); errors.Is(err, store.ErrNotFound) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	return id, nil
}

func (s *Server) clusterID(ctx context.Context) (string, error) {
	s.clusterMu.Lock()
	defer s.clusterMu.Unlock()
	if s.cluster == "" {
		id, err := s.opts.Store.ClusterID(ctx)
		if err != nil {
			return "", err
		}
		s.cluster = id
	}
	return s.cluster, nil
}

// operateDirectly operates a container this cluster does not manage, on its
// engine.
func (s *Server) operateDirectly(c *gin.Context, l *located, op store.Operation) {
	if op.Kind == store.OpRemove {
		err := l.engine.Client.ContainerRemove(c.Request.Context(), l.inspect.ID, container.RemoveOptions{
			Force: op.Force, RemoveVolumes: op.RemoveVolumes, RemoveLinks: op.RemoveLinks,
		})
		if err != nil {
			writeError(c, engine.Unwrap(err))
			return
		}
		l.engine.Kick()
		c.Status(http.StatusNoContent)
		return
	}
	s.forward(c, l.engine, "/containers/"+l.inspect.ID+"/"+string(op.Kind))
	l.engine.Kick()
}

// parseOperation reads an operation's parameters as an engine reads them.
func parseOperation(c *gin.Context, kind store.OpKind) (store.Operation, error) {
	op := store.Operation{Kind: kind, Signal: c.Query("signal")}
	if v := c.Query("t"); v != "" {
		t, err := strconv.Atoi(v)
		if err != nil {
			return op, errInvalid("invalid value for t: %q", v)
		}
		op.Timeout = &t
	}
	var err error
	switch kind {
	case store.OpRename:
		op.Name = strings.TrimPrefix(c.Query("name"), "/")
		if !validName.MatchString(op.Name) {
			return op, errInvalid("Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", c.Query("name"))
		}
	case store.OpUpdate:
		op.Update = &container.UpdateConfig{}
		if err := json.NewDecoder(c.Request.Body).Decode(op.Update); err != nil {
			return op, errInvalid("%s", err.Error())
		}
	case store.OpRemove:
		if op.Force, err = boolQuery(c, "force"); err == nil {
			if op.RemoveVolumes, err = boolQuery(c, "v"); err == nil {
				op.RemoveLinks, err = boolQuery(c, "link")
			}
		}
	}
	return op, err
}

func orEmpty(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}
