package watcher

import (
	"maps"
	"slices"
	"testing"

	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// TestRemoveCheck: removeWatches and checkWatches with every Type
// against every combination of modes on the path (ZooKeeper 3.9's
// DataTree.removeWatch / containsWatcher).
func TestRemoveCheck(t *testing.T) {
	all := []Mode{Data, Child, Persistent, PersistentRecursive}
	types := []zk.WatcherType{zk.WatchChildren, zk.WatchData, zk.WatchAny, zk.WatchPersistent, zk.WatchPersistentRecursive}
	sel := map[zk.WatcherType][]Mode{
		zk.WatchChildren:            {Child},
		zk.WatchData:                {Data},
		zk.WatchAny:                 all,
		zk.WatchPersistent:          {Persistent},
		zk.WatchPersistentRecursive: {PersistentRecursive},
	}
	for set := 0; set < 16; set++ {
		var have []Mode
		for i, m := range all {
			if set&(1<<i) != 0 {
				have = append(have, m)
			}
		}
		for _, wt := range types {
			r := New()
			for _, m := range have {
				r.Add(1, "/a", m)
			}
			r.Add(2, "/a", Data) // another session's watch is never touched
			r.Add(1, "/a/b", Child)
			var gone, kept []Mode
			for _, m := range have {
				if slices.Contains(sel[wt], m) {
					gone = append(gone, m)
				} else {
					kept = append(kept, m)
				}
			}
			if got := r.Check(1, "/a", wt); got != (len(gone) > 0) {
				t.Errorf("%v check %v = %v", have, wt, got)
			}
			removed, ok := r.Remove(1, "/a", wt)
			if ok != (len(gone) > 0) {
				t.Fatalf("%v remove %v ok %v", have, wt, ok)
			}
			var want []Notification
			if slices.Contains(gone, Data) {
				want = append(want, n(1, zk.EventDataWatchRemoved, "/a"))
			}
			if slices.Contains(gone, Child) {
				want = append(want, n(1, zk.EventChildWatchRemoved, "/a"))
			}
			if slices.Contains(gone, Persistent) || slices.Contains(gone, PersistentRecursive) {
				want = append(want, n(1, zk.EventPersistentWatchRemoved, "/a"))
			}
			if !slices.Equal(removed, want) {
				t.Fatalf("%v remove %v: %v want %v", have, wt, removed, want)
			}
			checkInvariants(t, r)
			wantMap := map[string][]Mode{"/a/b": {Child}}
			if len(kept) > 0 {
				wantMap["/a"] = kept
			}
			if got := r.Watches(1); !maps.EqualFunc(got, wantMap, slices.Equal) {
				t.Fatalf("%v remove %v: left %v want %v", have, wt, got, wantMap)
			}
			if r.Check(1, "/a", wt) {
				t.Fatalf("%v: check %v after remove", have, wt)
			}
			if _, ok := r.Remove(1, "/a", wt); ok {
				t.Fatalf("%v: second remove %v ok", have, wt)
			}
			if !r.Check(2, "/a", zk.WatchData) || !r.Check(1, "/a/b", zk.WatchChildren) {
				t.Fatalf("%v remove %v touched other watches", have, wt)
			}
		}
	}
}

func TestRemoveCheckEdges(t *testing.T) {
	r := New()
	r.Add(1, "/a", PersistentRecursive)
	r.Add(1, "/a", Exist)
	for _, tt := range []struct {
		s  int64
		p  string
		wt zk.WatcherType
	}{
		{1, "/a/b", zk.WatchAny}, // a recursive watch on an ancestor is not a watch on the path
		{1, "/a/b", zk.WatchPersistentRecursive},
		{2, "/a", zk.WatchAny}, // another session
		{1, "/a", 0},           // invalid types
		{1, "/a", 6},
		{1, "/x", zk.WatchData}, // no path
	} {
		if r.Check(tt.s, tt.p, tt.wt) {
			t.Errorf("check %+v", tt)
		}
		if _, ok := r.Remove(tt.s, tt.p, tt.wt); ok {
			t.Errorf("remove %+v", tt)
		}
	}
	// Exist is listed and removed as Data.
	if got := r.Watches(1)["/a"]; !slices.Equal(got, []Mode{Data, PersistentRecursive}) {
		t.Fatalf("modes %v", got)
	}
	if removed, ok := r.Remove(1, "/a", zk.WatchAny); !ok || !slices.Equal(removed, []Notification{n(1, zk.EventDataWatchRemoved, "/a"), n(1, zk.EventPersistentWatchRemoved, "/a")}) {
		t.Fatalf("remove any: %v %v", removed, ok)
	}
	if c := r.Counts(); c != (Counts{}) || len(r.paths) != 0 || r.watching != 0 || r.recursive != 0 {
		t.Fatalf("not empty: %+v", c)
	}
	// A removed recursive watch no longer fires.
	if got := r.Trigger([]znode.Change{{Type: znode.Created, Path: "/a/b"}}); got != nil {
		t.Fatalf("fired %v", got)
	}
}

func TestDropSession(t *testing.T) {
	r := New()
	for s := int64(1); s <= 20; s++ {
		r.Add(s, "/a", Data)
		r.Add(s, "/a", Persistent)
		r.Add(s, "/b", PersistentRecursive)
		r.Add(s, "/c", Child)
	}
	for s := int64(1); s <= 20; s += 2 {
		r.DropSession(s)
		checkInvariants(t, r)
	}
	r.DropSession(1) // again: no-op
	r.DropSession(99)
	if c := r.Counts(); c != (Counts{Sessions: 10, Paths: 3, Watches: 40}) {
		t.Fatalf("counts %+v", c)
	}
	// A dropped session is not notified; the tombstones are reused.
	r.Add(3, "/a", Data)
	got := r.Trigger([]znode.Change{{Type: znode.DataChanged, Path: "/a"}})
	var want []Notification
	for _, s := range []int64{2, 3, 4, 6, 8, 10, 12, 14, 16, 18, 20} {
		want = append(want, n(s, zk.EventNodeDataChanged, "/a"))
	}
	wantN(t, got, want)
	checkInvariants(t, r)
	for s := int64(2); s <= 20; s += 2 {
		r.DropSession(s)
	}
	checkInvariants(t, r)
	if c := r.Counts(); c != (Counts{}) || len(r.paths) != 0 {
		t.Fatalf("counts %+v paths %v", c, r.paths)
	}
	if r.Watches(2) != nil {
		t.Fatal("watches of a dropped session")
	}
}

func TestListings(t *testing.T) {
	r := New()
	r.Add(2, "/b", Child)
	r.Add(1, "/b", Persistent)
	r.Add(1, "/b", Data)
	r.Add(1, "/a", Exist)
	r.Add(1, "/a", Exist) // no-op
	want := []Watch{{1, "/a", Data}, {1, "/b", Data}, {1, "/b", Persistent}, {2, "/b", Child}}
	if got := r.Dump(); !slices.Equal(got, want) {
		t.Fatalf("dump %v", got)
	}
	if c := r.Counts(); c != (Counts{Sessions: 2, Paths: 2, Watches: 4}) {
		t.Fatalf("counts %+v", c)
	}
	if got := r.Watches(1); !maps.EqualFunc(got, map[string][]Mode{"/a": {Data}, "/b": {Data, Persistent}}, slices.Equal) {
		t.Fatalf("watches %v", got)
	}
}

func TestModes(t *testing.T) {
	if m, ok := ModeOfAddWatch(0); !ok || m != Persistent {
		t.Fatal(m)
	}
	if m, ok := ModeOfAddWatch(1); !ok || m != PersistentRecursive {
		t.Fatal(m)
	}
	if _, ok := ModeOfAddWatch(2); ok {
		t.Fatal("mode 2")
	}
	for e, s := range map[zk.EventType]string{zk.EventNone: "None", zk.EventNodeCreated: "NodeCreated", zk.EventPersistentWatchRemoved: "PersistentWatchRemoved", 9: "EventType(9)"} {
		if e.String() != s {
			t.Errorf("%d: %s", e, e)
		}
	}
	if zk.EventNodeChildrenChanged != 4 || zk.EventChildWatchRemoved != 6 || zk.WatchAny != 3 || zk.WatchChildren != 1 || zk.WatchData != 2 {
		t.Fatal("wire numbers")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("invalid mode accepted")
		}
	}()
	New().Add(1, "/a", 0)
}

// TestIndexBounded: a session that keeps watching new paths that fire (a
// queue consumer) does not grow its index without bound, and a session
// whose watches all fired still drops cleanly.
func TestIndexBounded(t *testing.T) {
	r := New()
	r.Add(1, "/keep", Persistent)
	for i := 0; i < 1000; i++ {
		p := "/q/n" + string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		r.Add(1, p, Exist)
		r.Add(2, p, Data)
		if l := len(r.sessions[1].paths); l > 2*r.sessions[1].live+8 {
			t.Fatalf("step %d: index of %d paths", i, l)
		}
		checkInvariants(t, r)
		r.Trigger([]znode.Change{{Type: znode.Created, Path: p}})
	}
	checkInvariants(t, r)
	if c := r.Counts(); c != (Counts{Sessions: 1, Paths: 1, Watches: 1}) {
		t.Fatalf("counts %+v", c)
	}
	if r.Watches(2) != nil {
		t.Fatal("session 2 has watches")
	}
	r.DropSession(2)
	r.DropSession(1)
	checkInvariants(t, r)
	if c := r.Counts(); c != (Counts{}) || len(r.sessions) != 0 || len(r.paths) != 0 {
		t.Fatalf("counts %+v", c)
	}
}
