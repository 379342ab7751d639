package placement

import "strings"

// affinityFilter keeps the nodes that satisfy every affinity expression of the
// request (env "affinity:…" and the LabelAffinities label). It looks at every
// container on the node, running, stopped or pending.
//
//   - container==x: a container on the node is named x or has ID x (full, or
//     the 12-character short ID).
//   - image==x: the node has image x, or runs a container from it. An image
//     is known by its ID (with or without "sha256:", or short), each repo:tag,
//     and each repo without its tag, so image==redis matches redis:latest.
//   - any other key: a container on the node has that label with a matching
//     value, e.g. com.example.type==frontend.
//
// key!=x holds when nothing on the node matches. The reason is the first unmet
// expression in canonical form, e.g. "container==frontend".
type affinityFilter struct{}

func (affinityFilter) Name() string { return "affinity" }

func (affinityFilter) Check(r *Request, n *Node) (bool, string) {
	for i := range r.affinities {
		e := &r.affinities[i]
		var found bool
		switch e.lkey {
		case "container":
			found = matchContainer(e, n)
		case "image":
			found = matchImage(e, n)
		default:
			found = matchContainerLabel(e, n)
		}
		if !e.holds(found) {
			return false, e.text
		}
	}
	return true, ""
}

func matchContainer(e *expr, n *Node) bool {
	for ci := range n.Containers {
		c := &n.Containers[ci]
		if e.matches(c.ID) || len(c.ID) > shortIDLen && e.matches(c.ID[:shortIDLen]) {
			return true
		}
		for _, name := range c.Names {
			if e.matches(name) {
				return true
			}
		}
	}
	return false
}

func matchImage(e *expr, n *Node) bool {
	for ii := range n.Images {
		img := &n.Images[ii]
		if matchImageID(e, img.ID) {
			return true
		}
		for _, tag := range img.RepoTags {
			if matchImageRef(e, tag) {
				return true
			}
		}
	}
	for ci := range n.Containers {
		c := &n.Containers[ci]
		if matchImageRef(e, c.Image) || matchImageID(e, c.ImageID) {
			return true
		}
	}
	return false
}

// matchImageID tries an image ID as reported ("sha256:06a1…"), without its
// algorithm, and shortened to 12 characters.
func matchImageID(e *expr, id string) bool {
	if id == "" {
		return false
	}
	if e.matches(id) {
		return true
	}
	if _, hex, ok := strings.Cut(id, ":"); ok {
		id = hex
		if e.matches(id) {
			return true
		}
	}
	return len(id) > shortIDLen && e.matches(id[:shortIDLen])
}

// matchImageRef tries a reference as written ("redis:7", "reg:5000/app@sha256:…")
// and its repository alone ("redis", "reg:5000/app").
func matchImageRef(e *expr, ref string) bool {
	if ref == "" {
		return false
	}
	if e.matches(ref) {
		return true
	}
	repo := ref
	if at := strings.IndexByte(repo, '@'); at >= 0 {
		repo = repo[:at]
	}
	if colon := strings.LastIndexByte(repo, ':'); colon > strings.LastIndexByte(repo, '/') {
		repo = repo[:colon]
	}
	return repo != ref && e.matches(repo)
}

func matchContainerLabel(e *expr, n *Node) bool {
	for ci := range n.Containers {
		if v, ok := n.Containers[ci].Labels[e.key]; ok && e.matches(v) {
			return true
		}
	}
	return false
}
