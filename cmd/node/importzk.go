package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/internal/zkdata"
	"github.com/paddock-zk/paddock/internal/zkimport"
	"github.com/paddock-zk/paddock/server"
)

// cmdImportZK writes the config's (empty) data directory from a
// ZooKeeper 3.8 data directory, and reports what it read and dropped.
func cmdImportZK(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import-zk", stderr)
	cfgPath := fs.String("config", "", "path to the Paddock node's zoo.cfg (its dataDir and dataLogDir must hold no data)")
	zkDir := fs.String("zk-datadir", "", "ZooKeeper's dataDir, or its version-2 directory")
	zkLogDir := fs.String("zk-datalogdir", "", "ZooKeeper's dataLogDir, if it differs from its dataDir")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *zkDir == "" {
		return errors.New("import-zk: --zk-datadir is required (ZooKeeper's dataDir)")
	}
	cfg, err := loadConfig(*cfgPath, stderr)
	if err != nil {
		return err
	}
	if inUse, err := server.DataDirInUse(cfg.DataDir); err != nil || inUse {
		return fmt.Errorf("import-zk: a node runs on %s; stop it and give an empty data directory", cfg.DataDir)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	res, err := zkimport.Import(zkimport.Options{
		ZKDataDir: *zkDir, ZKDataLogDir: *zkLogDir,
		DataDir: cfg.DataDir, DataLogDir: cfg.DataLogDir, Logger: log,
	})
	if res.Read != nil {
		printRead(stdout, res.Read)
	}
	if err != nil {
		return err
	}
	ex := res.Expired
	fmt.Fprintf(stdout, "sessions: %d live session(s) closed as expired", len(ex.Sessions))
	if len(ex.Sessions) > 0 {
		fmt.Fprintf(stdout, " (closeSession zxids %s..%s)", msg.FormatZxid(uint64(ex.FirstZxid)), msg.FormatZxid(uint64(ex.LastZxid)))
	}
	fmt.Fprintf(stdout, "; %d ephemeral node(s) dropped", len(ex.Deleted)+len(ex.Orphans))
	if len(ex.Orphans) > 0 {
		fmt.Fprintf(stdout, " (%d of sessions already gone)", len(ex.Orphans))
	}
	fmt.Fprintln(stdout)
	if len(res.Quotas) > 0 {
		fmt.Fprintf(stdout, "quotas: %d, stats recounted: %v\n", len(res.Quotas), res.Quotas)
	}
	fmt.Fprintf(stdout, "wrote %s: %d znodes at zxid %s; acceptedEpoch and currentEpoch %d, so the node's first epoch is above ZooKeeper's\n",
		cfg.DataDir, res.Nodes, msg.FormatZxid(uint64(res.Zxid)), res.Epoch)
	return nil
}

func printRead(w io.Writer, r *zkdata.Report) {
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "skipped snapshot: %s\n", s)
	}
	if r.Snapshot.Path != "" {
		fmt.Fprintf(w, "snapshot: %s (zxid %s, %d znodes", r.Snapshot.Path, msg.FormatZxid(uint64(r.Snapshot.Zxid)), r.Snapshot.Nodes)
		if d := r.Snapshot.Digest; d != nil {
			fmt.Fprintf(w, ", digest at %s", msg.FormatZxid(uint64(d.Zxid)))
		}
		fmt.Fprintln(w, ")")
	} else if r.SnapDir != "" {
		fmt.Fprintln(w, "snapshot: none; replaying the logs from an empty tree")
	}
	fmt.Fprintf(w, "logs: %d file(s), %d txn(s) replayed, up to zxid %s; %d of ZooKeeper's digests checked, all equal\n",
		len(r.Logs), r.Txns, msg.FormatZxid(uint64(r.LastZxid)), r.Digests)
	if r.TornTail != "" {
		fmt.Fprintf(w, "log %s ends in a torn txn (a crash mid-write; ZooKeeper stops there too): it was not imported\n", r.TornTail)
	}
}
