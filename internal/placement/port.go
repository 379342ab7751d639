package placement

// portFilter refuses a node where a host port the request needs is held.
//
// In bridge mode (any network mode but host) the request needs the host ports
// of HostConfig.PortBindings, per protocol and host IP; a binding without a
// host port is ephemeral and needs nothing, and a host-port range needs one
// free port of the range. With --net=host it needs every port of
// Config.ExposedPorts on every address.
//
// A port is held by any container on the node that binds it, running or not
// (Container.Ports). Addresses overlap when they are equal or either one is
// unspecified ("", 0.0.0.0 or ::).
//
// The reason is classic Swarm's: "port 80 (Bridge mode)" (the host port as
// requested) or "port 80/tcp (Host mode)".
type portFilter struct{}

// Reasons of the port filter; %s is the host port as requested ("80",
// "8000-8010") or the exposed port with its protocol ("80/tcp").
const (
	reasonPortBridge = "port %s (Bridge mode)"
	reasonPortHost   = "port %s (Host mode)"
)

func (portFilter) Name() string { return "port" }

func (portFilter) Check(r *Request, n *Node) (bool, string) {
	for i := range r.ports {
		w := &r.ports[i]
		if w.every {
			for p := int(w.lo); p <= int(w.hi); p++ {
				if portHeld(n, w.ip, uint16(p), w.proto) {
					return false, w.reason
				}
			}
			continue
		}
		free := false
		for p := int(w.lo); p <= int(w.hi) && !free; p++ {
			free = !portHeld(n, w.ip, uint16(p), w.proto)
		}
		if !free {
			return false, w.reason
		}
	}
	return true, ""
}

// portHeld reports whether a container on n binds port/proto on an address
// overlapping ip.
func portHeld(n *Node, ip string, port uint16, proto string) bool {
	key := portKey(port, proto)
	if s := n.summary(); s != nil {
		for i, k := range s.ports {
			if k == key && addrsOverlap(s.ips[i], ip) {
				return true
			}
		}
		return false
	}
	for ci := range n.Containers {
		for _, b := range n.Containers[ci].Ports {
			if b.HostPort == port && portKey(port, b.Protocol) == key && addrsOverlap(b.HostIP, ip) {
				return true
			}
		}
	}
	return false
}

// portKey packs a port and its protocol ("" meaning tcp) into one number.
func portKey(port uint16, proto string) uint32 {
	var code uint32
	switch proto {
	case "", "tcp":
		code = 0
	case "udp":
		code = 1
	case "sctp":
		code = 2
	default:
		code = 3
	}
	return uint32(port)<<2 | code
}

func addrsOverlap(a, b string) bool {
	return anyAddr(a) || anyAddr(b) || a == b
}

func anyAddr(ip string) bool { return ip == "" || ip == "0.0.0.0" || ip == "::" }
