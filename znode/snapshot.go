package znode

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"

	"github.com/paddock-zk/paddock/zk"
)

// Snapshot format, streamed (no whole-tree intermediate):
//
//	"PDKSNAP" formatByte
//	varint lastZxid, uvarint nodeCount
//	nodeCount × node, pre-order from "/", children in byte order:
//	  uvarint shared prefix with the previous path, uvarint+bytes rest
//	  uvarint ACL ref: a ref equal to the number of lists seen so far
//	    introduces a new list (uvarint n, n × varint perms, str scheme, str id)
//	  varint czxid mzxid pzxid ctime mtime owner version cversion aversion
//	  uvarint 0 for null data, or length+1 and the bytes
//	uvarint sessionCount, sessions by id: varint id, varint timeout
//	8 bytes digest (LE), 4 bytes CRC-32C of everything before (LE)
//
// ACL references are numbered by first appearance in the walk, so equal
// trees give byte-identical snapshots whatever their ACL cache history.
//
// Format 1 wrote the data's plain length, with no null. It is still read,
// and its zero-length data reads as null, as format 1 txn records do (see
// codec.go): that is what the tree that wrote it held, and its stored
// digest was computed over. The built-in nodes' zero-length data is made
// empty once that digest has checked, as format 1 records read it and
// as New makes it.

const (
	snapMagic   = "PDKSNAP"
	snapFormat  = byte(2)
	snapFormat1 = byte(1)  // read only: data without null
	maxSnapData = 64 << 20 // sanity bound on one node's data
)

// ErrBadSnapshot is wrapped by every ReadSnapshot error about the content.
var ErrBadSnapshot = errors.New("znode: bad snapshot")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type crcWriter struct {
	w   io.Writer
	crc uint32
}

func (c *crcWriter) Write(p []byte) (int, error) {
	c.crc = crc32.Update(c.crc, castagnoli, p)
	return c.w.Write(p)
}

// WriteSnapshot writes the whole tree to w. The tree must not change while
// it runs.
func (t *Tree) WriteSnapshot(w io.Writer) error {
	cw := &crcWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	var scratch []byte
	put := func(b []byte) { _, _ = bw.Write(b) } // bufio keeps the first error for Flush
	scratch = append(scratch[:0], snapMagic...)
	scratch = append(scratch, snapFormat)
	scratch = binary.AppendVarint(scratch, t.lastZxid)
	scratch = binary.AppendUvarint(scratch, uint64(len(t.nodes)))
	put(scratch)

	aclRefs := make(map[uint32]uint64)
	var prev []byte
	path := make([]byte, 0, 256)
	type item struct {
		name  string
		depth int
	}
	stack := []item{{name: "", depth: 0}}
	lens := []int{0} // path length at each depth
	written := 0
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.depth == 0 {
			path = append(path[:0], '/')
		} else {
			path = path[:lens[it.depth-1]]
			if it.depth > 1 {
				path = append(path, '/')
			}
			path = append(path, it.name...)
		}
		if len(lens) <= it.depth {
			lens = append(lens, 0)
		}
		lens[it.depth] = len(path)
		n := t.nodes[string(path)]
		if n == nil {
			panic(fmt.Sprintf("znode: child %q listed but not in the node map", path))
		}

		shared := 0
		for shared < len(prev) && shared < len(path) && prev[shared] == path[shared] {
			shared++
		}
		scratch = binary.AppendUvarint(scratch[:0], uint64(shared))
		scratch = binary.AppendUvarint(scratch, uint64(len(path)-shared))
		scratch = append(scratch, path[shared:]...)
		prev = append(prev[:0], path...)

		ref, ok := aclRefs[n.acl]
		if ok {
			scratch = binary.AppendUvarint(scratch, ref)
		} else {
			ref = uint64(len(aclRefs))
			aclRefs[n.acl] = ref
			scratch = binary.AppendUvarint(scratch, ref)
			acl := t.acls.get(n.acl)
			scratch = binary.AppendUvarint(scratch, uint64(len(acl)))
			for _, a := range acl {
				scratch = binary.AppendVarint(scratch, int64(a.Perms))
				scratch = appendString(scratch, a.Scheme)
				scratch = appendString(scratch, a.ID.ID)
			}
		}
		for _, v := range [...]int64{n.czxid, n.mzxid, n.pzxid, n.ctime, n.mtime, n.owner,
			int64(n.version), int64(n.cversion), int64(n.aversion)} {
			scratch = binary.AppendVarint(scratch, v)
		}
		if n.data == nil {
			scratch = append(scratch, 0)
		} else {
			scratch = binary.AppendUvarint(scratch, uint64(len(n.data))+1)
		}
		put(scratch)
		put(n.data)
		written++

		if len(n.children) > 0 {
			names := make([]string, 0, len(n.children))
			for c := range n.children {
				names = append(names, c)
			}
			slices.Sort(names)
			for i := len(names) - 1; i >= 0; i-- {
				stack = append(stack, item{name: names[i], depth: it.depth + 1})
			}
		}
	}
	if written != len(t.nodes) {
		panic(fmt.Sprintf("znode: snapshot walked %d nodes of %d: tree not connected", written, len(t.nodes)))
	}
	sessions := t.Sessions()
	scratch = binary.AppendUvarint(scratch[:0], uint64(len(sessions)))
	for _, s := range sessions {
		scratch = binary.AppendVarint(scratch, s.ID)
		scratch = binary.AppendVarint(scratch, int64(s.Timeout))
	}
	scratch = binary.LittleEndian.AppendUint64(scratch, t.digest)
	put(scratch)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("znode: write snapshot: %w", err)
	}
	if _, err := w.Write(binary.LittleEndian.AppendUint32(nil, cw.crc)); err != nil {
		return fmt.Errorf("znode: write snapshot: %w", err)
	}
	return nil
}

