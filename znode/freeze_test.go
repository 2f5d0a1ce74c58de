package znode

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/zk"
)

// A frozen view writes the snapshot of the moment it was frozen while the
// tree goes on changing on another goroutine (run with -race): creates,
// deletes, setData and setACL of shared nodes and of their parents, and a
// second Freeze.
func TestFreezeSnapshotsWhileApplying(t *testing.T) {
	hdrs, txns := createTxns(5000)
	tr := New()
	for i := range txns {
		if r := tr.Apply(hdrs[i], txns[i]); r.Fault != nil {
			t.Fatal(r.Fault)
		}
	}
	var before bytes.Buffer
	if err := tr.WriteSnapshot(&before); err != nil {
		t.Fatal(err)
	}
	view := tr.Freeze()
	z := tr.LastZxid()
	next := func() TxnHeader { z++; return TxnHeader{Zxid: z, Time: z} }
	done := make(chan []byte)
	go func() {
		var b bytes.Buffer
		if err := view.WriteSnapshot(&b); err != nil {
			t.Error(err)
		}
		done <- b.Bytes()
	}()
	readOnly := []zk.ACL{{Perms: zk.PermRead, ID: zk.AnyoneID}}
	for i := 0; i < 2000; i++ {
		var txn Txn
		switch i % 5 {
		case 0:
			txn = CreateTxn{Path: fmt.Sprintf("/p%d/x%d", i%5, i), Data: []byte("new"), ACL: zk.OpenACLUnsafe, ParentCVersion: -1}
		case 1:
			txn = DeleteTxn{Path: fmt.Sprintf("/p%d/n%d", i/1000, i)}
		case 2:
			txn = SetDataTxn{Path: fmt.Sprintf("/p%d/n%d", i/1000, i), Data: []byte("changed"), Version: 1}
		case 3:
			txn = SetACLTxn{Path: fmt.Sprintf("/p%d/n%d", i/1000, i), ACL: readOnly, Version: 1}
		case 4:
			txn = SetDataTxn{Path: fmt.Sprintf("/p%d", i%5), Data: []byte("parent"), Version: 1}
		}
		if r := tr.Apply(next(), txn); r.Fault != nil {
			t.Fatalf("txn %d %T: %v", i, txn, r.Fault)
		}
		if i == 1000 {
			tr.Freeze() // a second view while the first is being written
		}
	}
	select {
	case got := <-done:
		if !bytes.Equal(got, before.Bytes()) {
			t.Fatal("the frozen view's snapshot differs from the tree's at the moment of Freeze")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("snapshot of the view did not finish")
	}
	// The live tree is consistent and restorable.
	if tr.Digest() != tr.DigestSlow() {
		t.Fatalf("digest %x, recomputed %x", tr.Digest(), tr.DigestSlow())
	}
	var after bytes.Buffer
	if err := tr.WriteSnapshot(&after); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSnapshot(&after)
	if err != nil || back.Digest() != tr.Digest() {
		t.Fatalf("restored digest %x (%v), want %x", back.Digest(), err, tr.Digest())
	}
}

func BenchmarkFreeze(b *testing.B) {
	hdrs, txns := createTxns(1_000_000)
	tr := New()
	for i := range txns {
		tr.Apply(hdrs[i], txns[i])
	}
	b.ResetTimer()
	for range b.N {
		tr.Freeze()
	}
}

// A view built a slice at a time while txns apply between the slices is
// still the tree of the moment StartFreeze was called.
func TestFreezeInSlices(t *testing.T) {
	hdrs, txns := createTxns(5000)
	tr := New()
	for i := range txns {
		tr.Apply(hdrs[i], txns[i])
	}
	var before bytes.Buffer
	if err := tr.WriteSnapshot(&before); err != nil {
		t.Fatal(err)
	}
	f := tr.StartFreeze()
	z := tr.LastZxid()
	var view *Tree
	for i := 0; view == nil; i++ {
		z++
		hdr := TxnHeader{Zxid: z, Time: z}
		var txn Txn
		switch i % 4 {
		case 0:
			txn = CreateTxn{Path: fmt.Sprintf("/p%d/y%d", i%5, i), ACL: zk.OpenACLUnsafe, ParentCVersion: -1}
		case 1:
			txn = DeleteTxn{Path: fmt.Sprintf("/p%d/n%d", i/1000, i)}
		case 2:
			txn = SetDataTxn{Path: fmt.Sprintf("/p%d/n%d", i/1000, i+2), Data: []byte("c"), Version: 1}
		case 3:
			// Delete and re-create a path within the same freeze.
			txn = CreateTxn{Path: fmt.Sprintf("/p%d/n%d", (i-2)/1000, i-2), Data: []byte("again"), ACL: zk.OpenACLUnsafe, ParentCVersion: -1}
		}
		if r := tr.Apply(hdr, txn); r.Fault != nil {
			t.Fatalf("txn %d %T: %v", i, txn, r.Fault)
		}
		view, _ = f.Step(7)
	}
	var got bytes.Buffer
	if err := view.WriteSnapshot(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), before.Bytes()) {
		t.Fatal("a view built in slices differs from the tree at StartFreeze")
	}
	if tr.Digest() != tr.DigestSlow() {
		t.Fatal("live digest drifted")
	}
	tr.StartFreeze() // the tree takes another freeze once the first is done
}
