package placement

// Node is an immutable snapshot of one engine as placement sees it. Build it,
// optionally Seal it, then only read it: Place may read it from many
// goroutines. To change a snapshot (say, to add a pending container), make a
// new Node.
type Node struct {
	ID   string // engine ID from /info
	Name string // engine name from /info (its hostname)
	Addr string // host:port the engine is reached at
	IP   string // the host part of Addr

	// Labels holds the engine labels and the default tags: node (the name),
	// storagedriver, executiondriver, kernelversion, operatingsystem.
	Labels map[string]string

	Healthy bool

	NanoCPUs int64 // total CPUs, in units of 1e-9 CPUs
	Memory   int64 // total memory in bytes

	Containers []Container
	Images     []Image
	Networks   []Network
	Volumes    []Volume // node-local volumes only

	sealed *nodeSummary // set by Seal
}

// Container is a container on a node, or one placed there and not yet reported.
type Container struct {
	ID      string
	Names   []string // without the leading slash
	Image   string   // as requested: name, name:tag or ID
	ImageID string
	Labels  map[string]string
	Running bool

	// NetworkMode is the container's network mode (bridge, host, container:<id>, …).
	NetworkMode string
	// Ports are the host ports the container holds, running or not: those of
	// NetworkSettings.Ports while it runs (ephemeral ones included), plus
	// HostConfig.PortBindings that name a host port (a stopped container
	// keeps them); in host network mode, each of Config.ExposedPorts with an
	// empty HostIP. A pending container holds what its request binds.
	Ports []PortBinding

	// Reserved resources: NanoCPUs counts CpuShares as whole cores (classic
	// Swarm's meaning) plus NanoCPUs (--cpus); Memory is HostConfig.Memory.
	NanoCPUs int64
	Memory   int64
}

// PortBinding is one host port held by a container.
type PortBinding struct {
	HostIP   string // "" or 0.0.0.0 means every address
	HostPort uint16
	Protocol string // tcp, udp or sctp
}

// Network is a network a node holds.
type Network struct {
	ID   string
	Name string
	// Local is true for a node-local network (scope local): a container on
	// it must run on that node.
	Local bool
}

// Volume is a node-local volume (driver local) a node holds: a container
// mounting it by name must run on that node.
type Volume struct {
	Name string
}

// Image is an image present on a node.
type Image struct {
	ID       string
	RepoTags []string
}

// nodeSummary is what placement reads of a node's containers on every call,
// gathered once by Seal into one small block of memory.
type nodeSummary struct {
	first            *Container // &Containers[0] when sealed, to notice a new slice
	count            int
	usedCPU, usedMem int64
	slots            int // the containerslots cap; -1 for none
	// Every host port the containers hold: ports[i] is portKey(port, proto)
	// and ips[i] its host IP, read only when the key matches.
	ports []uint32
	ips   []string
}

// Seal precomputes what placement reads of the node on every call: the
// reserved CPU and memory, the host ports held, the containerslots cap.
// Place decides the same on a node that is not sealed, but reads every
// container each time, which at 10,000 nodes costs several times as much (see
// BenchmarkPlace). Call Seal once the snapshot is complete and before sharing
// it, and don't change a sealed node afterwards. Replacing Containers with a
// slice of another length or backing array is noticed and the summary
// ignored; editing a container or the labels in place is not.
func (n *Node) Seal() {
	s := &nodeSummary{count: len(n.Containers), slots: containerSlots(n)}
	if s.count > 0 {
		s.first = &n.Containers[0]
	}
	held := 0
	for i := range n.Containers {
		held += len(n.Containers[i].Ports)
	}
	if held > 0 {
		s.ports = make([]uint32, 0, held)
		s.ips = make([]string, 0, held)
	}
	for i := range n.Containers {
		c := &n.Containers[i]
		s.usedCPU += c.NanoCPUs
		s.usedMem += c.Memory
		for _, p := range c.Ports {
			s.ports = append(s.ports, portKey(p.HostPort, p.Protocol))
			s.ips = append(s.ips, p.HostIP)
		}
	}
	n.sealed = s
}

// summary returns the sealed summary if it still describes Containers.
func (n *Node) summary() *nodeSummary {
	s := n.sealed
	if s == nil || s.count != len(n.Containers) || s.count > 0 && s.first != &n.Containers[0] {
		return nil
	}
	return s
}

// ReservedNanoCPUs sums the CPU reservations of the node's containers.
func (n *Node) ReservedNanoCPUs() int64 {
	cpu, _ := n.reserved()
	return cpu
}

// ReservedMemory sums the memory reservations of the node's containers.
func (n *Node) ReservedMemory() int64 {
	_, mem := n.reserved()
	return mem
}

func (n *Node) reserved() (cpu, mem int64) {
	if s := n.summary(); s != nil {
		return s.usedCPU, s.usedMem
	}
	for i := range n.Containers {
		cpu += n.Containers[i].NanoCPUs
		mem += n.Containers[i].Memory
	}
	return cpu, mem
}
