package backup

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/replica/wal"
	"github.com/paddock-zk/paddock/znode"
)

const (
	magic     = "PDKBKUP1"
	maxHeader = 64 << 10
)

var (
	// ErrCorrupt marks a file that is damaged (checksum, structure,
	// header against tree) or is no backup at all. Such a file is never
	// loaded into a data directory.
	ErrCorrupt = errors.New("backup: not a valid Paddock backup")
	// ErrNotEmpty is wal.ErrNotEmpty: Restore found data where it would
	// write.
	ErrNotEmpty = wal.ErrNotEmpty
)

// Info is what a backup's header says, checked against its tree.
type Info struct {
	Ensemble string `json:"ensemble"`
	Node     uint64 `json:"node"`
	Zxid     uint64 `json:"zxid"`
	// Epoch is the highest epoch the saving node knew of (its accepted
	// or current epoch, or the zxid's); a restore starts above it.
	Epoch    uint64    `json:"epoch"`
	Znodes   int       `json:"znodes"`
	Sessions int       `json:"sessions"`
	Digest   uint64    `json:"digest"`
	Created  time.Time `json:"created"`
	Version  string    `json:"version"`
	// Size is the file's size in bytes (not part of the header).
	Size int64 `json:"-"`
}

// Encode writes a backup's content to w: the header, with info's
// ensemble, node, epoch, created and version and the zxid, counts and
// digest of tree, then tree's snapshot. tree must not change meanwhile (a
// frozen view may be written on any goroutine). It returns the header.
func Encode(w io.Writer, info Info, tree *znode.Tree) (Info, error) {
	info.Zxid = uint64(tree.LastZxid())
	info.Znodes = tree.NodeCount()
	info.Sessions = len(tree.Sessions())
	info.Digest = tree.Digest()
	info.Size = 0
	if info.Epoch < msg.ZxidEpoch(info.Zxid) {
		return Info{}, fmt.Errorf("backup: epoch %d is below the zxid's, %s", info.Epoch, msg.FormatZxid(info.Zxid))
	}
	hdr, err := json.Marshal(info)
	if err != nil {
		return Info{}, fmt.Errorf("backup: encode header: %w", err)
	}
	b := make([]byte, 0, len(magic)+4+len(hdr))
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(hdr)))
	b = append(b, hdr...)
	if _, err := w.Write(b); err != nil {
		return Info{}, fmt.Errorf("backup: write header: %w", err)
	}
	if err := tree.WriteSnapshot(w); err != nil {
		return Info{}, fmt.Errorf("backup: %w", err)
	}
	return info, nil
}

