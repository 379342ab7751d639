package engine_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"drover/internal/engine"
)

// answering is a Docker client whose engine answers every request with code
// and body.
func answering(t *testing.T, code int, contentType, body string) *client.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return clientFor(t, "tcp://"+srv.Listener.Addr().String())
}

func clientFor(t *testing.T, host string) *client.Client {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.WithHost(host), client.WithVersion("1.41"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func TestUnwrapKeepsTheEngineWordsAndKind(t *testing.T) {
	tests := []struct {
		name        string
		code        int
		contentType string
		body        string
		wantMsg     string
		kind        error
		is          func(error) bool
	}{
		{
			name: "name in use", code: http.StatusConflict, contentType: "application/json",
			body:    `{"message":"Conflict. The container name \"/web\" is already in use by container \"0123\". You have to remove (or rename) that container to be able to reuse that name."}`,
			wantMsg: `Conflict. The container name "/web" is already in use by container "0123". You have to remove (or rename) that container to be able to reuse that name.`,
			kind:    cerrdefs.ErrConflict, is: cerrdefs.IsConflict,
		},
		{
			name: "no such image", code: http.StatusNotFound, contentType: "application/json",
			body: `{"message":"No such image: nosuch:latest"}`, wantMsg: "No such image: nosuch:latest",
			kind: cerrdefs.ErrNotFound, is: cerrdefs.IsNotFound,
		},
		{
			name: "bad request", code: http.StatusBadRequest, contentType: "application/json",
			body: `{"message":"invalid reference format"}`, wantMsg: "invalid reference format",
			kind: cerrdefs.ErrInvalidArgument, is: cerrdefs.IsInvalidArgument,
		},
		{
			name: "unauthorized", code: http.StatusUnauthorized, contentType: "application/json",
			body: `{"message":"authentication required"}`, wantMsg: "authentication required",
			kind: cerrdefs.ErrUnauthenticated, is: cerrdefs.IsUnauthorized,
		},
		{
			name: "forbidden", code: http.StatusForbidden, contentType: "application/json",
			body: `{"message":"denied by plugin"}`, wantMsg: "denied by plugin",
			kind: cerrdefs.ErrPermissionDenied, is: cerrdefs.IsPermissionDenied,
		},
		{
			name: "engine failure", code: http.StatusInternalServerError, contentType: "application/json",
			body: `{"message":"failed to create shim task"}`, wantMsg: "failed to create shim task",
			kind: cerrdefs.ErrInternal, is: cerrdefs.IsInternal,
		},
		{
			name: "unavailable", code: http.StatusServiceUnavailable, contentType: "application/json",
			body: `{"message":"daemon is shutting down"}`, wantMsg: "daemon is shutting down",
			kind: cerrdefs.ErrUnavailable, is: cerrdefs.IsUnavailable,
		},
		{
			name: "plain text answer", code: http.StatusNotFound, contentType: "text/plain; charset=utf-8",
			body: "404 page not found\n", wantMsg: "404 page not found",
			kind: cerrdefs.ErrNotFound, is: cerrdefs.IsNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cli := answering(t, tt.code, tt.contentType, tt.body)
			_, raw := cli.ContainerCreate(t.Context(), &container.Config{Image: "busybox"}, nil, nil, nil, "web")
			if raw == nil {
				t.Fatal("ContainerCreate succeeded, want the engine's error")
			}
			if want := "Error response from daemon: " + tt.wantMsg; raw.Error() != want {
				t.Fatalf("the client's error = %q, want %q (has the client changed its wording?)", raw, want)
			}
			for name, err := range map[string]error{
				"unwrapped":                   engine.Unwrap(raw),
				"unwrapped from more context": engine.Unwrap(fmt.Errorf("create on node-1: %w", raw)),
			} {
				if err.Error() != tt.wantMsg {
					t.Errorf("%s: message %q, want the engine's own %q", name, err, tt.wantMsg)
				}
				if !tt.is(err) || !errors.Is(err, tt.kind) {
					t.Errorf("%s: %q lost its kind %T", name, err, tt.kind)
				}
			}
		})
	}
}

func TestUnwrapLeavesOtherErrorsAlone(t *testing.T) {
	if err := engine.Unwrap(nil); err != nil {
		t.Errorf("Unwrap(nil) = %v, want nil", err)
	}
	plain := errors.New("boom")
	if err := engine.Unwrap(plain); err != plain {
		t.Errorf("Unwrap(plain) = %v, want the same error", err)
	}
	kinded := cerrdefs.ErrNotFound.WithMessage("No such container: web")
	if err := engine.Unwrap(kinded); err.Error() != "No such container: web" || !cerrdefs.IsNotFound(err) {
		t.Errorf("Unwrap(%v) = %v, want it unchanged", kinded, err)
	}
}

func TestUnwrapOfAnUnreachableEngineNamesIt(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, raw := clientFor(t, "tcp://"+addr).ContainerList(t.Context(), container.ListOptions{})
	if raw == nil {
		t.Fatal("ContainerList on a closed port succeeded")
	}
	if err := engine.Unwrap(raw); !strings.Contains(err.Error(), addr) {
		t.Errorf("Unwrap(%q) = %q, want the engine's address in it", raw, err)
	}
}