// snapReader reads through a bufio.Reader, checksumming exactly the bytes
// consumed (bufio reads ahead into the trailer).
type snapReader struct {
	r   *bufio.Reader
	crc uint32
	err error
}

func (s *snapReader) fail(err error) {
	if s.err == nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		s.err = err
	}
}

func (s *snapReader) ReadByte() (byte, error) {
	if s.err != nil {
		return 0, s.err
	}
	b, err := s.r.ReadByte()
	if err != nil {
		s.fail(err)
		return 0, s.err
	}
	s.crc = crc32.Update(s.crc, castagnoli, []byte{b})
	return b, nil
}

func (s *snapReader) full(p []byte) {
	if s.err != nil {
		return
	}
	if _, err := io.ReadFull(s.r, p); err != nil {
		s.fail(err)
		return
	}
	s.crc = crc32.Update(s.crc, castagnoli, p)
}

func (s *snapReader) uvarint() uint64 {
	if s.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(s)
	if err != nil {
		s.fail(err)
	}
	return v
}

func (s *snapReader) varint() int64 {
	u := s.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (s *snapReader) bad(format string, args ...any) {
	s.fail(fmt.Errorf("%w: %s", ErrBadSnapshot, fmt.Sprintf(format, args...)))
}

func (s *snapReader) str(limit uint64) string {
	n := s.uvarint()
	if n > limit {
		s.bad("string length %d", n)
		return ""
	}
	b := make([]byte, n)
	s.full(b)
	return string(b)
}

// ReadSnapshot loads a tree written by WriteSnapshot, checking its
// structure, its checksum and that the recomputed digest equals the stored
// one.
func ReadSnapshot(r io.Reader) (*Tree, error) {
	s := &snapReader{r: bufio.NewReaderSize(r, 64<<10)}
	var magic [len(snapMagic) + 1]byte
	s.full(magic[:])
	format := magic[len(snapMagic)]
	if s.err == nil && (string(magic[:len(snapMagic)]) != snapMagic || format != snapFormat && format != snapFormat1) {
		s.bad("not a format %d or %d snapshot", snapFormat, snapFormat1)
	}
	t := newEmpty()
	t.lastZxid = s.varint()
	count := s.uvarint()
	var acls []uint32 // snapshot ref → cache index; the first use is taken by the reference below
	var path []byte
	for i := uint64(0); i < count && s.err == nil; i++ {
		shared := s.uvarint()
		rest := s.uvarint()
		if shared > uint64(len(path)) || rest > 1<<20 {
			s.bad("node %d: bad path lengths", i)
			break
		}
		path = path[:shared]
		buf := make([]byte, rest)
		s.full(buf)
		path = append(path, buf...)
		p := string(path)

		ref := s.uvarint()
		var aclIdx uint32
		switch {
		case ref < uint64(len(acls)):
			aclIdx = acls[ref]
			t.acls.entries[aclIdx].refs++
		case ref == uint64(len(acls)):
			n := s.uvarint()
			if n > 1<<16 {
				s.bad("node %s: ACL of %d entries", p, n)
				break
			}
			acl := make([]zk.ACL, n)
			for j := range acl {
				acl[j].Perms = int32(s.varint())
				acl[j].Scheme = s.str(1 << 16)
				acl[j].ID.ID = s.str(1 << 16)
			}
			aclIdx = t.acls.intern(acl)
			acls = append(acls, aclIdx)
		default:
			s.bad("node %s: ACL ref %d of %d", p, ref, len(acls))
		}
		var f [9]int64
		for j := range f {
			f[j] = s.varint()
		}
		dl := s.uvarint()
		null := dl == 0 // in format 1 too: its zero-length data reads as null
		if format != snapFormat1 && dl > 0 {
			dl-- // length+1
		}
		if dl > maxSnapData {
			s.bad("node %s: data length %d", p, dl)
		}
		if s.err != nil {
			break
		}
		n := &node{acl: aclIdx, czxid: f[0], mzxid: f[1], pzxid: f[2], ctime: f[3], mtime: f[4], owner: f[5],
			version: int32(f[6]), cversion: int32(f[7]), aversion: int32(f[8])}
		switch {
		case null:
		case dl == 0:
			n.data = emptyData
		default:
			n.data = make([]byte, dl)
			s.full(n.data)
		}
		switch {
		case i == 0 && p != "/":
			s.bad("first node is %q, not /", p)
		case i > 0 && validPath(p) != nil, i > 0 && p == "/":
			s.bad("invalid path %q", p)
		case t.nodes[p] != nil:
			s.bad("duplicate node %q", p)
		}
		if i > 0 && s.err == nil {
			pp, _, _ := parentOf(p)
			if t.nodes[pp] == nil {
				s.bad("node %q before its parent", p)
			}
		}
		if s.err != nil {
			break
		}
		t.addNode(p, n)
	}
	if s.err == nil && t.nodes["/"] == nil {
		s.bad("no root node")
	}
	nsess := s.uvarint()
	if nsess > 1<<32 {
		s.bad("%d sessions", nsess)
	}
	for i := uint64(0); i < nsess && s.err == nil; i++ {
		id := s.varint()
		t.sessions[id] = int32(s.varint())
	}
	var tail [8]byte
	s.full(tail[:])
	if s.err != nil {
		return nil, fmt.Errorf("znode: read snapshot: %w", s.err)
	}
	want := binary.LittleEndian.Uint64(tail[:])
	crc := s.crc
	var c [4]byte
	if _, err := io.ReadFull(s.r, c[:]); err != nil {
		return nil, fmt.Errorf("znode: read snapshot checksum: %w", err)
	}
	if binary.LittleEndian.Uint32(c[:]) != crc {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrBadSnapshot)
	}
	if t.digest != want {
		return nil, fmt.Errorf("%w: digest %#x, snapshot says %#x", ErrBadSnapshot, t.digest, want)
	}
	if format == snapFormat1 {
		for _, p := range [...]string{"/", ZookeeperPath, QuotaPath, ConfigPath} {
			if n := t.nodes[p]; n != nil && n.data == nil {
				t.update(n, func(n *node) { n.data = emptyData; n.chash = nodeHash(p, n) })
			}
		}
		// Format 1 wrote the config node's aversion as 0; New makes it
		// -1, as ZooKeeper does, and a replica that loads an old snapshot
		// must hold what one replaying from an empty tree holds.
		if n := t.nodes[ConfigPath]; n != nil && n.aversion == 0 {
			t.update(n, func(n *node) { n.aversion = -1 })
		}
	}
	t.rebuildQuotas()
	return t, nil
}
