package apiserver

import (
	"github.com/gin-gonic/gin"

	"drover/internal/store"
)

// routes is the API's route table, one function per resource, each in the
// file of that resource's handlers. Every path is also served under /v1.NN
// (ServeHTTP strips the prefix).
func (s *Server) routes(r *gin.Engine) {
	s.systemRoutes(r)
	s.containerRoutes(r)
	s.execRoutes(r)
	s.imageRoutes(r)
	s.networkRoutes(r)
	s.volumeRoutes(r)
	s.eventRoutes(r)
}

func (s *Server) systemRoutes(r *gin.Engine) {
	r.GET("/_ping", s.ping)
	r.HEAD("/_ping", s.ping)
	r.GET("/version", s.version)
	r.GET("/info", s.info)
	r.POST("/auth", s.auth)
	r.GET("/livez", s.livez)
	r.GET("/readyz", s.readyz)
}

func (s *Server) containerRoutes(r *gin.Engine) {
	r.GET("/containers/json", s.listContainers)
	r.POST("/containers/create", s.createContainer)
	r.POST("/containers/prune", s.pruneContainers)
	r.POST("/commit", s.commitContainer)
	r.GET("/containers/:name/json", s.inspectContainer)
	r.DELETE("/containers/:name", s.operate(store.OpRemove))
	r.POST("/containers/:name/attach", s.attachContainer)
	for _, kind := range []store.OpKind{store.OpStart, store.OpStop, store.OpKill, store.OpRestart,
		store.OpPause, store.OpUnpause, store.OpRename, store.OpUpdate} {
		r.POST("/containers/:name/"+string(kind), s.operate(kind))
	}
	for _, action := range []string{"wait", "resize"} {
		r.POST("/containers/:name/"+action, s.forwardContainer(action))
	}
	for _, action := range []string{"logs", "top", "changes", "stats", "export", "archive"} {
		r.GET("/containers/:name/"+action, s.forwardContainer(action))
	}
	r.HEAD("/containers/:name/archive", s.forwardContainer("archive"))
	r.PUT("/containers/:name/archive", s.forwardContainer("archive"))
}
