// Package zkimport turns an Apache ZooKeeper 3.8 data directory into a
// Paddock data directory: it restores ZooKeeper's database with package
// zkdata, ends every session as an expiry would (dropping the ephemeral
// nodes), builds the znode.Tree that holds the rest, and saves it through
// replica/wal as the node's snapshot with the epoch files set, so a node
// started on the directory loads it and leads (or joins) a new epoch
// above ZooKeeper's. It writes only into an empty Paddock data directory
// and never into ZooKeeper's.
package zkimport

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/paddock-zk/paddock/internal/zkdata"
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/replica/wal"
	"github.com/paddock-zk/paddock/znode"
)

// ErrNotEmpty is returned when the Paddock data directory already holds
// data.
var ErrNotEmpty = errors.New("zkimport: the Paddock data directory is not empty")

// Options name the directories. ZKDataLogDir "" is ZKDataDir;
// DataLogDir "" is DataDir.
type Options struct {
	ZKDataDir, ZKDataLogDir string
	DataDir, DataLogDir     string
	Logger                  *slog.Logger
}

// Result is what Import read and wrote.
type Result struct {
	Read    *zkdata.Report
	Expired zkdata.Expired
	Quotas  []string
	Nodes   int    // znodes written, built-ins included
	Zxid    int64  // the snapshot's zxid
	Epoch   uint64 // acceptedEpoch and currentEpoch written
}

// Import reads ZooKeeper's data and writes the Paddock data directory.
// On error nothing is left in the Paddock directories (the Result says
// how far the read got).
func Import(o Options) (*Result, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if o.DataLogDir == "" {
		o.DataLogDir = o.DataDir
	}
	res := &Result{}
	snapDir, logDir, err := zkdata.Dirs(o.ZKDataDir, o.ZKDataLogDir)
	if err != nil {
		return res, err
	}
	for _, d := range []string{o.DataDir, o.DataLogDir} {
		if err := checkEmpty(d); err != nil {
			return res, err
		}
		if same(d, o.ZKDataDir) || same(d, snapDir) || same(d, logDir) {
			return res, fmt.Errorf("zkimport: %s is ZooKeeper's directory; import into a new one", d)
		}
	}

	tree, rep, err := zkdata.Load(snapDir, logDir)
	res.Read = rep
	if err != nil {
		return res, fmt.Errorf("zkimport: nothing was imported: %w", err)
	}
	if res.Expired, err = tree.ExpireSessions(); err != nil {
		return res, err
	}
	res.Quotas = tree.RecountQuotas()

	nodes := make([]znode.StoredNode, 0, tree.NodeCount())
	err = tree.Walk(func(p string, n *zkdata.Node) error {
		if p == znode.ConfigPath {
			// ZooKeeper's dynamic configuration names ZooKeeper's servers:
			// the node fills the built-in one from its own zoo.cfg.
			return nil
		}
		acl, ok := tree.ACL(n.ACL)
		if !ok {
			return fmt.Errorf("%w: %s refers to ACL %d, which the snapshot's ACL cache lacks", zkdata.ErrCorrupt, p, n.ACL)
		}
		st := n.Stat
		nodes = append(nodes, znode.StoredNode{
			Path: p, Data: n.Data, ACL: acl,
			Czxid: st.Czxid, Mzxid: st.Mzxid, Pzxid: st.Pzxid, Ctime: st.Ctime, Mtime: st.Mtime,
			EphemeralOwner: st.EphemeralOwner, Version: st.Version, Cversion: st.Cversion, Aversion: st.Aversion,
		})
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("zkimport: nothing was imported: %w", err)
	}
	zt, err := znode.Restore(nodes, tree.LastZxid)
	if err != nil {
		return res, fmt.Errorf("zkimport: nothing was imported: %w", err)
	}
	res.Nodes, res.Zxid = zt.NodeCount(), tree.LastZxid

	// The new node's first epoch must be above every epoch ZooKeeper used
	// or promised, so its zxids stay above every zxid a client has seen.
	res.Epoch = uint64(tree.LastZxid) >> 32
	for _, name := range []string{"acceptedEpoch", "currentEpoch"} {
		e, err := readZKEpoch(filepath.Join(snapDir, name))
		if err != nil {
			return res, err
		}
		res.Epoch = max(res.Epoch, e)
	}

	var buf bytes.Buffer
	if err := zt.WriteSnapshot(&buf); err != nil {
		return res, err
	}
	if err := write(o, log, uint64(res.Zxid), buf.Bytes(), res.Epoch, zt.Digest()); err != nil {
		// Both version-2 directories were empty or absent before.
		for _, d := range []string{o.DataDir, o.DataLogDir} {
			_ = os.RemoveAll(filepath.Join(d, "version-2"))
		}
		return res, fmt.Errorf("zkimport: writing the Paddock data directory failed, and what was written is removed: %w", err)
	}
	return res, nil
}

// checkEmpty accepts a directory that does not exist or holds no
// version-2 directory with anything in it (a myid or zoo.cfg may be
// there already).
func checkEmpty(dir string) error {
	entries, err := os.ReadDir(filepath.Join(dir, "version-2"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("zkimport: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("%w: %s holds %s", ErrNotEmpty, filepath.Join(dir, "version-2"), entries[0].Name())
	}
	return nil
}

func same(a, b string) bool {
	x, err1 := filepath.Abs(a)
	y, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && filepath.Clean(x) == filepath.Clean(y)
}

// readZKEpoch reads one of ZooKeeper's epoch files (a decimal number);
// a missing file is 0, as a standalone server never writes them.
func readZKEpoch(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("zkimport: %w", err)
	}
	e, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s holds %q, not an epoch", zkdata.ErrCorrupt, path, b)
	}
	return e, nil
}

// write saves the snapshot as an installed one, so the log continues
// after it, then the epochs; it reopens the store and checks that the
// snapshot loads with the same digest.
func write(o Options, log *slog.Logger, zxid uint64, snap []byte, epoch uint64, digest uint64) (err error) {
	st, err := wal.OpenStore(o.DataDir, o.DataLogDir, wal.Options{Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if err := st.SetAcceptedEpoch(epoch); err != nil {
		return err
	}
	rd := replica.Ready{CurrentEpoch: epoch}
	if zxid != 0 {
		rd.Snapshot = &replica.SnapshotData{Zxid: zxid, Data: snap}
	}
	if err := st.Persist(rd); err != nil {
		return err
	}
	if zxid == 0 {
		return nil // ZooKeeper's empty tree is the one a node starts with
	}
	z, data, err := st.Latest()
	if err != nil {
		return err
	}
	t, err := znode.ReadSnapshot(bytes.NewReader(data))
	if err != nil {
		return err
	}
	if z != zxid || t.Digest() != digest {
		return fmt.Errorf("zkimport: the saved snapshot reads back at %#x with digest %#x, want %#x and %#x", z, t.Digest(), zxid, digest)
	}
	return nil
}
