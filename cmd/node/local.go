package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"time"

	"github.com/paddock-zk/paddock/config"
)

// cmdLocal manages a local ensemble of separate node processes on
// 127.0.0.1, for trying Paddock out and for the Taskfile's cluster tasks.
func cmdLocal(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("local: want up, down or status")
	}
	sub := args[0]
	fs := newFlags("local "+sub, stderr)
	dir := fs.String("dir", ".cluster", "directory holding the nodes' configs and data")
	nodes := fs.Int("nodes", 3, "number of nodes (up only)")
	base := fs.Int("base-port", 21810, "first client port; see config.LocalEnsemble for the port layout (up only)")
	var lf logFlags
	lf.register(fs) // up only: passed on to every node
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch sub {
	case "up":
		if _, _, err := lf.parse(); err != nil {
			return err
		}
		return localUp(*dir, *nodes, *base, lf, stdout, stderr)
	case "down":
		return localDown(*dir, stdout, stderr)
	case "status":
		return localStatus(*dir, stdout, stderr)
	}
	return fmt.Errorf("local: unknown subcommand %q (want up, down or status)", sub)
}

func localConfigs(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "node*", "zoo.cfg"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no local ensemble in %s (run `node local up` first)", dir)
	}
	sort.Strings(paths)
	return paths, nil
}

// localUp writes the configs (unless they exist) and starts the nodes one
// at a time in myid order, each once the previous answers — ZooKeeper's
// classic walkthrough, in which node 2 becomes the leader of three.
func localUp(dir string, n, base int, lf logFlags, stdout, stderr io.Writer) error {
	paths, err := localConfigs(dir)
	if err != nil {
		if paths, err = config.LocalEnsemble(dir, n, base); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Wrote a %d-node ensemble to %s\n", n, dir)
	}
	for i, p := range paths {
		cfg, err := loadConfig(p, stderr)
		if err != nil {
			return err
		}
		if _, running := runningPid(cfg); running {
			fmt.Fprintf(stdout, "node %d already running\n", cfg.MyID)
			continue
		}
		if err := startBackground(cfg, p, lf, stdout); err != nil {
			return fmt.Errorf("node %d: %w", cfg.MyID, err)
		}
		// Once a quorum runs, let it elect before the next node starts, as
		// in ZooKeeper's walkthrough (so 1, 2, 3 elect 2).
		if i+1 >= len(paths)/2+1 {
			waitServing(paths[:i+1])
		}
	}
	if err := localStatus(dir, stdout, stderr); err != nil {
		return err
	}
	// The configs hold random bus credentials; -config picks them up.
	fmt.Fprintf(stdout, "connect with: node cli -config %s\n", paths[0])
	return nil
}

// waitServing waits up to 30 s for every node in paths to serve.
func waitServing(paths []string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && !allServing(paths) {
		time.Sleep(50 * time.Millisecond)
	}
}

func allServing(paths []string) bool {
	for _, p := range paths {
		cfg, err := loadConfig(p, io.Discard)
		if err != nil {
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		line := modeLine(ctx, cfg.ClientAddr())
		cancel()
		if line != "leader" && line != "follower" && line != "standalone" {
			return false
		}
	}
	return true
}

func localDown(dir string, stdout, stderr io.Writer) error {
	paths, err := localConfigs(dir)
	if err != nil {
		return err
	}
	for _, p := range paths {
		if err := cmdStop([]string{"--config", p}, stdout, stderr); err != nil {
			if _, ok := err.(errExit); !ok {
				return err
			}
		}
	}
	return nil
}

func localStatus(dir string, stdout, stderr io.Writer) error {
	paths, err := localConfigs(dir)
	if err != nil {
		return err
	}
	for _, p := range paths {
		cfg, err := loadConfig(p, stderr)
		if err != nil {
			return err
		}
		adminURL := "off"
		if cfg.Admin.Enabled {
			adminURL = "http://" + cfg.Admin.Addr() + cfg.Admin.CommandURL
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		fmt.Fprintf(stdout, "node %d  client %-16s  admin %-37s  %s\n", cfg.MyID, cfg.ClientAddr(), adminURL, modeLine(ctx, cfg.ClientAddr()))
		cancel()
	}
	return nil
}
