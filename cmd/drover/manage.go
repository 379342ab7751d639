package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"drover/internal/apiserver"
	"drover/internal/engine"
	"drover/internal/placement"
	"drover/internal/reconciler"
	"drover/internal/store"
)

type manageFlags struct {
	host            string
	advertise       string
	strategy        string
	filters         []string
	heartbeat       time.Duration
	replication     bool
	replicationTTL  time.Duration
	refreshMin      time.Duration
	refreshMax      time.Duration
	failureRetry    int
	cors            bool
	clusterDriver   string
	clusterOpts     []string
	discoveryOpts   []string
	tls             tlsFlags
	engineTLS       bool
	storeURL        string
	dataDir         string
	etcdListen      string
	createTimeout   time.Duration
	rescheduleAfter time.Duration
}

func newManageCommand(g *globalFlags) *cobra.Command {
	f := &manageFlags{}
	cmd := &cobra.Command{
		Use:     "manage [OPTIONS] [<discovery>]",
		Aliases: []string{"m"},
		Short:   "Run a manager: serve the Docker API for the whole pool",
		Long: `Run a manager. It serves the Docker Remote API for every engine of the pool and
places each new container on the best engine.

<discovery> names the engines: etcd://h1:p1,h2:p2/path (engines register with
"drover join"; the etcd cluster also holds the state), nodes://a:p,b:p or the
bare list, or file://path. With no etcd named (no etcd:// discovery and no
--store), the manager runs an embedded etcd in --data-dir.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			envDefault(cmd, "host", "SWARM_HOST")
			envDefault(cmd, "advertise", "SWARM_ADVERTISE")
			lg, err := g.logger()
			if err != nil {
				return err
			}
			defer lg.Sync() //nolint:errcheck
			return runManage(cmd.Context(), lg, f, discoveryArg(args))
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.host, "host", "H", "127.0.0.1:2375", "ip:port to serve the API on [$SWARM_HOST]")
	fl.StringVar(&f.advertise, "advertise", "", "ip:port other managers reach this one at (default: --host) [$SWARM_ADVERTISE]")
	fl.StringVar(&f.advertise, "addr", "", "same as --advertise")
	fl.StringVar(&f.strategy, "strategy", "spread", "placement strategy: spread, binpack or random")
	fl.StringSliceVarP(&f.filters, "filter", "f", nil, "placement filter, repeatable (default: "+strings.Join(placement.FilterNames(), ", ")+")")
	fl.DurationVar(&f.heartbeat, "heartbeat", 60*time.Second, "period between heartbeats (accepted for classic Swarm; managers keep their election lease alive on their own)")
	fl.BoolVar(&f.replication, "replication", false, "accepted for classic Swarm: every manager sharing an etcd takes part in the election")
	fl.DurationVar(&f.replicationTTL, "replication-ttl", 15*time.Second, "how long a dead leader keeps the lead")
	fl.DurationVar(&f.refreshMin, "engine-refresh-min-interval", 5*time.Second, "how often each engine is read when its events are quiet")
	fl.DurationVar(&f.refreshMax, "engine-refresh-max-interval", 60*time.Second, "accepted for classic Swarm")
	fl.IntVar(&f.failureRetry, "engine-failure-retry", 3, "accepted for classic Swarm: an engine is unhealthy from its first failed refresh")
	fl.BoolVar(&f.cors, "api-enable-cors", false, "accepted for classic Swarm")
	fl.BoolVar(&f.cors, "cors", false, "same as --api-enable-cors")
	fl.StringVarP(&f.clusterDriver, "cluster-driver", "c", "swarm", "cluster driver (only swarm)")
	fl.StringSliceVar(&f.clusterOpts, "cluster-opt", nil, "cluster option, repeatable: swarm.overcommit=0.05")
	fl.StringSliceVar(&f.discoveryOpts, "discovery-opt", nil, "discovery option, repeatable: kv.cacertfile=…, kv.certfile=…, kv.keyfile=…")
	fl.BoolVar(&f.tls.tls, "tls", false, "serve the API over TLS")
	fl.BoolVar(&f.tls.verify, "tlsverify", false, "serve over TLS and accept only clients with a certificate signed by --tlscacert")
	fl.StringVar(&f.tls.caFile, "tlscacert", "", "CA certificate file")
	fl.StringVar(&f.tls.cert, "tlscert", "", "TLS certificate file")
	fl.StringVar(&f.tls.keyPem, "tlskey", "", "TLS key file")
	fl.BoolVar(&f.engineTLS, "engine-tls", true, "with --tls or --tlsverify, reach the engines over TLS too with the same certificate, as classic Swarm did; false reaches them over plain TCP")
	fl.StringVar(&f.storeURL, "store", "", "etcd://h1:p1,h2:p2/path holding the state when <discovery> is a static list")
	fl.StringVar(&f.dataDir, "data-dir", "", "embedded etcd's data directory (default: per listen address, under ~/.local/state/drover)")
	fl.StringVar(&f.etcdListen, "etcd-listen", "", "embedded etcd's client address, for drover join (default: a free loopback port)")
	fl.DurationVar(&f.createTimeout, "create-timeout", 60*time.Second, "how long a create waits for a leader to make the container")
	fl.DurationVar(&f.rescheduleAfter, "reschedule-delay", 10*time.Second, "how long a node must be down before its containers with reschedule:on-node-failure are made again elsewhere")
	return cmd
}

func runManage(ctx context.Context, lg *zap.Logger, f *manageFlags, discovery string) error {
	if f.clusterDriver != "swarm" {
		return fmt.Errorf("--cluster-driver %q: only swarm is supported", f.clusterDriver)
	}
	for name, d := range map[string]time.Duration{
		"--replication-ttl": f.replicationTTL, "--engine-refresh-min-interval": f.refreshMin,
		"--create-timeout": f.createTimeout, "--reschedule-delay": f.rescheduleAfter,
	} {
		if d <= 0 {
			return fmt.Errorf("%s %s: must be positive", name, d)
		}
	}
	listen := strings.TrimPrefix(f.host, "tcp://")
	if _, _, err := net.SplitHostPort(listen); err != nil {
		return fmt.Errorf("--host %q: want ip:port", f.host)
	}
	advertise := f.advertise
	if advertise == "" {
		advertise = listen
	}
	overcommit, err := parseClusterOpts(f.clusterOpts)
	if err != nil {
		return err
	}
	sched, err := placement.NewScheduler(f.filters, f.strategy, placement.Options{Overcommit: overcommit})
	if err != nil {
		return err
	}

	var static []string
	storeCfg := store.Config{Logger: lg}
	if storeCfg.TLS, err = kvTLS(f.discoveryOpts); err != nil {
		return err
	}
	if discovery != "" {
		d, err := store.ParseDiscovery(discovery)
		if err != nil {
			return err
		}
		if d.Scheme == "etcd" {
			storeCfg.Endpoints, storeCfg.Prefix = d.Endpoints, d.Prefix
		} else {
			static = d.Nodes
		}
	}
	if f.storeURL != "" {
		if storeCfg.Endpoints != nil {
			return errors.New("--store and an etcd:// discovery both name an etcd: give one")
		}
		d, err := store.ParseDiscovery(f.storeURL)
		if err != nil || d.Scheme != "etcd" {
			return fmt.Errorf("--store %q: want etcd://host:port[,host:port]/path", f.storeURL)
		}
		storeCfg.Endpoints, storeCfg.Prefix = d.Endpoints, d.Prefix
	}
	if storeCfg.Endpoints == nil {
		dir := f.dataDir
		if dir == "" {
			dir = defaultDataDir(listen)
		}
		embedded, err := store.StartEmbedded(dir, f.etcdListen, lg)
		if err != nil {
			return err
		}
		defer embedded.Close()
		lg.Info("embedded etcd running", zap.String("endpoint", embedded.Endpoint), zap.String("dataDir", dir))
		storeCfg.Endpoints = []string{embedded.Endpoint}
	}
	st, err := store.Open(storeCfg)
	if err != nil {
		return err
	}
	defer st.Close()

	var engineTLS *tls.Config
	if f.tls.enabled() && f.engineTLS {
		if engineTLS, err = f.tls.client(); err != nil {
			return err
		}
	}
	pool := engine.NewPool(engine.Options{Logger: lg.Named("engine"), TLS: engineTLS, RefreshInterval: f.refreshMin})
	leader := reconciler.NewLeader(reconciler.Options{
		Logger: lg, Store: st, Pool: pool, Scheduler: sched, Advertise: advertise, TTL: f.replicationTTL,
		RescheduleAfter: f.rescheduleAfter,
	})
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reconciler.RegisterMetrics(registry)
	api := apiserver.New(apiserver.Options{
		Logger: lg, Pool: pool, Store: st, Scheduler: sched, Version: version,
		Advertise: advertise, CreateTimeout: f.createTimeout, Metrics: registry,
	})

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 30 * time.Second}
	if f.tls.enabled() {
		if srv.TLSConfig, err = f.tls.server(); err != nil {
			ln.Close()
			return err
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go pool.Run(ctx)
	go watchNodes(ctx, lg, st, pool, static)
	go leader.Run(ctx)
	go func() {
		self := store.Manager{Advertise: advertise, Version: version, StartedAt: time.Now().UTC()}
		_ = st.RegisterManager(ctx, lg.Named("registration"), self, f.replicationTTL)
	}()
	serveErr := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			serveErr <- srv.ServeTLS(ln, "", "")
		} else {
			serveErr <- srv.Serve(ln)
		}
	}()
	lg.Info("manager serving", zap.String("listen", listen), zap.String("advertise", advertise),
		zap.Strings("nodes", static), zap.String("strategy", sched.Strategy()), zap.Strings("filters", sched.Filters()))
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	}
	lg.Info("manager stopping")
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer scancel()
	_ = srv.Shutdown(sctx)
	return nil
}

// watchNodes feeds the pool the static nodes plus those registered in etcd.
func watchNodes(ctx context.Context, lg *zap.Logger, st *store.Store, pool *engine.Pool, static []string) {
	pool.SetNodes(static)
	st.WatchNodes(ctx, lg.Named("discovery"), func(registered []string) {
		all := slices.Concat(static, registered)
		slices.Sort(all)
		pool.SetNodes(slices.Compact(all))
	})
}

func parseClusterOpts(opts []string) (overcommit float64, err error) {
	overcommit = placement.DefaultOvercommit
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "swarm.overcommit":
			if overcommit, err = strconv.ParseFloat(v, 64); err != nil || overcommit < -1 {
				return 0, fmt.Errorf("--cluster-opt %q: want a fraction such as 0.05", o)
			}
		case "swarm.createretry":
			if _, err := strconv.Atoi(v); err != nil {
				return 0, fmt.Errorf("--cluster-opt %q: want a number", o)
			}
		default:
			return 0, fmt.Errorf("--cluster-opt %q: unknown option (swarm.overcommit, swarm.createretry)", o)
		}
	}
	return overcommit, nil
}

// defaultDataDir keeps each manager's embedded etcd apart, by listen address.
func defaultDataDir(listen string) string {
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		if home, err := os.UserHomeDir(); err == nil {
			base = filepath.Join(home, ".local", "state")
		} else {
			base = "/var/lib"
		}
	}
	return filepath.Join(base, "drover", strings.NewReplacer(":", "_", "/", "_").Replace(listen))
}
