package placement

import (
	"strconv"
	"strings"
)

// LabelContainerSlots is the engine label that caps how many containers a node
// runs: "containerslots=3".
const LabelContainerSlots = "containerslots"

// reasonContainerSlots is classic Swarm's wording for a full node.
const reasonContainerSlots = "available container slots"

// containerSlotsFilter refuses a node that already holds as many containers
// (running, stopped or pending) as its containerslots label allows. A label
// that is missing, not an integer or negative sets no cap.
type containerSlotsFilter struct{}

func (containerSlotsFilter) Name() string { return "containerslots" }

func (containerSlotsFilter) Check(_ *Request, n *Node) (bool, string) {
	slots := -1
	if s := n.summary(); s != nil {
		slots = s.slots
	} else {
		slots = containerSlots(n)
	}
	return slots < 0 || len(n.Containers) < slots, reasonContainerSlots
}

// containerSlots reads the node's cap; -1 means none.
func containerSlots(n *Node) int {
	raw, ok := n.Labels[LabelContainerSlots]
	if !ok {
		return -1
	}
	slots, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || slots < 0 {
		return -1
	}
	return slots
}
