package watcher

import (
	"testing"

	"github.com/paddock-zk/paddock/zk"
)

// TestSetWatches: DataTree.setWatches' catch-up rule against a real tree.
func TestSetWatches(t *testing.T) {
	e := newEnv(t)
	e.mkdirs("/old", "/kids", "/changed", "/now")
	rel := e.zxid
	e.setData("/changed")
	e.create("/kids/k")
	e.create("/born")
	e.mkdirs("/x")
	e.del("/x")
	got := e.reg.SetWatches(1, rel,
		[]string{"/old", "/changed", "/gone", "/kids"},
		[]string{"/born", "/missing", "/old"},
		[]string{"/old", "/kids", "/gone", "/changed"},
		[]string{"/p", "/old"},
		[]string{"/r"},
		e.tree.Exists)
	wantN(t, got, []Notification{
		n(1, zk.EventNodeDataChanged, "/changed"),
		n(1, zk.EventNodeDeleted, "/gone"),
		n(1, zk.EventNodeCreated, "/born"),
		n(1, zk.EventNodeCreated, "/old"),
		n(1, zk.EventNodeChildrenChanged, "/kids"),
		n(1, zk.EventNodeDeleted, "/gone"),
	})
	wantWatches(t, e.reg, []w{
		{1, "/changed", Child},
		{1, "/kids", Data},
		{1, "/missing", Data},
		{1, "/old", Data}, {1, "/old", Child}, {1, "/old", Persistent},
		{1, "/p", Persistent},
		{1, "/r", PersistentRecursive},
	})
	checkInvariants(t, e.reg)
	// The re-registered watches work like fresh ones.
	wantN(t, e.create("/missing"), []Notification{n(1, zk.EventNodeCreated, "/missing")})
	wantN(t, e.create("/r"), []Notification{n(1, zk.EventNodeCreated, "/r")})
	wantN(t, e.create("/r/s"), []Notification{n(1, zk.EventNodeCreated, "/r/s")})
	wantN(t, e.del("/old"), []Notification{n(1, zk.EventNodeDeleted, "/old")})
	wantWatches(t, e.reg, []w{
		{1, "/changed", Child},
		{1, "/kids", Data},
		{1, "/old", Persistent},
		{1, "/p", Persistent},
		{1, "/r", PersistentRecursive},
	})
	// relZxid at the latest: nothing fires, all registered.
	if got := e.reg.SetWatches(2, e.zxid, []string{"/now"}, nil, []string{"/kids"}, nil, nil, e.tree.Exists); got != nil {
		t.Fatalf("fired %v", got)
	}
	if !e.reg.Check(2, "/now", zk.WatchData) || !e.reg.Check(2, "/kids", zk.WatchChildren) {
		t.Fatal("not registered")
	}
}
