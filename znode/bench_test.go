package znode

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"testing"
)

func createTxns(n int) ([]TxnHeader, []Txn) {
	hdrs := make([]TxnHeader, 0, n+n/1000+1)
	txns := make([]Txn, 0, cap(hdrs))
	z := int64(0)
	add := func(txn Txn) {
		z++
		hdrs = append(hdrs, TxnHeader{Zxid: z, Time: z, Type: OpCreate})
		txns = append(txns, txn)
	}
	data := []byte("0123456789")
	for i := 0; i < n; i++ {
		if i%1000 == 0 {
			add(CreateTxn{Path: "/p" + strconv.Itoa(i/1000), ACL: OpenACLUnsafe, ParentCVersion: -1})
		}
		add(CreateTxn{Path: "/p" + strconv.Itoa(i/1000) + "/n" + strconv.Itoa(i), Data: data, ACL: OpenACLUnsafe, ParentCVersion: -1})
	}
	return hdrs, txns
}

func BenchmarkApplyCreate(b *testing.B) {
	hdrs, txns := createTxns(b.N)
	tr := New()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range txns {
		if r := tr.Apply(hdrs[i], txns[i]); r.Fault != nil {
			b.Fatal(r.Fault)
		}
	}
}

func BenchmarkPrepareAndApplySetData(b *testing.B) {
	e := newEnv(b)
	e.must(0, Create{Path: "/k", ACL: OpenACLUnsafe})
	data := bytes.Repeat([]byte("x"), 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h := e.hdr(1, OpSetData)
		txn, err := e.prep.Prepare(h, SetData{Path: "/k", Data: data, Version: -1}, nil)
		if err != nil {
			b.Fatal(err)
		}
		e.tree.Apply(h, txn)
		e.prep.Applied(h.Zxid)
	}
}

func BenchmarkEncodeDecodeTxn(b *testing.B) {
	txn := CreateTxn{Path: "/app/locks/lock-0000000042", Data: make([]byte, 100), ACL: OpenACLUnsafe, EphemeralOwner: 0x1234, ParentCVersion: 43}
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendTxn(buf[:0], txn)
		if _, err := DecodeTxn(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// heapPerZnode builds a tree of n small znodes (10-byte data, shared ACL,
// 1000 children per parent) and returns the live heap it holds per znode.
func heapPerZnode(n int) float64 {
	hdrs, txns := createTxns(n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tr := New()
	for i := range txns {
		tr.Apply(hdrs[i], txns[i])
	}
	hdrs, txns = nil, nil // the tree keeps the paths and data it was given, nothing else
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(tr)
	_, _ = hdrs, txns
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(tr.NodeCount())
}

// TestMemoryPerZnode bounds the footprint: ZooKeeper's JVM holds about
// 290 MiB with 100,000 znodes; Paddock's tree must stay far below.
func TestMemoryPerZnode(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 100,000 znodes")
	}
	per := heapPerZnode(100_000)
	t.Logf("%.0f bytes/znode for 100,000 small znodes", per)
	if per > 400 {
		t.Fatalf("%.0f bytes per znode", per)
	}
}

func BenchmarkMemoryPerZnode(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.ReportMetric(heapPerZnode(100_000), "bytes/znode")
	}
}

func BenchmarkSnapshot(b *testing.B) {
	hdrs, txns := createTxns(100_000)
	tr := New()
	for i := range txns {
		tr.Apply(hdrs[i], txns[i])
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := tr.WriteSnapshot(&buf); err != nil {
			b.Fatal(err)
		}
		if _, err := ReadSnapshot(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/float64(tr.NodeCount()), "snapbytes/znode")
}

var _ = fmt.Sprint
