package placement

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
)

// Labels that carry expressions as a JSON list of strings, as classic Swarm
// stored them: ["storage==ssd", "node!=node-1"].
const (
	LabelConstraints = "com.docker.swarm.constraints"
	LabelAffinities  = "com.docker.swarm.affinities"
)

// Env prefixes that carry one expression each: "constraint:storage==ssd".
const (
	envConstraint = "constraint:"
	envAffinity   = "affinity:"
)

// Request is a container to place: the create request as the API received it.
// Build it with NewRequest and treat it as immutable afterwards: what
// placement needs is parsed once, there.
type Request struct {
	Name             string
	Config           *container.Config
	HostConfig       *container.HostConfig
	NetworkingConfig *network.NetworkingConfig

	parsed      bool
	constraints []expr
	affinities  []expr
	deps        []dependency
	volumes     []volumeWant
	ports       []portWant
	hard        *Request // the same request without soft expressions; nil when it has none
}

// dependency is a container the request must share a node with.
type dependency struct {
	ref    string // name or ID of the container, or of the network
	reason string // the option as written, e.g. "--volumes-from=db:ro"
	// network marks a dependency on a user-defined network; node is the
	// node a node/name reference names.
	network bool
	node    string
}

// volumeWant is a node-local named volume the request mounts.
type volumeWant struct {
	name   string // as the engine names it
	node   string // the node a node/name reference names; "" for none
	reason string // the option as written, e.g. "--volume=v1:/data"
}

// portWant is a host port the request needs free on the node.
type portWant struct {
	ip     string // "" means every address
	lo, hi uint16 // a single port when lo == hi
	proto  string
	// every is true in host mode, where the container listens on every port
	// of the range itself; in bridge mode one free port of a range is enough.
	every  bool
	reason string
}

// NewRequest validates a create request for placement. Expressions it carries
// (env entries "constraint:…" and "affinity:…", labels LabelConstraints and
// LabelAffinities) are parsed here, once, so that a malformed one is refused
// before anything is written. Every error wraps ErrInvalidRequest; those about
// an expression also wrap ErrInvalidExpression and quote it. cfg, hc and nc
// are not modified.
func NewRequest(name string, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig) (*Request, error) {
	if cfg == nil {
		cfg = &container.Config{}
	}
	if hc == nil {
		hc = &container.HostConfig{}
	}
	r := &Request{Name: name, Config: cfg, HostConfig: hc, NetworkingConfig: nc, parsed: true}
	var err error
	if r.constraints, err = parseExprs(cfg, envConstraint, LabelConstraints); err != nil {
		return nil, err
	}
	if r.affinities, err = parseExprs(cfg, envAffinity, LabelAffinities); err != nil {
		return nil, err
	}
	if r.deps, err = parseDependencies(hc, nc); err != nil {
		return nil, err
	}
	r.volumes = parseVolumes(hc)
	if r.ports, err = parsePorts(cfg, hc); err != nil {
		return nil, err
	}
	if hasSoft(r.constraints) || hasSoft(r.affinities) {
		hard := *r
		hard.constraints = withoutSoft(r.constraints)
		hard.affinities = withoutSoft(r.affinities)
		r.hard = &hard
	}
	return r, nil
}

// prepared returns r parsed: r itself when NewRequest built it, else a parsed
// copy (r is left alone, so a literal Request may be shared between callers).
func (r *Request) prepared() (*Request, error) {
	if r == nil {
		return nil, &requestError{kind: ErrInvalidRequest, msg: "placement: nil request"}
	}
	if r.parsed {
		return r, nil
	}
	return NewRequest(r.Name, r.Config, r.HostConfig, r.NetworkingConfig)
}

// Constraints lists the request's constraint expressions in canonical form
// ("storage==ssd", "region==~us*"), env entries first, then the label's.
func (r *Request) Constraints() []string { return exprTexts(r.constraints) }

// Affinities lists the request's affinity expressions in canonical form.
func (r *Request) Affinities() []string { return exprTexts(r.affinities) }

// NanoCPUs is the CPU reservation the request asks for: CpuShares counted as
// whole cores, as classic Swarm reads them, plus NanoCPUs (--cpus).
func (r *Request) NanoCPUs() int64 {
	return r.HostConfig.CPUShares*1e9 + r.HostConfig.NanoCPUs
}

// Memory is the memory reservation the request asks for, in bytes.
func (r *Request) Memory() int64 { return r.HostConfig.Memory }

