package zkdata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/paddock-zk/paddock/zk"
)

// Report says what Load read and what it passed over.
type Report struct {
	SnapDir, LogDir string
	// Snapshot is the snapshot the tree starts from; Zxid 0 and no Path
	// when the logs start from an empty tree.
	Snapshot SnapshotInfo
	// Skipped are newer snapshots that could not be read, with why.
	Skipped []string
	// Logs are the log files replayed, in order.
	Logs []string
	// Txns is the number of txns applied after the snapshot.
	Txns int
	// TornTail names the log file whose last record was cut short, if
	// any (ZooKeeper's normal crash tail: the txn was never acknowledged).
	TornTail string
	// LastZxid is the zxid of the last txn applied (or the snapshot's).
	LastZxid int64
	// Digests is how many of ZooKeeper's own tree digests (the
	// snapshot's, and those logged with each txn once past the fuzzy
	// part) the restored tree was checked against; every one matched.
	Digests int
}

// ErrDigestMismatch is returned when the tree restored here differs from
// the one ZooKeeper had at a zxid whose digest it wrote down.
var ErrDigestMismatch = errors.New("zkdata: the restored tree does not match ZooKeeper's digest")

// Dirs finds the version-2 directories: dir itself if it is one (or
// holds snapshot or log files), else dir/version-2. logDir "" is dir.
func Dirs(dir, logDir string) (snapDir, txnDir string, err error) {
	if logDir == "" {
		logDir = dir
	}
	if snapDir, err = versionDir(dir); err != nil {
		return "", "", err
	}
	if txnDir, err = versionDir(logDir); err != nil {
		return "", "", err
	}
	return snapDir, txnDir, nil
}

func versionDir(dir string) (string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("zkdata: %w", err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("zkdata: %s is not a directory", dir)
	}
	if filepath.Base(filepath.Clean(dir)) == "version-2" {
		return dir, nil
	}
	v2 := filepath.Join(dir, "version-2")
	if st, err := os.Stat(v2); err == nil && st.IsDir() {
		return v2, nil
	}
	return "", fmt.Errorf("%w: %s has no version-2 directory", ErrNoData, dir)
}

type dataFile struct {
	name string
	zxid int64
}

// zxidOfName is Util.getZxidFromName: prefix.<hex zxid>[.suffix].
func zxidOfName(name, prefix string) (int64, bool) {
	parts := strings.Split(name, ".")
	if len(parts) < 2 || parts[0] != prefix {
		return 0, false
	}
	v, err := strconv.ParseUint(parts[1], 16, 64)
	if err != nil {
		return 0, false
	}
	return int64(v), true
}

func baseName(p string) string { return filepath.Base(p) }

