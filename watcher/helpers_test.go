package watcher

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// env applies txns to a real znode.Tree and triggers the registry with the
// changes Apply reports, as package store does.
type env struct {
	t    testing.TB
	tree *znode.Tree
	reg  *Registry
	zxid int64
}

func newEnv(t testing.TB) *env {
	return &env{t: t, tree: znode.New(), reg: New()}
}

func (e *env) apply(session int64, txn znode.Txn) []Notification {
	e.t.Helper()
	e.zxid++
	res := e.tree.Apply(znode.TxnHeader{Session: session, Zxid: e.zxid, Time: e.zxid, Type: txn.TxnOp()}, txn)
	if res.Fault != nil {
		e.t.Fatalf("apply %#v: %v", txn, res.Fault)
	}
	out := e.reg.Trigger(res.Changes)
	checkInvariants(e.t, e.reg)
	return out
}

func (e *env) createTxn(path string, owner int64) znode.CreateTxn {
	parent := path[:strings.LastIndexByte(path, '/')]
	if parent == "" {
		parent = "/"
	}
	st, ok := e.tree.Exists(parent)
	if !ok {
		e.t.Fatalf("no parent for %s", path)
	}
	return znode.CreateTxn{Path: path, ACL: zk.OpenACLUnsafe, EphemeralOwner: owner, ParentCVersion: st.Cversion + 1}
}

func (e *env) create(path string) []Notification {
	e.t.Helper()
	return e.apply(0, e.createTxn(path, 0))
}

// mkdirs creates paths without triggering the registry.
func (e *env) mkdirs(paths ...string) {
	e.t.Helper()
	for _, p := range paths {
		e.zxid++
		res := e.tree.Apply(znode.TxnHeader{Zxid: e.zxid, Time: e.zxid, Type: zk.OpCreate}, e.createTxn(p, 0))
		if res.Fault != nil {
			e.t.Fatalf("mkdir %s: %v", p, res.Fault)
		}
	}
}

func (e *env) setData(path string) []Notification {
	e.t.Helper()
	st, _ := e.tree.Exists(path)
	return e.apply(0, znode.SetDataTxn{Path: path, Data: []byte("x"), Version: st.Version + 1})
}

func (e *env) del(path string) []Notification {
	e.t.Helper()
	return e.apply(0, znode.DeleteTxn{Path: path})
}

// w is a registration for tables.
type w struct {
	s int64
	p string
	m Mode
}

func (e *env) add(ws ...w) {
	for _, x := range ws {
		e.reg.Add(x.s, x.p, x.m)
	}
	checkInvariants(e.t, e.reg)
}

func n(s int64, t zk.EventType, p string) Notification { return Notification{s, t, p} }

func fmtN(ns []Notification) string {
	var b strings.Builder
	for _, x := range ns {
		fmt.Fprintf(&b, "\n  %d %v %s", x.Session, x.Type, x.Path)
	}
	return b.String()
}

func wantN(t testing.TB, got, want []Notification) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("notifications:%s\nwant:%s", fmtN(got), fmtN(want))
	}
}

// dumpW renders Dump as registrations for comparison.
func dumpW(r *Registry) []w {
	var out []w
	for _, x := range r.Dump() {
		out = append(out, w{x.Session, x.Path, x.Mode})
	}
	return out
}

func wantWatches(t testing.TB, r *Registry, want []w) {
	t.Helper()
	got := dumpW(r)
	if !slices.Equal(got, want) {
		t.Fatalf("watches %v, want %v", got, want)
	}
}

// checkInvariants recomputes every count and index from the entries.
func checkInvariants(t testing.TB, r *Registry) {
	t.Helper()
	watches, recursive := 0, 0
	seen := map[int64]int{}
	for p, pw := range r.paths {
		if pw.path != p {
			t.Fatalf("path %q holds %q", p, pw.path)
		}
		live, rec := 0, 0
		for i, e := range pw.entries {
			if i > 0 && pw.entries[i-1].session >= e.session {
				t.Fatalf("%s: entries not sorted/unique: %v", p, pw.entries)
			}
			if e.bits&^bitAll != 0 {
				t.Fatalf("%s: bad bits %b", p, e.bits)
			}
			if e.bits == 0 {
				continue
			}
			live++
			watches += popcount(e.bits)
			if e.bits&bitRecursive != 0 {
				rec++
			}
			sw := r.sessions[e.session]
			if sw == nil || e.sw != sw {
				t.Fatalf("%s: session %d entry not tied to its index", p, e.session)
			}
			if _, ok := sw.paths[pw]; !ok {
				t.Fatalf("%s: session %d not indexed", p, e.session)
			}
			seen[e.session]++
		}
		if live == 0 || live != pw.live || rec != pw.recursive {
			t.Fatalf("%s: live %d/%d recursive %d/%d", p, live, pw.live, rec, pw.recursive)
		}
		recursive += rec
	}
	if watches != r.watches || recursive != r.recursive {
		t.Fatalf("watches %d/%d recursive %d/%d", watches, r.watches, recursive, r.recursive)
	}
	if len(seen) != r.watching {
		t.Fatalf("watching %d, %d seen", r.watching, len(seen))
	}
	for s, sw := range r.sessions {
		if sw.live != seen[s] {
			t.Fatalf("session %d: live %d, %d seen", s, sw.live, seen[s])
		}
	}
}