func parseExprs(cfg *container.Config, envPrefix, label string) ([]expr, error) {
	var out []expr
	for _, env := range cfg.Env {
		text, ok := strings.CutPrefix(env, envPrefix)
		if !ok {
			continue
		}
		e, err := parseExpr(text)
		if err != nil {
			return nil, invalidExpression(env, err.Error())
		}
		out = append(out, e)
	}
	raw, ok := cfg.Labels[label]
	if !ok {
		return out, nil
	}
	var list []string
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, &requestError{kind: ErrInvalidExpression,
			msg: fmt.Sprintf("invalid expression list %q in label %s: want a JSON list of strings", raw, label)}
	}
	for _, text := range list {
		e, err := parseExpr(text)
		if err != nil {
			return nil, invalidExpression(text, err.Error()+" (label "+label+")")
		}
		out = append(out, e)
	}
	return out, nil
}

func parseDependencies(hc *container.HostConfig, nc *network.NetworkingConfig) ([]dependency, error) {
	var deps []dependency
	add := func(ref, option string) error {
		ref = strings.TrimPrefix(strings.TrimSpace(ref), "/")
		if ref == "" {
			return &requestError{kind: ErrInvalidRequest, msg: fmt.Sprintf("invalid dependency %q: no container named", option)}
		}
		deps = append(deps, dependency{ref: ref, reason: option})
		return nil
	}
	for _, v := range hc.VolumesFrom {
		ref, _, _ := strings.Cut(v, ":") // name[:ro|:rw]
		if err := add(ref, fmt.Sprintf(reasonVolumesFrom, v)); err != nil {
			return nil, err
		}
	}
	for _, l := range hc.Links {
		ref, _, _ := strings.Cut(l, ":") // name:alias
		if err := add(ref, fmt.Sprintf(reasonLink, l)); err != nil {
			return nil, err
		}
	}
	if hc.NetworkMode.IsContainer() {
		if err := add(hc.NetworkMode.ConnectedContainer(), fmt.Sprintf(reasonNet, hc.NetworkMode)); err != nil {
			return nil, err
		}
	}
	// A user-defined network lives on the nodes that hold it: node-local
	// ones on one node, so the container must go there.
	nets := map[string]bool{}
	userDefined := func(mode container.NetworkMode) bool { return mode != "" && mode.IsUserDefined() }
	if userDefined(hc.NetworkMode) {
		nets[string(hc.NetworkMode)] = true
	}
	if nc != nil {
		for name := range nc.EndpointsConfig {
			if userDefined(container.NetworkMode(name)) {
				nets[name] = true
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(nets)) {
		d := dependency{ref: name, reason: fmt.Sprintf(reasonNet, name), network: true}
		if node, net, ok := strings.Cut(name, "/"); ok && node != "" && net != "" {
			d.node, d.ref = node, net
		}
		deps = append(deps, d)
	}
	return deps, nil
}

// parseVolumes lists the named volumes of the local driver the request
// mounts: the Binds "name:/path[:opts]" (a source not starting with "/";
// "/path" alone or "/host:/path" are no volumes), and the Mounts of type
// volume with a Source. A name may be node/name. Volumes of another driver
// (HostConfig.VolumeDriver for binds, the mount's driver config) are not
// node-local and need nothing.
func parseVolumes(hc *container.HostConfig) []volumeWant {
	var wants []volumeWant
	add := func(src, reason string) {
		w := volumeWant{name: src, reason: reason}
		if node, name, ok := strings.Cut(src, "/"); ok {
			w.node, w.name = node, name
		}
		if w.name != "" {
			wants = append(wants, w)
		}
	}
	if isLocalDriver(hc.VolumeDriver) {
		for _, b := range hc.Binds {
			if src, _, ok := strings.Cut(b, ":"); ok && src != "" && !strings.HasPrefix(src, "/") {
				add(src, fmt.Sprintf(reasonVolume, b))
			}
		}
	}
	for _, m := range hc.Mounts {
		if m.Type != mount.TypeVolume || m.Source == "" || strings.HasPrefix(m.Source, "/") {
			continue
		}
		if m.VolumeOptions != nil && m.VolumeOptions.DriverConfig != nil && !isLocalDriver(m.VolumeOptions.DriverConfig.Name) {
			continue
		}
		add(m.Source, fmt.Sprintf(reasonMount, m.Source, m.Target))
	}
	return wants
}

func isLocalDriver(name string) bool { return name == "" || name == "local" }

// NamedVolumes lists the node-local named volumes hc mounts (see
// parseVolumes), as the engine names them: a node/ prefix is taken off.
// The engine creates those it lacks when it creates the container, so a
// container placed but not yet created holds them already.
func NamedVolumes(hc *container.HostConfig) []string {
	if hc == nil {
		return nil
	}
	wants := parseVolumes(hc)
	names := make([]string, len(wants))
	for i, w := range wants {
		names[i] = w.name
	}
	return names
}

// withVolumesHeld returns r without the volumes no node holds: the engine
// creates a volume on first use, so one that exists nowhere pins nothing.
// A node/name volume names its node, and stays. r itself is returned when
// nothing is dropped, so requests without volumes cost one length check.
func (r *Request) withVolumesHeld(nodes []*Node) *Request {
	if len(r.volumes) == 0 {
		return r
	}
	kept := make([]volumeWant, 0, len(r.volumes))
	for _, w := range r.volumes {
		if w.node != "" || slices.ContainsFunc(nodes, func(n *Node) bool { return n != nil && hasVolume(n, w.name) }) {
			kept = append(kept, w)
		}
	}
	if len(kept) == len(r.volumes) {
		return r
	}
	out := *r
	out.volumes = kept
	if r.hard != nil {
		hard := *r.hard
		hard.volumes = kept
		out.hard = &hard
	}
	return &out
}

// parsePorts lists the host ports the request needs: in host network mode its
// exposed ports, otherwise its host-port bindings. Bindings without a host
// port (ephemeral) need nothing. The order is sorted, so reasons are stable.
func parsePorts(cfg *container.Config, hc *container.HostConfig) ([]portWant, error) {
	var wants []portWant
	if hc.NetworkMode.IsHost() {
		for port := range cfg.ExposedPorts {
			lo, hi, err := parsePortRange(port.Port())
			if err != nil || lo == 0 {
				return nil, badPort(string(port), "exposed port")
			}
			proto := strings.ToLower(port.Proto())
			spec := port.Port() + "/" + proto
			wants = append(wants, portWant{lo: lo, hi: hi, proto: proto, every: true,
				reason: fmt.Sprintf(reasonPortHost, spec)})
		}
	} else {
		for port, bindings := range hc.PortBindings {
			proto := strings.ToLower(port.Proto())
			for _, b := range bindings {
				hostPort := strings.TrimSpace(b.HostPort)
				if hostPort == "" {
					continue
				}
				lo, hi, err := parsePortRange(hostPort)
				if err != nil {
					return nil, badPort(hostPort, "host port of "+string(port))
				}
				if lo == 0 {
					continue // 0 asks for an ephemeral port too
				}
				ip, err := hostIP(b.HostIP)
				if err != nil {
					return nil, badPort(b.HostIP, "host IP of "+string(port))
				}
				wants = append(wants, portWant{ip: ip, lo: lo, hi: hi, proto: proto,
					reason: fmt.Sprintf(reasonPortBridge, hostPort)})
			}
		}
	}
	sort.Slice(wants, func(i, j int) bool {
		a, b := wants[i], wants[j]
		if a.lo != b.lo {
			return a.lo < b.lo
		}
		if a.proto != b.proto {
			return a.proto < b.proto
		}
		return a.ip < b.ip
	})
	return wants, nil
}

func badPort(value, what string) error {
	return &requestError{kind: ErrInvalidRequest, msg: fmt.Sprintf("invalid %s %q", what, value)}
}

// parsePortRange reads "80" or "8000-8010".
func parsePortRange(s string) (lo, hi uint16, err error) {
	first, last, isRange := strings.Cut(s, "-")
	l, err := strconv.ParseUint(first, 10, 16)
	if err != nil {
		return 0, 0, err
	}
	h := l
	if isRange {
		if h, err = strconv.ParseUint(last, 10, 16); err != nil {
			return 0, 0, err
		}
		if h < l || l == 0 {
			return 0, 0, strconv.ErrRange
		}
	}
	return uint16(l), uint16(h), nil
}

// hostIP normalises a requested host IP; "" stands for every address.
func hostIP(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	addr, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return "", err
	}
	if addr.IsUnspecified() {
		return "", nil
	}
	return addr.Unmap().String(), nil
}
