package reconciler

import (
	"reflect"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
)

// The engine is handed plain volume names: node/name is name on the node
// placement chose; host paths and other mounts are passed as written.
func TestEngineVolumes(t *testing.T) {
	vol := func(src string) mount.Mount { return mount.Mount{Type: mount.TypeVolume, Source: src, Target: "/data"} }
	bind := mount.Mount{Type: mount.TypeBind, Source: "/srv/x", Target: "/x"}
	tests := []struct {
		name string
		in   *container.HostConfig
		want *container.HostConfig
	}{
		{"nil", nil, nil},
		{"nothing mounted", &container.HostConfig{}, &container.HostConfig{}},
		{"plain names", &container.HostConfig{Binds: []string{"v1:/data:ro"}}, &container.HostConfig{Binds: []string{"v1:/data:ro"}}},
		{"node/name bind", &container.HostConfig{Binds: []string{"node-2/v1:/data:ro", "/srv:/srv"}},
			&container.HostConfig{Binds: []string{"v1:/data:ro", "/srv:/srv"}}},
		{"node/name mount", &container.HostConfig{Mounts: []mount.Mount{vol("node-2/v1"), bind, vol("v2")}},
			&container.HostConfig{Mounts: []mount.Mount{vol("v1"), bind, vol("v2")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before *container.HostConfig
			if tt.in != nil {
				c := *tt.in
				before = &c
			}
			got := engineVolumes(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("engineVolumes = %+v, want %+v", got, tt.want)
			}
			if tt.in != nil && !reflect.DeepEqual(tt.in, before) {
				t.Errorf("engineVolumes changed its argument: %+v", tt.in)
			}
		})
	}
}
