package apiserver

import (
	"encoding/json"
	"testing"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/volume"
)

func TestMergeDiskUsage(t *testing.T) {
	node := func(name string) types.DiskUsage {
		return types.DiskUsage{
			LayersSize: 100,
			Images:     []*image.Summary{{ID: "sha256:b", RepoTags: []string{"busybox:latest"}, Size: 40, Containers: 1}},
			Containers: []*container.Summary{{ID: name + "-c", Names: []string{"/web"}, Ports: []container.Port{{IP: "0.0.0.0", PublicPort: 80}}}},
			Volumes:    []*volume.Volume{{Name: "data", Driver: "local"}, {Name: "shared", Driver: "nfs"}},
		}
	}
	du := mergeDiskUsage([]nodeUsage{{node: "node-1", ip: "10.0.0.1", usage: node("n1")}, {node: "node-2", ip: "10.0.0.2", usage: node("n2")}})
	if du.LayersSize != 200 {
		t.Errorf("LayersSize = %d, want the nodes' sum", du.LayersSize)
	}
	if len(du.Images) != 1 || du.Images[0].Size != 80 || du.Images[0].Containers != 2 {
		t.Errorf("images = %+v, want one row with sizes and containers summed", du.Images)
	}
	if len(du.Containers) != 2 || du.Containers[0].Names[0] != "/node-1/web" || du.Containers[1].Ports[0].IP != "10.0.0.2" {
		t.Errorf("containers = %+v, want node/name and the node's IP", du.Containers)
	}
	var names []string
	for _, v := range du.Volumes {
		names = append(names, v.Name)
	}
	if len(names) != 4 || names[0] != "node-1/data" || names[1] != "shared" || names[2] != "node-2/data" {
		t.Errorf("volumes = %v, want local ones as node/name", names)
	}

	empty, _ := json.Marshal(mergeDiskUsage(nil))
	if string(empty) != `{"LayersSize":0,"Images":[],"Containers":[],"Volumes":[],"BuildCache":[]}` {
		t.Errorf("no engines: %s", empty)
	}
}
