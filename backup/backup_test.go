package backup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/replica/wal"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// testTree is a tree in epoch 2 with a session, its ephemeral, and some
// persistent nodes.
func testTree(t *testing.T) *znode.Tree {
	t.Helper()
	tree := znode.New()
	prep := znode.NewPrep(tree)
	zxid := int64(2 << 32)
	do := func(req znode.Request) {
		zxid++
		h := znode.TxnHeader{Session: 77, Cxid: int32(zxid), Zxid: zxid, Time: 1000 + zxid, Type: req.Op()}
		txn, err := prep.Prepare(h, req, nil)
		if err != nil {
			t.Fatalf("prepare %T: %v", req, err)
		}
		tree.Apply(h, txn)
		prep.Applied(zxid)
	}
	do(znode.CreateSession{Timeout: 30000})
	do(znode.Create{Path: "/app", Data: []byte("config"), ACL: zk.OpenACLUnsafe, Mode: zk.Persistent})
	do(znode.Create{Path: "/app/lock", ACL: zk.OpenACLUnsafe, Mode: zk.Ephemeral})
	for i := range 20 {
		do(znode.Create{Path: fmt.Sprintf("/app/n%02d", i), Data: bytes.Repeat([]byte{byte(i)}, 100), ACL: zk.OpenACLUnsafe, Mode: zk.Persistent})
	}
	return tree
}

// same compares headers, their times as instants.
func same(a, b Info) bool {
	ta, tb := a.Created, b.Created
	a.Created, b.Created = time.Time{}, time.Time{}
	return a == b && ta.Equal(tb)
}

