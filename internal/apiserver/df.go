package apiserver

import (
	"net/http"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/volume"
	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
)

func (s *Server) diskUsageRoutes(r *gin.Engine) {
	r.GET("/system/df", s.diskUsage)
}

// diskUsage merges the healthy engines' disk usage. An engine that fails is
// left out, as in the listings.
func (s *Server) diskUsage(c *gin.Context) {
	engines := s.opts.Pool.Healthy()
	calls := callAll(c.Request.Context(), s.newCall(c, "/system/df"), engines, nil)
	usages := decodeEach[types.DiskUsage](calls)
	parts := make([]nodeUsage, 0, len(calls))
	for i, nc := range calls {
		if nc.err != nil {
			if statusFromError(nc.err) == http.StatusBadRequest {
				writeError(c, nc.err)
				return
			}
			s.lg.Info("engine left out of the disk usage", zap.String("engine", nc.engine.Addr), zap.Error(nc.err))
			continue
		}
		parts = append(parts, nodeUsage{node: nc.node, ip: nc.engine.IP, usage: usages[i]})
	}
	writeJSON(c, http.StatusOK, mergeDiskUsage(parts))
}

type nodeUsage struct {
	node, ip string
	usage    types.DiskUsage
}

// mergeDiskUsage sums the nodes' layer sizes; images merge as in the image
// list, sizes summed over the nodes holding a copy; containers are named
// node/name and their 0.0.0.0 ports given the node's IP, as in the container
// list; local volumes are named node/name, as classic Swarm named them; build
// cache records are listed as they are.
func mergeDiskUsage(parts []nodeUsage) types.DiskUsage {
	du := types.DiskUsage{
		Images: []*image.Summary{}, Containers: []*container.Summary{},
		Volumes: []*volume.Volume{}, BuildCache: []*build.CacheRecord{},
	}
	images := make([][]image.Summary, 0, len(parts))
	for _, p := range parts {
		u := p.usage
		du.LayersSize += u.LayersSize
		list := make([]image.Summary, 0, len(u.Images))
		for _, img := range u.Images {
			if img != nil {
				list = append(list, *img)
			}
		}
		images = append(images, list)
		for _, ctr := range u.Containers {
			if ctr == nil {
				continue
			}
			for j, name := range ctr.Names {
				ctr.Names[j] = "/" + p.node + name
			}
			for j := range ctr.Ports {
				if ctr.Ports[j].IP == "0.0.0.0" {
					ctr.Ports[j].IP = p.ip
				}
			}
			du.Containers = append(du.Containers, ctr)
		}
		for _, v := range u.Volumes {
			if v == nil {
				continue
			}
			if v.Driver == "local" {
				v.Name = p.node + "/" + v.Name
			}
			du.Volumes = append(du.Volumes, v)
		}
		du.BuildCache = append(du.BuildCache, u.BuildCache...)
	}
	for _, img := range mergeImages(images, true) {
		du.Images = append(du.Images, &img)
	}
	return du
}
