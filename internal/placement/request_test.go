package placement

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/go-connections/nat"
)

func TestNewRequestExpressions(t *testing.T) {
	cfg := &container.Config{
		Env: []string{
			"PATH=/usr/bin",
			"constraint:storage==ssd",
			"affinity:image==~redis",
			"constraint:node!=/node-[01]/",
		},
		Labels: map[string]string{
			LabelConstraints: `["region==us*"]`,
			LabelAffinities:  `["container!=web", "com.example.type==frontend"]`,
		},
	}
	before := slices.Clone(cfg.Env)
	r, err := NewRequest("db", cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Constraints(), []string{"storage==ssd", "node!=/node-[01]/", "region==us*"}; !slices.Equal(got, want) {
		t.Errorf("Constraints() = %q, want %q", got, want)
	}
	if got, want := r.Affinities(), []string{"image==~redis", "container!=web", "com.example.type==frontend"}; !slices.Equal(got, want) {
		t.Errorf("Affinities() = %q, want %q", got, want)
	}
	if r.hard == nil || len(r.hard.affinities) != 2 || len(r.hard.constraints) != 3 {
		t.Errorf("hard twin = %+v, want the soft affinity dropped", r.hard)
	}
	if !slices.Equal(cfg.Env, before) {
		t.Errorf("NewRequest changed Env to %q", cfg.Env)
	}
	if r.HostConfig == nil {
		t.Error("nil HostConfig not replaced")
	}
}

func TestNewRequestRefuses(t *testing.T) {
	tests := []struct {
		name  string
		cfg   container.Config
		hc    container.HostConfig
		expr  bool   // wraps ErrInvalidExpression too
		quote string // the error must quote this
	}{
		{name: "single equals in env", cfg: container.Config{Env: []string{"constraint:node=node-1"}}, expr: true, quote: `"constraint:node=node-1"`},
		{name: "empty value", cfg: container.Config{Env: []string{"affinity:container=="}}, expr: true, quote: `"affinity:container=="`},
		{name: "bad regexp", cfg: container.Config{Env: []string{"constraint:node==/a(/"}}, expr: true, quote: `"constraint:node==/a(/"`},
		{name: "bad expression in label", cfg: container.Config{Labels: map[string]string{LabelConstraints: `["storage==ssd","region"]`}}, expr: true, quote: `"region"`},
		{name: "label not JSON", cfg: container.Config{Labels: map[string]string{LabelAffinities: `image==redis`}}, expr: true, quote: `"image==redis"`},
		{name: "bad host port", hc: container.HostConfig{PortBindings: nat.PortMap{"80/tcp": {{HostPort: "eighty"}}}}, quote: `"eighty"`},
		{name: "bad host IP", hc: container.HostConfig{PortBindings: nat.PortMap{"80/tcp": {{HostIP: "10.0.0", HostPort: "80"}}}}, quote: `"10.0.0"`},
		{name: "reversed range", hc: container.HostConfig{PortBindings: nat.PortMap{"80/tcp": {{HostPort: "90-80"}}}}, quote: `"90-80"`},
		{name: "bad exposed port", cfg: container.Config{ExposedPorts: nat.PortSet{"http/tcp": {}}}, hc: container.HostConfig{NetworkMode: "host"}, quote: `"http/tcp"`},
		{name: "empty volumes-from", hc: container.HostConfig{VolumesFrom: []string{":ro"}}, quote: `"--volumes-from=:ro"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRequest("x", &tt.cfg, &tt.hc, nil)
			if err == nil {
				t.Fatal("NewRequest accepted it")
			}
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("%v does not wrap ErrInvalidRequest", err)
			}
			if errors.Is(err, ErrInvalidExpression) != tt.expr {
				t.Errorf("errors.Is(%v, ErrInvalidExpression) = %v, want %v", err, !tt.expr, tt.expr)
			}
			if !strings.Contains(err.Error(), tt.quote) {
				t.Errorf("%q does not quote %s", err, tt.quote)
			}
		})
	}
}

func TestNewRequestPorts(t *testing.T) {
	tests := []struct {
		name string
		cfg  container.Config
		hc   container.HostConfig
		want []portWant
	}{
		{
			name: "bridge",
			hc: container.HostConfig{PortBindings: nat.PortMap{
				"80/tcp":  {{HostPort: "80"}, {HostIP: "10.0.0.1", HostPort: "8080"}},
				"53/UDP":  {{HostIP: "0.0.0.0", HostPort: "53"}},
				"443/tcp": {{HostPort: ""}, {HostPort: "0"}}, // ephemeral
				"9000":    {{HostIP: "::ffff:10.0.0.2", HostPort: "9000-9002"}},
			}},
			want: []portWant{
				{lo: 53, hi: 53, proto: "udp", reason: "port 53 (Bridge mode)"},
				{lo: 80, hi: 80, proto: "tcp", reason: "port 80 (Bridge mode)"},
				{ip: "10.0.0.1", lo: 8080, hi: 8080, proto: "tcp", reason: "port 8080 (Bridge mode)"},
				{ip: "10.0.0.2", lo: 9000, hi: 9002, proto: "tcp", reason: "port 9000-9002 (Bridge mode)"},
			},
		},
		{
			name: "host mode uses exposed ports and ignores bindings",
			cfg:  container.Config{ExposedPorts: nat.PortSet{"80/tcp": {}, "53/udp": {}, "8080": {}}},
			hc:   container.HostConfig{NetworkMode: "host", PortBindings: nat.PortMap{"80/tcp": {{HostPort: "81"}}}},
			want: []portWant{
				{lo: 53, hi: 53, proto: "udp", every: true, reason: "port 53/udp (Host mode)"},
				{lo: 80, hi: 80, proto: "tcp", every: true, reason: "port 80/tcp (Host mode)"},
				{lo: 8080, hi: 8080, proto: "tcp", every: true, reason: "port 8080/tcp (Host mode)"},
			},
		},
		{
			name: "bridge mode ignores exposed ports",
			cfg:  container.Config{ExposedPorts: nat.PortSet{"80/tcp": {}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRequest("x", &tt.cfg, &tt.hc, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.ports, tt.want) {
				t.Errorf("ports =\n%+v\nwant\n%+v", r.ports, tt.want)
			}
		})
	}
}

func TestNewRequestDependencies(t *testing.T) {
	hc := &container.HostConfig{
		VolumesFrom: []string{"data:ro", "/logs"},
		Links:       []string{"db:database", "/cache:/web/cache", "queue"},
		NetworkMode: "container:proxy",
	}
	r, err := NewRequest("web", nil, hc, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []dependency{
		{ref: "data", reason: "--volumes-from=data:ro"},
		{ref: "logs", reason: "--volumes-from=/logs"},
		{ref: "db", reason: "--link=db:database"},
		{ref: "cache", reason: "--link=/cache:/web/cache"},
		{ref: "queue", reason: "--link=queue"},
		{ref: "proxy", reason: "--net=container:proxy"},
	}
	if !slices.Equal(r.deps, want) {
		t.Errorf("deps = %+v, want %+v", r.deps, want)
	}
}

func TestRequestReservations(t *testing.T) {
	r := newSpec().request(t)
	r.HostConfig.CPUShares, r.HostConfig.NanoCPUs, r.HostConfig.Memory = 1, 5e8, gib
	if got := r.NanoCPUs(); got != 1.5e9 {
		t.Errorf("NanoCPUs() = %d, want 1.5e9", got)
	}
	if got := r.Memory(); got != gib {
		t.Errorf("Memory() = %d, want %d", got, gib)
	}
}

// A Request built as a literal is parsed by Place, without being changed.
func TestPlaceParsesLiteralRequest(t *testing.T) {
	s := mustScheduler(t, nil, "", Options{})
	nodes := []*Node{named("node-1"), node(func(n *Node) { rename(n, "node-2"); n.Labels["storage"] = "ssd" })}
	lit := &Request{Config: &container.Config{Env: []string{"constraint:storage==ssd"}}}
	d, err := s.Place(lit, nodes)
	if err != nil || d.Node.Name != "node-2" {
		t.Fatalf("Place = %v, %v; want node-2", d.Node, err)
	}
	if lit.parsed || lit.HostConfig != nil {
		t.Error("Place changed the literal request")
	}
	bad := &Request{Config: &container.Config{Env: []string{"constraint:storage=ssd"}}}
	if _, err := s.Place(bad, nodes); !errors.Is(err, ErrInvalidExpression) {
		t.Errorf("Place(bad) error = %v, want ErrInvalidExpression", err)
	}
	if _, err := s.Place(nil, nodes); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("Place(nil) error = %v, want ErrInvalidRequest", err)
	}
}

// Named volumes of the local driver are read from Binds and Mounts; bind
// mounts of host paths, anonymous volumes and other drivers' volumes are not.
func TestNamedVolumes(t *testing.T) {
	vol := func(src, dst string) mount.Mount {
		return mount.Mount{Type: mount.TypeVolume, Source: src, Target: dst}
	}
	tests := []struct {
		name string
		hc   *container.HostConfig
		want []string
	}{
		{"none", &container.HostConfig{}, nil},
		{"nil host config", nil, nil},
		{"bind of a named volume", &container.HostConfig{Binds: []string{"v1:/data"}}, []string{"v1"}},
		{"with options", &container.HostConfig{Binds: []string{"v1:/data:ro,z"}}, []string{"v1"}},
		{"node/name", &container.HostConfig{Binds: []string{"node-2/v1:/data"}}, []string{"v1"}},
		{"host path", &container.HostConfig{Binds: []string{"/srv:/data"}}, nil},
		{"no target", &container.HostConfig{Binds: []string{"v1"}}, nil},
		{"another driver", &container.HostConfig{VolumeDriver: "nfs", Binds: []string{"v1:/data"}}, nil},
		{"the local driver named", &container.HostConfig{VolumeDriver: "local", Binds: []string{"v1:/data"}}, []string{"v1"}},
		{"mount", &container.HostConfig{Mounts: []mount.Mount{vol("v2", "/data")}}, []string{"v2"}},
		{"anonymous mount", &container.HostConfig{Mounts: []mount.Mount{vol("", "/data")}}, nil},
		{"bind mount", &container.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeBind, Source: "/srv", Target: "/data"}}}, nil},
		{"tmpfs mount", &container.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeTmpfs, Target: "/data"}}}, nil},
		{"mount of another driver", &container.HostConfig{Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: "v2", Target: "/d",
			VolumeOptions: &mount.VolumeOptions{DriverConfig: &mount.Driver{Name: "nfs"}}}}}, nil},
		{"both, in order", &container.HostConfig{Binds: []string{"/srv:/srv", "v1:/a"}, Mounts: []mount.Mount{vol("node-1/v2", "/b")}}, []string{"v1", "v2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NamedVolumes(tt.hc); !slices.Equal(got, tt.want) {
				t.Errorf("NamedVolumes = %q, want %q", got, tt.want)
			}
		})
	}
}
