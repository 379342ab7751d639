package apiserver

import "github.com/gin-gonic/gin"

// routes is the API's route table; every path is also served under /v1.NN.
func (s *Server) routes(r *gin.Engine) {
	r.GET("/_ping", s.ping)
	r.HEAD("/_ping", s.ping)
	r.GET("/version", s.version)
	r.GET("/info", s.info)

	r.GET("/containers/json", s.listContainers)
	r.POST("/containers/create", s.createContainer)
	r.GET("/containers/:name/json", s.inspectContainer)
	r.DELETE("/containers/:name", s.removeContainer)
	r.POST("/containers/:name/attach", s.attachContainer)
	for _, action := range []string{"start", "stop", "kill", "restart", "wait", "pause", "unpause", "resize", "update"} {
		r.POST("/containers/:name/"+action, s.forwardContainer(action))
	}
	for _, action := range []string{"logs", "top", "changes", "stats", "export"} {
		r.GET("/containers/:name/"+action, s.forwardContainer(action))
	}
}
