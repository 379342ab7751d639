package store

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Error kinds callers test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	// ErrNotLeader means a fenced write was refused: this process no longer leads.
	ErrNotLeader = errors.New("no longer the leader")
)

// DefaultPrefix is the cluster prefix when the discovery URL names no path.
const DefaultPrefix = "/drover"

// Store is typed access to one cluster's keys in etcd.
type Store struct {
	cli    *clientv3.Client
	prefix string
}

// Config says how to reach etcd.
type Config struct {
	Endpoints []string
	Prefix    string
	TLS       *tls.Config
	Logger    *zap.Logger
}

// Open connects to etcd. It does not wait for the cluster to answer: calls
// block (bounded by their context) until it does.
func Open(cfg Config) (*Store, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("no etcd endpoints")
	}
	lg := cfg.Logger
	if lg == nil {
		lg = zap.NewNop()
	}
	endpoints := cfg.Endpoints
	if cfg.TLS != nil {
		endpoints = make([]string, len(cfg.Endpoints))
		for i, ep := range cfg.Endpoints {
			endpoints[i] = "https://" + strings.TrimPrefix(strings.TrimPrefix(ep, "http://"), "https://")
		}
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            endpoints,
		TLS:                  cfg.TLS,
		DialTimeout:          5 * time.Second,
		DialKeepAliveTime:    5 * time.Second,
		DialKeepAliveTimeout: 5 * time.Second,
		Logger:               lg.Named("etcd-client").WithOptions(zap.IncreaseLevel(zap.WarnLevel)),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to etcd %v: %w", cfg.Endpoints, err)
	}
	return New(cli, cfg.Prefix), nil
}

// New wraps an existing client; prefix "" means DefaultPrefix.
func New(cli *clientv3.Client, prefix string) *Store {
	prefix = "/" + strings.Trim(prefix, "/")
	if prefix == "/" {
		prefix = DefaultPrefix
	}
	return &Store{cli: cli, prefix: prefix}
}

// Close closes the etcd client.
func (s *Store) Close() error { return s.cli.Close() }

// Client is the underlying etcd client.
func (s *Store) Client() *clientv3.Client { return s.cli }

// Prefix is the cluster prefix every key lives under.
func (s *Store) Prefix() string { return s.prefix }

func (s *Store) key(parts ...string) string {
	return s.prefix + "/" + strings.Join(parts, "/")
}

// ClusterID returns the cluster's identity, made on first use. Engines may be
// shared by several clusters; what Drover creates carries this ID, so one
// cluster never mistakes another's containers for its own orphans.
func (s *Store) ClusterID(ctx context.Context) (string, error) {
	key := s.key("cluster-id")
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	fresh := hex.EncodeToString(b)
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, fresh)).
		Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return "", fmt.Errorf("cluster id: %w", err)
	}
	if resp.Succeeded {
		return fresh, nil
	}
	return string(resp.Responses[0].GetResponseRange().Kvs[0].Value), nil
}
