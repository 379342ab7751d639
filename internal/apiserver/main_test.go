package apiserver

import (
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"drover/internal/testenv"
)

// apiEtcd is the client of the embedded etcd the package's tests share; each
// test keeps to its own key prefix (see newHarness).
var apiEtcd *clientv3.Client

func TestMain(m *testing.M) {
	testenv.MainWithEtcd(m, func(e *testenv.Etcd) { apiEtcd = e.Client },
		"drover/internal/store.", "drover/internal/engine.")
}
