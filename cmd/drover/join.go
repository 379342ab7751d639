package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"drover/internal/store"
)

func newJoinCommand(g *globalFlags) *cobra.Command {
	var (
		advertise     string
		heartbeat     time.Duration
		ttl           time.Duration
		delay         time.Duration
		discoveryOpts []string
	)
	cmd := &cobra.Command{
		Use:     "join --advertise ip:port [OPTIONS] <discovery>",
		Aliases: []string{"j"},
		Short:   "Register an engine in etcd and keep it registered",
		Long: `Register the engine at --advertise under etcd://h1:p1,h2:p2/path and keep its key
alive, one heartbeat every --heartbeat, under a lease of --ttl: when join stops,
the engine leaves the pool once the lease runs out.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			envDefault(cmd, "advertise", "SWARM_ADVERTISE")
			if _, _, err := net.SplitHostPort(advertise); err != nil {
				return fmt.Errorf("--advertise %q: want ip:port of the engine", advertise)
			}
			if ttl <= heartbeat {
				return fmt.Errorf("--ttl %s must be longer than --heartbeat %s", ttl, heartbeat)
			}
			d, err := etcdDiscovery(discoveryArg(args))
			if err != nil {
				return err
			}
			lg, err := g.logger()
			if err != nil {
				return err
			}
			defer lg.Sync() //nolint:errcheck
			tlsCfg, err := kvTLS(discoveryOpts)
			if err != nil {
				return err
			}
			st, err := store.Open(store.Config{Endpoints: d.Endpoints, Prefix: d.Prefix, TLS: tlsCfg, Logger: lg})
			if err != nil {
				return err
			}
			defer st.Close()
			if delay > 0 {
				wait := rand.N(delay)
				lg.Info("delaying registration", zap.Duration("delay", wait))
				select {
				case <-cmd.Context().Done():
					return nil
				case <-time.After(wait):
				}
			}
			return st.JoinNode(cmd.Context(), lg.Named("join"), advertise, heartbeat, ttl)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&advertise, "advertise", "", "ip:port of the engine to register [$SWARM_ADVERTISE]")
	fl.StringVar(&advertise, "addr", "", "same as --advertise")
	fl.DurationVar(&heartbeat, "heartbeat", 60*time.Second, "period between heartbeats")
	fl.DurationVar(&ttl, "ttl", 180*time.Second, "how long the registration outlives the last heartbeat")
	fl.DurationVar(&delay, "delay", 0, "wait a random time up to this before registering")
	fl.StringSliceVar(&discoveryOpts, "discovery-opt", nil, "discovery option, repeatable: kv.cacertfile=…, kv.certfile=…, kv.keyfile=…")
	return cmd
}

func etcdDiscovery(raw string) (*store.Discovery, error) {
	if raw == "" {
		return nil, errors.New("discovery required: etcd://host:port[,host:port]/path [$SWARM_DISCOVERY]")
	}
	d, err := store.ParseDiscovery(raw)
	if err != nil {
		return nil, err
	}
	if d.Scheme != "etcd" {
		return nil, fmt.Errorf("discovery %q: join registers in etcd; a static list needs no join", raw)
	}
	return d, nil
}
