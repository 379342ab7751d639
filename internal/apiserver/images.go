package apiserver

import "github.com/gin-gonic/gin"

func (s *Server) imageRoutes(r *gin.Engine) {}
