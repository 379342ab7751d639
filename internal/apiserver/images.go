package apiserver

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"drover/internal/engine"
	"drover/internal/placement"
)

// imageRoutes serves /images/…, /build and /system/df. Image names hold
// slashes (library/busybox:latest), and gin cannot route a multi-segment name
// beside /images/json; so each method has one catch-all, split here: a path
// that is one of the method's fixed words goes to its handler, else the last
// segment is the action on the image the rest names.
func (s *Server) imageRoutes(r *gin.Engine) {
	r.GET("/images/*path", imagePaths{
		fixed: map[string]gin.HandlerFunc{"json": s.listImages, "search": s.searchImages, "get": s.saveImages},
		named: map[string]imageHandler{"json": s.inspectImage, "history": s.imageHistory, "get": s.saveImage},
	}.route)
	r.POST("/images/*path", imagePaths{
		fixed: map[string]gin.HandlerFunc{"create": s.createImage, "load": s.loadImages, "prune": s.pruneImages},
		named: map[string]imageHandler{"tag": s.tagImage, "push": s.pushImage},
	}.route)
	r.DELETE("/images/*path", imagePaths{whole: s.removeImage}.route)
	r.POST("/build", s.build)
	s.diskUsageRoutes(r)
}

// imageHandler acts on the image a path names.
type imageHandler func(c *gin.Context, name string)

type imagePaths struct {
	fixed map[string]gin.HandlerFunc // /images/<word>
	named map[string]imageHandler    // /images/<name>/<action>
	whole imageHandler               // /images/<name>
}

