package apiserver

import (
	"net/http"
	"testing"
)

func TestVersionPrefix(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name, method, target string
		wantCode             int
		wantMsg              string // for errors
	}{
		{"unversioned", http.MethodGet, "/_ping", http.StatusOK, ""},
		{"the highest version", http.MethodGet, "/v1.41/_ping", http.StatusOK, ""},
		{"the lowest version", http.MethodGet, "/v1.24/version", http.StatusOK, ""},
		{"HEAD under a version", http.MethodHead, "/v1.30/_ping", http.StatusOK, ""},
		{"too old", http.MethodGet, "/v1.23/_ping", http.StatusBadRequest,
			"client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"},
		{"too old, compared as numbers", http.MethodGet, "/v1.9/info", http.StatusBadRequest,
			"client version 1.9 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"},
		{"too new", http.MethodGet, "/v1.42/version", http.StatusBadRequest,
			"client version 1.42 is too new. Maximum supported API version is 1.41"},
		{"too new, major", http.MethodPost, "/v2.0/containers/create", http.StatusBadRequest,
			"client version 2.0 is too new. Maximum supported API version is 1.41"},
		{"unknown path under a version", http.MethodGet, "/v1.41/swarm", http.StatusNotFound, "page not found"},
		{"unknown path", http.MethodGet, "/swarm", http.StatusNotFound, "page not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := h.do(t, tt.method, tt.target, "")
			if tt.wantMsg != "" {
				wantError(t, rec, tt.wantCode, tt.wantMsg)
				return
			}
			if rec.Code != tt.wantCode {
				t.Errorf("status %d, want %d (body %s)", rec.Code, tt.wantCode, rec.Body)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	h := newHarness(t)
	for _, target := range []string{"/_ping", "/v1.41/version", "/v1.41/containers/json", "/v1.41/containers/nope/json", "/v1.41/swarm"} {
		t.Run(target, func(t *testing.T) {
			rec := h.do(t, http.MethodGet, target, "")
			for k, want := range map[string]string{
				"Api-Version": "1.41", // no engine: the cap
				"Server":      "Drover/test (linux)",
				"Ostype":      "linux",
			} {
				if got := rec.Header().Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestVersionErrorsCarryTheServerHeaders(t *testing.T) {
	h := newHarness(t)
	for _, target := range []string{"/v1.12/_ping", "/v1.99/version"} {
		rec := h.do(t, http.MethodGet, target, "")
		if rec.Header().Get("Api-Version") != "1.41" || rec.Header().Get("Server") != "Drover/test (linux)" || rec.Header().Get("Ostype") != "linux" {
			t.Errorf("%s answered headers %v, want Api-Version, Server and Ostype as on every answer", target, rec.Header())
		}
	}
}

func TestPing(t *testing.T) {
	h := newHarness(t)
	rec := h.do(t, http.MethodGet, "/_ping", "")
	if rec.Code != http.StatusOK || rec.Body.String() != "OK" {
		t.Errorf("GET /_ping = %d %q, want 200 OK", rec.Code, rec.Body)
	}
	rec = h.do(t, http.MethodHead, "/_ping", "")
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD /_ping = %d %q, want 200 and no body", rec.Code, rec.Body)
	}
}
