package znode

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"github.com/paddock-zk/paddock/zk"
)

func createTxns(n int) ([]TxnHeader, []Txn) {
	hdrs := make([]TxnHeader, 0, n+n/1000+1)
	txns := make([]Txn, 0, cap(hdrs))
	z := int64(0)
	add := func(txn Txn) {
		z++
		hdrs = append(hdrs, TxnHeader{Zxid: z, Time: z, Type: zk.OpCreate})
		txns = append(txns, txn)
	}
	data := []byte("0123456789")
	for i := 0; i < n; i++ {
		if i%1000 == 0 {
			add(CreateTxn{Path: "/p" + strconv.Itoa(i/1000), ACL: zk.OpenACLUnsafe, ParentCVersion: -1})
		}
		add(CreateTxn{Path: "/p" + strconv.Itoa(i/1000) + "/n" + strconv.Itoa(i), Data: data, ACL: zk.OpenACLUnsafe, ParentCVersion: -1})
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
	e.must(0, Create{Path: "/k", ACL: zk.OpenACLUnsafe})
	data := bytes.Repeat([]byte("x"), 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h := e.hdr(1, zk.OpSetData)
		txn, err := e.prep.Prepare(h, SetData{Path: "/k", Data: data, Version: -1}, nil)
		if err != nil {
			b.Fatal(err)
		}
		e.tree.Apply(h, txn)
		e.prep.Applied(h.Zxid)
	}
}

func BenchmarkEncodeDecodeTxn(b *testing.B) {
	txn := CreateTxn{Path: "/app/locks/lock-0000000042", Data: make([]byte, 100), ACL: zk.OpenACLUnsafe, EphemeralOwner: 0x1234, ParentCVersion: 43}
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendTxn(buf[:0], txn)
		if _, err := DecodeTxn(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// heapPerZnode returns the live heap a tree of n znodes holds per znode:
// realistic paths (/app/service-%08d, one parent, as a service registry
// lays them out) and 100 bytes of data each, every path and data slice
// its own allocation, as a tree restored from a snapshot or built from
// client requests holds them. The baseline is read before anything of the
// tree is allocated, so paths, data, node structs, the path map and the
// children set all count; nothing else is live in between.
func heapPerZnode(n int) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tr := New()
	z := int64(1)
	tr.Apply(TxnHeader{Zxid: z, Time: z, Type: zk.OpCreate}, CreateTxn{Path: "/app", ACL: zk.OpenACLUnsafe, ParentCVersion: -1})
	for i := 0; i < n; i++ {
		z++
		data := make([]byte, 100)
		copy(data, fmt.Sprintf("host-%08d.example.internal:2181 weight=100 zone=eu-west-1a", i))
		txn := CreateTxn{Path: fmt.Sprintf("/app/service-%08d", i), Data: data, ACL: zk.OpenACLUnsafe, ParentCVersion: -1}
		if r := tr.Apply(TxnHeader{Zxid: z, Time: z, Type: zk.OpCreate}, txn); r.Fault != nil {
			panic(r.Fault)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(tr)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

// TestMemoryPerZnode bounds the footprint: ZooKeeper's JVM holds about
// 290 MiB with 100,000 znodes (about 3,000 bytes each, JVM included);
// Paddock's tree, 100 bytes of data included, must stay far below.
func TestMemoryPerZnode(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 100,000 znodes")
	}
	per := heapPerZnode(100_000)
	t.Logf("%.0f bytes/znode for 100,000 znodes with 100-byte data", per)
	if per > 600 {
		t.Fatalf("%.0f bytes per znode", per)
	}
}

// BenchmarkMemoryPerZnode reports the live heap per znode (bytes/znode,
// 100-byte data and a ~25-byte path included) for 100,000 znodes.
//
//	go test -run '^$' -bench MemoryPerZnode -benchtime 1x ./znode
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
