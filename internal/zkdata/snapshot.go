package zkdata

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/klauspost/compress/snappy/xerial"

	"github.com/paddock-zk/paddock/zk"
)

// File magics: the FileHeader's int, the ASCII of "ZKSN" and "ZKLG".
const (
	snapMagic = 0x5a4b534e
	logMagic  = 0x5a4b4c47
)

// Digest is the tree digest a 3.6+ snapshot carries after its first
// seal (DataTree.ZxidDigest): the digest of the tree at Zxid, or Zxid 0
// when the server had none to write.
type Digest struct {
	Zxid    int64
	Version int32
	Value   int64
}

// SnapshotInfo describes a snapshot that was read.
type SnapshotInfo struct {
	Path  string
	Zxid  int64 // from the file name: txns after it are replayed
	DBID  int64
	Nodes int
	// Digest is nil for a snapshot written without one (digests off, or
	// before 3.6).
	Digest *Digest
}

// Compression is how a snapshot file is compressed, from its name's
// suffix as SnapStream.getStreamMode reads it.
func Compression(name string) string {
	for _, m := range []string{"gz", "snappy"} {
		if len(name) > len(m)+1 && name[len(name)-len(m)-1:] == "."+m {
			return m
		}
	}
	return ""
}

// ReadSnapshotFile reads one snapshot file (snapshot.<hex zxid>, optionally
// .gz or .snappy) into a Tree whose LastZxid is the zxid of its name.
func ReadSnapshotFile(path string) (*Tree, SnapshotInfo, error) {
	info := SnapshotInfo{Path: path}
	zxid, ok := zxidOfName(baseName(path), "snapshot")
	if !ok {
		return nil, info, fmt.Errorf("zkdata: %s is not named snapshot.<hex zxid>", path)
	}
	info.Zxid = zxid
	f, err := os.Open(path)
	if err != nil {
		return nil, info, fmt.Errorf("zkdata: open snapshot: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	switch Compression(path) {
	case "gz":
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, info, fmt.Errorf("%w: snapshot %s: gzip: %v", ErrCorrupt, path, err)
		}
		defer func() { _ = zr.Close() }() // only read: nothing to flush
		r = zr
	case "snappy":
		// Snappy snapshots are xerial's SnappyOutputStream framing; the
		// decoder works on the whole file.
		raw, err := io.ReadAll(f)
		if err != nil {
			return nil, info, fmt.Errorf("zkdata: read snapshot %s: %w", path, err)
		}
		b, err := xerial.Decode(raw)
		if err != nil {
			return nil, info, fmt.Errorf("%w: snapshot %s: snappy: %v", ErrCorrupt, path, err)
		}
		r = bytes.NewReader(b)
	}
	t, err := readSnapshot(r, &info)
	if err != nil {
		return nil, info, fmt.Errorf("snapshot %s: %w", path, err)
	}
	t.LastZxid = zxid
	return t, info, nil
}

