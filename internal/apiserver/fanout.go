package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/containerd/errdefs/pkg/errhttp"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"drover/internal/engine"
)

// This file sends one request to several engines and merges their answers:
// whole JSON bodies (tag, remove, prune, lists) or JSON message streams (pull,
// import, load), where each message is tagged with its node's name.

// engineCall is a request to send, as is, to one or more engines.
type engineCall struct {
	version string // API version the path is sent under
	method  string
	path    string // without the version prefix
	query   string // raw query
	header  http.Header
	// length is the body's length when known (-1 otherwise), so that engines
	// can show an import's progress against its total.
	length int64
}

// forwardedHeaders are the client's headers an engine acts on.
var forwardedHeaders = []string{"Content-Type", "X-Registry-Auth", "X-Registry-Config"}

// newCall is a call with the client's method, query and relevant headers.
func (s *Server) newCall(c *gin.Context, path string) engineCall {
	h := http.Header{}
	for _, k := range forwardedHeaders {
		if v := c.Request.Header.Values(k); len(v) > 0 {
			h[k] = v
		}
	}
	return engineCall{
		version: s.apiVersion(c), method: c.Request.Method, path: path,
		query: c.Request.URL.RawQuery, header: h, length: -1,
	}
}

// nodeCall is one engine's answer to an engineCall.
type nodeCall struct {
	engine *engine.Engine
	node   string         // the engine's name
	resp   *http.Response // a success answer, its body not read yet
	err    error          // the engine's error answer, or why it could not be reached
	body   io.Closer      // the request body sent, closed once the answer is done
}

// send sends the call to e. An error answer is read and returned as an
// error of the kind its status says, in the engine's words.
func (ec engineCall) send(ctx context.Context, e *engine.Engine, body io.Reader) (*http.Response, error) {
	u := url.URL{Scheme: e.Scheme, Host: e.Addr, Path: "/v" + ec.version + ec.path, RawQuery: ec.query}
	req, err := http.NewRequestWithContext(ctx, ec.method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header = ec.header.Clone()
	if body != nil && ec.length >= 0 {
		req.ContentLength = ec.length
	}
	resp, err := e.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach node %s: %w", e.State().Name(e.Addr), err)
	}
	if resp.StatusCode >= http.StatusBadRequest {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, answerError(resp.StatusCode, b)
	}
	return resp, nil
}

// callAll sends the call to every engine at once and returns once each has
// answered with a status line (or failed). bodies, when not nil, holds each
// engine's request body.
func callAll(ctx context.Context, ec engineCall, engines []*engine.Engine, bodies []io.ReadCloser) []nodeCall {
	calls := make([]nodeCall, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		calls[i] = nodeCall{engine: e, node: e.State().Name(e.Addr)}
		var body io.Reader
		if bodies != nil {
			body, calls[i].body = bodies[i], bodies[i]
		}
		wg.Go(func() {
			calls[i].resp, calls[i].err = ec.send(ctx, e, body)
			if calls[i].err != nil {
				calls[i].finish()
			}
		})
	}
	wg.Wait()
	return calls
}

// finish releases what the call holds.
func (nc *nodeCall) finish() {
	if nc.resp != nil {
		nc.resp.Body.Close()
	}
	if nc.body != nil {
		nc.body.Close()
	}
}

func finishAll(calls []nodeCall) {
	for i := range calls {
		calls[i].finish()
	}
}

// decodeEach reads each successful answer as one JSON value; an answer that
// does not decode becomes that node's error.
func decodeEach[T any](calls []nodeCall) []T {
	out := make([]T, len(calls))
	for i := range calls {
		nc := &calls[i]
		if nc.err != nil {
			continue
		}
		if err := json.NewDecoder(nc.resp.Body).Decode(&out[i]); err != nil && !errors.Is(err, io.EOF) {
			nc.err = fmt.Errorf("node %s answered an undecodable body: %w", nc.node, err)
		}
		nc.finish()
	}
	return out
}

// answerErr is an engine's error answer: its message, and the kind its
// status code says, so that statusFromError gives the same code back.
type answerErr struct {
	msg  string
	kind error
}

func (e *answerErr) Error() string { return e.msg }
func (e *answerErr) Unwrap() error { return e.kind }

