package znode

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"testing"

	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zk"
)

func wantData(t *testing.T, tr *Tree, path, want string) {
	t.Helper()
	b, st, err := tr.Get(path)
	if err != nil {
		t.Fatalf("get %s: %v", path, err)
	}
	if got := testutil.DataKind(b); got != want {
		t.Errorf("%s holds %s, want %s", path, got, want)
	}
	if int(st.DataLength) != len(b) {
		t.Errorf("%s: dataLength %d for %d bytes", path, st.DataLength, len(b))
	}
}

// Null and zero-length data are two values, as in ZooKeeper's DataTree:
// every create mode, setData both ways and the ops of a multi keep the
// one they were given, in the tree, through the txn log encoding and
// through a snapshot, and the digest tells them apart.
func TestNullAndEmptyDataKeptApart(t *testing.T) {
	e := newEnv(t)
	e.session(0x77)
	// The built-in nodes are empty, as in ZooKeeper's DataTree.
	want := map[string]string{"/": "empty", ZookeeperPath: "empty", QuotaPath: "empty", ConfigPath: "empty"}
	for _, c := range []struct {
		path string
		mode zk.CreateMode
		ttl  int64
	}{
		{"/p", zk.Persistent, 0}, {"/e", zk.Ephemeral, 0}, {"/c", zk.Container, 0}, {"/t", zk.PersistentWithTTL, 5000},
	} {
		for _, d := range []struct {
			suffix string
			data   []byte
		}{{"-null", nil}, {"-empty", []byte{}}, {"-x", []byte("x")}} {
			owner := int64(0)
			if c.mode.IsEphemeral() {
				owner = 0x77
			}
			e.must(owner, Create{Path: c.path + d.suffix, Data: d.data, ACL: zk.OpenACLUnsafe, Mode: c.mode, TTL: c.ttl})
			want[c.path+d.suffix] = testutil.DataKind(d.data)
		}
	}
	seq := e.must(0, Create{Path: "/s-", Data: []byte{}, ACL: zk.OpenACLUnsafe, Mode: zk.PersistentSequential})
	want[seq.Path] = "empty"
	// setData: to empty after non-empty, to null after empty, to empty
	// after null.
	e.must(0, SetData{Path: "/p-x", Data: []byte{}, Version: -1})
	want["/p-x"] = "empty"
	e.must(0, SetData{Path: "/p-empty", Data: nil, Version: -1})
	want["/p-empty"] = "null"
	e.must(0, SetData{Path: "/p-null", Data: []byte{}, Version: -1})
	want["/p-null"] = "empty"
	// A multi: creates and setData with both.
	e.must(0, Multi{Ops: []Request{
		Create{Path: "/m-null", ACL: zk.OpenACLUnsafe},
		Create{Path: "/m-empty", Data: []byte{}, ACL: zk.OpenACLUnsafe},
		SetData{Path: "/e-x", Data: []byte{}, Version: -1},
		SetData{Path: "/c-empty", Data: nil, Version: -1},
	}})
	want["/m-null"], want["/m-empty"], want["/e-x"], want["/c-empty"] = "null", "empty", "empty", "null"
	e.checkDigest()
	for p, w := range want {
		wantData(t, e.tree, p, w)
	}

	// The txn log: every record re-read from its encoding.
	replay := New()
	for _, l := range e.log {
		h, txn, err := DecodeRecord(EncodeRecord(l.hdr, l.txn))
		if err != nil {
			t.Fatal(err)
		}
		if res := replay.Apply(h, txn); res.Fault != nil {
			t.Fatal(res.Fault)
		}
	}
	if replay.Digest() != e.tree.Digest() {
		t.Fatalf("replayed log digest %#x, tree %#x", replay.Digest(), e.tree.Digest())
	}
	for p, w := range want {
		wantData(t, replay, p, w)
	}

	// A snapshot, and a snapshot of the loaded tree.
	var buf bytes.Buffer
	if err := e.tree.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	raw := bytes.Clone(buf.Bytes())
	loaded, err := ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Digest() != e.tree.Digest() {
		t.Fatalf("snapshot digest %#x, tree %#x", loaded.Digest(), e.tree.Digest())
	}
	for p, w := range want {
		wantData(t, loaded, p, w)
	}
	var again bytes.Buffer
	if err := loaded.WriteSnapshot(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, again.Bytes()) {
		t.Fatal("snapshot of the loaded tree differs")
	}

	// A frozen view taken before a change still shows the old value.
	f := e.tree.StartFreeze()
	e.must(0, SetData{Path: "/p-null", Data: nil, Version: -1})
	view, done := f.Step(1 << 20)
	if !done {
		t.Fatal("freezer not done")
	}
	var vb bytes.Buffer
	if err := view.WriteSnapshot(&vb); err != nil {
		t.Fatal(err)
	}
	vt, err := ReadSnapshot(&vb)
	if err != nil {
		t.Fatal(err)
	}
	wantData(t, vt, "/p-null", "empty")
	wantData(t, e.tree, "/p-null", "null")
}

