package zkdata

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/snappy/xerial"

	"github.com/paddock-zk/paddock/zk"
)

// enc writes jute values as ZooKeeper's BinaryOutputArchive does.
type enc struct{ b []byte }

func (e *enc) int32(v int32) { e.b = binary.BigEndian.AppendUint32(e.b, uint32(v)) }
func (e *enc) int64(v int64) { e.b = binary.BigEndian.AppendUint64(e.b, uint64(v)) }
func (e *enc) buffer(b []byte) {
	if b == nil {
		e.int32(-1)
		return
	}
	e.int32(int32(len(b)))
	e.b = append(e.b, b...)
}
func (e *enc) str(s string) { e.buffer([]byte(s)) }
func (e *enc) acls(v []zk.ACL) {
	e.int32(int32(len(v)))
	for _, a := range v {
		e.int32(a.Perms)
		e.str(a.Scheme)
		e.str(a.ID.ID)
	}
}

// seal is SnapStream.sealStream: the Adler32 of everything so far, "/".
func (e *enc) seal() {
	e.int64(int64(adler32.Checksum(e.b)))
	e.str("/")
}

type snapNode struct {
	path string
	data []byte
	acl  int64
	st   StatPersisted
}

var digestACL = []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "digest", ID: "alice:hash"}}}

// testSnapshot is a snapshot at zxid 0x105 of "/", /zookeeper (and its
// quota and config children), /a (digest ACL, data "a"), /a/b (null data),
// an ephemeral /a/e of session 7 and a container /c; session 7 is live.
func testSnapshot(digest bool) (snap []byte, nodes []snapNode) {
	e := &enc{}
	e.int32(snapMagic)
	e.int32(2)
	e.int64(0)
	e.int32(1) // sessions
	e.int64(7)
	e.int32(4000)
	e.int32(2) // ACL lists
	e.int64(1)
	e.acls(zk.ReadACLUnsafe)
	e.int64(2)
	e.acls(digestACL)
	nodes = []snapNode{
		{"", []byte{}, -1, StatPersisted{Cversion: 2, Pzxid: 0x102}},
		{"/a", []byte("a"), 2, StatPersisted{Czxid: 0x101, Mzxid: 0x101, Pzxid: 0x104, Ctime: 10, Mtime: 10, Cversion: 2}},
		{"/a/b", nil, -1, StatPersisted{Czxid: 0x103, Mzxid: 0x103, Pzxid: 0x103, Ctime: 11, Mtime: 11}},
		{"/a/e", []byte("eph"), -1, StatPersisted{Czxid: 0x104, Mzxid: 0x104, Pzxid: 0x104, Ctime: 12, Mtime: 12, EphemeralOwner: 7}},
		{"/c", nil, -1, StatPersisted{Czxid: 0x102, Mzxid: 0x102, Pzxid: 0x102, Ctime: 13, Mtime: 13, EphemeralOwner: containerOwner}},
		{"/zookeeper", []byte{}, -1, StatPersisted{}},
		{"/zookeeper/config", []byte{}, 1, StatPersisted{Aversion: -1}},
		{"/zookeeper/quota", []byte{}, -1, StatPersisted{}},
	}
	for _, n := range nodes {
		e.str(n.path)
		e.buffer(n.data)
		e.int64(n.acl)
		st := n.st
		e.int64(st.Czxid)
		e.int64(st.Mzxid)
		e.int64(st.Ctime)
		e.int64(st.Mtime)
		e.int32(st.Version)
		e.int32(st.Cversion)
		e.int32(st.Aversion)
		e.int64(st.EphemeralOwner)
		e.int64(st.Pzxid)
	}
	e.str("/")
	e.seal()
	if digest {
		// Computed the way ZooKeeper does, from the nodes above.
		var d uint64
		for _, n := range nodes {
			p := n.path
			if p == "" {
				p = "/"
			}
			d += nodeDigest(p, &Node{Data: n.data, Stat: n.st})
		}
		e.int64(0x104) // the last txn the fuzzy content holds
		e.int32(2)
		e.int64(int64(d))
		e.seal()
	}
	return e.b, nodes
}

// logRecord is one FileTxnLog record: checksum, length, body, 'B'.
func logRecord(h TxnHeader, txn func(e *enc)) []byte {
	body := &enc{}
	body.int64(h.ClientID)
	body.int32(h.Cxid)
	body.int64(h.Zxid)
	body.int64(h.Time)
	body.int32(int32(h.Type))
	txn(body)
	rec := &enc{}
	rec.int64(int64(adler32.Checksum(body.b)))
	rec.buffer(body.b)
	rec.b = append(rec.b, 'B')
	return rec.b
}

