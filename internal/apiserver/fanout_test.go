package apiserver

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/pkg/jsonmessage"
)

func TestTaggerPutsTheNodeBeforeIDStatusAndEachStreamLine(t *testing.T) {
	tg := &tagger{node: "node-1"}
	cases := []struct {
		name   string
		in     jsonmessage.JSONMessage
		wantID string
		status string
		stream string
	}{
		{"layer progress keeps one line per node and layer", jsonmessage.JSONMessage{ID: "a1b2", Status: "Downloading"}, "node-1: a1b2", "Downloading", ""},
		{"a status without an ID", jsonmessage.JSONMessage{Status: "Digest: sha256:00"}, "", "node-1: Digest: sha256:00", ""},
		{"stream output, two whole lines", jsonmessage.JSONMessage{Stream: "Loaded image: a\nLoaded image: b\n"}, "", "", "node-1: Loaded image: a\nnode-1: Loaded image: b\n"},
		{"a line begun", jsonmessage.JSONMessage{Stream: "Step 1"}, "", "", "node-1: Step 1"},
		{"and ended in the next message", jsonmessage.JSONMessage{Stream: "/2\nnext\n"}, "", "", "/2\nnode-1: next\n"},
	}
	for _, tc := range cases {
		got := tg.tag(tc.in)
		if got.ID != tc.wantID || got.Status != tc.status || got.Stream != tc.stream {
			t.Errorf("%s: tag(%+v) = ID %q status %q stream %q; want %q %q %q", tc.name, tc.in, got.ID, got.Status, got.Stream, tc.wantID, tc.status, tc.stream)
		}
	}
}

func TestMergedError(t *testing.T) {
	refused := answerError(500, []byte(`{"message":"registry unreachable"}`))
	conflict := answerError(409, []byte(`{"message":"image is in use"}`))
	cases := []struct {
		name   string
		errs   []error
		want   string
		status int
	}{
		{"no failure", []error{nil, nil}, "", 0},
		{"every node failed alike: the engine's words", []error{refused, refused, refused}, "registry unreachable", 500},
		{"one node of three failed: named", []error{nil, conflict, nil}, "node-2: image is in use", 409},
		{"different failures: each named, first kind", []error{conflict, refused}, "node-1: image is in use; node-2: registry unreachable", 409},
	}
	for _, tc := range cases {
		calls := make([]nodeCall, len(tc.errs))
		for i, err := range tc.errs {
			calls[i] = nodeCall{node: testNode(i), err: err}
		}
		err := mergedError(calls)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: got %v, want none", tc.name, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want || statusFromError(err) != tc.status):
			t.Errorf("%s: got %v (%d), want %q (%d)", tc.name, err, statusFromError(err), tc.want, tc.status)
		}
	}
}

func testNode(i int) string { return "node-" + string(rune('1'+i)) }

func TestAnswerErrorKeepsTheEnginesStatusAndWords(t *testing.T) {
	cases := []struct {
		code int
		body string
		want string
	}{
		{404, `{"message":"No such image: x:latest"}`, "No such image: x:latest"},
		{400, `{"message":"invalid reference format"}`, "invalid reference format"},
		{409, `{"message":"conflict"}`, "conflict"},
		{500, `not json`, "not json"},
		{502, ``, "Bad Gateway"},
	}
	for _, tc := range cases {
		err := answerError(tc.code, []byte(tc.body))
		if err.Error() != tc.want || statusFromError(err) != tc.code {
			t.Errorf("answerError(%d, %q) = %q (%d), want %q (%d)", tc.code, tc.body, err, statusFromError(err), tc.want, tc.code)
		}
	}
	if !cerrdefs.IsNotFound(answerError(http.StatusNotFound, nil)) {
		t.Error("a 404 answer is not a not-found error")
	}
}

func TestAllInvalid(t *testing.T) {
	bad := answerError(400, []byte(`{"message":"bad"}`))
	other := answerError(500, []byte(`{"message":"down"}`))
	for _, tc := range []struct {
		errs []error
		want bool
	}{
		{[]error{bad, bad}, true},
		{[]error{bad, other}, false},
		{[]error{bad, nil}, false},
		{nil, false},
	} {
		calls := make([]nodeCall, len(tc.errs))
		for i, err := range tc.errs {
			calls[i].err = err
		}
		if got := allInvalid(calls); got != tc.want {
			t.Errorf("allInvalid(%v) = %v, want %v", tc.errs, got, tc.want)
		}
	}
}

func TestRelayMessagesTurnsAnErrorIntoTheNodesFailure(t *testing.T) {
	stream := `{"status":"Pulling from library/busybox","id":"latest"}
{"status":"Downloading","id":"a1b2","progressDetail":{"current":1,"total":2}}
{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}
`
	out := make(chan jsonmessage.JSONMessage, 10)
	err := relayMessages(t.Context(), strings.NewReader(stream), &tagger{node: "node-2"}, out)
	close(out)
	if err == nil || err.Error() != "manifest unknown" {
		t.Fatalf("relayMessages returned %v, want the stream's error", err)
	}
	var got []jsonmessage.JSONMessage
	for m := range out {
		got = append(got, m)
	}
	if len(got) != 3 || got[0].ID != "node-2: latest" || got[1].ID != "node-2: a1b2" || got[1].Progress == nil || got[1].Progress.Total != 2 ||
		got[2].Status != "node-2: manifest unknown" || got[2].Error != nil {
		t.Fatalf("relayed %+v", got)
	}
}

func TestRelayMessagesReportsABrokenStream(t *testing.T) {
	out := make(chan jsonmessage.JSONMessage, 10)
	err := relayMessages(t.Context(), strings.NewReader(`{"status":"ok"}{garbage`), &tagger{node: "node-1"}, out)
	close(out)
	if err == nil || !strings.Contains(err.Error(), "stream from node node-1 broke") {
		t.Fatalf("relayMessages returned %v", err)
	}
	if n := len(out); n != 2 {
		t.Fatalf("relayed %d messages, want the status and the failure line", n)
	}
}

func TestFanOutGivesEveryReaderEveryByteAndDropsOneThatLeaves(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 20000) // several chunks
	readers := fanOut(bytes.NewReader(data), 3)
	readers[1].CloseWithError(errors.New("engine stopped reading"))
	var wg sync.WaitGroup
	got := make([][]byte, 3)
	errs := make([]error, 3)
	for _, i := range []int{0, 2} {
		wg.Go(func() { got[i], errs[i] = io.ReadAll(readers[i]) })
	}
	wg.Wait()
	for _, i := range []int{0, 2} {
		if errs[i] != nil || !bytes.Equal(got[i], data) {
			t.Fatalf("reader %d got %d bytes, err %v; want all %d", i, len(got[i]), errs[i], len(data))
		}
	}
}

func TestFanOutPassesOnAReadError(t *testing.T) {
	broken := io.MultiReader(strings.NewReader("part"), &failingReader{errors.New("client went away")})
	readers := fanOut(broken, 2)
	got := make([][]byte, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, r := range readers {
		wg.Go(func() { got[i], errs[i] = io.ReadAll(r) })
	}
	wg.Wait()
	for i := range readers {
		if string(got[i]) != "part" || errs[i] == nil || errs[i].Error() != "client went away" {
			t.Fatalf("reader %d: %q, %v", i, got[i], errs[i])
		}
	}
}

type failingReader struct{ err error }

func (r *failingReader) Read([]byte) (int, error) { return 0, r.err }