func writeBackup(t *testing.T, tree *znode.Tree) (string, Info) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backup.pdk")
	var want Info
	info, err := Save(path, func(w io.Writer) error {
		var err error
		want, err = Encode(w, Info{Ensemble: "t", Node: 2, Epoch: 3, Created: time.Unix(1700000000, 0).UTC(), Version: "test"}, tree)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want.Size = info.Size
	if !same(info, want) {
		t.Fatalf("Save returned %+v, want %+v", info, want)
	}
	return path, info
}

func TestSaveInspectRestore(t *testing.T) {
	tree := testTree(t)
	path, info := writeBackup(t, tree)
	if info.Zxid != uint64(tree.LastZxid()) || info.Digest != tree.Digest() || info.Znodes != tree.NodeCount() ||
		info.Sessions != 1 || info.Epoch != 3 || info.Node != 2 || info.Ensemble != "t" {
		t.Fatalf("header %+v does not describe the tree", info)
	}
	st, err := os.Stat(path)
	if err != nil || st.Size() != info.Size {
		t.Fatalf("size %d, file %v (%v)", info.Size, st, err)
	}
	got, err := Inspect(path)
	if err != nil || !same(got, info) {
		t.Fatalf("Inspect: %+v, %v; want %+v", got, err, info)
	}

	dir := t.TempDir()
	if got, err = Restore(path, dir, ""); err != nil || !same(got, info) {
		t.Fatalf("Restore: %+v, %v", got, err)
	}
	s, err := wal.OpenStore(dir, "", wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.CurrentEpoch() != 4 || s.AcceptedEpoch() != 4 || s.LastZxid() != info.Zxid {
		t.Fatalf("restored store: current %d accepted %d last %#x", s.CurrentEpoch(), s.AcceptedEpoch(), s.LastZxid())
	}
	z, data, err := s.Latest()
	if err != nil || z != info.Zxid {
		t.Fatalf("Latest: %#x, %v", z, err)
	}
	restored, err := znode.ReadSnapshot(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if restored.Digest() != tree.Digest() || restored.NodeCount() != tree.NodeCount() {
		t.Fatalf("restored tree: digest %#x, %d znodes; want %#x, %d", restored.Digest(), restored.NodeCount(), tree.Digest(), tree.NodeCount())
	}
	if d, _, err := restored.Get("/app/n07"); err != nil || !bytes.Equal(d, bytes.Repeat([]byte{7}, 100)) {
		t.Fatalf("restored /app/n07: %q, %v", d, err)
	}

	// Once is enough: the directory holds data now.
	if _, err := Restore(path, dir, ""); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("second restore: %v, want ErrNotEmpty", err)
	}
}

// A damaged file, or one that is not a backup, is refused by Inspect and
// Restore alike, and Restore writes nothing.
func TestDamagedFilesAreRefused(t *testing.T) {
	path, _ := writeBackup(t, testTree(t))
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dataSnap := filepath.Join(t.TempDir(), "snapshot.200000017")
	err = wal.WriteSnapshotFile(nil, dataSnap, func(w io.Writer) error { return testTree(t).WriteSnapshot(w) })
	if err != nil {
		t.Fatal(err)
	}
	dataSnapRaw, err := os.ReadFile(dataSnap)
	if err != nil {
		t.Fatal(err)
	}
	// A header that lies about the tree, with a good checksum.
	lying := func() []byte {
		var buf bytes.Buffer
		tree := testTree(t)
		if _, err := Encode(&buf, Info{Epoch: 3}, tree); err != nil {
			t.Fatal(err)
		}
		b := bytes.Replace(buf.Bytes(), []byte(`"znodes":`), []byte(`"znodes":9`), 1)
		p := filepath.Join(t.TempDir(), "lying")
		if err := wal.WriteSnapshotFile(nil, p, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
			t.Fatal(err)
		}
		out, _ := os.ReadFile(p)
		return out
	}()
	cases := map[string][]byte{
		"byte flipped in the tree":   func() []byte { c := bytes.Clone(raw); c[len(c)*2/3] ^= 1; return c }(),
		"byte flipped in the header": func() []byte { c := bytes.Clone(raw); c[20] ^= 1; return c }(),
		"truncated":                  raw[:len(raw)-1],
		"cut in half":                raw[:len(raw)/2],
		"empty":                      {},
		"text":                       []byte("tickTime=2000\ndataDir=/var/lib/zookeeper\nclientPort=2181\n"),
		"a data directory snapshot":  dataSnapRaw,
		"header against tree":        lying,
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bad.pdk")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Inspect(p); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Inspect: %v, want ErrCorrupt", err)
			}
			dir := t.TempDir()
			if _, err := Restore(p, dir, ""); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Restore: %v, want ErrCorrupt", err)
			}
			if names, _ := os.ReadDir(dir); len(names) != 0 {
				t.Errorf("a refused restore wrote %v", names)
			}
		})
	}
	if _, err := Inspect(filepath.Join(t.TempDir(), "missing.pdk")); err == nil || errors.Is(err, ErrCorrupt) {
		t.Errorf("Inspect of a missing file: %v", err)
	}
}

// Save never leaves a file that does not verify, nor touches the one
// already at its path.
func TestSaveKeepsTheOldFileOnFailure(t *testing.T) {
	tree := testTree(t)
	path, old := writeBackup(t, tree)
	var full bytes.Buffer
	if _, err := Encode(&full, Info{Epoch: 3}, tree); err != nil {
		t.Fatal(err)
	}
	for name, fetch := range map[string]func(io.Writer) error{
		"transfer broke": func(w io.Writer) error {
			_, _ = w.Write(full.Bytes()[:full.Len()/2])
			return errors.New("connection lost")
		},
		"short but no error": func(w io.Writer) error {
			_, err := w.Write(full.Bytes()[:full.Len()-3])
			return err
		},
		"damaged": func(w io.Writer) error {
			c := bytes.Clone(full.Bytes())
			c[len(c)/2] ^= 4
			_, err := w.Write(c)
			return err
		},
	} {
		if _, err := Save(path, fetch); err == nil {
			t.Errorf("%s: Save succeeded", name)
		}
		if got, err := Inspect(path); err != nil || !same(got, old) {
			t.Errorf("%s: the old backup is gone: %+v, %v", name, got, err)
		}
	}
	if names, _ := os.ReadDir(filepath.Dir(path)); len(names) != 1 {
		t.Errorf("temporary files left: %v", names)
	}
}