func logHeader() []byte {
	e := &enc{}
	e.int32(logMagic)
	e.int32(2)
	e.int64(0)
	return e.b
}

// testLog holds txns 0x104..0x108 (0x104 is inside the snapshot: a
// fuzzy snapshot's overlap), then 64 zero bytes of preallocated tail.
func testLog() []byte {
	b := logHeader()
	// 0x104: the create of /a/e again, already in the snapshot.
	b = append(b, logRecord(TxnHeader{ClientID: 7, Zxid: 0x104, Time: 12, Type: zk.OpCreate}, func(e *enc) {
		e.str("/a/e")
		e.buffer([]byte("eph"))
		e.acls(zk.OpenACLUnsafe)
		e.b = append(e.b, 1)
		e.int32(2)
	})...)
	b = append(b, logRecord(TxnHeader{ClientID: 8, Zxid: 0x105, Time: 20, Type: zk.OpCreate2}, func(e *enc) {
		e.str("/a/f")
		e.buffer([]byte("f"))
		e.acls(digestACL)
		e.b = append(e.b, 0)
		e.int32(3)
	})...)
	b = append(b, logRecord(TxnHeader{ClientID: 8, Zxid: 0x106, Time: 21, Type: zk.OpSetData}, func(e *enc) {
		e.str("/a/b")
		e.buffer([]byte("set"))
		e.int32(1)
	})...)
	b = append(b, logRecord(TxnHeader{ClientID: 8, Zxid: 0x107, Time: 22, Type: zk.OpCreateTTL}, func(e *enc) {
		e.str("/t")
		e.buffer(nil)
		e.acls(zk.OpenACLUnsafe)
		e.int32(3)
		e.int64(60000)
	})...)
	b = append(b, logRecord(TxnHeader{ClientID: 8, Zxid: 0x108, Time: 23, Type: zk.OpMulti}, func(e *enc) {
		sub := func(op zk.OpCode, f func(e *enc)) {
			s := &enc{}
			f(s)
			e.int32(int32(op))
			e.buffer(s.b)
		}
		e.int32(2)
		sub(zk.OpDelete, func(s *enc) { s.str("/a/b") })
		sub(zk.OpSetData, func(s *enc) { s.str("/a"); s.buffer([]byte("aa")); s.int32(1) })
	})...)
	return append(b, make([]byte, 64)...)
}

func writeDir(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "version-2")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadSnapshotAndLog(t *testing.T) {
	snap, _ := testSnapshot(true)
	dir := writeDir(t, map[string][]byte{"snapshot.103": snap, "log.101": testLog()})
	tree, rep, err := Load(dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Txns != 5 || rep.LastZxid != 0x108 || tree.LastZxid != 0x108 || rep.TornTail != "" {
		t.Fatalf("report %+v", rep)
	}
	// The snapshot's digest, for 0x104, is checked once 0x104 is replayed.
	if rep.Digests != 1 {
		t.Errorf("%d digests checked, want 1", rep.Digests)
	}
	a := tree.Node("/a")
	if string(a.Data) != "aa" || a.Stat.Version != 1 || a.Stat.Mzxid != 0x108 || a.Stat.Cversion != 3 || a.Stat.Pzxid != 0x108 {
		t.Errorf("/a: %q %+v", a.Data, a.Stat)
	}
	if acl, _ := tree.ACL(a.ACL); len(acl) != 1 || acl[0].Scheme != "digest" {
		t.Errorf("/a ACL %v", acl)
	}
	if tree.Node("/a/b") != nil {
		t.Error("/a/b survived the multi's delete")
	}
	if f := tree.Node("/a/f"); f == nil || f.ACL != 2 || f.Stat.Czxid != 0x105 {
		t.Errorf("/a/f: %+v (the create must reuse the cached ACL list 2)", f)
	}
	ttl := tree.Node("/t")
	if ttl == nil || ttl.Data != nil || ttl.Stat.EphemeralOwner != extendedMask|60000 || IsEphemeral(ttl.Stat.EphemeralOwner) {
		t.Errorf("/t: %+v", ttl)
	}
	if r := tree.Node("/"); r.Stat.Cversion != 3 || r.Stat.Pzxid != 0x107 {
		t.Errorf("/: %+v", r.Stat)
	}

	ex, err := tree.ExpireSessions()
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Sessions) != 1 || ex.Sessions[0] != 7 || ex.FirstZxid != 0x109 || len(ex.Deleted) != 1 || ex.Deleted[0] != "/a/e" {
		t.Fatalf("expired %+v", ex)
	}
	// Session 8 never had a createSession in this data: no live session.
	a = tree.Node("/a")
	if tree.Node("/a/e") != nil || a.Stat.Pzxid != 0x109 || a.Stat.Cversion != 3 || tree.LastZxid != 0x109 {
		t.Errorf("after expiry /a %+v, last zxid %#x", a.Stat, tree.LastZxid)
	}
}

