package watcher

import (
	"testing"

	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// TestTrigger checks each watch kind against each change as DataTree fires
// them (createNode, deleteNode, setData) through real znode.Tree results.
func TestTrigger(t *testing.T) {
	for _, tt := range []struct {
		name  string
		nodes []string
		add   []w
		op    func(e *env) []Notification
		want  []Notification
		after []w
	}{
		{"data/setData", []string{"/a"}, []w{{1, "/a", Data}},
			func(e *env) []Notification { return e.setData("/a") },
			[]Notification{n(1, zk.EventNodeDataChanged, "/a")}, nil},
		{"data/delete", []string{"/a"}, []w{{1, "/a", Data}},
			func(e *env) []Notification { return e.del("/a") },
			[]Notification{n(1, zk.EventNodeDeleted, "/a")}, nil},
		{"data/child create is not a data change", []string{"/a"}, []w{{1, "/a", Data}},
			func(e *env) []Notification { return e.create("/a/b") },
			nil, []w{{1, "/a", Data}}},
		{"data/other path", []string{"/a", "/b"}, []w{{1, "/a", Data}},
			func(e *env) []Notification { return e.setData("/b") },
			nil, []w{{1, "/a", Data}}},
		{"data/setACL fires nothing", []string{"/a"}, []w{{1, "/a", Data}},
			func(e *env) []Notification {
				return e.apply(0, znode.SetACLTxn{Path: "/a", ACL: zk.ReadACLUnsafe, Version: 1})
			},
			nil, []w{{1, "/a", Data}}},
		{"exist/create", nil, []w{{1, "/a", Exist}},
			func(e *env) []Notification { return e.create("/a") },
			[]Notification{n(1, zk.EventNodeCreated, "/a")}, nil},
		{"exist on existing/setData", []string{"/a"}, []w{{1, "/a", Exist}},
			func(e *env) []Notification { return e.setData("/a") },
			[]Notification{n(1, zk.EventNodeDataChanged, "/a")}, nil},
		{"exist on existing/delete", []string{"/a"}, []w{{1, "/a", Exist}},
			func(e *env) []Notification { return e.del("/a") },
			[]Notification{n(1, zk.EventNodeDeleted, "/a")}, nil},
		{"child/create child", []string{"/a"}, []w{{1, "/a", Child}},
			func(e *env) []Notification { return e.create("/a/b") },
			[]Notification{n(1, zk.EventNodeChildrenChanged, "/a")}, nil},
		{"child/delete child", []string{"/a", "/a/b"}, []w{{1, "/a", Child}},
			func(e *env) []Notification { return e.del("/a/b") },
			[]Notification{n(1, zk.EventNodeChildrenChanged, "/a")}, nil},
		{"child/delete node", []string{"/a"}, []w{{1, "/a", Child}},
			func(e *env) []Notification { return e.del("/a") },
			[]Notification{n(1, zk.EventNodeDeleted, "/a")}, nil},
		{"child/setData is not a child change", []string{"/a"}, []w{{1, "/a", Child}},
			func(e *env) []Notification { return e.setData("/a") },
			nil, []w{{1, "/a", Child}}},
		{"child/grandchild is not a child change", []string{"/a", "/a/b"}, []w{{1, "/a", Child}},
			func(e *env) []Notification { return e.create("/a/b/c") },
			nil, []w{{1, "/a", Child}}},
		{"child on root", nil, []w{{1, "/", Child}},
			func(e *env) []Notification { return e.create("/a") },
			[]Notification{n(1, zk.EventNodeChildrenChanged, "/")}, nil},
		{"data+child one session/delete: one event", []string{"/a"}, []w{{1, "/a", Data}, {1, "/a", Child}},
			func(e *env) []Notification { return e.del("/a") },
			[]Notification{n(1, zk.EventNodeDeleted, "/a")}, nil},
		{"data and child two sessions/delete", []string{"/a"}, []w{{2, "/a", Data}, {1, "/a", Child}, {3, "/a", Data}},
			func(e *env) []Notification { return e.del("/a") },
			[]Notification{n(1, zk.EventNodeDeleted, "/a"), n(2, zk.EventNodeDeleted, "/a"), n(3, zk.EventNodeDeleted, "/a")}, nil},
		{"delete fires node then parent", []string{"/a", "/a/b"}, []w{{1, "/a", Child}, {2, "/a/b", Data}, {3, "/a/b", Child}},
			func(e *env) []Notification { return e.del("/a/b") },
			[]Notification{n(2, zk.EventNodeDeleted, "/a/b"), n(3, zk.EventNodeDeleted, "/a/b"), n(1, zk.EventNodeChildrenChanged, "/a")}, nil},
		{"create fires node then parent", []string{"/a"}, []w{{1, "/a", Child}, {2, "/a/b", Exist}},
			func(e *env) []Notification { return e.create("/a/b") },
			[]Notification{n(2, zk.EventNodeCreated, "/a/b"), n(1, zk.EventNodeChildrenChanged, "/a")}, nil},
		{"persistent/setData kept", []string{"/a"}, []w{{1, "/a", Persistent}},
			func(e *env) []Notification { return e.setData("/a") },
			[]Notification{n(1, zk.EventNodeDataChanged, "/a")}, []w{{1, "/a", Persistent}}},
		{"persistent/children kept", []string{"/a"}, []w{{1, "/a", Persistent}},
			func(e *env) []Notification { return e.create("/a/b") },
			[]Notification{n(1, zk.EventNodeChildrenChanged, "/a")}, []w{{1, "/a", Persistent}}},
		{"persistent/create", nil, []w{{1, "/a", Persistent}},
			func(e *env) []Notification { return e.create("/a") },
			[]Notification{n(1, zk.EventNodeCreated, "/a")}, []w{{1, "/a", Persistent}}},
		{"persistent/delete: one event, kept", []string{"/a"}, []w{{1, "/a", Persistent}},
			func(e *env) []Notification { return e.del("/a") },
			[]Notification{n(1, zk.EventNodeDeleted, "/a")}, []w{{1, "/a", Persistent}}},
		{"persistent/descendant data is nothing", []string{"/a", "/a/b"}, []w{{1, "/a", Persistent}},
			func(e *env) []Notification { return e.setData("/a/b") },
			nil, []w{{1, "/a", Persistent}}},
		{"data+persistent/setData: one event, one-shot goes", []string{"/a"}, []w{{1, "/a", Data}, {1, "/a", Persistent}},
			func(e *env) []Notification { return e.setData("/a") },
			[]Notification{n(1, zk.EventNodeDataChanged, "/a")}, []w{{1, "/a", Persistent}}},
		{"child+persistent/create child", []string{"/a"}, []w{{1, "/a", Child}, {1, "/a", Persistent}},
			func(e *env) []Notification { return e.create("/a/b") },
			[]Notification{n(1, zk.EventNodeChildrenChanged, "/a")}, []w{{1, "/a", Persistent}}},
		{"recursive/create descendant, no children event", []string{"/a", "/a/b"}, []w{{1, "/a", PersistentRecursive}},
			func(e *env) []Notification { return e.create("/a/b/c") },
			[]Notification{n(1, zk.EventNodeCreated, "/a/b/c")}, []w{{1, "/a", PersistentRecursive}}},
		{"recursive/create child", []string{"/a"}, []w{{1, "/a", PersistentRecursive}},
			func(e *env) []Notification { return e.create("/a/b") },
			[]Notification{n(1, zk.EventNodeCreated, "/a/b")}, []w{{1, "/a", PersistentRecursive}}},
		{"recursive/delete descendant", []string{"/a", "/a/b", "/a/b/c"}, []w{{1, "/a", PersistentRecursive}},
			func(e *env) []Notification { return e.del("/a/b/c") },
			[]Notification{n(1, zk.EventNodeDeleted, "/a/b/c")}, []w{{1, "/a", PersistentRecursive}}},
		{"recursive/setData descendant", []string{"/a", "/a/b"}, []w{{1, "/a", PersistentRecursive}},
			func(e *env) []Notification { return e.setData("/a/b") },
			[]Notification{n(1, zk.EventNodeDataChanged, "/a/b")}, []w{{1, "/a", PersistentRecursive}}},
		{"recursive/own path", []string{"/a"}, []w{{1, "/a", PersistentRecursive}},
			func(e *env) []Notification { return e.setData("/a") },
			[]Notification{n(1, zk.EventNodeDataChanged, "/a")}, []w{{1, "/a", PersistentRecursive}}},
		{"recursive/own delete", []string{"/a"}, []w{{1, "/a", PersistentRecursive}},
			func(e *env) []Notification { return e.del("/a") },
			[]Notification{n(1, zk.EventNodeDeleted, "/a")}, []w{{1, "/a", PersistentRecursive}}},
		{"recursive/sibling prefix is not a descendant", []string{"/a", "/ab"}, []w{{1, "/a", PersistentRecursive}},
			func(e *env) []Notification { return e.setData("/ab") },
			nil, []w{{1, "/a", PersistentRecursive}}},
		{"recursive on root sees all", []string{"/a"}, []w{{1, "/", PersistentRecursive}},
			func(e *env) []Notification { return e.create("/a/b") },
			[]Notification{n(1, zk.EventNodeCreated, "/a/b")}, []w{{1, "/", PersistentRecursive}}},
		{"recursive twice + data: one event", []string{"/a", "/a/b"},
			[]w{{1, "/", PersistentRecursive}, {1, "/a", PersistentRecursive}, {1, "/a/b", Data}, {2, "/a", PersistentRecursive}},
			func(e *env) []Notification { return e.setData("/a/b") },
			[]Notification{n(1, zk.EventNodeDataChanged, "/a/b"), n(2, zk.EventNodeDataChanged, "/a/b")},
			[]w{{1, "/", PersistentRecursive}, {1, "/a", PersistentRecursive}, {2, "/a", PersistentRecursive}}},
		{"recursive+child on one path: children via child", []string{"/a"}, []w{{1, "/a", PersistentRecursive}, {1, "/a", Child}},
			func(e *env) []Notification { return e.create("/a/b") },
			[]Notification{n(1, zk.EventNodeCreated, "/a/b"), n(1, zk.EventNodeChildrenChanged, "/a")}, []w{{1, "/a", PersistentRecursive}}},
		{"sessions sorted", []string{"/a"}, []w{{9, "/a", Data}, {-3, "/a", Data}, {4, "/a", Persistent}, {1 << 60, "/a", Exist}},
			func(e *env) []Notification { return e.setData("/a") },
			[]Notification{n(-3, zk.EventNodeDataChanged, "/a"), n(4, zk.EventNodeDataChanged, "/a"), n(9, zk.EventNodeDataChanged, "/a"), n(1<<60, zk.EventNodeDataChanged, "/a")},
			[]w{{4, "/a", Persistent}}},
		{"check and createSession fire nothing", []string{"/a"}, []w{{1, "/a", Data}, {1, "/", Child}},
			func(e *env) []Notification {
				out := e.apply(0, znode.MultiTxn{Ops: []znode.Txn{znode.CheckTxn{Path: "/a", Version: 0}}})
				return append(out, e.apply(5, znode.CreateSessionTxn{Timeout: 1000})...)
			},
			nil, []w{{1, "/", Child}, {1, "/a", Data}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.mkdirs(tt.nodes...)
			e.add(tt.add...)
			wantN(t, tt.op(e), tt.want)
			wantWatches(t, e.reg, tt.after)
		})
	}
}

// TestOneShotThenPersistent: a one-shot watch fires once; a persistent one
// every time.
func TestOneShotThenPersistent(t *testing.T) {
	e := newEnv(t)
	e.mkdirs("/a")
	e.add(w{1, "/a", Data}, w{2, "/a", Persistent})
	wantN(t, e.setData("/a"), []Notification{n(1, zk.EventNodeDataChanged, "/a"), n(2, zk.EventNodeDataChanged, "/a")})
	wantN(t, e.setData("/a"), []Notification{n(2, zk.EventNodeDataChanged, "/a")})
	e.add(w{1, "/a", Data})
	wantN(t, e.setData("/a"), []Notification{n(1, zk.EventNodeDataChanged, "/a"), n(2, zk.EventNodeDataChanged, "/a")})
	// Persistent survives the delete and sees the re-create.
	wantN(t, e.del("/a"), []Notification{n(2, zk.EventNodeDeleted, "/a")})
	wantN(t, e.create("/a"), []Notification{n(2, zk.EventNodeCreated, "/a")})
	wantWatches(t, e.reg, []w{{2, "/a", Persistent}})
	if c := e.reg.Counts(); c != (Counts{Sessions: 1, Paths: 1, Watches: 1}) {
		t.Fatalf("counts %+v", c)
	}
}

// TestMulti: each op of a multi is its own trigger, in op order; a one-shot
// watch fires once, a persistent one per op (as ZooKeeper).
func TestMulti(t *testing.T) {
	e := newEnv(t)
	e.add(w{1, "/m", Exist}, w{2, "/m", Persistent}, w{3, "/", Child}, w{4, "/", PersistentRecursive})
	m := znode.MultiTxn{Ops: []znode.Txn{
		e.createTxn("/m", 0),
		znode.SetDataTxn{Path: "/m", Data: []byte("1"), Version: 1},
		znode.SetDataTxn{Path: "/m", Data: []byte("2"), Version: 2},
		znode.CheckTxn{Path: "/m", Version: 2},
		znode.DeleteTxn{Path: "/m"},
	}}
	wantN(t, e.apply(0, m), []Notification{
		n(1, zk.EventNodeCreated, "/m"), n(2, zk.EventNodeCreated, "/m"), n(4, zk.EventNodeCreated, "/m"),
		n(3, zk.EventNodeChildrenChanged, "/"),
		n(2, zk.EventNodeDataChanged, "/m"), n(4, zk.EventNodeDataChanged, "/m"),
		n(2, zk.EventNodeDataChanged, "/m"), n(4, zk.EventNodeDataChanged, "/m"),
		n(2, zk.EventNodeDeleted, "/m"), n(4, zk.EventNodeDeleted, "/m"),
	})
	wantWatches(t, e.reg, []w{{4, "/", PersistentRecursive}, {2, "/m", Persistent}})

	// A failed multi changes nothing and fires nothing.
	e.add(w{3, "/", Child})
	failed := znode.MultiTxn{Ops: []znode.Txn{znode.ErrorTxn{Err: zk.Ok}, znode.ErrorTxn{Err: zk.NoNode}}}
	wantN(t, e.apply(0, failed), nil)
	wantWatches(t, e.reg, []w{{3, "/", Child}, {4, "/", PersistentRecursive}, {2, "/m", Persistent}})
}

// TestCloseSession: closeSession's deletes of ephemerals fire like deletes,
// in the txn's order.
func TestCloseSession(t *testing.T) {
	e := newEnv(t)
	const owner = 7
	e.apply(owner, znode.CreateSessionTxn{Timeout: 30000})
	e.mkdirs("/d")
	e.apply(owner, e.createTxn("/e1", owner))
	e.apply(owner, e.createTxn("/d/e2", owner))
	e.add(w{1, "/e1", Data}, w{2, "/d", Child}, w{3, "/d", PersistentRecursive}, w{owner, "/d/e2", Data}, w{4, "/", Child})
	got := e.apply(owner, znode.CloseSessionTxn{Paths: []string{"/e1", "/d/e2"}})
	wantN(t, got, []Notification{
		n(1, zk.EventNodeDeleted, "/e1"), n(4, zk.EventNodeChildrenChanged, "/"),
		n(3, zk.EventNodeDeleted, "/d/e2"), n(owner, zk.EventNodeDeleted, "/d/e2"), n(2, zk.EventNodeChildrenChanged, "/d"),
	})
	e.reg.DropSession(owner)
	checkInvariants(t, e.reg)
	wantWatches(t, e.reg, []w{{3, "/d", PersistentRecursive}})
}

func TestTriggerEmpty(t *testing.T) {
	r := New()
	if got := r.Trigger([]znode.Change{{Type: znode.DataChanged, Path: "/a"}, {Type: znode.Deleted, Path: "/a"}}); got != nil {
		t.Fatalf("got %v", got)
	}
	buf := make([]Notification, 0, 4)
	r.Add(1, "/a", Data)
	got := r.AppendTrigger(buf, []znode.Change{{Type: znode.DataChanged, Path: "/a"}})
	if len(got) != 1 || &got[0] != &buf[:1][0] {
		t.Fatalf("AppendTrigger did not reuse the buffer: %v", got)
	}
}
