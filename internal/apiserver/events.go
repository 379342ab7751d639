package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"drover/internal/engine"
)

func (s *Server) eventRoutes(r *gin.Engine) {
	r.GET("/events", s.events)
}

// eventNode is the node classic Swarm added to every event.
type eventNode struct {
	Name string `json:"Name"`
	ID   string `json:"Id"`
	Addr string `json:"Addr"`
	IP   string `json:"Ip"`
}

// nodeEvent is an engine's event with the node it happened on.
type nodeEvent struct {
	events.Message
	Node eventNode `json:"node"`
}

// nodeOf is the node object of e's events.
func nodeOf(e *engine.Engine) eventNode {
	st := e.State()
	return eventNode{Name: st.Name(e.Addr), ID: st.Info.ID, Addr: e.Scheme + "://" + e.Addr, IP: e.IP}
}

// withNode adds the node to m: the node object, and the same facts as node.*
// actor attributes, which is what the docker CLI prints.
func withNode(m events.Message, n eventNode) nodeEvent {
	attrs := make(map[string]string, len(m.Actor.Attributes)+4)
	maps.Copy(attrs, m.Actor.Attributes)
	attrs["node.name"], attrs["node.id"], attrs["node.addr"], attrs["node.ip"] = n.Name, n.ID, n.Addr, n.IP
	m.Actor.Attributes = attrs
	return nodeEvent{Message: m, Node: n}
}

// eventItem is what a node's stream reader reports: an event, or the end of
// its stream.
type eventItem struct {
	addr  string
	event nodeEvent
	end   bool
}

// How often an open-ended events stream looks for engines to follow: new
// ones, and ones whose stream broke and that are healthy again.
const eventsRescan = 2 * time.Second

// events merges the healthy engines' event streams into one, each event with
// its node. since, until and filters go to the engines, but for the node
// filter, which picks the engines to follow. With until, the stream ends when
// every engine's has; when until is already past, the events are sorted by
// time before they are sent. Without until, the stream lasts as long as the
// client stays, and follows engines that join later or come back.
func (s *Server) events(c *gin.Context) {
	q := c.Request.URL.Query()
	args, err := filters.FromJSON(q.Get("filters"))
	if err != nil {
		writeError(c, errInvalid("%s", err.Error()))
		return
	}
	// The node filter (as for images) picks the engines to follow; engines
	// would ignore it.
	nodes := args.Get("node")
	if len(nodes) > 0 {
		for _, n := range nodes {
			args.Del("node", n)
		}
		if f, _ := filters.ToJSON(args); f != "" {
			q.Set("filters", f)
		} else {
			q.Del("filters")
		}
	}
	if _, err := eventTime(q.Get("since")); err != nil {
		writeError(c, errInvalid("%s", err.Error()))
		return
	}
	until, err := eventTime(q.Get("until"))
	if err != nil {
		writeError(c, errInvalid("%s", err.Error()))
		return
	}
	bounded := !until.IsZero()
	replay := bounded && !until.After(time.Now())

	ctx, cancel := context.WithCancel(c.Request.Context())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	call := s.newCall(c, "/events")
	call.query = q.Encode()
	engines := onNodes(s.opts.Pool.Healthy(), nodes)
	calls := callAll(ctx, call, engines, nil)
	if len(calls) > 0 && len(failedCalls(calls)) == len(calls) {
		writeError(c, mergedError(calls))
		return
	}
	c.Writer.Header().Set("Content-Type", "application/json")
	c.Writer.WriteHeader(http.StatusOK)
	c.Writer.Flush()

	items := make(chan eventItem, 64)
	follow := func(e *engine.Engine, resp *http.Response) {
		wg.Go(func() {
			defer resp.Body.Close()
			readEvents(ctx, e, resp, items)
		})
	}
	active := map[string]bool{}
	for _, nc := range calls {
		if nc.err != nil {
			s.lg.Info("engine left out of the events", zap.String("engine", nc.engine.Addr), zap.Error(nc.err))
			continue
		}
		active[nc.engine.Addr] = true
		follow(nc.engine, nc.resp)
	}
	if bounded && len(active) == 0 {
		return
	}
	var rescan <-chan time.Time
	if !bounded {
		t := time.NewTicker(eventsRescan)
		defer t.Stop()
		rescan = t.C
	}
	enc := json.NewEncoder(c.Writer)
	// Drover's own events, while the stream is live: node changes seen by
	// this replica, and what the leader published in etcd.
	var own <-chan nodeEvent
	var published <-chan []byte
	if !replay {
		ch, unsubscribe := s.ownEvents.subscribe()
		defer unsubscribe()
		own = ch
		if s.opts.Store != nil {
			published = s.opts.Store.WatchEvents(ctx)
		}
	}
	var held []nodeEvent
	last := map[string]int64{} // engine address → time of its last event
	for {
		select {
		case <-ctx.Done():
			return
		case it := <-items:
			if it.end {
				delete(active, it.addr)
				if bounded && len(active) == 0 {
					sortEvents(held)
					for _, ev := range held {
						if enc.Encode(ev) != nil {
							return
						}
					}
					c.Writer.Flush()
					return
				}
				continue
			}
			last[it.addr] = eventNanos(it.event.Message)
			if replay {
				held = append(held, it.event)
				continue
			}
			if enc.Encode(it.event) != nil {
				return
			}
			c.Writer.Flush()
		case raw, ok := <-published:
			var ev nodeEvent
			if !ok {
				published = nil
				continue
			}
			if json.Unmarshal(raw, &ev.Message) != nil || !wantOwnEvent(args, nodes, ev) {
				continue
			}
			if enc.Encode(ev) != nil {
				return
			}
			c.Writer.Flush()
		case ev := <-own:
			if !wantOwnEvent(args, nodes, ev) {
				continue
			}
			if enc.Encode(ev) != nil {
				return
			}
			c.Writer.Flush()
		case <-rescan:
			for _, e := range onNodes(s.opts.Pool.Healthy(), nodes) {
				if active[e.Addr] {
					continue
				}
				active[e.Addr] = true
				resumed := call
				resumed.query = resumeQuery(q, last[e.Addr])
				wg.Go(func() {
					resp, err := resumed.send(ctx, e, nil)
					if err != nil {
						s.lg.Debug("engine events not followed", zap.String("engine", e.Addr), zap.Error(err))
						select {
						case items <- eventItem{addr: e.Addr, end: true}:
						case <-ctx.Done():
						}
						return
					}
					defer resp.Body.Close()
					readEvents(ctx, e, resp, items)
				})
			}
		}
	}
}

