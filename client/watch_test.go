package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/client/clienttest"
	"github.com/paddock-zk/paddock/internal/faultproxy"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/server"
	"github.com/paddock-zk/paddock/zk"
)

// next waits up to d for the next event on ch; the channel must not be
// closed before.
func next(t *testing.T, ch <-chan Event, d time.Duration) Event {
	t.Helper()
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatalf("channel closed, an event expected")
		}
		return e
	case <-tm.C:
		t.Fatalf("no event within %s", d)
	}
	return Event{}
}

// expect checks the next event's type and path.
func expect(t *testing.T, ch <-chan Event, typ EventType, path string) Event {
	t.Helper()
	e := next(t, ch, 10*time.Second)
	if e.Type != typ || e.Path != path {
		t.Fatalf("got %v (zxid 0x%x), want %s on %s", e, e.Zxid, typ, path)
	}
	return e
}

// closedNow checks that ch is closed, nothing left in it.
func closedNow(t *testing.T, ch <-chan Event) {
	t.Helper()
	select {
	case e, ok := <-ch:
		if ok {
			t.Fatalf("another event %v, want the channel closed", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed")
	}
}

// empty checks that nothing is in ch now.
func empty(t *testing.T, ch <-chan Event) {
	t.Helper()
	select {
	case e, ok := <-ch:
		t.Fatalf("unexpected %v (open %v)", e, ok)
	default:
	}
}

func connectTo(ctx context.Context, t *testing.T, n *server.Node, opts ...Option) *Conn {
	t.Helper()
	c, err := Connect(ctx, []string{n.BusURL()}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func mustCreate(ctx context.Context, t *testing.T, c *Conn, path string, data string) zk.Stat {
	t.Helper()
	_, st, err := c.Create2(ctx, path, []byte(data), zk.Persistent, nil)
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	return st
}

func mustSet(ctx context.Context, t *testing.T, c *Conn, path string, data string) zk.Stat {
	t.Helper()
	st, err := c.Set(ctx, path, []byte(data), -1)
	if err != nil {
		t.Fatalf("set %s: %v", path, err)
	}
	return st
}

func mustDelete(ctx context.Context, t *testing.T, c *Conn, path string) {
	t.Helper()
	if err := c.Delete(ctx, path, -1); err != nil {
		t.Fatalf("delete %s: %v", path, err)
	}
}

func TestWatchEventStrings(t *testing.T) {
	e := Event{Type: EventNodeChildrenChanged, State: StateConnected, Path: "/serverList"}
	if got, want := e.String(), "WatchedEvent state:SyncConnected type:NodeChildrenChanged path:/serverList"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	e = Event{Type: EventNone, State: StateClosed}
	if got, want := e.String(), "WatchedEvent state:Closed type:None path:null"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	names := map[EventType]string{EventNone: "None", EventNodeCreated: "NodeCreated", EventNodeDeleted: "NodeDeleted",
		EventNodeDataChanged: "NodeDataChanged", EventNodeChildrenChanged: "NodeChildrenChanged",
		EventDataWatchRemoved: "DataWatchRemoved", EventChildWatchRemoved: "ChildWatchRemoved",
		EventPersistentWatchRemoved: "PersistentWatchRemoved", 9: "EventType(9)"}
	for typ, want := range names {
		if typ.String() != want {
			t.Errorf("%d: %q, want %q", int32(typ), typ.String(), want)
		}
	}
}

// Every watch kind and event type against a real ensemble: the watching
// session is on one node, the writer on another.
func TestWatches(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	c := connectTo(ctx, t, nodes[0])
	w := connectTo(ctx, t, nodes[1])
	mustCreate(ctx, t, w, "/w", "")
	if err := c.Sync(ctx, "/"); err != nil {
		t.Fatal(err)
	}

	t.Run("data", func(t *testing.T) {
		mustCreate(ctx, t, w, "/w/data", "v0")
		if err := c.Sync(ctx, "/"); err != nil {
			t.Fatal(err)
		}
		data, _, ch, err := c.GetW(ctx, "/w/data")
		if err != nil || string(data) != "v0" {
			t.Fatalf("GetW: %q %v", data, err)
		}
		if cap(ch) != 1 {
			t.Fatalf("one-shot channel of capacity %d", cap(ch))
		}
		st := mustSet(ctx, t, w, "/w/data", "v1")
		e := expect(t, ch, EventNodeDataChanged, "/w/data")
		if e.Zxid != st.Mzxid || e.State != StateConnected {
			t.Fatalf("event %+v, want zxid 0x%x", e, st.Mzxid)
		}
		closedNow(t, ch)
		// Two listeners share the node's one watch; both hear the delete.
		_, _, ch1, err := c.GetW(ctx, "/w/data")
		if err != nil {
			t.Fatal(err)
		}
		_, ok, ch2, err := c.ExistsW(ctx, "/w/data")
		if err != nil || !ok {
			t.Fatalf("ExistsW: %v %v", ok, err)
		}
		mustDelete(ctx, t, w, "/w/data")
		expect(t, ch1, EventNodeDeleted, "/w/data")
		expect(t, ch2, EventNodeDeleted, "/w/data")
		closedNow(t, ch1)
		closedNow(t, ch2)
		// No watch is set by a failed GetW.
		if _, _, ch, err := c.GetW(ctx, "/w/data"); !errors.Is(err, ErrNoNode) || ch != nil {
			t.Fatalf("GetW of a missing node: %v %v", ch, err)
		}
	})

	t.Run("exist", func(t *testing.T) {
		_, ok, ch, err := c.ExistsW(ctx, "/w/ex")
		if err != nil || ok || ch == nil {
			t.Fatalf("ExistsW on a missing node: %v %v %v", ok, ch, err)
		}
		st := mustCreate(ctx, t, w, "/w/ex", "")
		if e := expect(t, ch, EventNodeCreated, "/w/ex"); e.Zxid != st.Czxid {
			t.Fatalf("zxid 0x%x, want 0x%x", e.Zxid, st.Czxid)
		}
		closedNow(t, ch)
		_, ok, ch, err = c.ExistsW(ctx, "/w/ex")
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		mustSet(ctx, t, w, "/w/ex", "x")
		expect(t, ch, EventNodeDataChanged, "/w/ex")
		closedNow(t, ch)
	})

	t.Run("child", func(t *testing.T) {
		mustCreate(ctx, t, w, "/w/ch", "")
		if err := c.Sync(ctx, "/"); err != nil {
			t.Fatal(err)
		}
		kids, _, ch, err := c.ChildrenW(ctx, "/w/ch")
		if err != nil || len(kids) != 0 {
			t.Fatal(kids, err)
		}
		mustSet(ctx, t, w, "/w/ch", "data changes do not fire a child watch")
		mustCreate(ctx, t, w, "/w/ch/a", "")
		expect(t, ch, EventNodeChildrenChanged, "/w/ch")
		closedNow(t, ch)
		kids, _, ch, err = c.ChildrenW(ctx, "/w/ch")
		if err != nil || len(kids) != 1 {
			t.Fatal(kids, err)
		}
		_, _, chData, err := c.GetW(ctx, "/w/ch")
		if err != nil {
			t.Fatal(err)
		}
		mustDelete(ctx, t, w, "/w/ch/a")
		expect(t, ch, EventNodeChildrenChanged, "/w/ch")
		empty(t, chData)
		_, _, ch, err = c.ChildrenW(ctx, "/w/ch")
		if err != nil {
			t.Fatal(err)
		}
		mustDelete(ctx, t, w, "/w/ch")
		expect(t, ch, EventNodeDeleted, "/w/ch")
		expect(t, chData, EventNodeDeleted, "/w/ch")
	})

	t.Run("persistent", func(t *testing.T) {
		pw, err := c.AddWatch(ctx, "/w/p", false)
		if err != nil {
			t.Fatal(err)
		}
		mustCreate(ctx, t, w, "/w/p", "")
		mustSet(ctx, t, w, "/w/p", "1")
		mustCreate(ctx, t, w, "/w/p/c", "")
		mustSet(ctx, t, w, "/w/p/c", "not seen: a child's data")
		mustDelete(ctx, t, w, "/w/p/c")
		mustSet(ctx, t, w, "/w/p", "2")
		mustDelete(ctx, t, w, "/w/p")
		mustCreate(ctx, t, w, "/w/p", "")
		for _, want := range []EventType{EventNodeCreated, EventNodeDataChanged, EventNodeChildrenChanged,
			EventNodeChildrenChanged, EventNodeDataChanged, EventNodeDeleted, EventNodeCreated} {
			expect(t, pw.Events, want, "/w/p")
		}
		if err := c.CheckWatches(ctx, "/w/p", WatchPersistent); err != nil {
			t.Fatal(err)
		}
		if err := pw.Remove(ctx); err != nil {
			t.Fatal(err)
		}
		expect(t, pw.Events, EventPersistentWatchRemoved, "/w/p")
		closedNow(t, pw.Events)
		if err := c.CheckWatches(ctx, "/w/p", WatchPersistent); !errors.Is(err, ErrNoWatcher) {
			t.Fatalf("check after Remove: %v", err)
		}
	})

	t.Run("recursive", func(t *testing.T) {
		rw, err := c.AddWatch(ctx, "/w/r", true)
		if err != nil {
			t.Fatal(err)
		}
		mustCreate(ctx, t, w, "/w/r", "")
		mustCreate(ctx, t, w, "/w/r/a", "")
		mustCreate(ctx, t, w, "/w/r/a/b", "")
		mustSet(ctx, t, w, "/w/r/a/b", "x")
		mustDelete(ctx, t, w, "/w/r/a/b")
		mustSet(ctx, t, w, "/w/r", "y")
		mustCreate(ctx, t, w, "/w/rx", "not below /w/r")
		mustSet(ctx, t, w, "/w/r", "z")
		var last int64
		for _, want := range []struct {
			typ  EventType
			path string
		}{{EventNodeCreated, "/w/r"}, {EventNodeCreated, "/w/r/a"}, {EventNodeCreated, "/w/r/a/b"},
			{EventNodeDataChanged, "/w/r/a/b"}, {EventNodeDeleted, "/w/r/a/b"}, {EventNodeDataChanged, "/w/r"},
			{EventNodeDataChanged, "/w/r"}} {
			e := expect(t, rw.Events, want.typ, want.path)
			if e.Zxid <= last {
				t.Fatalf("zxid 0x%x after 0x%x", e.Zxid, last)
			}
			last = e.Zxid
		}
		if err := c.RemoveWatches(ctx, "/w/r", WatchPersistentRecursive); err != nil {
			t.Fatal(err)
		}
		expect(t, rw.Events, EventPersistentWatchRemoved, "/w/r")
		closedNow(t, rw.Events)
	})

	t.Run("remove-check", func(t *testing.T) {
		mustCreate(ctx, t, w, "/w/rm", "")
		if err := c.Sync(ctx, "/"); err != nil {
			t.Fatal(err)
		}
		if err := c.CheckWatches(ctx, "/w/rm", WatchData); !errors.Is(err, ErrNoWatcher) || zk.CodeOf(err) != zk.NoWatcher {
			t.Fatalf("check without a watch: %v", err)
		}
		if err := c.RemoveWatches(ctx, "/w/rm", WatchAny); !errors.Is(err, ErrNoWatcher) {
			t.Fatalf("remove without a watch: %v", err)
		}
		_, _, chD, err := c.GetW(ctx, "/w/rm")
		if err != nil {
			t.Fatal(err)
		}
		_, _, chC, err := c.ChildrenW(ctx, "/w/rm")
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			t  WatcherType
			ok bool
		}{{WatchData, true}, {WatchChildren, true}, {WatchAny, true}, {WatchPersistent, false}, {WatchPersistentRecursive, false}} {
			if err := c.CheckWatches(ctx, "/w/rm", tt.t); (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrNoWatcher)) {
				t.Fatalf("check %s: %v", tt.t, err)
			}
		}
		if err := c.RemoveWatches(ctx, "/w/rm", WatchData); err != nil {
			t.Fatal(err)
		}
		expect(t, chD, EventDataWatchRemoved, "/w/rm")
		closedNow(t, chD)
		empty(t, chC)
		if err := c.CheckWatches(ctx, "/w/rm", WatchData); !errors.Is(err, ErrNoWatcher) {
			t.Fatalf("check after remove: %v", err)
		}
		if err := c.RemoveWatches(ctx, "/w/rm", WatchData); !errors.Is(err, ErrNoWatcher) {
			t.Fatalf("second remove: %v", err)
		}
		pw, err := c.AddWatch(ctx, "/w/rm", false)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.RemoveWatches(ctx, "/w/rm", WatchAny); err != nil {
			t.Fatal(err)
		}
		expect(t, chC, EventChildWatchRemoved, "/w/rm")
		closedNow(t, chC)
		expect(t, pw.Events, EventPersistentWatchRemoved, "/w/rm")
		closedNow(t, pw.Events)
		// A change after the removal reaches nobody, and nothing breaks.
		mustSet(ctx, t, w, "/w/rm", "after")
		if err := c.CheckWatches(ctx, "/w/rm", WatchAny); !errors.Is(err, ErrNoWatcher) {
			t.Fatalf("check after remove any: %v", err)
		}
		if err := c.RemoveWatches(ctx, "/w/rm", 9); !errors.Is(err, ErrBadArguments) {
			t.Fatalf("bad type: %v", err)
		}
		// Two persistent watches on a path: removing one keeps the other.
		// (Sync first: c's node may not have applied "after" yet, and a
		// watch registered before it applies would rightly fire for it.)
		if err := c.Sync(ctx, "/w/rm"); err != nil {
			t.Fatal(err)
		}
		a, err := c.AddWatch(ctx, "/w/rm", false)
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.AddWatch(ctx, "/w/rm", false)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Remove(ctx); err != nil {
			t.Fatal(err)
		}
		expect(t, a.Events, EventPersistentWatchRemoved, "/w/rm")
		closedNow(t, a.Events)
		mustSet(ctx, t, w, "/w/rm", "b hears it")
		expect(t, b.Events, EventNodeDataChanged, "/w/rm")
		if err := b.Remove(ctx); err != nil {
			t.Fatal(err)
		}
		expect(t, b.Events, EventPersistentWatchRemoved, "/w/rm")
		if err := c.CheckWatches(ctx, "/w/rm", WatchPersistent); !errors.Is(err, ErrNoWatcher) {
			t.Fatalf("after the last Remove: %v", err)
		}
	})

	// A client sees the event before it can read the data that caused
	// it: when the read that shows the change returns, the event is
	// already in the channel.
	t.Run("order", func(t *testing.T) {
		mustCreate(ctx, t, w, "/w/ord", "0")
		if err := c.Sync(ctx, "/"); err != nil {
			t.Fatal(err)
		}
		pw, err := c.AddWatch(ctx, "/w/ord", false)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 20; i++ {
			_, _, ch, err := c.GetW(ctx, "/w/ord")
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprint(i)
			mustSet(ctx, t, w, "/w/ord", want)
			for {
				data, _, err := c.Get(ctx, "/w/ord")
				if err != nil {
					t.Fatal(err)
				}
				if string(data) == want {
					break
				}
				if ctx.Err() != nil {
					t.Fatal(ctx.Err())
				}
			}
			for _, ch := range []<-chan Event{ch, pw.Events} {
				select {
				case e := <-ch:
					if e.Type != EventNodeDataChanged {
						t.Fatalf("round %d: %v", i, e)
					}
				default:
					t.Fatalf("round %d: the read showed the change before its event was delivered", i)
				}
			}
		}
		if err := pw.Remove(ctx); err != nil {
			t.Fatal(err)
		}
	})

	// A burst of concurrent writes: a persistent watch gets every event,
	// in zxid order.
	t.Run("burst", func(t *testing.T) {
		rw, err := c.AddWatch(ctx, "/w/burst", true)
		if err != nil {
			t.Fatal(err)
		}
		mustCreate(ctx, t, w, "/w/burst", "")
		const writers, each = 4, 50
		var wg sync.WaitGroup
		errc := make(chan error, writers)
		for g := 0; g < writers; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					if _, err := w.Set(ctx, "/w/burst", []byte(fmt.Sprint(g, i)), -1); err != nil {
						errc <- err
						return
					}
				}
			}()
		}
		e := expect(t, rw.Events, EventNodeCreated, "/w/burst")
		last := e.Zxid
		for n := 0; n < writers*each; n++ {
			e := expect(t, rw.Events, EventNodeDataChanged, "/w/burst")
			if e.Zxid <= last {
				t.Fatalf("event %d: zxid 0x%x after 0x%x", n, e.Zxid, last)
			}
			last = e.Zxid
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		empty(t, rw.Events)
	})

	// Close ends every listener with None/Closed.
	t.Run("close", func(t *testing.T) {
		d := connectTo(ctx, t, nodes[2])
		_, _, ch, err := d.GetW(ctx, "/w")
		if err != nil {
			t.Fatal(err)
		}
		pw, err := d.AddWatch(ctx, "/", true)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		for _, ch := range []<-chan Event{ch, pw.Events} {
			if e := next(t, ch, 5*time.Second); e.Type != EventNone || e.State != StateClosed || e.Path != "" {
				t.Fatalf("got %v", e)
			}
			closedNow(t, ch)
		}
	})
}

