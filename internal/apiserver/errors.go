package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errhttp"
	"github.com/gin-gonic/gin"

	"drover/internal/store"
)

// statusFromError maps an error's kind to the status code an engine would use.
func statusFromError(err error) int {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, store.ErrNotLeader):
		return http.StatusServiceUnavailable
	}
	if code := errhttp.ToHTTP(err); code != http.StatusInternalServerError || cerrdefs.IsInternal(err) {
		return code
	}
	return http.StatusInternalServerError
}

// writeError answers with the engine's error shape and stops the chain.
func writeError(c *gin.Context, err error) {
	c.Abort()
	writeRawError(c.Writer, statusFromError(err), err.Error())
}

// writeJSON answers as an engine does: Content-Type exactly application/json,
// which the docker CLI requires before it reads an error's message.
func writeJSON(c *gin.Context, code int, v any) {
	c.Writer.Header().Set("Content-Type", "application/json")
	c.Writer.WriteHeader(code)
	_ = json.NewEncoder(c.Writer).Encode(v)
}

// Errors with the kinds and words an engine uses.
func errInvalid(format string, args ...any) error {
	return cerrdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, args...))
}

func errConflict(format string, args ...any) error {
	return cerrdefs.ErrConflict.WithMessage(fmt.Sprintf(format, args...))
}

func errNoSuchContainer(ref string) error {
	return cerrdefs.ErrNotFound.WithMessage("No such container: " + ref)
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