// Two trees that differ only in one node's data being null in one and
// empty in the other have different digests: replicas that disagree on
// it are caught.
func TestDigestTellsNullFromEmpty(t *testing.T) {
	digest := func(data []byte) uint64 {
		tr := New()
		res := tr.Apply(TxnHeader{Zxid: 1, Time: 5}, CreateTxn{Path: "/n", Data: data, ACL: zk.OpenACLUnsafe, ParentCVersion: -1})
		if res.Fault != nil {
			t.Fatal(res.Fault)
		}
		if tr.Digest() != tr.DigestSlow() {
			t.Fatal("digest drifted")
		}
		return tr.Digest()
	}
	if digest(nil) == digest([]byte{}) {
		t.Fatal("null and empty data give one digest")
	}
	if digest([]byte{}) != digest(make([]byte, 0, 8)) {
		t.Fatal("the digest depends on capacity")
	}
}

// readFormat1Log reads testdata/txnlog-format1.hex: records written by
// EncodeRecord before the format had null data (format 1), one per line.
func readFormat1Log(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open("testdata/txnlog-format1.hex")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		b, err := hex.DecodeString(sc.Text())
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, b)
	}
	return recs
}

// A log and a snapshot written by the format 1 code (checked in, made
// before the change) still load, agree with each other, and read every
// zero-length value as null, as that code showed it. The scenario they
// hold: /null created with null data; /empty, /box (container), /ttl
// and /eph (ephemeral) with empty data; /x created "x" and set empty in
// a multi that also creates /m empty and /m/k "k"; /set-empty created
// "v" and set empty.
func TestFormat1LogAndSnapshotLoad(t *testing.T) {
	recs := readFormat1Log(t)
	if len(recs) != 10 {
		t.Fatalf("%d records", len(recs))
	}
	tr := New()
	for i, b := range recs {
		if b[0] != txnFormat1 {
			t.Fatalf("record %d has format %d", i, b[0])
		}
		h, txn, err := DecodeRecord(b)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if res := tr.Apply(h, txn); res.Fault != nil {
			t.Fatalf("record %d: %v", i, res.Fault)
		}
		// Re-encoded, it is the current format, and means the same.
		re := EncodeRecord(h, txn)
		if re[0] != TxnFormat {
			t.Fatalf("re-encoded in format %d", re[0])
		}
		h2, txn2, err := DecodeRecord(re)
		if err != nil || h2 != h || !bytes.Equal(EncodeRecord(h2, txn2), re) {
			t.Fatalf("record %d re-encoded does not round-trip: %v", i, err)
		}
	}
	want := map[string]string{
		"/null": "null", "/empty": "null", "/box": "null", "/ttl": "null", "/eph": "null",
		"/x": "null", "/m": "null", "/m/k": "k", "/set-empty": "null",
		// The built-in nodes are empty, as ZooKeeper makes them, whether
		// from New or from a format 1 snapshot.
		"/": "empty", ZookeeperPath: "empty", QuotaPath: "empty", ConfigPath: "empty",
	}
	for p, w := range want {
		wantData(t, tr, p, w)
	}

	raw, err := os.ReadFile("testdata/snapshot-format1.bin")
	if err != nil {
		t.Fatal(err)
	}
	if raw[len(snapMagic)] != snapFormat1 {
		t.Fatalf("golden snapshot has format %d", raw[len(snapMagic)])
	}
	snap, err := ReadSnapshot(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if snap.Digest() != tr.Digest() || snap.LastZxid() != tr.LastZxid() || snap.NodeCount() != tr.NodeCount() {
		t.Fatalf("snapshot digest %#x zxid %d nodes %d; log %#x %d %d",
			snap.Digest(), snap.LastZxid(), snap.NodeCount(), tr.Digest(), tr.LastZxid(), tr.NodeCount())
	}
	for p, w := range want {
		wantData(t, snap, p, w)
	}
	// It writes back in the current format, which loads to the same tree.
	var buf bytes.Buffer
	if err := snap.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	if buf.Bytes()[len(snapMagic)] != snapFormat {
		t.Fatal("rewritten snapshot is not the current format")
	}
	back, err := ReadSnapshot(&buf)
	if err != nil || back.Digest() != tr.Digest() {
		t.Fatalf("rewritten snapshot: %v", err)
	}
}

// A format 1 setData with zero-length data reads as null, except on a
// built-in node, which reads as empty like the built-in nodes of a
// format 1 snapshot.
func TestFormat1ZeroLengthOnBuiltInsReadsEmpty(t *testing.T) {
	for _, c := range []struct {
		b    []byte
		want string
	}{
		{[]byte{txnFormat1, 10, 1, '/', 0, 2}, "empty"},
		{[]byte{txnFormat1, 10, 10, '/', 'z', 'o', 'o', 'k', 'e', 'e', 'p', 'e', 'r', 0, 2}, "empty"},
		{[]byte{txnFormat1, 10, 2, '/', 'a', 0, 2}, "null"},
		{[]byte{txnFormat1, 10, 1, '/', 1, 'v', 2}, "v"},
	} {
		txn, err := DecodeTxn(c.b)
		if err != nil {
			t.Fatalf("%x: %v", c.b, err)
		}
		sd, ok := txn.(SetDataTxn)
		if !ok || testutil.DataKind(sd.Data) != c.want {
			t.Errorf("%x decodes to %#v, want %s data", c.b, txn, c.want)
		}
	}
}