func (p imagePaths) route(c *gin.Context) {
	rest := strings.TrimPrefix(c.Param("path"), "/")
	if h, ok := p.fixed[rest]; ok {
		h(c)
		return
	}
	if name, action, ok := cutLast(rest, "/"); ok && name != "" {
		if h, ok := p.named[action]; ok {
			h(c, name)
			return
		}
	}
	if p.whole != nil && rest != "" {
		p.whole(c, rest)
		return
	}
	writeRawError(c.Writer, http.StatusNotFound, "page not found")
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// listImages merges the healthy engines' image lists, one row per image ID.
// The node filter (classic Swarm's) keeps the images of the nodes it names;
// the other filters go to the engines.
func (s *Server) listImages(c *gin.Context) {
	args, err := filters.FromJSON(c.Query("filters"))
	if err != nil {
		writeError(c, errInvalid("%s", err.Error()))
		return
	}
	nodes := args.Get("node")
	for _, n := range nodes {
		args.Del("node", n)
	}
	engines := onNodes(s.opts.Pool.Healthy(), nodes)
	call := s.newCall(c, "/images/json")
	q := c.Request.URL.Query()
	if f, _ := filters.ToJSON(args); f != "" {
		q.Set("filters", f)
	} else {
		q.Del("filters")
	}
	call.query = q.Encode()
	calls := callAll(c.Request.Context(), call, engines, nil)
	lists := decodeEach[[]image.Summary](calls)
	for i, nc := range calls {
		if nc.err == nil {
			continue
		}
		if cerrdefs.IsInvalidArgument(nc.err) {
			writeError(c, nc.err)
			return
		}
		s.lg.Info("engine left out of the listing", zap.String("engine", nc.engine.Addr), zap.Error(nc.err))
		lists[i] = nil
	}
	writeJSON(c, http.StatusOK, mergeImages(lists, false))
}

// onNodes keeps the engines the node filter names (by name, engine ID or
// address); all of them when it names none.
func onNodes(engines []*engine.Engine, nodes []string) []*engine.Engine {
	if len(nodes) == 0 {
		return engines
	}
	var out []*engine.Engine
	for _, e := range engines {
		st := e.State()
		if slices.Contains(nodes, st.Name(e.Addr)) || slices.Contains(nodes, e.Addr) ||
			st.Info.ID != "" && slices.Contains(nodes, st.Info.ID) {
			out = append(out, e)
		}
	}
	return out
}

// mergeImages merges the nodes' image rows: one row per image ID, with the
// union of the nodes' tags and digests and the sum of their container counts
// (and, for disk usage, of their sizes, as each node holds its own copy);
// newest first, as an engine sorts. A count an engine did not compute (-1)
// stays -1.
func mergeImages(lists [][]image.Summary, sumSizes bool) []image.Summary {
	merged := []image.Summary{}
	at := map[string]int{}
	for _, list := range lists {
		for _, img := range list {
			i, seen := at[img.ID]
			if !seen {
				at[img.ID] = len(merged)
				img.RepoTags = slices.Clone(img.RepoTags)
				img.RepoDigests = slices.Clone(img.RepoDigests)
				merged = append(merged, img)
				continue
			}
			m := &merged[i]
			m.RepoTags = union(m.RepoTags, img.RepoTags, "<none>:<none>")
			m.RepoDigests = union(m.RepoDigests, img.RepoDigests, "<none>@<none>")
			m.Containers = sumCounts(m.Containers, img.Containers)
			if sumSizes {
				m.Size = sumCounts(m.Size, img.Size)
				m.SharedSize = sumCounts(m.SharedSize, img.SharedSize)
				m.VirtualSize = sumCounts(m.VirtualSize, img.VirtualSize)
			}
		}
	}
	slices.SortStableFunc(merged, func(a, b image.Summary) int {
		return cmp.Or(cmp.Compare(b.Created, a.Created), strings.Compare(a.ID, b.ID))
	})
	return merged
}

// union appends to a what b adds, leaving out none (the engine's placeholder
// for "no tag") once there is a real entry.
func union(a, b []string, none string) []string {
	for _, v := range b {
		if !slices.Contains(a, v) {
			a = append(a, v)
		}
	}
	if len(a) > 1 && slices.Contains(a, none) {
		a = slices.DeleteFunc(a, func(v string) bool { return v == none })
	}
	return a
}

func sumCounts(a, b int64) int64 {
	if a < 0 || b < 0 {
		return -1
	}
	return a + b
}

// imageHolders lists the healthy engines that hold the image ref names, as
// each engine resolves the reference (name, tag, digest or ID prefix).
func (s *Server) imageHolders(ctx context.Context, ref string) []*engine.Engine {
	engines := s.opts.Pool.Healthy()
	has := make([]bool, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Go(func() {
			_, err := e.Client.ImageInspect(ctx, ref)
			has[i] = err == nil
			if err != nil && !cerrdefs.IsNotFound(err) && ctx.Err() == nil {
				s.lg.Info("image lookup failed", zap.String("engine", e.Addr), zap.String("image", ref), zap.Error(err))
			}
		})
	}
	wg.Wait()
	var out []*engine.Engine
	for i, e := range engines {
		if has[i] {
			out = append(out, e)
		}
	}
	return out
}

// forwardToHolder sends the request on to the first engine that holds the
// image. When none does, the first healthy engine answers, so that the
// "No such image" is in the engine's own words for that request.
func (s *Server) forwardToHolder(c *gin.Context, ref, path string) {
	holders := s.imageHolders(c.Request.Context(), ref)
	if len(holders) > 0 {
		s.forward(c, holders[0], path)
		return
	}
	s.forwardToAny(c, path, false)
}

// forwardToAny sends the request on to the first healthy engine, or a random
// one.
func (s *Server) forwardToAny(c *gin.Context, path string, random bool) {
	engines := s.opts.Pool.Healthy()
	if len(engines) == 0 {
		writeError(c, placement.ErrNoHealthyNode)
		return
	}
	e := engines[0]
	if random {
		e = engines[rand.IntN(len(engines))]
	}
	s.forward(c, e, path)
}

func (s *Server) inspectImage(c *gin.Context, name string) {
	s.forwardToHolder(c, name, "/images/"+name+"/json")
}

func (s *Server) imageHistory(c *gin.Context, name string) {
	s.forwardToHolder(c, name, "/images/"+name+"/history")
}

// pushImage pushes from the first engine that holds the image (and tag).
func (s *Server) pushImage(c *gin.Context, name string) {
	ref := name
	if tag := c.Query("tag"); tag != "" {
		ref += ":" + tag
	}
	s.forwardToHolder(c, ref, "/images/"+name+"/push")
}

func (s *Server) saveImage(c *gin.Context, name string) {
	s.forwardToHolder(c, name, "/images/"+name+"/get")
}

// saveImages saves from the first engine that holds every image named.
func (s *Server) saveImages(c *gin.Context) {
	ctx := c.Request.Context()
	names := c.QueryArray("names")
	var common []*engine.Engine
	for i, name := range names {
		holders := s.imageHolders(ctx, name)
		if len(holders) == 0 {
			s.forwardToAny(c, "/images/get", false) // the engine says which is missing
			return
		}
		if i == 0 {
			common = holders
			continue
		}
		common = slices.DeleteFunc(common, func(e *engine.Engine) bool { return !slices.Contains(holders, e) })
	}
	switch {
	case len(names) == 0:
		s.forwardToAny(c, "/images/get", false)
	case len(common) == 0:
		writeError(c, cerrdefs.ErrNotFound.WithMessage(fmt.Sprintf(
			"no node holds all of %s: save them from one node at a time", strings.Join(names, ", "))))
	default:
		s.forward(c, common[0], "/images/get")
	}
}

func (s *Server) searchImages(c *gin.Context) {
	s.forwardToAny(c, "/images/search", true)
}

// createImage pulls (fromImage) or imports (fromSrc) on every healthy engine.
func (s *Server) createImage(c *gin.Context) {
	engines := s.opts.Pool.Healthy()
	if len(engines) == 0 {
		writeError(c, placement.ErrNoHealthyNode)
		return
	}
	call := s.newCall(c, "/images/create")
	var bodies []io.ReadCloser
	if c.Query("fromImage") == "" && c.Query("fromSrc") == "-" {
		bodies = s.fanOutBody(c, len(engines))
		call.length = c.Request.ContentLength
	}
	s.streamAll(c, callAll(c.Request.Context(), call, engines, bodies))
	kick(engines)
}

// loadImages loads the tarball on every healthy engine.
func (s *Server) loadImages(c *gin.Context) {
	engines := s.opts.Pool.Healthy()
	if len(engines) == 0 {
		writeError(c, placement.ErrNoHealthyNode)
		return
	}
	call := s.newCall(c, "/images/load")
	call.length = c.Request.ContentLength
	bodies := s.fanOutBody(c, len(engines))
	s.streamAll(c, callAll(c.Request.Context(), call, engines, bodies))
	kick(engines)
}

// fanOutBody gives each of n engines its own copy of the request body as it
// is read. The body is read while the answer is being written, which
// HTTP/1.1 allows only once full duplex is on.
func (s *Server) fanOutBody(c *gin.Context, n int) []io.ReadCloser {
	if err := http.NewResponseController(c.Writer).EnableFullDuplex(); err != nil {
		s.lg.Debug("full duplex unavailable", zap.Error(err))
	}
	readers := fanOut(c.Request.Body, n)
	out := make([]io.ReadCloser, n)
	for i, r := range readers {
		out[i] = r
	}
	return out
}

// fanOut copies r to n readers, each receiving every byte, paced by the
// slowest. A reader closed early (its engine stopped reading) is dropped
// without holding up the others; when all are, the copy stops.
func fanOut(r io.Reader, n int) []*io.PipeReader {
	readers := make([]*io.PipeReader, n)
	writers := make([]*io.PipeWriter, n)
	for i := range n {
		readers[i], writers[i] = io.Pipe()
	}
	go func() {
		live := slices.Clone(writers)
		buf := make([]byte, 64<<10)
		for len(live) > 0 {
			k, err := r.Read(buf)
			if k > 0 {
				live = slices.DeleteFunc(live, func(w *io.PipeWriter) bool {
					_, werr := w.Write(buf[:k])
					return werr != nil
				})
			}
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				for _, w := range live {
					w.CloseWithError(err)
				}
				return
			}
		}
	}()
	return readers
}

