package apiserver

import "github.com/gin-gonic/gin"

func (s *Server) networkRoutes(r *gin.Engine) {}