// readSnapshot reads FileSnap's format: FileHeader, sessions, the ACL
// cache, the nodes in pre-order ending with the path "/", the Adler32
// seal, and the optional digest with its own seal.
func readSnapshot(r io.Reader, info *SnapshotInfo) (*Tree, error) {
	s := newStream(r)
	magic, version, dbid := s.int32(), s.int32(), s.int64()
	if s.err != nil {
		return nil, s.err
	}
	if magic != snapMagic {
		return nil, fmt.Errorf("%w: magic %#x is not ZKSN", ErrCorrupt, uint32(magic))
	}
	if version != 2 {
		return nil, fmt.Errorf("%w: snapshot format version %d (ZooKeeper 3.x writes 2)", ErrUnsupported, version)
	}
	info.DBID = dbid
	t := newTree()

	count := s.int32()
	if count < 0 {
		return nil, fmt.Errorf("%w: %d sessions", ErrCorrupt, count)
	}
	for i := int32(0); i < count && s.err == nil; i++ {
		id := s.int64()
		t.sessions[id] = s.int32()
	}

	lists := s.int32()
	if s.err == nil && lists < 0 {
		return nil, fmt.Errorf("%w: ACL cache of %d lists", ErrCorrupt, lists)
	}
	for i := int32(0); i < lists && s.err == nil; i++ {
		ref := s.int64()
		n := s.int32()
		if s.err == nil && (n < 0 || n > 1<<20) {
			return nil, fmt.Errorf("%w: ACL list %d of %d entries", ErrCorrupt, ref, n)
		}
		list := make([]zk.ACL, 0, n)
		for j := int32(0); j < n && s.err == nil; j++ {
			a := zk.ACL{Perms: s.int32()}
			a.Scheme, _ = s.str()
			a.ID.ID, _ = s.str()
			list = append(list, a)
		}
		t.acls[ref] = list
		t.aclKeys[aclKey(list)] = ref
		t.aclIndex = max(t.aclIndex, ref)
	}

	for s.err == nil {
		path, null := s.str()
		if s.err != nil {
			break
		}
		if null {
			return nil, fmt.Errorf("%w: null path at byte %d", ErrCorrupt, s.off)
		}
		if path == "/" {
			break // the end marker
		}
		n := &Node{Data: s.buffer(), ACL: s.int64()}
		st := &n.Stat
		st.Czxid, st.Mzxid, st.Ctime, st.Mtime = s.int64(), s.int64(), s.int64(), s.int64()
		st.Version, st.Cversion, st.Aversion = s.int32(), s.int32(), s.int32()
		st.EphemeralOwner, st.Pzxid = s.int64(), s.int64()
		if s.err != nil {
			break
		}
		if err := t.addLoaded(path, n); err != nil {
			return nil, err
		}
	}
	if s.err != nil {
		return nil, fmt.Errorf("reading the tree: %w", s.err)
	}
	if t.nodes["/"] == nil {
		return nil, fmt.Errorf("%w: no root node", ErrCorrupt)
	}
	if err := checkSeal(s); err != nil {
		return nil, err
	}
	info.Nodes = len(t.nodes)

	// The digest, with its own seal, follows in 3.6+; an older snapshot
	// (or one written with digests off) ends at the first seal.
	if _, err := s.r.Peek(1); err == io.EOF {
		return t, nil
	}
	d := Digest{Zxid: s.int64(), Version: s.int32()}
	if d.Version < 2 {
		hex, null := s.str()
		if !null && s.err == nil {
			v, err := strconv.ParseUint(hex, 16, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: digest %q", ErrCorrupt, hex)
			}
			d.Value = int64(v)
		}
	} else {
		d.Value = s.int64()
	}
	if s.err != nil {
		return nil, fmt.Errorf("reading the digest: %w", s.err)
	}
	if err := checkSeal(s); err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	if d.Zxid > 0 {
		info.Digest = &d
	}
	return t, nil
}

// checkSeal reads SnapStream's seal: the Adler32 of everything before it
// as a long, then the path "/".
func checkSeal(s *stream) error {
	want := s.checksum()
	got := s.int64()
	end, _ := s.str()
	switch {
	case s.err != nil:
		return fmt.Errorf("reading the checksum: %w", s.err)
	case uint64(got) != uint64(want):
		return fmt.Errorf("%w: Adler32 checksum %#x, file says %#x", ErrCorrupt, want, uint64(got))
	case end != "/":
		return fmt.Errorf("%w: checksum not followed by the end marker \"/\"", ErrCorrupt)
	}
	return nil
}

// addLoaded links a node read from a snapshot, as DataTree.deserialize
// does: the root is written as "", every other node after its parent.
func (t *Tree) addLoaded(path string, n *Node) error {
	if path == "" {
		if t.nodes["/"] != nil {
			return fmt.Errorf("%w: two roots", ErrCorrupt)
		}
		t.nodes["/"] = n
		t.digest += nodeDigest("/", n)
		return nil
	}
	if path[0] != '/' || t.nodes[path] != nil {
		return fmt.Errorf("%w: bad or repeated path %q", ErrCorrupt, path)
	}
	pp, name := split(path)
	parent := t.nodes[pp]
	if parent == nil {
		return fmt.Errorf("%w: %s comes before its parent %s", ErrCorrupt, path, pp)
	}
	if parent.children == nil {
		parent.children = map[string]struct{}{}
	}
	parent.children[name] = struct{}{}
	t.nodes[path] = n
	t.digest += nodeDigest(path, n)
	if IsEphemeral(n.Stat.EphemeralOwner) {
		t.addEphemeral(n.Stat.EphemeralOwner, path)
	}
	return nil
}
