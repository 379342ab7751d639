package apiserver

import "github.com/gin-gonic/gin"

func (s *Server) eventRoutes(r *gin.Engine) {}
