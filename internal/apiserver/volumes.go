package apiserver

import "github.com/gin-gonic/gin"

func (s *Server) volumeRoutes(r *gin.Engine) {}
