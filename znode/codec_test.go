package znode

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/paddock-zk/paddock/zk"
)

var sampleTxns = []Txn{
	CreateTxn{Path: "/a", Data: []byte("x"), ACL: zk.OpenACLUnsafe, EphemeralOwner: 0x1234, ParentCVersion: 7},
	CreateTxn{Path: "/t", ACL: []zk.ACL{{Perms: 3, ID: zk.ID{Scheme: "digest", ID: "u:h="}}, {Perms: 1, ID: zk.ID{Scheme: "ip", ID: "10.0.0.0/8"}}}, EphemeralOwner: TTLOwner(MaxTTL), ParentCVersion: -1},
	CreateTxn{Path: "/c", ACL: zk.OpenACLUnsafe, EphemeralOwner: ContainerOwner, ParentCVersion: -2147483648},
	CreateTxn{Path: "/empty", Data: []byte{}, ACL: zk.OpenACLUnsafe, ParentCVersion: 1},
	SetDataTxn{Path: "/empty", Data: []byte{}, Version: 1},
	SetDataTxn{Path: "/null", Version: 1},
	DeleteTxn{Path: "/a"},
	SetDataTxn{Path: "/a", Data: bytes.Repeat([]byte{0xff}, 300), Version: 2147483647},
	SetACLTxn{Path: "/a", ACL: zk.ReadACLUnsafe, Version: 3},
	CheckTxn{Path: "/a", Version: -1},
	CreateSessionTxn{Timeout: 30000},
	CloseSessionTxn{Paths: []string{"/e1", "/e2"}},
	CloseSessionTxn{},
	ErrorTxn{Err: zk.NoNode},
	MultiTxn{Ops: []Txn{CreateTxn{Path: "/m", ACL: zk.OpenACLUnsafe}, CheckTxn{Path: "/m"}, DeleteTxn{Path: "/m"}}},
	MultiTxn{Ops: []Txn{CreateTxn{Path: "/m", Data: []byte{}, ACL: zk.OpenACLUnsafe}, SetDataTxn{Path: "/m", Data: []byte{}}}},
	MultiTxn{Ops: []Txn{ErrorTxn{Err: zk.Ok}, ErrorTxn{Err: zk.BadVersion}, ErrorTxn{Err: zk.RuntimeInconsistency}}},
	MultiTxn{},
}

func TestTxnRoundTrip(t *testing.T) {
	for _, txn := range sampleTxns {
		b := EncodeTxn(txn)
		got, err := DecodeTxn(b)
		if err != nil {
			t.Fatalf("%T: %v", txn, err)
		}
		if !reflect.DeepEqual(got, txn) {
			t.Fatalf("round trip %#v -> %#v", txn, got)
		}
		hdr := TxnHeader{Session: -5, Cxid: 9, Zxid: 1<<32 | 3, Time: 1700000000000, Type: zk.OpCreate2}
		h, got, err := DecodeRecord(EncodeRecord(hdr, txn))
		if err != nil || h != hdr || !reflect.DeepEqual(got, txn) {
			t.Fatalf("record %v %+v %#v", err, h, got)
		}
		// Every proper prefix is refused, never a panic.
		for i := range b {
			if _, err := DecodeTxn(b[:i]); !errors.Is(err, ErrBadTxn) {
				t.Fatalf("%T prefix %d: %v", txn, i, err)
			}
		}
		if _, err := DecodeTxn(append(b, 0)); !errors.Is(err, ErrBadTxn) {
			t.Fatalf("trailing byte accepted")
		}
	}
	bad := [][]byte{
		nil,
		{3, 4},                                  // unknown format
		{2, 10, 2, '/', 'a', 5},                 // data length beyond input
		{1, 0x80, 0x00},                         // non-minimal varint
		{1, 0x80},                               // truncated varint
		{1, 28, 2, 27, 0},                       // nested multi
		{1, 0x13, 0x81, 0x80, 0x80, 0x80, 0x10}, // int32 out of range
		{1, 2, 0xff, 0xff, 0x03},                // length beyond input
	}
	for _, b := range bad {
		if _, err := DecodeTxn(b); !errors.Is(err, ErrBadTxn) {
			t.Errorf("%x: %v", b, err)
		}
	}
}

func FuzzDecodeTxn(f *testing.F) {
	for _, txn := range sampleTxns {
		f.Add(EncodeTxn(txn))
	}
	f.Add([]byte{1, 28, 2, 27, 0})
	f.Add([]byte{1, 2, 2, '/', 'a', 0, 0, 0, 0}) // format 1 create with zero-length data
	f.Fuzz(func(t *testing.T, b []byte) {
		txn, err := DecodeTxn(b)
		if err != nil {
			if !errors.Is(err, ErrBadTxn) {
				t.Fatalf("unwrapped error %v", err)
			}
			return
		}
		// Canonical: what decodes re-encodes to the same bytes; a
		// format 1 txn re-encodes in the current format, to the same txn.
		re := EncodeTxn(txn)
		if b[0] == TxnFormat && !bytes.Equal(re, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", b, re)
		}
		if again, err := DecodeTxn(re); err != nil || !reflect.DeepEqual(again, txn) {
			t.Fatalf("re-encoded %x decodes to %#v, %v; want %#v", re, again, err, txn)
		}
		// Applying arbitrary decoded txns must never panic or corrupt the tree.
		tr := New()
		tr.Apply(TxnHeader{Zxid: 1, Session: 1}, txn)
		if tr.Digest() != tr.DigestSlow() {
			t.Fatal("digest drifted")
		}
	})
}
