package apiserver

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/system"
)

func TestVersion(t *testing.T) {
	h := newHarness(t)
	rec := h.do(t, http.MethodGet, "/v1.41/version", "")
	var v types.Version
	if err := json.Unmarshal(rec.Body.Bytes(), &v); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("GET /version = %d %s", rec.Code, rec.Body)
	}
	if v.Version != "test" || v.APIVersion != MaxAPIVersion || v.MinAPIVersion != MinAPIVersion || v.Platform.Name != "Drover" {
		t.Errorf("version = %+v", v)
	}
}

// statusRows returns the SystemStatus rows of GET /info by their key.
func statusRows(t *testing.T, h *harness) map[string]string {
	t.Helper()
	rec := h.do(t, http.MethodGet, "/v1.41/info", "")
	var info system.Info
	if err := json.Unmarshal(rec.Body.Bytes(), &info); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("GET /info = %d %s", rec.Code, rec.Body)
	}
	rows := map[string]string{}
	for _, r := range info.SystemStatus {
		rows[r[0]] = r[1]
	}
	return rows
}

func TestInfoSaysWhoLeads(t *testing.T) {
	h := newHarness(t)
	if rows := statusRows(t, h); rows["Role"] != "replica" || rows["Primary"] != "" {
		t.Errorf("with no leader: Role %q, Primary %q; want replica and none", rows["Role"], rows["Primary"])
	}
	l, err := h.store.Campaign(t.Context(), "127.0.0.1:4000", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Resign(t.Context()) }()

	rows := statusRows(t, h)
	if rows["Role"] != "primary" || rows["Primary"] != "127.0.0.1:4000" {
		t.Errorf("on the leader: Role %q, Primary %q; want primary, 127.0.0.1:4000", rows["Role"], rows["Primary"])
	}
	if rows["Strategy"] != "spread" || rows["Filters"] == "" || rows["Nodes"] != "0" {
		t.Errorf("Strategy %q, Filters %q, Nodes %q; want spread, the filters, 0", rows["Strategy"], rows["Filters"], rows["Nodes"])
	}
	opts := h.opts
	opts.Advertise = "127.0.0.1:4001"
	other := &harness{srv: New(opts), store: h.store, pool: h.pool, opts: opts}
	if rows := statusRows(t, other); rows["Role"] != "replica" || rows["Primary"] != "127.0.0.1:4000" {
		t.Errorf("on another manager: Role %q, Primary %q; want replica, 127.0.0.1:4000", rows["Role"], rows["Primary"])
	}
}

func TestInfoShowsAnUnreachableNode(t *testing.T) {
	h := newHarness(t)
	dead := closedAddr(t)
	h.runPool(t, dead)
	eventually(t, "the engine found unreachable", func() bool {
		e, ok := h.pool.Get(dead)
		return ok && !e.State().UpdatedAt.IsZero()
	})
	rows := statusRows(t, h)
	if rows["Nodes"] != "1" || rows[" "+dead] != dead || rows["  └ Status"] != "Unhealthy" || rows["  └ Error"] == "(none)" {
		t.Errorf("rows = %q; want one node, named by its address, unhealthy with its error", rows)
	}
}
