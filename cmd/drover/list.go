package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"drover/internal/store"
)

func newListCommand(g *globalFlags) *cobra.Command {
	var (
		timeout       time.Duration
		discoveryOpts []string
	)
	cmd := &cobra.Command{
		Use:     "list [OPTIONS] <discovery>",
		Aliases: []string{"l"},
		Short:   "List the engines of a cluster, one address a line",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw := discoveryArg(args)
			if raw == "" {
				return errors.New("discovery required [$SWARM_DISCOVERY]")
			}
			d, err := store.ParseDiscovery(raw)
			if err != nil {
				return err
			}
			nodes := d.Nodes
			if d.Scheme == "etcd" {
				if nodes, err = listRegistered(cmd.Context(), g, d, discoveryOpts, timeout); err != nil {
					return err
				}
			}
			for _, n := range nodes {
				fmt.Fprintln(cmd.OutOrStdout(), n)
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long to wait for etcd to answer")
	cmd.Flags().StringSliceVar(&discoveryOpts, "discovery-opt", nil, "discovery option, repeatable: kv.cacertfile=…, kv.certfile=…, kv.keyfile=…")
	return cmd
}

func listRegistered(ctx context.Context, g *globalFlags, d *store.Discovery, discoveryOpts []string, timeout time.Duration) ([]string, error) {
	lg, err := g.logger()
	if err != nil {
		return nil, err
	}
	tlsCfg, err := kvTLS(discoveryOpts)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(store.Config{Endpoints: d.Endpoints, Prefix: d.Prefix, TLS: tlsCfg, Logger: lg.WithOptions(zap.IncreaseLevel(zap.ErrorLevel))})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	nodes, err := st.Nodes(ctx)
	if err != nil {
		return nil, fmt.Errorf("etcd did not answer within %s: %w", timeout, err)
	}
	return nodes, nil
}
