// Command drover turns a pool of Docker engines into one virtual engine. Its
// commands and flags are classic Docker Swarm's: manage, join and list.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Set at build time: -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "0.1.0-dev"
	commit  = "unknown"
)

type globalFlags struct {
	debug        bool
	logLevel     string
	experimental bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "drover:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "drover",
		Short:         "A pool of Docker engines as one virtual engine",
		Version:       version + " (" + commit + ")",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("drover version {{.Version}}\n")
	root.PersistentFlags().BoolVar(&g.debug, "debug", os.Getenv("DEBUG") != "", "debug mode (same as --log-level debug) [$DEBUG]")
	root.PersistentFlags().StringVarP(&g.logLevel, "log-level", "l", "info", "log level: debug, info, warn, error, fatal or panic")
	root.PersistentFlags().BoolVar(&g.experimental, "experimental", false, "enable experimental features (accepted for classic Swarm's scripts)")
	root.Flags().BoolP("version", "v", false, "print the version")
	root.AddCommand(newManageCommand(g), newJoinCommand(g), newListCommand(g))
	return root
}

// logger builds the process logger; only main and the commands build one.
func (g *globalFlags) logger() (*zap.Logger, error) {
	level := g.logLevel
	if g.debug {
		level = "debug"
	}
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Encoding = "console"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	cfg.DisableStacktrace = lvl > zapcore.DebugLevel
	return cfg.Build()
}

// envDefault fills a flag left unset from its classic Swarm environment variable.
func envDefault(cmd *cobra.Command, flag, env string) {
	if v := os.Getenv(env); v != "" && !cmd.Flags().Changed(flag) {
		_ = cmd.Flags().Set(flag, v)
	}
}

// discoveryArg is the positional discovery argument, or $SWARM_DISCOVERY.
func discoveryArg(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return os.Getenv("SWARM_DISCOVERY")
}
