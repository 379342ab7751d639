package apiserver

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"drover/internal/engine"
)

// forwardContainer sends the request on to the engine holding the container,
// with the reference replaced by the container's ID, and streams the answer
// back as it comes (logs -f, stats and wait are long-lived).
func (s *Server) forwardContainer(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		l, err := s.locate(c.Request.Context(), c.Param("name"))
		if err != nil {
			writeError(c, err)
			return
		}
		s.forward(c, l.engine, "/containers/"+l.inspect.ID+"/"+action)
		l.engine.Kick()
	}
}

// commitContainer commits a container on the engine that holds it.
func (s *Server) commitContainer(c *gin.Context) {
	l, err := s.locate(c.Request.Context(), c.Query("container"))
	if err != nil {
		writeError(c, err)
		return
	}
	q := c.Request.URL.Query()
	q.Set("container", l.inspect.ID)
	c.Request.URL.RawQuery = q.Encode()
	s.forward(c, l.engine, "/commit")
	l.engine.Kick()
}

// auth checks registry credentials through one healthy engine, as docker
// login does against an engine.
func (s *Server) auth(c *gin.Context) {
	engines := s.opts.Pool.Healthy()
	if len(engines) == 0 {
		writeError(c, fmt.Errorf("no healthy node available in the cluster"))
		return
	}
	s.forward(c, engines[0], "/auth")
}

func (s *Server) engineURL(c *gin.Context, e *engine.Engine, path string) *url.URL {
	return &url.URL{Scheme: e.Scheme, Host: e.Addr, Path: "/v" + s.apiVersion(c) + path, RawQuery: c.Request.URL.RawQuery}
}

func (s *Server) forward(c *gin.Context, e *engine.Engine, path string) {
	target := s.engineURL(c, e, path)
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL = target
			pr.Out.Host = e.Addr
		},
		Transport:     e.HTTP.Transport,
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			// The manager's own headers stand.
			resp.Header.Del("Server")
			resp.Header.Del("Api-Version")
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			s.lg.Info("engine unreachable", zap.String("engine", e.Addr), zap.Error(err))
			writeRawError(w, http.StatusInternalServerError, fmt.Sprintf("cannot reach node %s: %v", e.State().Name(e.Addr), err))
		},
	}
	proxy.ServeHTTP(c.Writer, c.Request)
}

// attachContainer relays an attach over a hijacked connection: the engine
// answers 101 and both sides then speak the raw stream.
func (s *Server) attachContainer(c *gin.Context) {
	l, err := s.locate(c.Request.Context(), c.Param("name"))
	if err != nil {
		writeError(c, err)
		return
	}
	s.hijack(c, l.engine, "/containers/"+l.inspect.ID+"/attach")
}

func (s *Server) hijack(c *gin.Context, e *engine.Engine, path string) {
	backend, err := dialEngine(c, e)
	if err != nil {
		writeError(c, fmt.Errorf("cannot reach node %s: %w", e.State().Name(e.Addr), err))
		return
	}
	defer backend.Close()
	out := c.Request.Clone(c.Request.Context())
	out.URL, out.Host, out.RequestURI = s.engineURL(c, e, path), e.Addr, ""
	if err := out.Write(backend); err != nil {
		writeError(c, fmt.Errorf("send attach to %s: %w", e.Addr, err))
		return
	}
	fromEngine := bufio.NewReader(backend)
	resp, err := http.ReadResponse(fromEngine, out)
	if err != nil {
		writeError(c, fmt.Errorf("read attach answer from %s: %w", e.Addr, err))
		return
	}
	if resp.StatusCode != http.StatusSwitchingProtocols && resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			if k != "Server" && k != "Api-Version" {
				c.Writer.Header()[k] = vs
			}
		}
		c.Status(resp.StatusCode)
		_, _ = io.Copy(c.Writer, resp.Body)
		return
	}
	client, clientBuf, err := c.Writer.Hijack()
	if err != nil {
		s.lg.Warn("hijack failed", zap.Error(err))
		return
	}
	defer client.Close()
	if err := writeResponseHead(client, resp); err != nil {
		return
	}
	relay(client, clientBuf.Reader, backend, fromEngine)
}

// writeResponseHead writes the engine's status line and headers, no body.
func writeResponseHead(w io.Writer, resp *http.Response) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "HTTP/1.1 %s\r\n", resp.Status)
	resp.Header.Del("Server")
	resp.Header.Del("Api-Version")
	if err := resp.Header.Write(bw); err != nil {
		return err
	}
	bw.WriteString("\r\n")
	return bw.Flush()
}

// relay copies both ways until the engine ends its stream. When the client
// closes its sending side (stdin at EOF), the engine is told the same, and
// output keeps flowing until the engine is done.
func relay(client net.Conn, fromClient io.Reader, backend net.Conn, fromEngine io.Reader) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(backend, fromClient)
		closeWrite(backend)
	}()
	_, _ = io.Copy(client, fromEngine)
	closeWrite(client)
	// The engine is done; a client still sending has nothing left to reach.
	backend.Close()
	client.Close()
	wg.Wait()
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}

func dialEngine(c *gin.Context, e *engine.Engine) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(c.Request.Context(), "tcp", e.Addr)
	if err != nil || e.Scheme != "https" {
		return conn, err
	}
	tr, _ := e.HTTP.Transport.(*http.Transport)
	var cfg *tls.Config
	if tr != nil && tr.TLSClientConfig != nil {
		cfg = tr.TLSClientConfig.Clone()
	}
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = e.IP
	}
	tconn := tls.Client(conn, cfg)
	if err := tconn.HandshakeContext(c.Request.Context()); err != nil {
		conn.Close()
		return nil, err
	}
	return tconn, nil
}
