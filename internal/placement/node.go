package placement

// Node is an immutable snapshot of one engine as placement sees it.
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
	// Ports are the host bindings the container holds, running or not.
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

// Image is an image present on a node.
type Image struct {
	ID       string
	RepoTags []string
}

// ReservedNanoCPUs sums the CPU reservations of the node's containers.
func (n *Node) ReservedNanoCPUs() int64 {
	var sum int64
	for i := range n.Containers {
		sum += n.Containers[i].NanoCPUs
	}
	return sum
}

// ReservedMemory sums the memory reservations of the node's containers.
func (n *Node) ReservedMemory() int64 {
	var sum int64
	for i := range n.Containers {
		sum += n.Containers[i].Memory
	}
	return sum
}
