package apiserver

import "github.com/gin-gonic/gin"

func (s *Server) execRoutes(r *gin.Engine) {}
