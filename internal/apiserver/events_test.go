package apiserver

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
)

func TestEventTime(t *testing.T) {
	cases := []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{"", time.Time{}, false},
		{"1700000000", time.Unix(1700000000, 0), false},
		{"1700000000.5", time.Unix(1700000000, 500000000), false},
		{"1700000000.000000001", time.Unix(1700000000, 1), false},
		{"1700000000.1234567891", time.Unix(1700000000, 123456789), false},
		{"garbage", time.Time{}, true},
		{"1700000000.x", time.Time{}, true},
	}
	for _, tc := range cases {
		got, err := eventTime(tc.in)
		if (err != nil) != tc.bad || !got.Equal(tc.want) {
			t.Errorf("eventTime(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

// An event carries its node as classic Swarm's node object and as node.*
// attributes, which the docker CLI prints; the engine's own attributes stay.
func TestWithNode(t *testing.T) {
	m := events.Message{Type: events.ContainerEventType, Action: events.ActionCreate,
		Actor: events.Actor{ID: "abc", Attributes: map[string]string{"name": "web"}}, TimeNano: 5}
	n := eventNode{Name: "node-2", ID: "ENGINE:ID", Addr: "http://127.0.0.12:2375", IP: "127.0.0.12"}
	ev := withNode(m, n)
	if len(m.Actor.Attributes) != 1 {
		t.Errorf("the engine's message was changed: %v", m.Actor.Attributes)
	}
	b, _ := json.Marshal(ev)
	var got struct {
		Type   string
		Action string
		Actor  struct {
			ID         string
			Attributes map[string]string
		}
		Node map[string]string `json:"node"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Name": "node-2", "Id": "ENGINE:ID", "Addr": "http://127.0.0.12:2375", "Ip": "127.0.0.12"}
	for k, v := range want {
		if got.Node[k] != v {
			t.Errorf("node.%s = %q, want %q (in %s)", k, got.Node[k], v, b)
		}
	}
	a := got.Actor.Attributes
	if got.Type != "container" || got.Action != "create" || got.Actor.ID != "abc" || a["name"] != "web" ||
		a["node.name"] != "node-2" || a["node.id"] != "ENGINE:ID" || a["node.addr"] != "http://127.0.0.12:2375" || a["node.ip"] != "127.0.0.12" {
		t.Errorf("event = %s", b)
	}
}

func TestResumeQuery(t *testing.T) {
	q := url.Values{"filters": {`{"type":["container"]}`}, "since": {"100"}}
	if got, _ := url.ParseQuery(resumeQuery(q, 0)); got.Get("since") != "100" || got.Get("filters") != `{"type":["container"]}` {
		t.Errorf("no event seen: %v, want the client's query", got)
	}
	got, _ := url.ParseQuery(resumeQuery(q, 1700000000_999999999))
	if got.Get("since") != "1700000001.000000000" || got.Get("filters") == "" {
		t.Errorf("after an event: %v, want since just after it", got)
	}
	if q.Get("since") != "100" {
		t.Error("the client's query was changed")
	}
}

func TestSortEvents(t *testing.T) {
	evs := []nodeEvent{
		{Message: events.Message{TimeNano: 30, Action: "c"}},
		{Message: events.Message{Time: 1, Action: "late"}},
		{Message: events.Message{TimeNano: 10, Action: "a"}},
		{Message: events.Message{TimeNano: 30, Action: "d"}},
	}
	sortEvents(evs)
	var got string
	for _, e := range evs {
		got += string(e.Action) + " "
	}
	if got != "a c d late " {
		t.Errorf("order %q", got)
	}
}