func TestSnapshotCompressed(t *testing.T) {
	snap, nodes := testSnapshot(false)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(snap)
	zw.Close()
	for name, b := range map[string][]byte{
		"snapshot.105": snap, "snapshot.105.gz": gz.Bytes(), "snapshot.105.snappy": xerial.Encode(nil, snap),
	} {
		dir := writeDir(t, map[string][]byte{name: b})
		tree, info, err := ReadSnapshotFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if info.Nodes != len(nodes) || tree.LastZxid != 0x105 || info.Digest != nil {
			t.Errorf("%s: %+v", name, info)
		}
		if b := tree.Node("/a/b"); b == nil || b.Data != nil {
			t.Errorf("%s: /a/b %+v, want null data", name, b)
		}
	}
}

// A damaged snapshot is refused with a clear error; Load passes over it
// for an older one when the logs reach back.
func TestSnapshotDamageIsRefused(t *testing.T) {
	snap, _ := testSnapshot(true)
	flipped := bytes.Clone(snap)
	flipped[60] ^= 0x40 // inside the ACL cache
	for _, tc := range []struct {
		name string
		b    []byte
		want error
		msg  string
	}{
		{"flipped", flipped, ErrCorrupt, "checksum"},
		{"truncated", snap[:len(snap)/2], ErrTruncated, "ends at byte"},
		{"no-seal", snap[:len(snap)-40], ErrTruncated, "ends at byte"},
		{"not-a-snapshot", []byte("hello, this is not a ZooKeeper snapshot at all"), ErrCorrupt, "ZKSN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeDir(t, map[string][]byte{"snapshot.105": tc.b})
			_, _, err := ReadSnapshotFile(filepath.Join(dir, "snapshot.105"))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "snapshot.105") {
				t.Fatalf("err %v, want %v mentioning %q and the file", err, tc.want, tc.msg)
			}
			_, rep, err := Load(dir, dir)
			if err == nil || len(rep.Skipped) != 1 {
				t.Fatalf("Load over only a damaged snapshot: %v, %+v", err, rep)
			}
		})
	}
	// An older good snapshot and a log reaching back to it: Load uses it
	// and reports the one it skipped.
	older, _ := testSnapshot(false)
	dir := writeDir(t, map[string][]byte{"snapshot.103": older, "snapshot.107": flipped, "log.101": testLog()})
	tree, rep, err := Load(dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Skipped) != 1 || !strings.Contains(rep.Skipped[0], "snapshot.107") || tree.LastZxid != 0x108 {
		t.Errorf("report %+v, last zxid %#x", rep, tree.LastZxid)
	}
}

func TestLogDamage(t *testing.T) {
	snap, _ := testSnapshot(false)
	good := testLog()
	end := len(good) - 64 // before the preallocated zeros
	recs := recordOffsets(t, good[:end])
	// A record's checksum flipped: corruption, not a torn tail.
	badCRC := bytes.Clone(good)
	badCRC[recs[2]+7] ^= 1 // the checksum of the third record (0x106)

	torn := bytes.Clone(good[:end-5]) // the last record cut short
	badLen := bytes.Clone(good)
	binary.BigEndian.PutUint32(badLen[recs[1]+8:], 0x7fffffff)

	gap := logHeader()
	gap = append(gap, good[recs[0]:recs[2]]...) // 0x104, 0x105
	gap = append(gap, good[recs[3]:end]...)     // 0x107, 0x108: 0x106 missing

	for _, tc := range []struct {
		name    string
		log     []byte
		want    error
		msg     string
		torn    bool
		lastZxd int64
	}{
		{"checksum", badCRC, ErrCorrupt, "Adler32", false, 0},
		{"length", badLen, ErrCorrupt, "length", false, 0},
		{"gap", gap, ErrCorrupt, "missing", false, 0},
		{"torn-tail", torn, nil, "", true, 0x107},
		{"zero-tail", good, nil, "", false, 0x108},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeDir(t, map[string][]byte{"snapshot.103": snap, "log.101": tc.log})
			tree, rep, err := Load(dir, dir)
			if tc.want != nil {
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "log.101") ||
					!strings.Contains(err.Error(), "were read up to zxid") {
					t.Fatalf("err %v, want %v naming the file, %q and how far the read got", err, tc.want, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (rep.TornTail != "") != tc.torn || tree.LastZxid != tc.lastZxd {
				t.Fatalf("report %+v, last zxid %#x", rep, tree.LastZxid)
			}
		})
	}
}