// An expired session ends every listener with None/Expired.
func TestWatchesEndOnExpiry(t *testing.T) {
	f := clienttest.Start(t)
	c := connectFake(t, f)
	_, _, ch, err := c.GetW(ctxT(t), "/")
	if err != nil || ch == nil {
		t.Fatal(ch, err)
	}
	f.Expire(c.SessionID())
	if _, _, err := c.Get(ctxT(t), "/"); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("got %v", err)
	}
	if e := next(t, ch, 5*time.Second); e.Type != EventNone || e.State != StateExpired {
		t.Fatalf("got %v", e)
	}
	closedNow(t, ch)
}

// The watches follow the session to another node: the client's node
// stops, the watched nodes change while the client cannot reach any node,
// and when it re-attaches elsewhere (setWatches2 with its last zxid) the
// one-shot watches fire for those changes, while those on unchanged nodes
// stay registered and fire later.
func TestWatchesAcrossMove(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	l := testkit.Leader(nodes)
	a, b := (l+1)%3, (l+2)%3 // followers: a serves the client, b takes it over
	pa, err := faultproxy.Listen("127.0.0.1:0", strings.TrimPrefix(nodes[a].BusURL(), "nats://"))
	if err != nil {
		t.Fatal(err)
	}
	defer pa.Close()
	pb, err := faultproxy.Listen("127.0.0.1:0", strings.TrimPrefix(nodes[b].BusURL(), "nats://"))
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Close()
	pb.Cut() // the client has nowhere to go until the test says so
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var log stateLog
	noDiscovery := func(o *options) { o.natsOpts = append(o.natsOpts, nats.IgnoreDiscoveredServers()) }
	c, err := Connect(ctx, []string{pa.Addr(), pb.Addr()}, withOrderedServers(), noDiscovery,
		WithStateListener(log.add), WithSessionTimeout(6*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := connectTo(ctx, t, nodes[l])
	for _, p := range []string{"/d", "/c", "/same"} {
		mustCreate(ctx, t, w, p, "")
	}
	if err := c.Sync(ctx, "/"); err != nil {
		t.Fatal(err)
	}
	_, _, chData, err := c.GetW(ctx, "/d")
	if err != nil {
		t.Fatal(err)
	}
	_, _, chGone, err := c.GetW(ctx, "/c")
	if err != nil {
		t.Fatal(err)
	}
	_, ok, chExist, err := c.ExistsW(ctx, "/new")
	if err != nil || ok {
		t.Fatal(ok, err)
	}
	_, _, chChild, err := c.ChildrenW(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	_, _, chSame, err := c.GetW(ctx, "/same")
	if err != nil {
		t.Fatal(err)
	}
	rw, err := c.AddWatch(ctx, "/same", true)
	if err != nil {
		t.Fatal(err)
	}

	nodes[a].Close()
	log.wait(t, 1, 5*time.Second, StateDisconnected)
	mustSet(ctx, t, w, "/d", "moved")
	mustDelete(ctx, t, w, "/c")
	mustCreate(ctx, t, w, "/new", "")
	if c.State() != StateDisconnected {
		t.Fatalf("state %s while the changes were made", c.State())
	}
	for _, ch := range []<-chan Event{chData, chGone, chExist, chChild, chSame} {
		empty(t, ch)
	}
	pb.Heal()
	log.wait(t, 1, 10*time.Second, StateDisconnected, StateConnected)
	if _, id := c.Node(); id != nodes[b].ID() {
		t.Fatalf("on node %d, want %d", id, nodes[b].ID())
	}
	expect(t, chData, EventNodeDataChanged, "/d")
	expect(t, chGone, EventNodeDeleted, "/c")
	expect(t, chExist, EventNodeCreated, "/new")
	expect(t, chChild, EventNodeChildrenChanged, "/")
	empty(t, chSame)
	if err := c.CheckWatches(ctx, "/same", WatchData); err != nil {
		t.Fatalf("the unchanged watch is not registered on the new node: %v", err)
	}
	// Persistent watches are registered again (changes made while away
	// are not replayed to them, as in ZooKeeper), and their stream says
	// so: Disconnected, then Connected with the zxid from which the new
	// node delivers every change.
	if err := c.CheckWatches(ctx, "/same", WatchPersistentRecursive); err != nil {
		t.Fatalf("the recursive watch is not registered on the new node: %v", err)
	}
	if e := expect(t, rw.Events, EventNone, ""); e.State != StateDisconnected {
		t.Fatalf("got %v, want Disconnected first", e)
	}
	back := expect(t, rw.Events, EventNone, "")
	if back.State != StateConnected || back.Zxid < rw.Zxid {
		t.Fatalf("got %v (zxid 0x%x), want Connected at or after the watch's 0x%x", back, back.Zxid, rw.Zxid)
	}
	mustSet(ctx, t, w, "/same", "now")
	expect(t, chSame, EventNodeDataChanged, "/same")
	if e := expect(t, rw.Events, EventNodeDataChanged, "/same"); e.Zxid <= back.Zxid {
		t.Fatalf("change at 0x%x is not after the re-registration at 0x%x", e.Zxid, back.Zxid)
	}
	mustCreate(ctx, t, w, "/same/kid", "")
	expect(t, rw.Events, EventNodeCreated, "/same/kid")
}

// The watches survive a leader change: the client stays on a follower
// while the leader stops and another is elected; changes made under the
// new leader fire them.
func TestWatchesAcrossLeaderChange(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	l := testkit.Leader(nodes)
	f, o := (l+1)%3, (l+2)%3
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	c, err := Connect(ctx, []string{nodes[f].BusURL(), nodes[o].BusURL()}, withOrderedServers(), WithSessionTimeout(6*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w0 := connectTo(ctx, t, nodes[o])
	mustCreate(ctx, t, w0, "/lc", "")
	if err := c.Sync(ctx, "/"); err != nil {
		t.Fatal(err)
	}
	_, _, chData, err := c.GetW(ctx, "/lc")
	if err != nil {
		t.Fatal(err)
	}
	_, _, chChild, err := c.ChildrenW(ctx, "/lc")
	if err != nil {
		t.Fatal(err)
	}
	rw, err := c.AddWatch(ctx, "/lc", true)
	if err != nil {
		t.Fatal(err)
	}

	nodes[l].Close()
	testkit.WaitFor(t, "a new leader", 15*time.Second, func() bool { return testkit.Leader(nodes, l) >= 0 })
	// Write under the new leader (retrying while the ensemble settles).
	for {
		_, err := w0.Create(ctx, "/lc/k", nil, zk.Persistent, nil)
		if err == nil || errors.Is(err, ErrNodeExists) {
			break
		}
		if ctx.Err() != nil {
			t.Fatal(err)
		}
	}
	mustSet(ctx, t, w0, "/lc", "x")
	expect(t, chChild, EventNodeChildrenChanged, "/lc")
	expect(t, chData, EventNodeDataChanged, "/lc")
	expect(t, rw.Events, EventNodeCreated, "/lc/k")
	expect(t, rw.Events, EventNodeDataChanged, "/lc")
	if c.State() != StateConnected {
		t.Fatalf("state %s", c.State())
	}
}

// The queue behind a Watch never blocks the pusher and keeps the order
// when the reader falls behind the channel's buffer.
func TestWatchQueueOrder(t *testing.T) {
	u := newQueue(4)
	const n = 1000
	for i := 0; i < n; i++ {
		u.push(Event{Zxid: int64(i)}, i == n-1)
	}
	u.push(Event{Zxid: -1}, false) // after the last: dropped
	i := 0
	for e := range u.ch {
		if e.Zxid != int64(i) {
			t.Fatalf("event %d has zxid %d", i, e.Zxid)
		}
		i++
	}
	if i != n {
		t.Fatalf("%d events, want %d", i, n)
	}
}

// A persistent watch's stream is the session's link, as a ZooKeeper
// watcher's is its socket: events come only from the node the session is
// attached to (a node the session left may go on firing the watches it
// still holds; those would repeat or reorder what the new node sends),
// a lost link shows as Disconnected before anything later, and an event's
// zxid counts as seen, so the next re-attach never picks a node behind
// it (which would register the watch before that change and fire it
// again). Found while writing the gauntlet's watch validator.
func TestPersistentStreamFollowsTheLink(t *testing.T) {
	c := &Conn{session: 7, born: time.Now(), log: slog.New(slog.DiscardHandler), ready: make(chan struct{}), kick: make(chan struct{}, 1)}
	c.node, c.evNode, c.state = 2, 2, StateConnected
	c.link = &link{node: 2, lost: make(chan struct{})}
	l := &listener{q: newQueue(64)}
	c.watches.add(kRecursive, "/", l)
	event := func(z int64, from msg.NodeID) {
		c.onEvent(&msg.WatchEvent{Session: 7, Type: zk.EventNodeDataChanged, Path: "/a", Zxid: z}, from)
	}
	event(5, 2)
	if e := next(t, l.q.ch, time.Second); e.Zxid != 5 {
		t.Fatalf("got %v at 0x%x, want the change at 5", e, e.Zxid)
	}
	if got := c.LastZxid(); got != 5 {
		t.Fatalf("LastZxid %d after an event at 5: a re-attach could pick a node behind it", got)
	}
	event(6, 3) // a node the session is not attached to
	c.mu.Lock()
	c.loseLinkLocked("test")
	c.mu.Unlock()
	event(7, 2) // the old node, after the link was given up
	if e := next(t, l.q.ch, time.Second); e.Type != EventNone || e.State != StateDisconnected {
		t.Fatalf("got %v (zxid 0x%x), want Disconnected and nothing from other nodes", e, e.Zxid)
	}
	c.watches.state(StateConnected, 9)
	if e := next(t, l.q.ch, time.Second); e.Type != EventNone || e.State != StateConnected || e.Zxid != 9 {
		t.Fatalf("got %v (zxid 0x%x), want Connected at 9", e, e.Zxid)
	}
	empty(t, l.q.ch)
}

// A node that replaced its state with a snapshot says so with an EventNone
// (its persistent watches missed what the snapshot holds): the session
// drops the link and re-attaches, and the persistent streams show the gap
// as Disconnected, carrying the zxid of the node's catch-up.
func TestSnapshotNoticeReattaches(t *testing.T) {
	c := &Conn{session: 7, born: time.Now(), log: slog.New(slog.DiscardHandler), ready: make(chan struct{}), kick: make(chan struct{}, 1)}
	c.node, c.evNode, c.state = 2, 2, StateConnected
	c.link = &link{node: 2, lost: make(chan struct{})}
	l := &listener{q: newQueue(64)}
	c.watches.add(kRecursive, "/", l)
	c.onEvent(&msg.WatchEvent{Session: 7, Type: zk.EventNone, Zxid: 9}, 3) // not its node
	empty(t, l.q.ch)
	c.onEvent(&msg.WatchEvent{Session: 7, Type: zk.EventNone, Zxid: 9}, 2)
	if e := next(t, l.q.ch, time.Second); e.Type != EventNone || e.State != StateDisconnected || e.Zxid != 9 {
		t.Fatalf("got %v (zxid 0x%x), want Disconnected at 9", e, e.Zxid)
	}
	if c.State() != StateDisconnected {
		t.Fatalf("state %s, want Disconnected", c.State())
	}
	select {
	case <-c.kick:
	default:
		t.Fatal("no re-attach asked for")
	}
}

// A node being re-attached to fires nothing at the session until it has
// accepted it: before, it may be behind what the session saw and still
// hold a persistent watch from an earlier attach, which repeats changes
// already delivered (the gauntlet's watch validator, seed 504: 49 events
// again, out of zxid order).
func TestEventsFromAcceptingNodeOnly(t *testing.T) {
	c := &Conn{session: 7, born: time.Now(), log: slog.New(slog.DiscardHandler), ready: make(chan struct{}), kick: make(chan struct{}, 1)}
	c.node, c.state = 1, StateDisconnected // lost its link to node 1, re-attaching to node 2
	l := &listener{q: newQueue(64)}
	c.watches.add(kRecursive, "/", l)
	event := func(z int64) {
		c.onEvent(&msg.WatchEvent{Session: 7, Type: zk.EventNodeDataChanged, Path: "/a", Zxid: z}, 2)
	}
	accept := c.takeEventsOnAccept(2)
	event(3) // node 2 catching up, its old registration firing
	accept(&msg.Reply{Session: 7, Err: zk.ConnectionLoss, Refused: true})
	event(4)
	empty(t, l.q.ch)
	accept(&msg.Reply{Session: 7, Zxid: 9})
	event(10)
	if e := next(t, l.q.ch, time.Second); e.Zxid != 10 {
		t.Fatalf("got %v at 0x%x, want the change at 10 only", e, e.Zxid)
	}
}

// A reply that comes on a link already given up is not delivered and does
// not count as seen: the node's watch events before it were dropped with
// the link, and a re-attach relative to its zxid would take their changes
// as delivered (gauntlet watch validator, seed 605: a one-shot watch never
// fired for its change).
func TestReplyOnLostLinkNotSeen(t *testing.T) {
	c := &Conn{session: 7, born: time.Now(), log: slog.New(slog.DiscardHandler), pending: map[int32]pendingReq{}}
	old := &link{node: 1, lost: make(chan struct{})}
	ch := make(chan *msg.Reply, 1)
	c.pending[5] = pendingReq{ch: ch, link: old}
	close(old.lost)
	data, err := buswire.Encode(msg.New(msg.Addr{Node: 1, Role: msg.RoleStore}, msg.Addr{}, &msg.Reply{Session: 7, Xid: 5, Zxid: 40}))
	if err != nil {
		t.Fatal(err)
	}
	c.onReply(&nats.Msg{Data: data})
	if got := c.LastZxid(); got != 0 {
		t.Fatalf("LastZxid %d after a reply on a lost link", got)
	}
	select {
	case rep := <-ch:
		t.Fatalf("delivered %+v", rep)
	default:
	}
}
