package wal_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zk"

	"github.com/paddock-zk/paddock/replica/wal"
	"github.com/paddock-zk/paddock/znode"
)

// The tree package's golden files, written by its format 1 code.
const (
	format1Log  = "../../znode/testdata/txnlog-format1.hex"
	format1Snap = "../../znode/testdata/snapshot-format1.bin"
)

func openLog(t *testing.T, dir string) *wal.Log {
	t.Helper()
	l, err := wal.Open(dir, "", wal.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func checkData(t *testing.T, what string, tr *znode.Tree, want map[string]string) {
	t.Helper()
	for p, w := range want {
		b, _, err := tr.Get(p)
		if err != nil {
			t.Fatalf("%s: get %s: %v", what, p, err)
		}
		if got := testutil.DataKind(b); got != w {
			t.Errorf("%s: %s holds %s, want %s", what, p, got, w)
		}
	}
}

// Txn records and snapshots of the tree keep null and empty data apart
// through the log on disk and a reopen, and the format 1 records and
// snapshot written before (whose zero-length data means null) still
// load from it next to the current format's.
func TestLogAndSnapshotsKeepNullAndEmptyData(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, dir)

	f, err := os.Open(format1Log)
	if err != nil {
		t.Fatal(err)
	}
	var entries []wal.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		b, err := hex.DecodeString(sc.Text())
		if err != nil {
			t.Fatal(err)
		}
		h, _, err := znode.DecodeRecord(b)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, wal.Entry{Zxid: uint64(h.Zxid), Data: b})
	}
	f.Close()
	if len(entries) == 0 {
		t.Fatal("no format 1 records")
	}
	old, err := os.ReadFile(format1Snap)
	if err != nil {
		t.Fatal(err)
	}
	oldSnapZxid := entries[len(entries)-1].Zxid
	if err := l.SaveSnapshot(oldSnapZxid, func(w io.Writer) error { _, err := w.Write(old); return err }); err != nil {
		t.Fatal(err)
	}

	// The current format's records, after the old ones.
	z := int64(oldSnapZxid)
	hdr := func() znode.TxnHeader { z++; return znode.TxnHeader{Zxid: z, Time: 1000 + z, Type: zk.OpCreate} }
	acl := zk.OpenACLUnsafe
	for _, txn := range []znode.Txn{
		znode.CreateTxn{Path: "/new-null", ACL: acl, ParentCVersion: -1},
		znode.CreateTxn{Path: "/new-empty", Data: []byte{}, ACL: acl, ParentCVersion: -1},
		znode.CreateTxn{Path: "/new-x", Data: []byte("x"), ACL: acl, ParentCVersion: -1},
		znode.SetDataTxn{Path: "/new-x", Data: []byte{}, Version: 1},
		znode.SetDataTxn{Path: "/null", Data: []byte{}, Version: 1}, // old null, now empty
		znode.MultiTxn{Ops: []znode.Txn{
			znode.CreateTxn{Path: "/m-empty", Data: []byte{}, ACL: acl, ParentCVersion: -1},
			znode.SetDataTxn{Path: "/new-empty", Data: nil, Version: 1},
		}},
	} {
		h := hdr()
		entries = append(entries, wal.Entry{Zxid: uint64(h.Zxid), Data: znode.EncodeRecord(h, txn)})
	}
	if err := l.Append(entries...); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l = openLog(t, dir)
	defer l.Close()
	tr := znode.New()
	var n int
	if err := l.Entries(0, func(e wal.Entry) error {
		if !bytes.Equal(e.Data, entries[n].Data) {
			t.Fatalf("entry %d changed on disk", n)
		}
		n++
		h, txn, err := znode.DecodeRecord(e.Data)
		if err != nil {
			return err
		}
		if res := tr.Apply(h, txn); res.Fault != nil {
			return res.Fault
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != len(entries) {
		t.Fatalf("%d entries back, %d written", n, len(entries))
	}
	checkData(t, "log", tr, map[string]string{
		"/empty": "null", "/x": "null", "/m/k": "k", "/": "empty", // format 1
		"/new-null": "null", "/new-empty": "null", "/new-x": "empty", "/null": "empty", "/m-empty": "empty",
	})

	// The format 1 snapshot loads from the log's snapshot file.
	rc, err := l.OpenSnapshot(oldSnapZxid)
	if err != nil {
		t.Fatal(err)
	}
	st, err := znode.ReadSnapshot(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	checkData(t, "format 1 snapshot", st, map[string]string{"/null": "null", "/empty": "null", "/x": "null", "/m/k": "k", "/": "empty"})

	// A current snapshot of the whole tree, saved and read back.
	if err := l.SaveSnapshot(uint64(z), tr.Freeze().WriteSnapshot); err != nil {
		t.Fatal(err)
	}
	rc, err = l.OpenSnapshot(uint64(z))
	if err != nil {
		t.Fatal(err)
	}
	back, err := znode.ReadSnapshot(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if back.Digest() != tr.Digest() {
		t.Fatalf("snapshot digest %#x, tree %#x", back.Digest(), tr.Digest())
	}
	checkData(t, "snapshot", back, map[string]string{
		"/empty": "null", "/new-null": "null", "/new-empty": "null", "/new-x": "empty", "/null": "empty", "/m-empty": "empty",
	})
}