// decode reads a backup's content: the header, then the whole tree,
// checked against each other. It returns the header, the tree and where
// the tree's snapshot starts. Every failure about the content wraps
// ErrCorrupt.
func decode(r io.Reader) (Info, *znode.Tree, int64, error) {
	var pre [len(magic) + 4]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return Info{}, nil, 0, fmt.Errorf("%w: no header: %w", ErrCorrupt, err)
	}
	if string(pre[:len(magic)]) != magic {
		if string(pre[:7]) == "PDKSNAP" {
			return Info{}, nil, 0, fmt.Errorf("%w: a data directory's snapshot file, not a backup (node snapshot save makes those)", ErrCorrupt)
		}
		return Info{}, nil, 0, fmt.Errorf("%w: no %s header", ErrCorrupt, magic)
	}
	n := binary.LittleEndian.Uint32(pre[len(magic):])
	if n > maxHeader {
		return Info{}, nil, 0, fmt.Errorf("%w: header of %d bytes", ErrCorrupt, n)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return Info{}, nil, 0, fmt.Errorf("%w: header: %w", ErrCorrupt, err)
	}
	var info Info
	if err := json.Unmarshal(hdr, &info); err != nil {
		return Info{}, nil, 0, fmt.Errorf("%w: header: %w", ErrCorrupt, err)
	}
	tree, err := znode.ReadSnapshot(r)
	if err != nil {
		return Info{}, nil, 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	switch {
	case uint64(tree.LastZxid()) != info.Zxid:
		err = fmt.Errorf("tree at %s, header says %s", msg.FormatZxid(uint64(tree.LastZxid())), msg.FormatZxid(info.Zxid))
	case tree.Digest() != info.Digest:
		err = fmt.Errorf("tree digest %#x, header says %#x", tree.Digest(), info.Digest)
	case tree.NodeCount() != info.Znodes:
		err = fmt.Errorf("%d znodes, header says %d", tree.NodeCount(), info.Znodes)
	case len(tree.Sessions()) != info.Sessions:
		err = fmt.Errorf("%d sessions, header says %d", len(tree.Sessions()), info.Sessions)
	case info.Epoch < msg.ZxidEpoch(info.Zxid) || info.Epoch >= math.MaxUint32:
		err = fmt.Errorf("epoch %d does not fit zxid %s", info.Epoch, msg.FormatZxid(info.Zxid))
	}
	if err != nil {
		return Info{}, nil, 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return info, tree, int64(len(pre)) + int64(n), nil
}

// file is an open backup whose checksum, header and tree were verified.
type file struct {
	f    *wal.SnapshotFile
	info Info
	snap *io.SectionReader // the tree's snapshot
}

func open(path string) (*file, error) {
	f, err := wal.OpenSnapshotFile(nil, path)
	if errors.Is(err, wal.ErrCorrupt) {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	info, _, start, err := decode(bufio.NewReaderSize(f.SectionReader, 64<<10))
	if err != nil {
		_ = f.Close() // read only
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("backup: %w", err)
	}
	info.Size = st.Size()
	return &file{f: f, info: info, snap: io.NewSectionReader(f, start, f.Size()-start)}, nil
}

// Inspect verifies the backup file at path — its checksum, its header,
// and its tree, loaded whole with its own checksum and digest — and
// returns what its header says. A damaged file, or one that is no
// backup, is an ErrCorrupt error.
func Inspect(path string) (Info, error) {
	b, err := open(path)
	if err != nil {
		return Info{}, err
	}
	_ = b.f.Close() // read only
	return b.info, nil
}

// Save writes the backup that fetch streams to path: into a temporary
// file beside it, verified as Inspect does while it streams (the tree is
// loaded as it arrives), fsynced and renamed to path only if all of it
// holds; on any failure path is as it was. It returns the header.
func Save(path string, fetch func(io.Writer) error) (Info, error) {
	var info Info
	err := wal.WriteSnapshotFile(nil, path, func(w io.Writer) error {
		pr, pw := io.Pipe()
		type result struct {
			info Info
			err  error
		}
		res := make(chan result, 1)
		go func() {
			info, _, _, err := decode(bufio.NewReaderSize(pr, 64<<10))
			// Drain what is left, so fetch never blocks on a verifier
			// that has given up.
			_, _ = io.Copy(io.Discard, pr)
			res <- result{info, err}
		}()
		err := fetch(io.MultiWriter(w, pw))
		pw.CloseWithError(err) // nil: EOF
		r := <-res
		if err != nil {
			return err
		}
		if r.err != nil {
			return fmt.Errorf("the snapshot received does not verify: %w", r.err)
		}
		info = r.info
		return nil
	})
	if err != nil {
		return Info{}, fmt.Errorf("backup: save %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return Info{}, fmt.Errorf("backup: %w", err)
	}
	info.Size = st.Size()
	return info, nil
}

// Restore verifies the backup file at path as Inspect does and makes
// dataDir and logDir (dataDir when empty) a fresh store that starts from
// it, in the epoch after the backup's (see the package doc). It refuses,
// with ErrNotEmpty, a directory that holds data, and touches nothing
// when the file does not verify. The caller makes sure no node runs on
// the directory.
func Restore(path, dataDir, logDir string) (Info, error) {
	b, err := open(path)
	if err != nil {
		return Info{}, err
	}
	defer func() { _ = b.f.Close() }() // read only
	err = wal.Restore(dataDir, logDir, nil, b.info.Zxid, b.info.Epoch+1, func(w io.Writer) error {
		_, err := io.Copy(w, b.snap)
		return err
	})
	if err != nil {
		return Info{}, fmt.Errorf("backup: restore %s: %w", path, err)
	}
	return b.info, nil
}
