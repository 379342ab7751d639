package placement

// reasonUnhealthy is recorded in Diagnostics for a node that is not healthy.
// Classic Swarm never listed it among unmet conditions, and neither does
// UnsatisfiedError: when no node at all is healthy, Place returns
// ErrNoHealthyNode instead.
const reasonUnhealthy = "healthy node"

// healthFilter keeps only healthy nodes.
type healthFilter struct{}

func (healthFilter) Name() string { return "health" }

func (healthFilter) Check(_ *Request, n *Node) (bool, string) {
	return n.Healthy, reasonUnhealthy
}
