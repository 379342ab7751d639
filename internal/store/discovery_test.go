package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"drover/internal/store"
)

func TestParseDiscovery(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want store.Discovery
	}{
		{
			name: "etcd with a path",
			raw:  "etcd://10.0.0.1:2379/swarm",
			want: store.Discovery{Scheme: "etcd", Endpoints: []string{"http://10.0.0.1:2379"}, Prefix: "/swarm"},
		},
		{
			name: "etcd with several hosts and a nested path",
			raw:  "etcd://a:2379,b:2379,c:2379/team/swarm/",
			want: store.Discovery{Scheme: "etcd", Endpoints: []string{"http://a:2379", "http://b:2379", "http://c:2379"}, Prefix: "/team/swarm"},
		},
		{
			name: "etcd without a path uses the default prefix",
			raw:  "etcd://10.0.0.1:2379",
			want: store.Discovery{Scheme: "etcd", Endpoints: []string{"http://10.0.0.1:2379"}, Prefix: store.DefaultPrefix},
		},
		{
			name: "etcd with a bare slash uses the default prefix",
			raw:  "etcd://10.0.0.1:2379/",
			want: store.Discovery{Scheme: "etcd", Endpoints: []string{"http://10.0.0.1:2379"}, Prefix: "/drover"},
		},
		{
			name: "nodes list",
			raw:  "nodes://10.0.0.1:2375,10.0.0.2:2375",
			want: store.Discovery{Scheme: "nodes", Nodes: []string{"10.0.0.1:2375", "10.0.0.2:2375"}},
		},
		{
			name: "bare list is a nodes list",
			raw:  "10.0.0.1:2375,node-2:2376",
			want: store.Discovery{Scheme: "nodes", Nodes: []string{"10.0.0.1:2375", "node-2:2376"}},
		},
		{
			name: "bare single address",
			raw:  "127.0.0.11:2375",
			want: store.Discovery{Scheme: "nodes", Nodes: []string{"127.0.0.11:2375"}},
		},
		{
			name: "blanks around entries and empty entries are ignored",
			raw:  "nodes:// a:1 ,, b:2,",
			want: store.Discovery{Scheme: "nodes", Nodes: []string{"a:1", "b:2"}},
		},
		{
			name: "range in the address",
			raw:  "nodes://10.0.0.[10:12]:2375",
			want: store.Discovery{Scheme: "nodes", Nodes: []string{"10.0.0.10:2375", "10.0.0.11:2375", "10.0.0.12:2375"}},
		},
		{
			name: "range inside the port",
			raw:  "192.168.1.2:[2:3]375",
			want: store.Discovery{Scheme: "nodes", Nodes: []string{"192.168.1.2:2375", "192.168.1.2:3375"}},
		},
		{
			name: "range of one",
			raw:  "nodes://10.0.0.[5:5]:2375",
			want: store.Discovery{Scheme: "nodes", Nodes: []string{"10.0.0.5:2375"}},
		},
		{
			name: "ranges mixed with plain entries keep their order",
			raw:  "nodes://10.0.1.1:2375,10.0.0.[1:2]:2375",
			want: store.Discovery{Scheme: "nodes", Nodes: []string{"10.0.1.1:2375", "10.0.0.1:2375", "10.0.0.2:2375"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.ParseDiscovery(tt.raw)
			if err != nil {
				t.Fatalf("ParseDiscovery(%q): %v", tt.raw, err)
			}
			assertDiscovery(t, got, tt.want)
		})
	}
}

func TestParseDiscoveryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cluster")
	content := strings.Join([]string{
		"# engines of rack 1",
		"10.0.0.1:2375",
		"",
		"   10.0.0.2:2375   ",
		"\t# disabled: 10.0.0.3:2375",
		"10.0.1.[7:8]:2375",
		"",
	}, "\n")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := store.ParseDiscovery("file://" + path)
	if err != nil {
		t.Fatalf("ParseDiscovery: %v", err)
	}
	assertDiscovery(t, got, store.Discovery{
		Scheme: "file",
		Nodes:  []string{"10.0.0.1:2375", "10.0.0.2:2375", "10.0.1.7:2375", "10.0.1.8:2375"},
	})
}

func TestParseDiscoveryErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	onlyComments := write("comments", "# nothing here\n\n# nor here\n")
	badLine := write("bad", "10.0.0.1:2375\n10.0.0.2\n")

	tests := []struct {
		name    string
		raw     string
		wantErr string // a fragment of the message
	}{
		{"unsupported scheme", "consul://10.0.0.1:8500/swarm", `unsupported scheme "consul"`},
		{"token scheme of hosted discovery", "token://abcdef", `unsupported scheme "token"`},
		{"etcd without an address", "etcd:///drover", "no etcd address"},
		{"node without a port", "nodes://10.0.0.1", `node "10.0.0.1": want host:port`},
		{"bare node without a port", "10.0.0.1:2375,10.0.0.2", `node "10.0.0.2": want host:port`},
		{"range without a port", "10.0.0.[1:2]", `node "10.0.0.1": want host:port`},
		{"reversed range", "10.0.0.[12:10]:2375", "range must read [from:to]"},
		{"range that is not numeric", "10.0.0.[a:b]:2375", "range must read [from:to]"},
		{"range with one bound", "10.0.0.[10]:2375", "range must read [from:to]"},
		{"unclosed range", "10.0.0.[10:12:2375", "unclosed range"},
		{"empty nodes list", "nodes://", "no nodes listed"},
		{"empty string", "", "no nodes listed"},
		{"missing file", "file://" + filepath.Join(dir, "absent"), "no such file"},
		{"file of comments only", "file://" + onlyComments, "no nodes listed"},
		{"file with a line without a port", "file://" + badLine, `node "10.0.0.2": want host:port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := store.ParseDiscovery(tt.raw)
			if err == nil {
				t.Fatalf("ParseDiscovery(%q) = %+v, want an error containing %q", tt.raw, d, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseDiscovery(%q) error = %q, want it to contain %q", tt.raw, err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.raw)) {
				t.Errorf("ParseDiscovery(%q) error = %q, want it to quote the discovery", tt.raw, err)
			}
		})
	}
}

func assertDiscovery(t *testing.T, got *store.Discovery, want store.Discovery) {
	t.Helper()
	if got.Scheme != want.Scheme || got.Prefix != want.Prefix ||
		!slices.Equal(got.Endpoints, want.Endpoints) || !slices.Equal(got.Nodes, want.Nodes) {
		t.Errorf("got  %+v\nwant %+v", *got, want)
	}
}

func ExampleParseDiscovery() {
	d, _ := store.ParseDiscovery("etcd://10.0.0.1:2379,10.0.0.2:2379/swarm")
	fmt.Println(d.Scheme, d.Endpoints, d.Prefix)
	d, _ = store.ParseDiscovery("nodes://10.0.0.[10:12]:2375")
	fmt.Println(d.Scheme, d.Nodes)
	// Output:
	// etcd [http://10.0.0.1:2379 http://10.0.0.2:2379] /swarm
	// nodes [10.0.0.10:2375 10.0.0.11:2375 10.0.0.12:2375]
}
