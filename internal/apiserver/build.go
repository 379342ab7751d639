package apiserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"drover/internal/engine"
	"drover/internal/placement"
)

// Build args that place a build, as classic Swarm read them: the CLI's
// --build-arg constraint:node==node-2 arrives as the key "constraint:node"
// with the value "=node-2".
var placementArgPrefixes = []string{"constraint:", "affinity:"}

// build streams the context to one engine, chosen by the scheduler from the
// constraint and affinity build args (and the memory and CPU shares asked
// for), and answers with that engine's stream as it is. The placement args are
// taken out of the build args the engine sees.
func (s *Server) build(c *gin.Context) {
	q := c.Request.URL.Query()
	env, rest, err := placementArgs(q.Get("buildargs"))
	if err != nil {
		writeError(c, err)
		return
	}
	hc := &container.HostConfig{}
	for _, p := range []struct {
		key string
		dst *int64
	}{{"memory", &hc.Memory}, {"cpushares", &hc.CPUShares}} {
		if v := q.Get(p.key); v != "" {
			if *p.dst, err = strconv.ParseInt(v, 10, 64); err != nil {
				writeError(c, errInvalid("invalid %s %q: must be an integer", p.key, v))
				return
			}
		}
	}
	req, err := placement.NewRequest("", &container.Config{Env: env}, hc, nil)
	if err != nil {
		writeError(c, errInvalid("%s", err.Error()))
		return
	}
	decision, err := s.opts.Scheduler.Place(req, placementNodes(s.opts.Pool.Engines()))
	if err != nil {
		writeError(c, err)
		return
	}
	e, ok := s.opts.Pool.Get(decision.Node.Addr)
	if !ok {
		writeError(c, errors.New("the node chosen for the build left the pool: "+decision.Node.Name))
		return
	}
	if len(env) > 0 {
		if rest == "" {
			q.Del("buildargs")
		} else {
			q.Set("buildargs", rest)
		}
		c.Request.URL.RawQuery = q.Encode()
	}
	s.lg.Debug("build placed", zap.String("node", decision.Node.Name), zap.Strings("expressions", env))
	if err := http.NewResponseController(c.Writer).EnableFullDuplex(); err != nil {
		s.lg.Debug("full duplex unavailable", zap.Error(err))
	}
	s.forward(c, e, "/build")
	e.Kick()
}

// placementArgs splits the build args (a JSON object) into the placement
// expressions they carry, as env entries ("constraint:node==node-2"), and the
// other args, re-encoded ("" when none are left).
func placementArgs(raw string) (env []string, rest string, err error) {
	if raw == "" {
		return nil, "", nil
	}
	var args map[string]*string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		return nil, "", errInvalid("error reading build args: %s", err.Error())
	}
	for k, v := range args {
		for _, p := range placementArgPrefixes {
			if strings.HasPrefix(k, p) {
				val := ""
				if v != nil {
					val = *v
				}
				env = append(env, k+"="+val)
				delete(args, k)
				break
			}
		}
	}
	if len(env) == 0 {
		return nil, raw, nil
	}
	if len(args) == 0 {
		return env, "", nil
	}
	b, _ := json.Marshal(args)
	return env, string(b), nil
}

// placementNodes is the scheduler's view of the engines for a build: what
// constraintNode tells of each, plus its containers (for affinities and
// reservations) and images (for image affinities).
func placementNodes(engines []*engine.Engine) []*placement.Node {
	nodes := make([]*placement.Node, 0, len(engines))
	for _, e := range engines {
		st := e.State()
		n := constraintNode(e)
		for _, ctr := range st.Containers {
			pc := placement.Container{
				ID: ctr.ID, Image: ctr.Image, ImageID: ctr.ImageID, Labels: ctr.Labels,
				Running: ctr.State == container.StateRunning,
			}
			for _, name := range ctr.Names {
				pc.Names = append(pc.Names, strings.TrimPrefix(name, "/"))
			}
			pc.NanoCPUs, pc.Memory = engine.Reservation(ctr.HostConfig)
			n.Containers = append(n.Containers, pc)
		}
		for _, img := range st.Images {
			n.Images = append(n.Images, placement.Image{ID: img.ID, RepoTags: img.RepoTags})
		}
		n.Seal()
		nodes = append(nodes, n)
	}
	return nodes
}
