package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Embedded is an etcd server running inside the manager process.
type Embedded struct {
	etcd     *embed.Etcd
	Endpoint string // client URL, http://127.0.0.1:<port>
}

type embeddedPorts struct {
	Client int `json:"client"`
	Peer   int `json:"peer"`
}

// StartEmbedded starts a single-member etcd with its data in dir. clientAddr
// ("" for any free loopback port) is where it listens for clients; the ports
// it picks are kept in dir, so a restart reuses them.
func StartEmbedded(dir, clientAddr string, lg *zap.Logger) (*Embedded, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded etcd data dir: %w", err)
	}
	ports, err := choosePorts(dir, clientAddr)
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Name = "drover"
	cfg.Dir = filepath.Join(dir, "etcd")
	clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort(clientHost(clientAddr), strconv.Itoa(ports.Client))}
	peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports.Peer))}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg.Named("etcd").WithOptions(zap.IncreaseLevel(zap.ErrorLevel)))
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd in %s: %w", dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd: %w", err)
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, errors.New("embedded etcd did not become ready in 60s")
	}
	return &Embedded{etcd: e, Endpoint: clientURL.String()}, nil
}

// Close stops the server.
func (e *Embedded) Close() { e.etcd.Close() }

func clientHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return "127.0.0.1"
	}
	return host
}

// choosePorts reuses the ports of the last run when they are free, else
// takes free ones, and remembers them.
func choosePorts(dir, clientAddr string) (embeddedPorts, error) {
	path := filepath.Join(dir, "ports.json")
	var p embeddedPorts
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &p)
	}
	if clientAddr != "" {
		_, port, err := net.SplitHostPort(clientAddr)
		if err != nil {
			return p, fmt.Errorf("etcd listen address %q: %w", clientAddr, err)
		}
		if p.Client, err = strconv.Atoi(port); err != nil {
			return p, fmt.Errorf("etcd listen address %q: bad port", clientAddr)
		}
	} else if !portFree(p.Client) {
		p.Client = freePort()
	}
	if !portFree(p.Peer) || p.Peer == p.Client {
		p.Peer = freePort()
	}
	if p.Client == 0 || p.Peer == 0 {
		return p, errors.New("no free loopback port for the embedded etcd")
	}
	b, _ := json.Marshal(p)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return p, fmt.Errorf("remember etcd ports: %w", err)
	}
	return p, nil
}

func portFree(port int) bool {
	if port == 0 {
		return false
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
