package reconciler

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/go-connections/nat"
	"go.uber.org/zap/zaptest"

	"drover/internal/engine"
	"drover/internal/placement"
	"drover/internal/store"
)

func TestNodeLabels(t *testing.T) {
	base := system.Info{Name: "node-1", Driver: "overlay2", KernelVersion: "6.1.0-18-amd64", OperatingSystem: "Debian GNU/Linux 12 (bookworm)"}
	defaults := map[string]string{
		"node": "node-1", "storagedriver": "overlay2", "executiondriver": "native",
		"kernelversion": "6.1.0-18-amd64", "operatingsystem": "Debian GNU/Linux 12 (bookworm)",
	}
	with := func(extra map[string]string) map[string]string {
		m := maps.Clone(defaults)
		maps.Copy(m, extra)
		return m
	}
	tests := []struct {
		name   string
		labels []string
		want   map[string]string
	}{
		{"the default tags alone", nil, defaults},
		{"engine labels added", []string{"storage=ssd", "zone=eu-1"}, with(map[string]string{"storage": "ssd", "zone": "eu-1"})},
		{"a value holding '='", []string{"expr=a=b"}, with(map[string]string{"expr": "a=b"})},
		{"a label without value", []string{"gpu"}, with(map[string]string{"gpu": ""})},
		{"an engine label overrides a default tag, as in classic Swarm", []string{"storagedriver=zfs"}, with(map[string]string{"storagedriver": "zfs"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := base
			info.Labels = tt.labels
			if got := nodeLabels(&engine.State{Info: info}); !maps.Equal(got, tt.want) {
				t.Errorf("nodeLabels = %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestPortBindings(t *testing.T) {
	tests := []struct {
		name string
		pm   nat.PortMap
		want []placement.PortBinding
	}{
		{"none", nil, nil},
		{"a fixed host port", nat.PortMap{"80/tcp": {{HostPort: "8080"}}},
			[]placement.PortBinding{{HostPort: 8080, Protocol: "tcp"}}},
		{"host IP and protocol kept", nat.PortMap{"53/udp": {{HostIP: "127.0.0.1", HostPort: "5353"}}},
			[]placement.PortBinding{{HostIP: "127.0.0.1", HostPort: 5353, Protocol: "udp"}}},
		{"a port without protocol is tcp", nat.PortMap{"80": {{HostPort: "80"}}},
			[]placement.PortBinding{{HostPort: 80, Protocol: "tcp"}}},
		{"an ephemeral port holds nothing", nat.PortMap{"80/tcp": {{HostPort: ""}}, "81/tcp": {{HostPort: "0"}}}, nil},
		{"several bindings of one port", nat.PortMap{"80/tcp": {{HostIP: "10.0.0.1", HostPort: "80"}, {HostIP: "10.0.0.2", HostPort: "80"}}},
			[]placement.PortBinding{{HostIP: "10.0.0.1", HostPort: 80, Protocol: "tcp"}, {HostIP: "10.0.0.2", HostPort: 80, Protocol: "tcp"}}},
		{"fixed and ephemeral mixed", nat.PortMap{"80/tcp": {{HostPort: "8080"}}, "443/tcp": {{}}},
			[]placement.PortBinding{{HostPort: 8080, Protocol: "tcp"}}},
		{"a port that is not a number is skipped", nat.PortMap{"80/tcp": {{HostPort: "http"}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sortedPorts(portBindings(tt.pm)); !slices.Equal(got, tt.want) {
				t.Errorf("portBindings = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func sortedPorts(ps []placement.PortBinding) []placement.PortBinding {
	slices.SortFunc(ps, func(a, b placement.PortBinding) int {
		return cmp.Or(cmp.Compare(a.HostPort, b.HostPort), cmp.Compare(a.HostIP, b.HostIP), cmp.Compare(a.Protocol, b.Protocol))
	})
	return ps
}

func TestFromEngine(t *testing.T) {
	summary := container.Summary{
		ID: "e1", Names: []string{"/web"}, Image: "nginx:1", ImageID: "sha256:abc",
		Labels: map[string]string{store.SwarmIDLabel: "s1"}, State: container.StateRunning,
	}
	summary.HostConfig.NetworkMode = "bridge"

	t.Run("what the listing says", func(t *testing.T) {
		got := fromEngine(engine.Container{Summary: summary})
		if got.ID != "e1" || !slices.Equal(got.Names, []string{"web"}) || got.Image != "nginx:1" || got.ImageID != "sha256:abc" ||
			got.Labels[store.SwarmIDLabel] != "s1" || !got.Running || got.NetworkMode != "bridge" {
			t.Errorf("fromEngine = %+v", got)
		}
		if got.NanoCPUs != 0 || got.Memory != 0 || len(got.Ports) != 0 {
			t.Errorf("without a host config nothing is reserved, got %+v", got)
		}
	})
	t.Run("a stopped container", func(t *testing.T) {
		s := summary
		s.State = container.StateExited
		if fromEngine(engine.Container{Summary: s}).Running {
			t.Error("an exited container counts as running")
		}
	})
	t.Run("reservations from the inspected host config", func(t *testing.T) {
		hc := &container.HostConfig{
			Resources:    container.Resources{CPUShares: 1, NanoCPUs: 5e8, Memory: 256 << 20},
			PortBindings: nat.PortMap{"80/tcp": {{HostPort: "8080"}}, "443/tcp": {{HostPort: ""}}},
		}
		got := fromEngine(engine.Container{Summary: summary, HostConfig: hc})
		if got.NanoCPUs != 1.5e9 || got.Memory != 256<<20 {
			t.Errorf("reserved %d nanoCPUs, %d bytes; want 1.5e9, 256MiB", got.NanoCPUs, got.Memory)
		}
		if ports := sortedPorts(got.Ports); !slices.Equal(ports, []placement.PortBinding{{HostPort: 8080, Protocol: "tcp"}}) {
			t.Errorf("ports = %+v, want 8080/tcp", ports)
		}
	})
	t.Run("with host networking every exposed port is held", func(t *testing.T) {
		s := summary
		s.HostConfig.NetworkMode = "host"
		got := fromEngine(engine.Container{Summary: s, HostConfig: &container.HostConfig{NetworkMode: "host"}, ExposedPorts: nat.PortSet{"80/tcp": {}}})
		if ports := got.Ports; !slices.Equal(ports, []placement.PortBinding{{HostPort: 80, Protocol: "tcp"}}) {
			t.Errorf("ports = %+v, want 80/tcp", ports)
		}
	})
}

func TestFromSpec(t *testing.T) {
	t.Run("a named container with reservations", func(t *testing.T) {
		c := &store.Container{
			ID: "s1", Name: "web",
			Config: &container.Config{Image: "nginx:1", Labels: map[string]string{"app": "web"}},
			HostConfig: &container.HostConfig{
				NetworkMode:  "bridge",
				Resources:    container.Resources{CPUShares: 2, Memory: 1 << 30},
				PortBindings: nat.PortMap{"80/tcp": {{HostPort: "80"}}},
			},
		}
		got := fromSpec(c)
		if got.ID != "s1" || !slices.Equal(got.Names, []string{"web"}) || got.Image != "nginx:1" || got.Labels["app"] != "web" ||
			got.NetworkMode != "bridge" || !got.Running {
			t.Errorf("fromSpec = %+v", got)
		}
		if got.NanoCPUs != 2e9 || got.Memory != 1<<30 {
			t.Errorf("reserved %d nanoCPUs, %d bytes; want 2 cores, 1GiB", got.NanoCPUs, got.Memory)
		}
		if !slices.Equal(got.Ports, []placement.PortBinding{{HostPort: 80, Protocol: "tcp"}}) {
			t.Errorf("ports = %+v, want 80/tcp", got.Ports)
		}
	})
	t.Run("an unnamed container with nothing else", func(t *testing.T) {
		got := fromSpec(&store.Container{ID: "s2"})
		if got.ID != "s2" || got.Names != nil || got.Image != "" || got.NanoCPUs != 0 || got.Ports != nil || !got.Running {
			t.Errorf("fromSpec = %+v", got)
		}
	})
}

// runPool runs a pool of engines until the test ends and waits until each
// has been read once.
func runPool(t *testing.T, addrs ...string) *engine.Pool {
	t.Helper()
	p := engine.NewPool(engine.Options{Logger: zaptest.NewLogger(t), RefreshInterval: time.Hour})
	p.SetNodes(addrs)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	eventually(t, "every engine read", func() bool { return len(p.Healthy()) == len(addrs) })
	return p
}

func TestSnapshots(t *testing.T) {
	n1, n2 := newFakeEngine(t, "node-1"), newFakeEngine(t, "node-2")
	n1.addContainer(container.Summary{ID: "e-reported", Names: []string{"/web"}, State: container.StateRunning,
		Labels: map[string]string{store.SwarmIDLabel: "reported"}},
		&container.HostConfig{Resources: container.Resources{Memory: 1 << 30}})
	n1.addContainer(container.Summary{ID: "e-manual", Names: []string{"/made-by-hand"}, State: container.StateExited}, &container.HostConfig{})
	p := runPool(t, n1.addr(), n2.addr())

	record := func(id string, st *store.Status) store.Record {
		return store.Record{
			Container: &store.Container{ID: id, Config: &container.Config{Image: "busybox"},
				HostConfig: &container.HostConfig{Resources: container.Resources{Memory: 512 << 20}}},
			Status: st,
		}
	}
	at := func(phase store.Phase, node string) *store.Status { return &store.Status{Phase: phase, Node: node} }
	records := []store.Record{
		record("reported", at(store.PhaseCreated, n1.addr())),    // reported by node-1: not doubled
		record("decided", at(store.PhaseScheduled, n1.addr())),   // placed, engine create under way
		record("fresh", at(store.PhaseCreated, n1.addr())),       // created, not yet in node-1's listing
		record("failed", at(store.PhaseFailed, n1.addr())),       // failed: holds nothing
		record("unplaced", nil),                                  // no status yet
		record("pending", at(store.PhasePending, "")),            // sent back to placement
		record("elsewhere", at(store.PhaseScheduled, n2.addr())), // decided for node-2
	}

	nodes := snapshots(p.Engines(), records)
	if len(nodes) != 2 {
		t.Fatalf("%d nodes, want 2", len(nodes))
	}
	byName := map[string]*placement.Node{}
	for _, n := range nodes {
		byName[n.Name] = n
	}
	ids := func(n *placement.Node) []string {
		var out []string
		for _, c := range n.Containers {
			out = append(out, c.ID)
		}
		slices.Sort(out)
		return out
	}

	one := byName["node-1"]
	if one == nil || one.Addr != n1.addr() || one.IP != "127.0.0.1" || one.ID != "ID-node-1" || !one.Healthy ||
		one.NanoCPUs != 4e9 || one.Memory != 8<<30 || one.Labels["node"] != "node-1" || one.Labels["storagedriver"] != "overlay2" {
		t.Fatalf("node-1 = %+v", one)
	}
	if got, want := ids(one), []string{"decided", "e-manual", "e-reported", "fresh"}; !slices.Equal(got, want) {
		t.Errorf("node-1 holds %v, want %v: the engine's containers plus those decided for it and not yet reported", got, want)
	}
	if got, want := ids(byName["node-2"]), []string{"elsewhere"}; !slices.Equal(got, want) {
		t.Errorf("node-2 holds %v, want %v", got, want)
	}
	for _, c := range one.Containers {
		if c.ID == "decided" && (c.Memory != 512<<20 || !c.Running) {
			t.Errorf("a decided container counts as running with its reservation, got %+v", c)
		}
		if c.ID == "e-reported" && c.Memory != 1<<30 {
			t.Errorf("a reported container reserves what its engine says, got %+v", c)
		}
	}
}

func TestEngineEventEnqueuesContainersOfThisCluster(t *testing.T) {
	l := NewLeader(Options{Logger: zaptest.NewLogger(t), Pool: engine.NewPool(engine.Options{})})
	event := func(typ events.Type, attrs map[string]string) events.Message {
		return events.Message{Type: typ, Action: events.ActionDie, Actor: events.Actor{ID: "e1", Attributes: attrs}}
	}
	ours := map[string]string{store.SwarmIDLabel: "s1", store.ClusterLabel: "c1"}

	l.engineEvent(nil, event(events.ContainerEventType, ours)) // not leading: no queue to add to

	q := newQueue(t, newLimiter())
	l.term.Store(&term{queue: q, cluster: "c1"})
	for _, m := range []events.Message{
		event(events.ContainerEventType, map[string]string{store.SwarmIDLabel: "s2", store.ClusterLabel: "another"}),
		event(events.ContainerEventType, map[string]string{"name": "made-by-hand"}),
		event(events.ContainerEventType, map[string]string{store.ClusterLabel: "c1"}),
		event(events.NetworkEventType, ours),
		event(events.ContainerEventType, ours),
	} {
		l.engineEvent(nil, m)
	}
	if q.Len() != 1 {
		t.Fatalf("queue holds %d keys, want only s1", q.Len())
	}
	if key, _ := q.Get(); key != "s1" {
		t.Errorf("queued %q, want s1", key)
	}
}

// A node holds its engine's local volumes, and those that containers placed
// there but not yet created will make; global volumes pin nothing.
func TestSnapshotVolumes(t *testing.T) {
	n1, n2 := newFakeEngine(t, "node-1"), newFakeEngine(t, "node-2")
	n1.volumes = []*volume.Volume{
		{Name: "data", Driver: "local", Scope: "local"},
		{Name: "shared", Driver: "nfs", Scope: "global"},
	}
	p := runPool(t, n1.addr(), n2.addr())
	mounting := func(id, node string, binds ...string) store.Record {
		return store.Record{
			Container: &store.Container{ID: id, Config: &container.Config{Image: "busybox"}, HostConfig: &container.HostConfig{Binds: binds}},
			Status:    &store.Status{Phase: store.PhaseScheduled, Node: node},
		}
	}
	records := []store.Record{
		mounting("decided", n2.addr(), "new:/a", "node-2/pinned:/b", "/srv:/srv"),
		mounting("failed", n2.addr(), "gone:/a"),
	}
	records[1].Status.Phase = store.PhaseFailed

	got := map[string][]string{}
	for _, n := range snapshots(p.Engines(), records) {
		for _, v := range n.Volumes {
			got[n.Name] = append(got[n.Name], v.Name)
		}
	}
	want := map[string][]string{"node-1": {"data"}, "node-2": {"new", "pinned"}}
	if !maps.EqualFunc(got, want, slices.Equal[[]string]) {
		t.Errorf("volumes by node = %v, want %v", got, want)
	}
}
