package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/zkcli"
)

// cmdCli is `node cli`: the zkCli look-alike, over the ZooKeeper wire
// protocol (-server) or the native client (-bus, -config).
func cmdCli(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dial := func(ctx context.Context, servers []string, timeout time.Duration, cred zkcli.Credentials) (zkcli.Client, io.Closer, error) {
		opts := []client.Option{client.WithSessionTimeout(timeout), client.WithLogger(log)}
		if cred.User != "" {
			opts = append(opts, client.WithCredentials(cred.User, cred.Password))
		}
		if cred.TLS != nil {
			opts = append(opts, client.WithTLS(cred.TLS))
		}
		c, err := client.Connect(ctx, servers, opts...)
		if err != nil {
			return nil, nil, err
		}
		return zkcli.Bus(c), c, nil
	}
	if code := zkcli.Main(ctx, args, os.Stdin, stdout, stderr, dial); code != 0 {
		return errExit(code)
	}
	return nil
}
