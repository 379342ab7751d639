package main

import (
	"bytes"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

// Scripts written for classic Swarm run unchanged: its global flags, its
// environment variables, its discovery forms.
func TestClassicSwarmCommandLine(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
		err  string
	}{
		{name: "version", args: []string{"--version"}, want: "drover version "},
		{name: "short version", args: []string{"-v"}, want: "drover version "},
		{name: "global flags", args: []string{"--debug", "--experimental", "-l", "warn", "list", "nodes://10.0.0.1:2375"}, want: "10.0.0.1:2375\n"},
		{name: "range", args: []string{"list", "10.0.0.[1:3]:2375"}, want: "10.0.0.1:2375\n10.0.0.2:2375\n10.0.0.3:2375\n"},
		{name: "alias", args: []string{"l", "nodes://a:1,b:2"}, want: "a:1\nb:2\n"},
		{name: "discovery from the environment", env: map[string]string{"SWARM_DISCOVERY": "nodes://c:3"}, args: []string{"list"}, want: "c:3\n"},
		{name: "no discovery", args: []string{"list"}, err: "discovery required"},
		{name: "bad log level", args: []string{"-l", "loud", "manage", "nodes://a:1"}, err: "--log-level"},
		{name: "join needs etcd", args: []string{"join", "--advertise", "10.0.0.1:2375", "nodes://a:1"}, err: "a static list needs no join"},
		{name: "join needs an address", args: []string{"join", "etcd://127.0.0.1:1/x"}, err: "--advertise"},
		{name: "join ttl above heartbeat", args: []string{"join", "--advertise", "a:1", "--heartbeat", "10s", "--ttl", "5s", "etcd://127.0.0.1:1"}, err: "--ttl 5s must be longer"},
		{name: "manage refuses another cluster driver", args: []string{"manage", "-c", "mesos-experimental"}, err: "only swarm"},
		{name: "manage refuses an unknown filter", args: []string{"manage", "-f", "nosuch", "nodes://a:1"}, err: `unknown filter "nosuch"`},
		{name: "manage refuses an unknown strategy", args: []string{"manage", "--strategy", "nosuch", "nodes://a:1"}, err: `unknown strategy "nosuch"`},
		{name: "manage refuses a bad cluster option", args: []string{"manage", "--cluster-opt", "swarm.overcommit=lots", "nodes://a:1"}, err: "swarm.overcommit"},
		{name: "manage refuses a zero TTL", args: []string{"manage", "--replication-ttl", "0s", "nodes://a:1"}, err: "--replication-ttl 0s: must be positive"},
		{name: "manage refuses a negative reschedule delay", args: []string{"manage", "--reschedule-delay", "-1s", "nodes://a:1"}, err: "--reschedule-delay -1s: must be positive"},
		{name: "manage refuses a bad host", args: []string{"manage", "-H", "nocolon", "nodes://a:1"}, err: "want ip:port"},
		{name: "bad discovery", args: []string{"list", "zk://a:1"}, err: "unsupported scheme"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			out, err := run(t, tc.args...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("drover %v: error %v, want one containing %q", tc.args, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("drover %v: %v", tc.args, err)
			}
			if !strings.HasPrefix(out, tc.want) {
				t.Fatalf("drover %v printed %q, want %q", tc.args, out, tc.want)
			}
		})
	}
}