func failedCalls(calls []nodeCall) []nodeCall {
	return slices.DeleteFunc(slices.Clone(calls), func(nc nodeCall) bool { return nc.err == nil })
}

// readEvents sends the engine's events, with its node, to out, then the end
// of its stream.
func readEvents(ctx context.Context, e *engine.Engine, resp *http.Response, out chan<- eventItem) {
	dec := json.NewDecoder(resp.Body)
	for {
		var m events.Message
		if err := dec.Decode(&m); err != nil {
			break
		}
		select {
		case out <- eventItem{addr: e.Addr, event: withNode(m, nodeOf(e))}:
		case <-ctx.Done():
			return
		}
	}
	select {
	case out <- eventItem{addr: e.Addr, end: true}:
	case <-ctx.Done():
	}
}

// resumeQuery is the query that follows an engine again: from just after its
// last event sent, or from the client's since when none was.
func resumeQuery(q url.Values, lastNanos int64) string {
	v := maps.Clone(q)
	if lastNanos > 0 {
		next := lastNanos + 1
		v.Set("since", fmt.Sprintf("%d.%09d", next/1e9, next%1e9))
	}
	return v.Encode()
}

// eventTime reads since or until as an engine does: seconds since the epoch,
// with an optional fraction of nanoseconds. "" is the zero time.
func eventTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	secs, frac, _ := strings.Cut(v, ".")
	s, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	var ns int64
	if frac != "" {
		frac = (frac + "000000000")[:9] // digits past nanoseconds are dropped
		if ns, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return time.Time{}, err
		}
	}
	return time.Unix(s, ns), nil
}

func eventNanos(m events.Message) int64 {
	if m.TimeNano != 0 {
		return m.TimeNano
	}
	return m.Time * 1e9
}

// sortEvents orders events by time, keeping each engine's order for ties.
func sortEvents(evs []nodeEvent) {
	slices.SortStableFunc(evs, func(a, b nodeEvent) int {
		x, y := eventNanos(a.Message), eventNanos(b.Message)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
}

// ownEventType is the type of Drover's own events: a node (engine) joining
// or leaving the healthy pool, with classic Swarm's action names.
const (
	ownEventType     events.Type = "node"
	engineConnect                = "engine_connect"
	engineDisconnect             = "engine_disconnect"
)

// broadcast hands Drover's own events to every events stream open now. A
// stream that does not keep up loses events rather than slowing the others.
type broadcast struct {
	mu   sync.Mutex
	subs map[chan nodeEvent]struct{}
}

func (b *broadcast) subscribe() (<-chan nodeEvent, func()) {
	ch := make(chan nodeEvent, 16)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[chan nodeEvent]struct{}{}
	}
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
	}
}

func (b *broadcast) publish(ev nodeEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// engineHealthChanged publishes an engine joining or leaving the healthy pool.
func (s *Server) engineHealthChanged(e *engine.Engine, healthy bool) {
	action := engineDisconnect
	if healthy {
		action = engineConnect
	}
	st, now := e.State(), time.Now()
	m := events.Message{
		Type: ownEventType, Action: events.Action(action), Status: action, Scope: "local",
		Actor: events.Actor{ID: st.Info.ID, Attributes: map[string]string{"name": st.Name(e.Addr), "addr": e.Addr}},
		Time:  now.Unix(), TimeNano: now.UnixNano(),
	}
	s.ownEvents.publish(withNode(m, nodeOf(e)))
}

// wantOwnEvent applies the client's filters to one of Drover's own events:
// type, event (action) and container (name or ID) match, the node filter
// names its node, and any filter on images, volumes, networks or labels
// leaves it out.
func wantOwnEvent(args filters.Args, nodes []string, ev nodeEvent) bool {
	if args.Contains("type") && !args.ExactMatch("type", string(ev.Type)) {
		return false
	}
	if args.Contains("event") && !args.ExactMatch("event", string(ev.Action)) {
		return false
	}
	for _, k := range []string{"image", "volume", "network", "label", "plugin", "daemon", "scope", "config", "secret", "service"} {
		if args.Contains(k) {
			return false
		}
	}
	if args.Contains("container") && !args.ExactMatch("container", ev.Actor.ID) && !args.ExactMatch("container", ev.Actor.Attributes["name"]) {
		return false
	}
	if len(nodes) == 0 || ev.Type != ownEventType {
		return true
	}
	return slices.Contains(nodes, ev.Actor.Attributes["name"]) || slices.Contains(nodes, ev.Actor.Attributes["addr"])
}