func listFiles(dir, prefix string) ([]dataFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("zkdata: %w", err)
	}
	var out []dataFile
	for _, e := range entries {
		if z, ok := zxidOfName(e.Name(), prefix); ok && e.Type().IsRegular() {
			out = append(out, dataFile{e.Name(), z})
		}
	}
	slices.SortFunc(out, func(a, b dataFile) int {
		switch {
		case a.zxid < b.zxid:
			return -1
		case a.zxid > b.zxid:
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return out, nil
}

// Load restores ZooKeeper's database from snapDir and logDir (version-2
// directories, see Dirs) as FileTxnSnapLog.restore does: the newest
// snapshot that reads whole and checks, then every logged txn after its
// zxid. A snapshot that fails is skipped for an older one (listed in
// Report.Skipped) provided the logs still reach back to it. The Report is
// filled as far as the read got, also when an error is returned.
func Load(snapDir, logDir string) (*Tree, *Report, error) {
	rep := &Report{SnapDir: snapDir, LogDir: logDir}
	snaps, err := listFiles(snapDir, "snapshot")
	if err != nil {
		return nil, rep, err
	}
	logs, err := listFiles(logDir, "log")
	if err != nil {
		return nil, rep, err
	}
	if len(snaps) == 0 && len(logs) == 0 {
		return nil, rep, fmt.Errorf("%w: no snapshot.* or log.* files in %s or %s", ErrNoData, snapDir, logDir)
	}

	var t *Tree
	for i := len(snaps) - 1; i >= 0; i-- {
		p := filepath.Join(snapDir, snaps[i].name)
		tree, info, err := ReadSnapshotFile(p)
		if err != nil {
			rep.Skipped = append(rep.Skipped, err.Error())
			continue
		}
		t, rep.Snapshot = tree, info
		break
	}
	if t == nil {
		if len(snaps) > 0 {
			return nil, rep, fmt.Errorf("%w: no snapshot in %s could be read: %s", ErrCorrupt, snapDir, strings.Join(rep.Skipped, "; "))
		}
		// ZooKeeper refuses to start on logs without a snapshot unless
		// told to trust them (zookeeper.snapshot.trust.empty): a log
		// whose first file starts after zxid 1 means history is lost.
		if logs[0].zxid > 1 {
			return nil, rep, fmt.Errorf("%w: no snapshot, and the oldest log %s starts at zxid %#x: the txns before it are gone", ErrCorrupt, logs[0].name, logs[0].zxid)
		}
		t = emptyTree()
	}
	if err := replay(t, logs, rep); err != nil {
		rep.LastZxid = t.LastZxid
		return nil, rep, err
	}
	rep.LastZxid = t.LastZxid
	return t, rep, nil
}

// emptyTree is a fresh DataTree: the root, /zookeeper, /zookeeper/quota
// and /zookeeper/config, with zero Stats.
func emptyTree() *Tree {
	t := newTree()
	for _, p := range []string{"", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"} {
		n := &Node{Data: []byte{}, ACL: openUnsafeRef}
		if p == "/zookeeper/config" {
			n.ACL = t.convertACL(zk.ReadACLUnsafe)
			n.Stat.Aversion = -1
		}
		if err := t.addLoaded(p, n); err != nil {
			panic(err) // fixed paths, parents first
		}
	}
	return t
}

// replay applies the logged txns after the tree's zxid, from the newest
// log file that starts at or before it.
func replay(t *Tree, logs []dataFile, rep *Report) error {
	from := t.LastZxid + 1
	start := 0
	for i, l := range logs {
		if l.zxid <= from {
			start = i
		}
	}
	if len(logs) > 0 && logs[start].zxid > from && t.LastZxid > 0 {
		return fmt.Errorf("%w: the logs start at zxid %#x (%s), after the snapshot's %#x: txns are missing", ErrCorrupt, logs[start].zxid, logs[start].name, t.LastZxid)
	}
	// Until the tree reaches the zxid of the snapshot's digest it may
	// hold txns after its zxid (a fuzzy snapshot): only then do digests
	// mean anything, as in DataTree.compareSnapshotDigests.
	var pending *Digest
	if d := rep.Snapshot.Digest; d != nil && d.Version == digestVersion && d.Zxid >= t.LastZxid {
		pending = d
	}
	check := func(zxid, want int64) error {
		if got := t.Digest(); got != want {
			return fmt.Errorf("%w: at zxid %#x ZooKeeper's digest is %#x, the restored tree's %#x", ErrDigestMismatch, zxid, uint64(want), uint64(got))
		}
		rep.Digests++
		return nil
	}
	if pending != nil && pending.Zxid == t.LastZxid {
		if err := check(pending.Zxid, pending.Value); err != nil {
			return err
		}
		pending = nil
	}
	last := t.LastZxid
	for i, l := range logs[min(start, len(logs)):] {
		p := filepath.Join(rep.LogDir, l.name)
		if i > 0 && l.zxid <= last {
			// A file may start inside the range already read: ZooKeeper
			// never writes one so, so it is damage.
			return fmt.Errorf("%w: log %s starts at %#x, inside the previous log's range (up to %#x)", ErrCorrupt, l.name, l.zxid, last)
		}
		end, err := ReadLogFile(p, func(h TxnHeader, tx Txn, dg TxnDigest) error {
			if h.Zxid < from {
				return nil
			}
			if err := checkNext(last, h.Zxid); err != nil {
				return fmt.Errorf("log %s: %w", p, err)
			}
			t.apply(h, tx)
			last = h.Zxid
			rep.Txns++
			switch {
			case pending != nil && h.Zxid == pending.Zxid:
				if err := check(h.Zxid, pending.Value); err != nil {
					return err
				}
				pending = nil
			case pending == nil && dg.Version == digestVersion:
				return check(h.Zxid, dg.Tree)
			}
			return nil
		})
		rep.Logs = append(rep.Logs, p)
		if err != nil {
			return fmt.Errorf("%w (txns were read up to zxid %#x; the rest of the logs were not)", err, last)
		}
		if end.Torn {
			rep.TornTail = p
		}
	}
	return nil
}

// checkNext holds the zxids to ZAB's order: the counter rises by one
// within an epoch, and a new epoch starts after the old one.
func checkNext(last, next int64) error {
	switch {
	case last == 0:
		return nil
	case next <= last:
		return fmt.Errorf("%w: zxid %#x after %#x", ErrCorrupt, next, last)
	case next>>32 == last>>32 && next != last+1:
		return fmt.Errorf("%w: zxids jump from %#x to %#x: txns are missing", ErrCorrupt, last, next)
	}
	return nil
}
