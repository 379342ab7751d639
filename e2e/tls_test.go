package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// certs is a CA and, signed by it, a certificate for 127.0.0.1 that serves
// and authenticates both ways.
type certs struct{ ca, cert, key string }

func makeCerts(t *testing.T) certs {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "drover-e2e-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	caCert, _ := x509.ParseCertificate(caDER)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	c := certs{ca: filepath.Join(dir, "ca.pem"), cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
	for path, block := range map[string]*pem.Block{
		c.ca: {Type: "CERTIFICATE", Bytes: caDER}, c.cert: {Type: "CERTIFICATE", Bytes: der}, c.key: {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// A manager keeps its state in an etcd that requires client certificates
// (--discovery-opt kv.*), engines join and list through it, and the manager
// serves the docker CLI over TLS with --tlsverify.
func TestTLSToEtcdAndToClients(t *testing.T) {
	if _, err := exec.LookPath("etcd"); err != nil {
		startEtcdCluster(t) // installs etcd-server
	}
	c := makeCerts(t)
	etcdAddr, peer := freeAddr(t), freeAddr(t)
	etcd := exec.Command("etcd", "--name", "tls", "--data-dir", t.TempDir(),
		"--listen-client-urls", "https://"+etcdAddr, "--advertise-client-urls", "https://"+etcdAddr,
		"--listen-peer-urls", "http://"+peer, "--initial-advertise-peer-urls", "http://"+peer,
		"--initial-cluster", "tls=http://"+peer,
		"--cert-file", c.cert, "--key-file", c.key, "--trusted-ca-file", c.ca, "--client-cert-auth",
		"--log-level", "error", "--logger", "zap")
	if err := etcd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = etcd.Process.Kill(); _ = etcd.Wait() })

	kv := []string{"--discovery-opt", "kv.cacertfile=" + c.ca, "--discovery-opt", "kv.certfile=" + c.cert, "--discovery-opt", "kv.keyfile=" + c.key}
	discovery := "etcd://" + etcdAddr + "/tls"
	join := exec.Command(droverBin, append(append([]string{"join", "--advertise", engines[0], "--heartbeat", "1s", "--ttl", "5s"}, kv...), discovery)...)
	if err := join.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = join.Process.Kill(); _ = join.Wait() })
	waitFor(t, "the engine to be listed through TLS", func() bool {
		out, err := exec.Command(droverBin, append(append([]string{"list", "--timeout", "2s"}, kv...), discovery)...).Output()
		return err == nil && strings.TrimSpace(string(out)) == engines[0]
	})
	if out, err := exec.Command(droverBin, "list", "--timeout", "2s", discovery).CombinedOutput(); err == nil {
		t.Fatalf("list without certificates succeeded: %s", out)
	}

	// The test bed's engines speak plain TCP on loopback.
	m := startManager(t, append(append([]string{"--tlsverify", "--tlscacert", c.ca, "--tlscert", c.cert, "--tlskey", c.key, "--engine-tls=false"}, kv...), discovery)...)
	wipeEngines(t)
	cli := clis(t)[0]
	tlsDocker := func(args ...string) (string, error) {
		return docker(t, cli, m.addr, append([]string{"--tlsverify", "--tlscacert", c.ca, "--tlscert", c.cert, "--tlskey", c.key}, args...)...)
	}
	waitFor(t, "the manager to see the engine", func() bool {
		out, _ := tlsDocker("info")
		return strings.Contains(out, "Nodes: 1\n") && strings.Contains(out, "Status: Healthy")
	})
	if out, err := tlsDocker("run", "--rm", "busybox", "echo", "over tls"); err != nil || strings.TrimSpace(out) != "over tls" {
		t.Fatalf("docker run over TLS: %q %v", out, err)
	}
	if _, err := docker(t, cli, m.addr, "--tls", "--tlscacert", c.ca, "ps"); err == nil {
		t.Fatal("a client without a certificate was served")
	}
	if _, err := docker(t, cli, m.addr, "ps"); err == nil {
		t.Fatal("a plain-text client was served")
	}
}
