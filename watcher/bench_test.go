package watcher

import (
	"fmt"
	"testing"

	"github.com/paddock-zk/paddock/znode"
)

// BenchmarkFanOut10k: 10,000 sessions with a data watch on one path, one
// setData. Each iteration re-registers the watches (they are one-shot),
// outside the timer.
func BenchmarkFanOut10k(b *testing.B) {
	const n = 10000
	r := New()
	changes := []znode.Change{{Type: znode.DataChanged, Path: "/hot"}}
	var buf []Notification
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for s := int64(1); s <= n; s++ {
			r.Add(s, "/hot", Data)
		}
		b.StartTimer()
		buf = r.AppendTrigger(buf[:0], changes)
		if len(buf) != n {
			b.Fatalf("%d notifications", len(buf))
		}
	}
}

// BenchmarkFanOut10kPersistent: the same fan-out through persistent
// watches, which stay registered: nothing but the trigger is measured.
func BenchmarkFanOut10kPersistent(b *testing.B) {
	const n = 10000
	r := New()
	for s := int64(1); s <= n; s++ {
		r.Add(s, "/hot", Persistent)
	}
	changes := []znode.Change{{Type: znode.DataChanged, Path: "/hot"}}
	var buf []Notification
	b.ReportAllocs()
	for b.Loop() {
		buf = r.AppendTrigger(buf[:0], changes)
		if len(buf) != n {
			b.Fatalf("%d notifications", len(buf))
		}
	}
}

// BenchmarkDeepNoWatch: a change deep in a tree whose registry holds many
// recursive watches elsewhere: the cost is the ancestor walk, not the
// registry's size.
func BenchmarkDeepNoWatch(b *testing.B) {
	r := New()
	for i := 0; i < 100000; i++ {
		r.Add(int64(i), fmt.Sprintf("/other/%d", i), PersistentRecursive)
	}
	changes := []znode.Change{{Type: znode.Created, Path: "/a/b/c/d/e/f/g/h"}, {Type: znode.ChildrenChanged, Path: "/a/b/c/d/e/f/g"}}
	b.ReportAllocs()
	for b.Loop() {
		if got := r.Trigger(changes); got != nil {
			b.Fatal(got)
		}
	}
}

// BenchmarkAddTriggerSmall: the common case, a handful of one-shot watches
// on separate paths set and fired.
func BenchmarkAddTriggerSmall(b *testing.B) {
	r := New()
	changes := []znode.Change{{Type: znode.Created, Path: "/q/n1"}, {Type: znode.ChildrenChanged, Path: "/q"}}
	var buf []Notification
	b.ReportAllocs()
	for b.Loop() {
		r.Add(1, "/q/n1", Exist)
		r.Add(2, "/q", Child)
		buf = r.AppendTrigger(buf[:0], changes)
		if len(buf) != 2 {
			b.Fatal(buf)
		}
	}
}