// recordOffsets finds where each record of a log starts.
func recordOffsets(t *testing.T, log []byte) []int {
	t.Helper()
	var out []int
	for off := 16; off < len(log); {
		out = append(out, off)
		n := int(binary.BigEndian.Uint32(log[off+8:]))
		off += 12 + n + 1
	}
	if len(out) != 5 {
		t.Fatalf("%d records", len(out))
	}
	return out
}

// Txns replayed over a fuzzy snapshot that already holds them follow
// DataTree: a create of an existing node still raises the parent's
// cversion and pzxid; a delete of a missing node still raises its pzxid.
func TestFuzzyReplay(t *testing.T) {
	tr := emptyTree()
	tr.apply(TxnHeader{Zxid: 5, Type: zk.OpCreate}, Txn{Type: zk.OpCreate, Path: "/x", ParentCVersion: 1})
	tr.apply(TxnHeader{Zxid: 6, Type: zk.OpCreate}, Txn{Type: zk.OpCreate, Path: "/x", ParentCVersion: 4})
	if r := tr.Node("/"); r.Stat.Cversion != 4 || r.Stat.Pzxid != 6 {
		t.Errorf("after create over an existing node: %+v", r.Stat)
	}
	tr.apply(TxnHeader{Zxid: 7, Type: zk.OpDelete}, Txn{Type: zk.OpDelete, Path: "/missing"})
	if r := tr.Node("/"); r.Stat.Pzxid != 7 {
		t.Errorf("after delete of a missing node: %+v", r.Stat)
	}
	// A lower parentCVersion (a create the snapshot saw undone) leaves
	// cversion and pzxid alone.
	tr.apply(TxnHeader{Zxid: 8, Type: zk.OpCreate}, Txn{Type: zk.OpCreate, Path: "/y", ParentCVersion: 2})
	if r := tr.Node("/"); r.Stat.Cversion != 4 || r.Stat.Pzxid != 7 || tr.Node("/y") == nil {
		t.Errorf("after a create with a lower parentCVersion: %+v", r.Stat)
	}
}

func TestRecountQuotas(t *testing.T) {
	tr := emptyTree()
	create := func(zxid int64, p, data string) {
		tr.apply(TxnHeader{Zxid: zxid, Type: zk.OpCreate}, Txn{Type: zk.OpCreate, Path: p, Data: []byte(data), ParentCVersion: -1})
	}
	create(1, "/q", "12345")
	create(2, "/q/a", "xy")
	create(3, "/zookeeper/quota/q", "")
	create(4, "/zookeeper/quota/q/zookeeper_limits", "count=10,bytes=-1")
	create(5, "/zookeeper/quota/q/zookeeper_stats", "count=0,bytes=0")
	d := tr.Digest()
	if roots := tr.RecountQuotas(); len(roots) != 1 || roots[0] != "/q" {
		t.Fatalf("quota roots %v", roots)
	}
	if got := string(tr.Node("/zookeeper/quota/q/zookeeper_stats").Data); got != "count=2,bytes=7" {
		t.Errorf("stats %q", got)
	}
	if tr.Digest() != d {
		t.Error("the quota recount moved the digest: /zookeeper/ is outside it")
	}
}

func ExampleCompression() {
	fmt.Println(Compression("snapshot.1a.gz"), Compression("snapshot.1a.snappy"), Compression("snapshot.1a") == "")
	// Output: gz snappy true
}

// A closeSession's record is optional (before 3.6, or with
// zookeeper.closeSessionTxn.enabled=false); a TxnDigest may follow either.
func TestCloseSessionRecord(t *testing.T) {
	hdr := func(e *enc) {
		e.int64(7)
		e.int32(1)
		e.int64(0x20)
		e.int64(99)
		e.int32(int32(zk.OpCloseSession))
	}
	digest := func(e *enc) { e.int32(2); e.int64(0x0123456789abcdef) }
	for _, tc := range []struct {
		name  string
		body  func(e *enc)
		paths []string
		has   bool
		dg    bool
	}{
		{"bare", func(*enc) {}, nil, false, false},
		{"digest only", digest, nil, false, true},
		{"record", func(e *enc) { e.int32(1); e.str("/e") }, []string{"/e"}, true, false},
		{"record and digest", func(e *enc) { e.int32(1); e.str("/e"); digest(e) }, []string{"/e"}, true, true},
	} {
		e := &enc{}
		hdr(e)
		tc.body(e)
		h, tx, dg, err := decodeEntry(e.b)
		if err != nil || h.Zxid != 0x20 || tx.HasPaths != tc.has || len(tx.Paths) != len(tc.paths) || (dg.Version == 2) != tc.dg {
			t.Errorf("%s: %+v %+v %+v %v", tc.name, h, tx, dg, err)
		}
	}
}
