package main

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"drover/internal/engine/hollow"
)

// BenchmarkCreateThroughManager measures `docker run -d` (create and start)
// through a whole manager — API, embedded etcd, leader reconciler, placement
// — in front of hollow engines, which answer the Engine API and run nothing,
// so that what is measured is Drover at a pool size no machine here could
// hold as real engines.
func BenchmarkCreateThroughManager(b *testing.B) {
	for _, n := range []int{10, 100, 500} {
		b.Run(fmt.Sprintf("engines=%d", n), func(b *testing.B) {
			cli := startScaleManager(b, n)
			ctx := b.Context()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				created, err := cli.ContainerCreate(ctx, &container.Config{Image: "busybox", Cmd: []string{"true"}}, nil, nil, nil, "")
				if err != nil {
					b.Fatal(err)
				}
				if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// startScaleManager runs n hollow engines and a manager in front of them,
// and returns a Docker client of the manager once it sees every engine.
func startScaleManager(b *testing.B, n int) *client.Client {
	b.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		srv := httptest.NewServer(hollow.New(fmt.Sprintf("hollow-%d", i+1)))
		b.Cleanup(srv.Close)
		addrs[i] = strings.TrimPrefix(srv.URL, "http://")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	listen := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan error, 1)
	cmd := newRootCommand()
	cmd.SetArgs([]string{"-l", "error", "manage", "-H", listen, "--data-dir", b.TempDir(), "nodes://" + strings.Join(addrs, ",")})
	go func() { done <- cmd.ExecuteContext(ctx) }()
	b.Cleanup(func() { cancel(); <-done })

	cli, err := client.NewClientWithOpts(client.WithHost("tcp://"+listen), client.WithAPIVersionNegotiation())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cli.Close() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		info, err := cli.Info(ctx)
		if err == nil && healthyRows(info.SystemStatus) == n {
			return cli
		}
		if time.Now().After(deadline) {
			b.Fatalf("the manager never saw %d healthy hollow engines (last: %v)", n, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func healthyRows(status [][2]string) int {
	n := 0
	for _, row := range status {
		if row == [2]string{"  └ Status", "Healthy"} {
			n++
		}
	}
	return n
}
