// Command demo is ZooKeeper's classic service-discovery example on
// Paddock: servers register themselves as ephemeral sequential znodes
// under /serverList, and a monitor watches that list.
//
//	demo walkthrough [--trace] [--keep]      a narrated tour on a fresh local 3-node ensemble
//	demo register NAME [connection flags]    register NAME until SIGINT/SIGTERM
//	demo monitor [connection flags]          print the registered names on every change
//
// Connection flags: --servers host:busPort,... (the nodes' bus ports),
// --config zoo.cfg (bus ports and the first paddock.clientUsers entry;
// default .cluster/node1/zoo.cfg, the ensemble of `node local up`),
// --user/--password, --session-timeout.
//
// It talks to the ensemble only through package client. The walkthrough
// also runs the node binary (built next to the demo, or with `go build`)
// for the node processes and for `node trace`, and reads and writes the
// ensemble's zoo.cfg files with package config: the demo needs no more of
// the server side than an operator does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/zk"
)

const usage = `usage: demo <command> [flags]

commands:
  walkthrough [--trace] [--keep] [--base-port 23810]
        bring up a local 3-node ensemble, register and stop servers, kill the leader, narrated
  register NAME [--servers host:busPort,...] [--config zoo.cfg] [--session-timeout 4s]
        register NAME under /serverList until interrupted
  monitor [--servers host:busPort,...] [--config zoo.cfg]
        print the registered names at start and whenever the list changes
`

// listPath is the parent of the registrations.
const listPath = "/serverList"

// defaultConfig is the config `node local up` writes for node 1.
const defaultConfig = ".cluster/node1/zoo.cfg"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "walkthrough":
		err = cmdWalkthrough(args[1:], stdout, stderr)
	case "register":
		err = cmdRegister(args[1:], stdout, stderr)
	case "monitor":
		err = cmdMonitor(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "demo: unknown command %q\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 2
	default:
		fmt.Fprintln(stderr, "demo:", err)
		return 1
	}
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("demo "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// connFlags are how register and monitor find the ensemble.
type connFlags struct {
	servers, config, user, password string
	timeout                         time.Duration
}

func (f *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.servers, "servers", "", "host:busPort[,host:busPort...] of the nodes' bus ports (default: from --config)")
	fs.StringVar(&f.config, "config", "", "a node's zoo.cfg: its bus ports and first paddock.clientUsers entry (default "+defaultConfig+")")
	fs.StringVar(&f.user, "user", "", "bus client user (default: from --config)")
	fs.StringVar(&f.password, "password", "", "password of --user")
	fs.DurationVar(&f.timeout, "session-timeout", 4*time.Second, "session timeout to ask for (the ensemble bounds it)")
}

// resolve fills servers and credentials from the config where the flags
// did not give them.
func (f *connFlags) resolve() ([]string, string, string, error) {
	servers, user, password := f.servers, f.user, f.password
	path := f.config
	if path == "" && (servers == "" || user == "") {
		if _, err := os.Stat(defaultConfig); err == nil || servers == "" {
			path = defaultConfig
		}
	}
	if path != "" {
		cfg, err := config.Load(path)
		if err != nil {
			return nil, "", "", fmt.Errorf("%w (start an ensemble with `go run ./cmd/node local up`, or give --servers)", err)
		}
		if servers == "" {
			servers = strings.Join(busAddrs(cfg), ",")
		}
		if user == "" && len(cfg.ClientUsers) > 0 {
			user, password = cfg.ClientUsers[0].User, cfg.ClientUsers[0].Password
		}
	}
	return strings.Split(servers, ","), user, password, nil
}

// busAddrs are the bus (NATS client) addresses of cfg's ensemble.
func busAddrs(cfg *config.Config) []string {
	if cfg.Standalone() {
		return []string{net.JoinHostPort(localHost(cfg.BusHost), strconv.Itoa(cfg.BusPort))}
	}
	var addrs []string
	for _, s := range cfg.Servers {
		addrs = append(addrs, net.JoinHostPort(localHost(s.Host), strconv.Itoa(s.BusPort)))
	}
	return addrs
}

func localHost(h string) string {
	if h == "" || h == "0.0.0.0" || h == "::" {
		return "127.0.0.1"
	}
	return h
}

func (f *connFlags) connect(ctx context.Context) (*client.Conn, error) {
	servers, user, password, err := f.resolve()
	if err != nil {
		return nil, err
	}
	opts := []client.Option{client.WithSessionTimeout(f.timeout),
		client.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	if user != "" {
		opts = append(opts, client.WithCredentials(user, password))
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return client.Connect(cctx, servers, opts...)
}

// ensureList creates /serverList unless it exists.
func ensureList(ctx context.Context, c *client.Conn) error {
	_, err := c.Create(ctx, listPath, nil, zk.Persistent, zk.OpenACLUnsafe)
	if err != nil && !errors.Is(err, client.ErrNodeExists) {
		return err
	}
	return nil
}
