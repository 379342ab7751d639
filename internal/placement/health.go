package placement

// healthFilter keeps only healthy nodes.
type healthFilter struct{}

const reasonUnhealthy = "health"

func (healthFilter) Name() string { return "health" }

func (healthFilter) Check(_ *Request, n *Node) (bool, string) {
	return n.Healthy, reasonUnhealthy
}
