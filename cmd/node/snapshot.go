package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/actors/natsbus"
	"github.com/paddock-zk/paddock/backup"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/pemtls"
	"github.com/paddock-zk/paddock/server"
)

const snapshotUsage = `usage:
  node snapshot save FILE --config zoo.cfg [--node N] [--timeout 10m] [--tls-ca ca.pem] [--tls-cert key.pem]
  node snapshot inspect FILE [--json]
  node snapshot restore FILE --config zoo.cfg
`

func cmdSnapshot(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, snapshotUsage)
		return errExit(2)
	}
	switch args[0] {
	case "save":
		return cmdSnapshotSave(args[1:], stdout, stderr)
	case "inspect":
		return cmdSnapshotInspect(args[1:], stdout, stderr)
	case "restore":
		return cmdSnapshotRestore(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, snapshotUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "node snapshot: unknown command %q\n%s", args[0], snapshotUsage)
		return errExit(2)
	}
}

// parseWithFile parses flags that may come before or after the one FILE
// argument, as the usage shows them after it (the flag package stops at
// the first argument that is not a flag).
func parseWithFile(fs *flag.FlagSet, args []string) (string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch len(files) {
	case 0:
		return "", errors.New("a snapshot FILE is required")
	case 1:
		return files[0], nil
	default:
		return "", fmt.Errorf("one snapshot FILE, not %d (%q)", len(files), files)
	}
}

func cmdSnapshotSave(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("snapshot save", stderr)
	cfgPath := fs.String("config", "", "path to zoo.cfg of a node of the ensemble")
	node := fs.Uint64("node", 0, "the node to take the snapshot from (default: the config's myid); ask the leader for the newest state")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long to wait for the whole snapshot")
	tlsCA := fs.String("tls-ca", "", "PEM CA certificates to verify the node's bus certificate with (paddock.sslBus; default ssl.trustStore.location)")
	tlsCert := fs.String("tls-cert", "", "PEM key and certificate chain to present to the bus (paddock.sslBus; default with ssl.clientAuth=need: ssl.keyStore.location)")
	path, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, stderr)
	if err != nil {
		return err
	}
	id := msg.NodeID(*node)
	if id == 0 {
		id = max(cfg.MyID, 1) // 1: standalone without a server line
	}
	if len(cfg.Servers) > 0 && !slices.Contains(cfg.Voters(), id) {
		return fmt.Errorf("--node %d: no server.%d line in %s", id, id, cfg.Path)
	}
	busTLS, err := busTLSConfig(cfg, fs, *tlsCA, *tlsCert)
	if err != nil {
		return err
	}
	cred, err := traceCredentials(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	url := "nats://" + server.DialAddr(net.JoinHostPort(cfg.BusHost, strconv.Itoa(cfg.BusPort)))
	info, err := backup.Save(path, func(w io.Writer) error {
		_, err := natsbus.FetchSnapshot(ctx, url, cred, busTLS, cfg.Ensemble, id, w)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Saved a snapshot of node %d to %s: zxid %s, epoch %d, %d znodes, %d sessions, digest %016x, %d bytes.\n",
		info.Node, path, msg.FormatZxid(info.Zxid), info.Epoch, info.Znodes, info.Sessions, info.Digest, info.Size)
	return nil
}

// busTLSConfig is the TLS config an operator tool (trace, snapshot save)
// reaches the bus with: the config's stores when paddock.sslBus is set,
// or the --tls-* flags; nil for a plain bus.
func busTLSConfig(cfg *config.Config, fs *flag.FlagSet, tlsCA, tlsCert string) (*tls.Config, error) {
	var keyStore, trustStore string
	if cfg.SSLBus {
		keyStore, trustStore = cfg.BusClientTLS()
	}
	useTLS := cfg.SSLBus
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "tls-ca":
			trustStore, useTLS = tlsCA, true
		case "tls-cert":
			keyStore, useTLS = tlsCert, true
		}
	})
	if !useTLS {
		return nil, nil
	}
	c, err := pemtls.ClientConfig(pemtls.Files{KeyStore: keyStore, TrustStore: trustStore})
	if err != nil {
		return nil, fmt.Errorf("TLS to the bus: %w", err)
	}
	return c, nil
}

// inspectJSON is what inspect --json prints: the zxid in hex as
// ZooKeeper writes zxids, the digest as mntr's paddock_digest shows it.
type inspectJSON struct {
	File     string    `json:"file"`
	Ensemble string    `json:"ensemble"`
	Node     uint64    `json:"node"`
	Zxid     string    `json:"zxid"`
	Epoch    uint64    `json:"epoch"`
	Znodes   int       `json:"znodes"`
	Sessions int       `json:"sessions"`
	Digest   string    `json:"digest"`
	Size     int64     `json:"size"`
	Created  time.Time `json:"created"`
	Version  string    `json:"version"`
}

func cmdSnapshotInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("snapshot inspect", stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	path, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	info, err := backup.Inspect(path)
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := json.Marshal(inspectJSON{File: path, Ensemble: info.Ensemble, Node: info.Node,
			Zxid: msg.FormatZxid(info.Zxid), Epoch: info.Epoch, Znodes: info.Znodes, Sessions: info.Sessions,
			Digest: fmt.Sprintf("%016x", info.Digest), Size: info.Size, Created: info.Created, Version: info.Version})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	fmt.Fprintf(stdout, "file:      %s\nchecksum:  ok\nensemble:  %s\nnode:      %d\nzxid:      %s\nepoch:     %d\nznodes:    %d\nsessions:  %d\ndigest:    %016x\nsize:      %d bytes\ncreated:   %s\nversion:   %s\n",
		path, info.Ensemble, info.Node, msg.FormatZxid(info.Zxid), info.Epoch, info.Znodes, info.Sessions,
		info.Digest, info.Size, info.Created.Format(time.RFC3339), info.Version)
	return nil
}

func cmdSnapshotRestore(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("snapshot restore", stderr)
	cfgPath := fs.String("config", "", "path to zoo.cfg of the node to restore")
	path, err := parseWithFile(fs, args)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, stderr)
	if err != nil {
		return err
	}
	for _, dir := range []string{cfg.DataDir, cfg.DataLogDir} {
		if dir == "" {
			continue
		}
		inUse, err := server.DataDirInUse(dir)
		if err != nil {
			return err
		}
		if inUse {
			return fmt.Errorf("a node is running on %s: stop it first (node stop --config %s)", dir, cfg.Path)
		}
	}
	info, err := backup.Restore(path, cfg.DataDir, cfg.DataLogDir)
	if errors.Is(err, backup.ErrNotEmpty) {
		return fmt.Errorf("%w\nmove the node's old data aside first (its version-2 directories), then restore again", err)
	}
	if err != nil {
		return err
	}
	if info.Ensemble != cfg.Ensemble {
		fmt.Fprintf(stderr, "warning: the snapshot is of ensemble %q, restored into ensemble %q\n", info.Ensemble, cfg.Ensemble)
	}
	fmt.Fprintf(stdout, "Restored %s into %s: zxid %s, %d znodes, %d sessions, digest %016x; the node starts in epoch %d.\n"+
		"Restore every node of the ensemble from this same file before starting any of them.\n",
		path, cfg.DataDir, msg.FormatZxid(info.Zxid), info.Znodes, info.Sessions, info.Digest, info.Epoch+1)
	return nil
}
