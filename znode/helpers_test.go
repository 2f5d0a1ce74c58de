package znode

import (
	"errors"
	"testing"

	"github.com/paddock-zk/paddock/zk"
)

// env drives a Prep and its Tree the way a single-node leader would:
// prepare, apply, trim the overlay.
type env struct {
	t    testing.TB
	tree *Tree
	prep *Prep
	zxid int64
	time int64
	log  []logged // every txn applied, for replay
}

type logged struct {
	hdr TxnHeader
	txn Txn
}

func newEnv(t testing.TB) *env {
	tree := New()
	return &env{t: t, tree: tree, prep: NewPrep(tree), time: 1000}
}

func (e *env) hdr(session int64, op zk.OpCode) TxnHeader {
	e.zxid++
	e.time += 10
	return TxnHeader{Session: session, Cxid: int32(e.zxid), Zxid: e.zxid, Time: e.time, Type: op}
}

// prepare only (the txn stays pending).
func (e *env) prepare(session int64, req Request, auth ...zk.ID) (TxnHeader, Txn, error) {
	h := e.hdr(session, req.Op())
	txn, err := e.prep.Prepare(h, req, auth)
	return h, txn, err
}

func (e *env) apply(h TxnHeader, txn Txn) Result {
	res := e.tree.Apply(h, txn)
	if res.Fault != nil {
		e.t.Fatalf("apply %T at %d: %v", txn, h.Zxid, res.Fault)
	}
	e.prep.Applied(h.Zxid)
	e.log = append(e.log, logged{h, txn})
	return res
}

// do prepares and applies req; a failed request is still applied as its
// error txn, as ZooKeeper proposes it.
func (e *env) do(session int64, req Request, auth ...zk.ID) (Result, error) {
	h, txn, err := e.prepare(session, req, auth...)
	res := e.apply(h, txn)
	if err == nil && res.Err != zk.Ok {
		e.t.Fatalf("prepared ok but applied with %v", res.Err)
	}
	if err != nil && res.Err != zk.CodeOf(err) {
		e.t.Fatalf("prepare failed with %v but applied with %v", err, res.Err)
	}
	return res, err
}

func (e *env) must(session int64, req Request, auth ...zk.ID) Result {
	e.t.Helper()
	res, err := e.do(session, req, auth...)
	if err != nil {
		e.t.Fatalf("%#v: %v", req, err)
	}
	return res
}

func (e *env) session(id int64) {
	e.t.Helper()
	e.must(id, CreateSession{Timeout: 30000})
}

func (e *env) stat(path string) zk.Stat {
	e.t.Helper()
	st, ok := e.tree.Exists(path)
	if !ok {
		e.t.Fatalf("%s does not exist", path)
	}
	return st
}

func (e *env) checkDigest() {
	e.t.Helper()
	if d, s := e.tree.Digest(), e.tree.DigestSlow(); d != s {
		e.t.Fatalf("incremental digest %#x != recomputed %#x", d, s)
	}
}

func wantCode(t testing.TB, err error, c zk.Code) {
	t.Helper()
	if c == zk.Ok {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	if !errors.Is(err, &zk.Error{Code: c}) {
		t.Fatalf("error %v, want %v", err, c)
	}
}

func asErr(err error, target **zk.Error) bool { return errors.As(err, target) }
