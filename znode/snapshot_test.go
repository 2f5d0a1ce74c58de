package znode

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/paddock-zk/paddock/zk"
)

func populated(t testing.TB, n int) *env {
	e := newEnv(t)
	e.session(0x77)
	e.must(0, Create{Path: "/app", Data: []byte("cfg"), ACL: zk.OpenACLUnsafe})
	e.must(0, Create{Path: "/app/c", ACL: zk.OpenACLUnsafe, Mode: zk.Container})
	e.must(0, Create{Path: "/app/t", ACL: zk.OpenACLUnsafe, Mode: zk.PersistentWithTTL, TTL: 1000})
	e.must(0x77, Create{Path: "/app/eph", ACL: zk.OpenACLUnsafe, Mode: zk.Ephemeral})
	for i := 0; i < n; i++ {
		e.must(0, Create{Path: fmt.Sprintf("/app/c/n%03d", i), Data: []byte{byte(i)}, ACL: []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "digest", ID: fmt.Sprintf("u%d:x", i%3)}}}})
	}
	e.must(0, Delete{Path: "/app/c/n000", Version: -1})
	return e
}

func TestSnapshotRoundTrip(t *testing.T) {
	e := populated(t, 50)
	var buf bytes.Buffer
	if err := e.tree.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	raw := bytes.Clone(buf.Bytes())
	got, err := ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != e.tree.Digest() || got.DigestSlow() != got.Digest() || got.LastZxid() != e.tree.LastZxid() || got.NodeCount() != e.tree.NodeCount() {
		t.Fatalf("loaded tree differs: digest %x/%x zxid %d/%d", got.Digest(), e.tree.Digest(), got.LastZxid(), e.tree.LastZxid())
	}
	if eph := got.GetEphemerals(0x77); len(eph) != 1 || eph[0] != "/app/eph" {
		t.Fatalf("ephemerals %v", eph)
	}
	if ss := got.Sessions(); len(ss) != 1 || ss[0] != (SessionInfo{0x77, 30000}) {
		t.Fatalf("sessions %v", ss)
	}
	if got.ACLCount() != e.tree.ACLCount() {
		t.Fatalf("acl lists %d vs %d", got.ACLCount(), e.tree.ACLCount())
	}
	if len(got.ttls) != 1 || len(got.containers) != 1 {
		t.Fatalf("ttls %v containers %v", got.ttls, got.containers)
	}
	// Deterministic: the loaded tree writes the same bytes.
	var again bytes.Buffer
	if err := got.WriteSnapshot(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, again.Bytes()) {
		t.Fatal("snapshot of loaded tree differs")
	}
	// The loaded tree keeps working: a Prep over it continues the sequence.
	e2 := &env{t: t, tree: got, prep: NewPrep(got), zxid: e.zxid, time: e.time}
	r := e2.must(0, Create{Path: "/app/c/s", ACL: zk.OpenACLUnsafe, Mode: zk.PersistentSequential})
	if r.Path != fmt.Sprintf("/app/c/s%010d", 50) {
		t.Fatalf("sequence after load %s", r.Path)
	}

	// Any single corrupted byte, or truncation, is detected.
	for i := 0; i < len(raw); i += 7 {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x40
		if _, err := ReadSnapshot(bytes.NewReader(bad)); err == nil {
			t.Fatalf("corruption at %d accepted", i)
		}
	}
	for _, n := range []int{0, 5, len(raw) / 2, len(raw) - 1} {
		if _, err := ReadSnapshot(bytes.NewReader(raw[:n])); err == nil {
			t.Fatalf("truncation to %d accepted", n)
		}
	}
}

func TestSnapshotDigestMismatch(t *testing.T) {
	e := populated(t, 3)
	var buf bytes.Buffer
	if err := e.tree.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	// Flip a digest bit and fix the CRC so only the digest check can catch it.
	b := buf.Bytes()
	n := len(b)
	b[n-12] ^= 1
	crc := crc32Of(b[:n-4])
	b[n-4], b[n-3], b[n-2], b[n-1] = byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24)
	_, err := ReadSnapshot(bytes.NewReader(b))
	if !errors.Is(err, ErrBadSnapshot) || !bytes.Contains([]byte(err.Error()), []byte("digest")) {
		t.Fatalf("got %v", err)
	}
}

func FuzzReadSnapshot(f *testing.F) {
	e := populated(f, 3)
	var buf bytes.Buffer
	if err := e.tree.WriteSnapshot(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	old, err := os.ReadFile("testdata/snapshot-format1.bin")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(old)
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := ReadSnapshot(bytes.NewReader(b))
		if err == nil && tr.Digest() != tr.DigestSlow() {
			t.Fatal("accepted a snapshot with a wrong digest")
		}
	})
}

func crc32Of(b []byte) uint32 {
	w := &crcWriter{w: &bytes.Buffer{}}
	_, _ = w.Write(b)
	return w.crc
}
