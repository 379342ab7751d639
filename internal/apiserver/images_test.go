package apiserver

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/gin-gonic/gin"
)

// An image pulled on several nodes has one ID and shows once, with every
// node's tags; images built apart on each node are different images.
func TestMergeImages(t *testing.T) {
	busybox := image.Summary{ID: "sha256:b", Created: 100, RepoTags: []string{"busybox:latest"}, RepoDigests: []string{"busybox@sha256:d"}, Containers: 1, Size: 10, SharedSize: 2}
	tiny := image.Summary{ID: "sha256:t", Created: 200, RepoTags: []string{"tiny:latest"}, Containers: -1, Size: 5, SharedSize: -1}
	retagged := busybox
	retagged.RepoTags = []string{"busybox:latest", "mine:1"}
	retagged.Containers = 2
	dangling := image.Summary{ID: "sha256:b", Created: 100, RepoTags: []string{"<none>:<none>"}, RepoDigests: []string{"<none>@<none>"}, Containers: 0, Size: 10, SharedSize: 2}
	otherTiny := image.Summary{ID: "sha256:t2", Created: 150, RepoTags: []string{"tiny:latest"}, Containers: -1, Size: 5, SharedSize: -1}

	got := mergeImages([][]image.Summary{{busybox, tiny}, {retagged, tiny}, {dangling, otherTiny}}, false)
	if ids := imageIDs(got); !slices.Equal(ids, []string{"sha256:t", "sha256:t2", "sha256:b"}) {
		t.Fatalf("rows %v, want one per ID, newest first", ids)
	}
	b := got[2]
	if !slices.Equal(b.RepoTags, []string{"busybox:latest", "mine:1"}) || !slices.Equal(b.RepoDigests, []string{"busybox@sha256:d"}) {
		t.Errorf("busybox tags %v digests %v: want the union, without <none>", b.RepoTags, b.RepoDigests)
	}
	if b.Containers != 3 || b.Size != 10 || b.SharedSize != 2 {
		t.Errorf("busybox containers %d size %d shared %d: want containers summed, sizes as one copy", b.Containers, b.Size, b.SharedSize)
	}
	if got[0].Containers != -1 {
		t.Errorf("tiny containers = %d, want -1 (not computed) kept", got[0].Containers)
	}
	if busybox.RepoTags[0] != "busybox:latest" || len(busybox.RepoTags) != 1 {
		t.Errorf("merging changed an engine's row: %v", busybox.RepoTags)
	}

	du := mergeImages([][]image.Summary{{busybox}, {retagged}}, true)
	if len(du) != 1 || du[0].Size != 20 || du[0].SharedSize != 4 || du[0].Containers != 3 {
		t.Errorf("disk usage merge = %+v, want sizes summed over the copies", du)
	}
	if empty := mergeImages(nil, false); empty == nil || len(empty) != 0 {
		t.Errorf("no engines: %v, want an empty list (JSON [])", empty)
	}
}

func imageIDs(list []image.Summary) []string {
	var ids []string
	for _, i := range list {
		ids = append(ids, i.ID)
	}
	return ids
}

func TestMergePrune(t *testing.T) {
	got := mergePrune([]image.PruneReport{
		{ImagesDeleted: []image.DeleteResponse{{Untagged: "a:1"}, {Deleted: "sha256:a"}}, SpaceReclaimed: 10},
		{ImagesDeleted: []image.DeleteResponse{{Deleted: "sha256:a"}, {Deleted: "sha256:b"}}, SpaceReclaimed: 5},
		{},
	})
	want := []image.DeleteResponse{{Untagged: "a:1"}, {Deleted: "sha256:a"}, {Deleted: "sha256:b"}}
	if !slices.Equal(got.ImagesDeleted, want) || got.SpaceReclaimed != 15 {
		t.Fatalf("mergePrune = %+v", got)
	}
}

// Image names hold slashes; the fixed words and the actions are told apart
// from the names around them.
func TestImagePathsRoute(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	var got string
	fixed := func(word string) gin.HandlerFunc { return func(*gin.Context) { got = "fixed " + word } }
	named := func(action string) imageHandler {
		return func(_ *gin.Context, name string) { got = action + " " + name }
	}
	r := gin.New()
	r.GET("/images/*path", imagePaths{
		fixed: map[string]gin.HandlerFunc{"json": fixed("json"), "get": fixed("get")},
		named: map[string]imageHandler{"json": named("inspect"), "history": named("history")},
	}.route)
	r.DELETE("/images/*path", imagePaths{whole: named("remove")}.route)
	cases := []struct{ method, path, want string }{
		{"GET", "/images/json", "fixed json"},
		{"GET", "/images/get", "fixed get"},
		{"GET", "/images/busybox/json", "inspect busybox"},
		{"GET", "/images/library/busybox:latest/json", "inspect library/busybox:latest"},
		{"GET", "/images/registry:5000/team/app:v1/history", "history registry:5000/team/app:v1"},
		{"GET", "/images/json/json", "inspect json"},
		{"DELETE", "/images/library/busybox:latest", "remove library/busybox:latest"},
		{"GET", "/images/busybox/nothing", "404"},
		{"GET", "/images/", "404"},
		{"DELETE", "/images/", "404"},
	}
	for _, tc := range cases {
		got = "404"
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		if got != tc.want || (tc.want == "404") != (w.Code == http.StatusNotFound) {
			t.Errorf("%s %s → %q (%d), want %q", tc.method, tc.path, got, w.Code, tc.want)
		}
	}
}
