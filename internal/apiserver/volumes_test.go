package apiserver

import (
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/volume"
)

func TestMergeVolumes(t *testing.T) {
	global := &volume.Volume{Name: "shared", Driver: "nfs", Scope: "global"}
	got := mergeVolumes([]string{"node-1", "node-2"}, []volume.ListResponse{
		{Volumes: []*volume.Volume{{Name: "v1", Driver: "local", Scope: "local"}, global}},
		{Volumes: []*volume.Volume{{Name: "v1", Driver: "local", Scope: "local"}, global, nil}, Warnings: []string{"slow"}},
	})
	var names []string
	for _, v := range got.Volumes {
		names = append(names, v.Name)
	}
	if strings.Join(names, " ") != "node-1/v1 shared node-2/v1" {
		t.Fatalf("merged = %v", names)
	}
	if len(got.Warnings) != 1 || got.Warnings[0] != "node-2: slow" {
		t.Fatalf("warnings = %v", got.Warnings)
	}
	if global.Name != "shared" {
		t.Fatal("merging changed an engine's answer")
	}
	if got := mergeVolumes(nil, nil); got.Volumes == nil {
		t.Fatal("merging nothing gives a null list, want []")
	}
}

func TestPickVolumes(t *testing.T) {
	found := func(node, name, driver, scope string) foundVolume {
		return foundVolume{node: node, inspect: volume.Volume{Name: name, Driver: driver, Scope: scope}}
	}
	if _, err := pickVolumes("v1", nil); !cerrdefs.IsNotFound(err) || err.Error() != "get v1: no such volume" {
		t.Fatalf("none: %v", err)
	}
	if got, err := pickVolumes("v1", []foundVolume{found("node-3", "v1", "local", "local")}); err != nil || len(got) != 1 || got[0].node != "node-3" {
		t.Fatalf("one: %v, %v", got, err)
	}
	if got, err := pickVolumes("g", []foundVolume{found("node-1", "g", "nfs", "global"), found("node-2", "g", "nfs", "global")}); err != nil || len(got) != 2 {
		t.Fatalf("global: %v, %v", got, err)
	}
	_, err := pickVolumes("v1", []foundVolume{found("node-1", "v1", "local", "local"), found("node-2", "v1", "local", "local")})
	if !cerrdefs.IsInvalidArgument(err) || err.Error() != `multiple volumes match "v1": name one of node-1/v1, node-2/v1` {
		t.Fatalf("ambiguous: %v", err)
	}
}
