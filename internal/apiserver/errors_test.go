package apiserver

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	cerrdefs "github.com/containerd/errdefs"

	"drover/internal/placement"
	"drover/internal/store"
)

func TestStatusFromError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"store: not found", store.ErrNotFound, http.StatusNotFound},
		{"store: not found, wrapped", fmt.Errorf("container abc: %w", store.ErrNotFound), http.StatusNotFound},
		{"store: conflict", fmt.Errorf("container name %q: %w", "web", store.ErrConflict), http.StatusConflict},
		{"store: no longer the leader", fmt.Errorf("write for container abc: %w", store.ErrNotLeader), http.StatusServiceUnavailable},
		{"invalid argument", cerrdefs.ErrInvalidArgument.WithMessage("invalid reference format"), http.StatusBadRequest},
		{"not found", cerrdefs.ErrNotFound.WithMessage("No such container: web"), http.StatusNotFound},
		{"conflict", cerrdefs.ErrConflict.WithMessage("name in use"), http.StatusConflict},
		{"unauthenticated", cerrdefs.ErrUnauthenticated, http.StatusUnauthorized},
		{"permission denied", cerrdefs.ErrPermissionDenied, http.StatusForbidden},
		{"failed precondition", cerrdefs.ErrFailedPrecondition, http.StatusPreconditionFailed},
		{"not modified", cerrdefs.ErrNotModified, http.StatusNotModified},
		{"resource exhausted", cerrdefs.ErrResourceExhausted, http.StatusTooManyRequests},
		{"not implemented", cerrdefs.ErrNotImplemented, http.StatusNotImplemented},
		{"unavailable", cerrdefs.ErrUnavailable, http.StatusServiceUnavailable},
		{"internal", cerrdefs.ErrInternal, http.StatusInternalServerError},
		{"a kind wrapped with context", fmt.Errorf("create on node-1: %w", cerrdefs.ErrConflict), http.StatusConflict},
		{"a failure that crossed etcd keeps its kind", (&store.Failure{Kind: "notfound", Message: "No such image: x"}).Err(), http.StatusNotFound},
		{"placement found no node: 500, as classic Swarm", &placement.UnsatisfiedError{Conditions: []string{"port 80 (Bridge mode)"}}, http.StatusInternalServerError},
		{"placement: no healthy node", placement.ErrNoHealthyNode, http.StatusInternalServerError},
		{"a plain error", errors.New("boom"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusFromError(tt.err); got != tt.want {
				t.Errorf("statusFromError(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}
