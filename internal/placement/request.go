package placement

import (
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
)

// Request is a container to place: the create request as the API received it.
type Request struct {
	Name             string
	Config           *container.Config
	HostConfig       *container.HostConfig
	NetworkingConfig *network.NetworkingConfig
}

// NewRequest validates a create request for placement. Expressions it carries
// are parsed here, once, so that a malformed one is refused before anything
// is written.
func NewRequest(name string, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig) (*Request, error) {
	if cfg == nil {
		cfg = &container.Config{}
	}
	if hc == nil {
		hc = &container.HostConfig{}
	}
	return &Request{Name: name, Config: cfg, HostConfig: hc, NetworkingConfig: nc}, nil
}

// NanoCPUs is the CPU reservation the request asks for: CpuShares counted as
// whole cores, as classic Swarm reads them, plus NanoCPUs (--cpus).
func (r *Request) NanoCPUs() int64 {
	return r.HostConfig.CPUShares*1e9 + r.HostConfig.NanoCPUs
}

// Memory is the memory reservation the request asks for, in bytes.
func (r *Request) Memory() int64 { return r.HostConfig.Memory }
