package main

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/docker/go-connections/tlsconfig"
)

// kvTLS reads classic Swarm's --discovery-opt kv.cacertfile=…,kv.certfile=…,
// kv.keyfile=… into a client TLS config for etcd (nil when none is given).
func kvTLS(discoveryOpts []string) (*tls.Config, error) {
	var opts tlsconfig.Options
	for _, o := range discoveryOpts {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			return nil, fmt.Errorf("--discovery-opt %q: want key=value", o)
		}
		switch k {
		case "kv.cacertfile":
			opts.CAFile = v
		case "kv.certfile":
			opts.CertFile = v
		case "kv.keyfile":
			opts.KeyFile = v
		default:
			return nil, fmt.Errorf("--discovery-opt %q: unknown option (kv.cacertfile, kv.certfile, kv.keyfile)", k)
		}
	}
	if opts.CAFile == "" && opts.CertFile == "" && opts.KeyFile == "" {
		return nil, nil
	}
	cfg, err := tlsconfig.Client(opts)
	if err != nil {
		return nil, fmt.Errorf("etcd TLS: %w", err)
	}
	return cfg, nil
}

// tlsFlags are classic Swarm's --tls* flags.
type tlsFlags struct {
	tls, verify          bool
	caFile, cert, keyPem string
}

func (f *tlsFlags) enabled() bool { return f.tls || f.verify }

// server is the manager's listener config: clients must show a certificate
// signed by the CA when --tlsverify is set.
func (f *tlsFlags) server() (*tls.Config, error) {
	opts := tlsconfig.Options{CertFile: f.cert, KeyFile: f.keyPem}
	if f.verify {
		opts.CAFile, opts.ClientAuth = f.caFile, tls.RequireAndVerifyClientCert
	}
	cfg, err := tlsconfig.Server(opts)
	if err != nil {
		return nil, fmt.Errorf("manager TLS: %w", err)
	}
	return cfg, nil
}

// client is how the manager reaches TLS engines: with the same certificate,
// checking the engines' against the CA when --tlsverify is set.
func (f *tlsFlags) client() (*tls.Config, error) {
	opts := tlsconfig.Options{CAFile: f.caFile, CertFile: f.cert, KeyFile: f.keyPem, InsecureSkipVerify: !f.verify}
	cfg, err := tlsconfig.Client(opts)
	if err != nil {
		return nil, fmt.Errorf("engine TLS: %w", err)
	}
	return cfg, nil
}
