package reconciler

import (
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"

	"drover/internal/engine"
	"drover/internal/placement"
	"drover/internal/store"
)

// snapshots turns the engines' states into placement nodes. Containers whose
// placement is decided but which their engine does not report yet are added
// from their desired records, with the named volumes they mount, so
// back-to-back placements see each other. Volumes of scope local are the
// node's; the others pin nothing.
func snapshots(engines []*engine.Engine, records []store.Record) []*placement.Node {
	pending := map[string][]*store.Container{}
	counted := map[string]bool{}
	for _, r := range records {
		if r.Status == nil || r.Status.Node == "" || r.Status.Phase == store.PhaseFailed || counted[r.Container.ID] {
			continue
		}
		counted[r.Container.ID] = true
		pending[r.Status.Node] = append(pending[r.Status.Node], r.Container)
	}
	nodes := make([]*placement.Node, 0, len(engines))
	for _, e := range engines {
		s := e.State()
		n := &placement.Node{
			ID: s.Info.ID, Name: s.Name(e.Addr), Addr: e.Addr, IP: e.IP,
			Labels:   nodeLabels(s),
			Healthy:  s.Healthy,
			NanoCPUs: int64(s.Info.NCPU) * 1e9,
			Memory:   s.Info.MemTotal,
		}
		reported := make(map[string]bool, len(s.Containers))
		n.Containers = make([]placement.Container, 0, len(s.Containers)+len(pending[e.Addr]))
		for _, c := range s.Containers {
			reported[c.Labels[store.SwarmIDLabel]] = true
			n.Containers = append(n.Containers, fromEngine(c))
		}
		for _, v := range s.Volumes {
			if v != nil && v.Scope == "local" {
				n.Volumes = append(n.Volumes, placement.Volume{Name: v.Name})
			}
		}
		for _, c := range pending[e.Addr] {
			if !reported[c.ID] {
				n.Containers = append(n.Containers, fromSpec(c))
				// The engine makes the volumes it lacks with the container.
				for _, name := range placement.NamedVolumes(c.HostConfig) {
					n.Volumes = append(n.Volumes, placement.Volume{Name: name})
				}
			}
		}
		for _, img := range s.Images {
			n.Images = append(n.Images, placement.Image{ID: img.ID, RepoTags: img.RepoTags})
		}
		for _, net := range s.Networks {
			n.Networks = append(n.Networks, placement.Network{ID: net.ID, Name: net.Name, Local: net.Scope == "local"})
		}
		n.Seal()
		nodes = append(nodes, n)
	}
	return nodes
}

// nodeLabels merges the engine labels with classic Swarm's default tags.
func nodeLabels(s *engine.State) map[string]string {
	labels := map[string]string{
		"node":            s.Info.Name,
		"storagedriver":   s.Info.Driver,
		"executiondriver": "native",
		"kernelversion":   s.Info.KernelVersion,
		"operatingsystem": s.Info.OperatingSystem,
	}
	for _, l := range s.Info.Labels {
		k, v, _ := strings.Cut(l, "=")
		labels[k] = v
	}
	return labels
}

func fromEngine(c engine.Container) placement.Container {
	pc := placement.Container{
		ID:      c.ID,
		Names:   trimSlashes(c.Names),
		Image:   c.Image,
		ImageID: c.ImageID,
		Labels:  c.Labels,
		Running: c.State == container.StateRunning,
	}
	pc.NetworkMode = c.Summary.HostConfig.NetworkMode
	if c.HostConfig != nil {
		addReservations(&pc, c.HostConfig, c.ExposedPorts)
	}
	// A running container also holds the ports the engine gave it.
	for _, p := range c.Ports {
		if p.PublicPort != 0 {
			pc.Ports = append(pc.Ports, placement.PortBinding{HostIP: p.IP, HostPort: p.PublicPort, Protocol: p.Type})
		}
	}
	return pc
}

func fromSpec(c *store.Container) placement.Container {
	pc := placement.Container{ID: c.ID, Running: true}
	if c.Name != "" {
		pc.Names = []string{c.Name}
	}
	if c.Config != nil {
		pc.Image, pc.Labels = c.Config.Image, c.Config.Labels
	}
	if c.HostConfig != nil {
		pc.NetworkMode = string(c.HostConfig.NetworkMode)
		var exposed nat.PortSet
		if c.Config != nil {
			exposed = c.Config.ExposedPorts
		}
		addReservations(&pc, c.HostConfig, exposed)
	}
	return pc
}

// addReservations fills what a container holds of its node: CPU, memory,
// the host ports it binds, and with host networking every port it exposes.
func addReservations(pc *placement.Container, hc *container.HostConfig, exposed nat.PortSet) {
	pc.NanoCPUs, pc.Memory = engine.Reservation(hc)
	pc.Ports = portBindings(hc.PortBindings)
	if hc.NetworkMode.IsHost() {
		for port := range exposed {
			pc.Ports = append(pc.Ports, placement.PortBinding{HostPort: uint16(port.Int()), Protocol: port.Proto()})
		}
	}
}

func portBindings(pm nat.PortMap) []placement.PortBinding {
	var out []placement.PortBinding
	for port, bindings := range pm {
		for _, b := range bindings {
			hostPort, err := strconv.ParseUint(b.HostPort, 10, 16)
			if err != nil || hostPort == 0 {
				continue // an ephemeral port holds nothing in advance
			}
			out = append(out, placement.PortBinding{HostIP: b.HostIP, HostPort: uint16(hostPort), Protocol: port.Proto()})
		}
	}
	return out
}

func trimSlashes(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimPrefix(n, "/")
	}
	return out
}
