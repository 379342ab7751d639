package placement

import "math"

// load is what a node would have reserved once the request is placed on it,
// as whole percentages of its capacity, the granularity classic Swarm weighed
// nodes with.
type load struct {
	cpu, mem int // 0..100; 0 for a resource the request does not ask for
	fits     bool
}

// weigh computes the load of n with r placed on it. Capacity is the node's
// total grown by overcommit (0.05 lets reservations reach 105%). Reservations
// count every container on the node, running, stopped or pending.
//
// A resource the request does not ask for is not weighed, so a node whose
// total is unknown (0) still takes requests that ask for none of it; a
// request that asks for some of it does not fit there.
func weigh(r *Request, n *Node, overcommit float64) load {
	reqCPU, reqMem := max(r.NanoCPUs(), 0), max(r.Memory(), 0)
	if reqCPU == 0 && reqMem == 0 {
		return load{fits: true}
	}
	usedCPU, usedMem := n.reserved()
	cpu, okCPU := percent(usedCPU, reqCPU, n.NanoCPUs, overcommit)
	mem, okMem := percent(usedMem, reqMem, n.Memory, overcommit)
	return load{cpu: cpu, mem: mem, fits: okCPU && okMem}
}

func percent(used, req, total int64, overcommit float64) (int, bool) {
	if req == 0 {
		return 0, true
	}
	capacity := float64(total) * (1 + overcommit)
	after := float64(used) + float64(req)
	if total <= 0 || after > capacity {
		return 0, false
	}
	return int(math.Floor(after * 100 / capacity)), true
}