// tagImage tags the image on every engine that holds it.
func (s *Server) tagImage(c *gin.Context, name string) {
	path := "/images/" + name + "/tag"
	holders := s.imageHolders(c.Request.Context(), name)
	if len(holders) == 0 {
		s.forwardToAny(c, path, false)
		return
	}
	calls := callAll(c.Request.Context(), s.newCall(c, path), holders, nil)
	finishAll(calls)
	kick(holders)
	if err := mergedError(calls); err != nil {
		writeError(c, err)
		return
	}
	c.Status(calls[0].resp.StatusCode)
}

// removeImage removes the image from every engine that holds it; the answer
// lists each untagged reference and deleted layer once.
func (s *Server) removeImage(c *gin.Context, name string) {
	path := "/images/" + name
	holders := s.imageHolders(c.Request.Context(), name)
	if len(holders) == 0 {
		s.forwardToAny(c, path, false)
		return
	}
	calls := callAll(c.Request.Context(), s.newCall(c, path), holders, nil)
	answers := decodeEach[[]image.DeleteResponse](calls)
	kick(holders)
	if err := mergedError(calls); err != nil {
		writeError(c, err)
		return
	}
	merged := []image.DeleteResponse{}
	for _, list := range answers {
		for _, d := range list {
			if !slices.Contains(merged, d) {
				merged = append(merged, d)
			}
		}
	}
	writeJSON(c, http.StatusOK, merged)
}

// pruneImages prunes every healthy engine: the deleted images listed once,
// the space reclaimed summed.
func (s *Server) pruneImages(c *gin.Context) {
	if _, err := filters.FromJSON(c.Query("filters")); err != nil {
		writeError(c, errInvalid("%s", err.Error()))
		return
	}
	engines := s.opts.Pool.Healthy()
	calls := callAll(c.Request.Context(), s.newCall(c, "/images/prune"), engines, nil)
	reports := decodeEach[image.PruneReport](calls)
	kick(engines)
	if err := mergedError(calls); err != nil {
		writeError(c, err)
		return
	}
	writeJSON(c, http.StatusOK, mergePrune(reports))
}

func mergePrune(reports []image.PruneReport) image.PruneReport {
	var merged image.PruneReport
	for _, r := range reports {
		for _, d := range r.ImagesDeleted {
			if !slices.Contains(merged.ImagesDeleted, d) {
				merged.ImagesDeleted = append(merged.ImagesDeleted, d)
			}
		}
		merged.SpaceReclaimed += r.SpaceReclaimed
	}
	return merged
}

// kick asks the engines to refresh their state (images and info) soon.
func kick(engines []*engine.Engine) {
	for _, e := range engines {
		e.Kick()
	}
}