// answerError reads an engine's error answer, {"message": "…"}.
func answerError(code int, body []byte) error {
	var m struct {
		Message string `json:"message"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		msg = m.Message
	}
	if msg == "" {
		msg = http.StatusText(code)
	}
	return &answerErr{msg: msg, kind: errhttp.ToNative(code)}
}

// mergedError is nil when no node failed. When every node failed with the
// same words, it is the first failure, as the engine worded it; otherwise it
// names each node that failed, and has the kind of the first failure.
func mergedError(calls []nodeCall) error {
	var failed []*nodeCall
	for i := range calls {
		if calls[i].err != nil {
			failed = append(failed, &calls[i])
		}
	}
	if len(failed) == 0 {
		return nil
	}
	alike := len(failed) == len(calls)
	for _, nc := range failed[1:] {
		alike = alike && nc.err.Error() == failed[0].err.Error()
	}
	if alike {
		return failed[0].err
	}
	parts := make([]string, len(failed))
	for i, nc := range failed {
		parts[i] = nc.node + ": " + nc.err.Error()
	}
	return &answerErr{msg: strings.Join(parts, "; "), kind: failed[0].err}
}

// allInvalid reports whether every node refused the request as malformed,
// in which case the cluster refuses it the same way.
func allInvalid(calls []nodeCall) bool {
	for _, nc := range calls {
		if nc.err == nil || statusFromError(nc.err) != http.StatusBadRequest {
			return false
		}
	}
	return len(calls) > 0
}

// streamAll answers with the nodes' JSON message streams merged into one,
// each message tagged with its node's name, as it arrives. A node that fails
// adds a line saying so, and the stream then ends with an error message worded
// as mergedError words it, so that the docker CLI exits non-zero with it. When
// every node refused the request as malformed, the answer is that refusal.
func (s *Server) streamAll(c *gin.Context, calls []nodeCall) {
	defer finishAll(calls)
	if allInvalid(calls) {
		writeError(c, calls[0].err)
		return
	}
	ctx, cancel := context.WithCancel(c.Request.Context())
	defer cancel()
	c.Writer.Header().Set("Content-Type", "application/json")
	c.Writer.WriteHeader(http.StatusOK)
	c.Writer.Flush()
	enc := json.NewEncoder(c.Writer)
	write := func(m jsonmessage.JSONMessage) error {
		if err := enc.Encode(m); err != nil {
			return err
		}
		c.Writer.Flush()
		return nil
	}
	broken := false
	for i := range calls {
		if calls[i].err != nil && !broken {
			broken = write(failureLine(calls[i].node, calls[i].err)) != nil
		}
	}
	msgs := make(chan jsonmessage.JSONMessage, 64)
	var wg sync.WaitGroup
	for i := range calls {
		nc := &calls[i]
		if nc.err != nil {
			continue
		}
		wg.Go(func() {
			defer nc.finish()
			nc.err = relayMessages(ctx, nc.resp.Body, &tagger{node: nc.node}, msgs)
		})
	}
	go func() {
		wg.Wait()
		close(msgs)
	}()
	stop := func() { // the client is gone: stop reading the engines' streams
		cancel()
		for i := range calls {
			if calls[i].resp != nil {
				calls[i].resp.Body.Close()
			}
		}
	}
	if broken {
		stop()
	}
	for m := range msgs {
		if !broken && write(m) != nil {
			broken = true
			stop()
		}
	}
	if broken {
		return
	}
	if err := mergedError(calls); err != nil {
		s.lg.Info("request failed on nodes", zap.String("path", c.Request.URL.Path), zap.Error(err))
		_ = write(jsonmessage.JSONMessage{Error: &jsonmessage.JSONError{Message: err.Error()}, ErrorMessage: err.Error()})
	}
}

// relayMessages sends the stream's messages, tagged, to out until the stream
// ends. An error message in the stream is the node's failure: it is sent on
// as a line saying so and returned.
func relayMessages(ctx context.Context, body io.Reader, t *tagger, out chan<- jsonmessage.JSONMessage) error {
	dec := json.NewDecoder(body)
	var failure error
	for {
		var m jsonmessage.JSONMessage
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return failure
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			err = fmt.Errorf("stream from node %s broke: %w", t.node, err)
			m = failureLine(t.node, err)
			failure = err
		} else if text := messageError(m); text != "" {
			failure = errors.New(text)
			m = failureLine(t.node, failure)
		} else {
			m = t.tag(m)
		}
		select {
		case out <- m:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err != nil {
			return failure
		}
	}
}

// messageError is the error a stream message carries, or "".
func messageError(m jsonmessage.JSONMessage) string {
	if m.Error != nil && m.Error.Message != "" {
		return m.Error.Message
	}
	return m.ErrorMessage
}

// failureLine is the progress line saying that node failed.
func failureLine(node string, err error) jsonmessage.JSONMessage {
	return jsonmessage.JSONMessage{Status: node + ": " + err.Error()}
}

// tagger tags one node's messages with its name, as classic Swarm did: before
// the message's ID (so that the CLI keeps one progress line per node and
// layer), or before its status when it has no ID, and at the start of each
// line of build-style stream output.
type tagger struct {
	node    string
	midLine bool // the last stream output did not end its line
}

func (t *tagger) tag(m jsonmessage.JSONMessage) jsonmessage.JSONMessage {
	prefix := t.node + ": "
	switch {
	case m.ID != "":
		m.ID = prefix + m.ID
	case m.Status != "":
		m.Status = prefix + m.Status
	}
	if m.Stream != "" {
		var b strings.Builder
		for line := range strings.SplitAfterSeq(m.Stream, "\n") {
			if line == "" {
				continue
			}
			if !t.midLine {
				b.WriteString(prefix)
			}
			b.WriteString(line)
			t.midLine = !strings.HasSuffix(line, "\n")
		}
		m.Stream = b.String()
	}
	return m
}
