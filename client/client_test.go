package client

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/client/clienttest"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func connectFake(t *testing.T, f *clienttest.Node, opts ...Option) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Connect(ctx, []string{f.URL()}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestClientSessionAndCRUD(t *testing.T) {
	f := clienttest.Start(t)
	c := connectFake(t, f, WithSessionTimeout(4*time.Second))
	ctx := ctxT(t)
	if c.SessionID() != 0x101 || c.SessionTimeout() != 4*time.Second {
		t.Fatalf("session 0x%x timeout %s", c.SessionID(), c.SessionTimeout())
	}
	if ens, id := c.Node(); ens != "t" || id != 1 {
		t.Fatalf("node %q %d", ens, id)
	}
	p, err := c.Create(ctx, "/a", []byte("hello"), zk.Persistent, nil)
	if err != nil || p != "/a" {
		t.Fatalf("create: %q %v", p, err)
	}
	if _, err := c.Create(ctx, "/a", nil, zk.Persistent, nil); !errors.Is(err, ErrNodeExists) {
		t.Fatalf("second create: %v", err)
	} else if got := err.(*zk.Error).CLIMessage(); got != "Node already exists: /a" {
		t.Fatalf("CLI message %q", got)
	}
	p, st, err := c.Create2(ctx, "/a/b", []byte("x"), zk.Persistent, nil)
	if err != nil || p != "/a/b" || st.Czxid != 2 || st.DataLength != 1 {
		t.Fatalf("create2: %q %+v %v", p, st, err)
	}
	data, st, err := c.Get(ctx, "/a")
	if err != nil || !bytes.Equal(data, []byte("hello")) || st.NumChildren != 1 {
		t.Fatalf("get: %q %+v %v", data, st, err)
	}
	if _, _, err := c.Get(ctx, "/nope"); !errors.Is(err, ErrNoNode) || !strings.Contains(err.Error(), "/nope") {
		t.Fatalf("get missing: %v", err)
	}
	if st, err = c.Set(ctx, "/a", []byte("v1"), 0); err != nil || st.Version != 1 {
		t.Fatalf("set: %+v %v", st, err)
	}
	if _, err = c.Set(ctx, "/a", []byte("v2"), 0); !errors.Is(err, ErrBadVersion) {
		t.Fatalf("set bad version: %v", err)
	}
	if _, ok, err := c.Exists(ctx, "/nope"); ok || err != nil {
		t.Fatalf("exists missing: %v %v", ok, err)
	}
	if st, ok, err := c.Exists(ctx, "/a"); !ok || err != nil || st.Version != 1 {
		t.Fatalf("exists: %+v %v %v", st, ok, err)
	}
	kids, _, err := c.Children(ctx, "/")
	if err != nil || len(kids) != 1 || kids[0] != "a" {
		t.Fatalf("children: %v %v", kids, err)
	}
	if err := c.Delete(ctx, "/a", -1); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("delete non-empty: %v", err)
	}
	if n, err := c.AllChildrenNumber(ctx, "/"); err != nil || n != 2 {
		t.Fatalf("all children: %d %v", n, err)
	}
	acl, _, err := c.GetACL(ctx, "/a")
	if err != nil || len(acl) != 1 || acl[0] != zk.OpenACLUnsafe[0] {
		t.Fatalf("getACL: %v %v", acl, err)
	}
	newACL := []zk.ACL{{Perms: zk.PermRead, ID: zk.ID{Scheme: "digest", ID: "u:h"}}}
	if st, err := c.SetACL(ctx, "/a", newACL, -1); err != nil || st.Aversion != 1 {
		t.Fatalf("setACL: %+v %v", st, err)
	}
	if acl, _, _ = c.GetACL(ctx, "/a"); len(acl) != 1 || acl[0] != newACL[0] {
		t.Fatalf("acl after set: %v", acl)
	}
	if err := c.Sync(ctx, "/a"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "/a/b", 0); err != nil {
		t.Fatal(err)
	}
	if c.LastZxid() != 5 {
		t.Fatalf("last zxid %d", c.LastZxid())
	}
	p, err = c.Create(ctx, "/a/s-", nil, zk.PersistentSequential, nil)
	if err != nil || !strings.HasPrefix(p, "/a/s-000000000") {
		t.Fatalf("sequential: %q %v", p, err)
	}
	// Every request after createSession carries the session and xids 1, 2, ...
	reqs := f.Requests()
	if reqs[0].Op.Op != zk.OpCreateSession || reqs[0].Session != 0 || reqs[0].Timeout != 4000 {
		t.Fatalf("first request %+v", reqs[0])
	}
	for i, r := range reqs[1:] {
		if r.Session != c.SessionID() || r.Xid != int32(i+1) {
			t.Fatalf("request %d: session 0x%x xid %d", i+1, r.Session, r.Xid)
		}
	}
}

func TestClientBadPathRejectedLocally(t *testing.T) {
	f := clienttest.Start(t)
	c := connectFake(t, f)
	before := len(f.Requests())
	if _, err := c.Create(ctxT(t), "a", nil, zk.Persistent, nil); !errors.Is(err, ErrBadArguments) {
		t.Fatalf("relative path: %v", err)
	}
	if _, err := c.CreateTTL(ctxT(t), "/t", nil, zk.Persistent, nil, time.Second); !errors.Is(err, ErrBadArguments) {
		t.Fatalf("ttl with persistent mode: %v", err)
	}
	if len(f.Requests()) != before {
		t.Fatal("invalid requests reached the node")
	}
	if p, err := c.CreateTTL(ctxT(t), "/t", nil, zk.PersistentWithTTL, nil, time.Second); err != nil || p != "/t" {
		t.Fatalf("ttl create: %q %v", p, err)
	}
	if r := f.Requests(); r[len(r)-1].TTL != 1000 || r[len(r)-1].Op.Op != zk.OpCreateTTL {
		t.Fatalf("ttl request %+v", r[len(r)-1])
	}
}

func TestClientConcurrentXidMatching(t *testing.T) {
	f := clienttest.Start(t)
	c := connectFake(t, f)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := "/n" + string(rune('a'+i))
			if _, err := c.Create(ctx, p, []byte(p), zk.Persistent, nil); err != nil {
				t.Error(err)
				return
			}
			for j := 0; j < 10; j++ {
				d, _, err := c.Get(ctx, p)
				if err != nil || string(d) != p {
					t.Errorf("get %s: %q %v", p, d, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// Published in xid order.
	reqs := f.Requests()
	for i := 1; i < len(reqs); i++ {
		if reqs[i].Xid != reqs[i-1].Xid+1 {
			t.Fatalf("xid %d after %d", reqs[i].Xid, reqs[i-1].Xid)
		}
	}
}

func TestClientRetriesConnectionLoss(t *testing.T) {
	f := clienttest.Start(t)
	c := connectFake(t, f, withRetry(5, time.Millisecond, 5*time.Millisecond))
	f.Refuse(3)
	before := len(f.Requests())
	if _, err := c.Create(ctxT(t), "/r", nil, zk.Persistent, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(f.Requests()) - before; n != 4 {
		t.Fatalf("%d attempts, want 4", n)
	}
	// Refused more often than the retries allow: ConnectionLoss.
	f.Refuse(100)
	if _, _, err := c.Get(ctxT(t), "/r"); !errors.Is(err, ErrConnectionLoss) {
		t.Fatalf("got %v", err)
	}
	// A short deadline stops the retries early.
	c2 := connectFake(t, f, withRetry(100, 50*time.Millisecond, time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, _, err := c2.Get(ctx, "/r"); !errors.Is(err, ErrConnectionLoss) {
		t.Fatalf("got %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("retries ran %s past a 120ms deadline", el)
	}
	f.Refuse(0)
}

// A write answered ConnectionLoss without Refused may have been applied:
// the client must not send it again (a compare-and-set that succeeded
// would come back BadVersion, a create NodeExists). The linearizability
// gate found the client doing so (TestLinearizableUnderLeaderKills);
// reads are repeated, they change nothing.
func TestClientDoesNotRepeatWriteOfUnknownOutcome(t *testing.T) {
	f := clienttest.Start(t)
	c := connectFake(t, f, withRetry(5, time.Millisecond, 5*time.Millisecond))
	f.Lose(1)
	before := len(f.Requests())
	if _, err := c.Create(ctxT(t), "/u", nil, zk.Persistent, nil); !errors.Is(err, ErrConnectionLoss) {
		t.Fatalf("create of unknown outcome: %v, want ConnectionLoss", err)
	}
	if n := len(f.Requests()) - before; n != 1 {
		t.Fatalf("a write of unknown outcome was sent %d times", n)
	}
	// It was applied: the znode is there, with version 0.
	if _, st, err := c.Get(ctxT(t), "/u"); err != nil || st.Version != 0 {
		t.Fatalf("get /u: %+v %v", st, err)
	}
	f.Lose(1)
	before = len(f.Requests())
	if _, _, err := c.Get(ctxT(t), "/u"); err != nil {
		t.Fatalf("a read answered ConnectionLoss was not repeated: %v", err)
	}
	if n := len(f.Requests()) - before; n != 2 {
		t.Fatalf("read sent %d times, want 2", n)
	}
}

func TestClientNoReplyIsConnectionLoss(t *testing.T) {
	f := clienttest.Start(t)
	c := connectFake(t, f)
	f.Drop(func(r msg.Request) bool { return r.Path == "/lost" })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Create(ctx, "/lost", nil, zk.Persistent, nil)
	if !errors.Is(err, ErrConnectionLoss) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	// The connection still works, and the late xid does not confuse it.
	if _, err := c.Create(ctxT(t), "/ok", nil, zk.Persistent, nil); err != nil {
		t.Fatal(err)
	}
	// Cancellation.
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if _, _, err := c.Get(ctx, "/lost"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
	c.pendMu.Lock()
	n := len(c.pending)
	c.pendMu.Unlock()
	if n != 0 {
		t.Fatalf("%d pending entries leaked", n)
	}
}

func TestClientCloseEndsSession(t *testing.T) {
	f := clienttest.Start(t)
	c := connectFake(t, f)
	sess := c.SessionID()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	last := reqs[len(reqs)-1]
	if last.Op.Op != zk.OpCloseSession || last.Session != sess {
		t.Fatalf("last request %+v", last)
	}
	if _, _, err := c.Get(ctxT(t), "/"); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestClientSessionExpiredError(t *testing.T) {
	f := clienttest.Start(t)
	c := connectFake(t, f)
	f.Expire(c.SessionID())
	if _, _, err := c.Get(ctxT(t), "/"); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("got %v", err)
	}
}

func TestClientMulti(t *testing.T) {
	f := clienttest.Start(t)
	c := connectFake(t, f)
	ctx := ctxT(t)
	res, err := c.Multi(ctx,
		znode.Create{Path: "/m", Data: []byte("1"), Mode: zk.Persistent},
		znode.SetData{Path: "/m", Data: []byte("2"), Version: 0},
		znode.Check{Path: "/m", Version: 1})
	if err != nil || len(res) != 3 || res[0].Path != "/m" || res[1].Stat.Version != 1 {
		t.Fatalf("multi: %+v %v", res, err)
	}
	res, err = c.Multi(ctx, znode.Check{Path: "/m", Version: 7}, znode.Delete{Path: "/m", Version: -1})
	if !errors.Is(err, ErrBadVersion) || len(res) != 2 || !errors.Is(res[1].Err, zk.ErrRuntimeInconsistency) {
		t.Fatalf("failed multi: %+v %v", res, err)
	}
	if ze := err.(*zk.Error); ze.Path != "/m" {
		t.Fatalf("error path %q", ze.Path)
	}
	if _, err := c.Multi(ctx, znode.SetACL{Path: "/m"}); !errors.Is(err, ErrBadArguments) {
		t.Fatalf("setACL in multi: %v", err)
	}
}

func TestClientConnectFailures(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := Connect(ctx, nil); err == nil {
		t.Fatal("no servers: no error")
	}
	if _, err := Connect(ctx, []string{"127.0.0.1:1"}); err == nil {
		t.Fatal("dead server: no error")
	}
	// A node that never answers createSession.
	f := clienttest.Start(t)
	f.Drop(func(msg.Request) bool { return true })
	ctx2, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	if _, err := Connect(ctx2, []string{f.URL()}); !errors.Is(err, ErrConnectionLoss) {
		t.Fatalf("silent node: %v", err)
	}
}

func TestClientPingsWhenIdle(t *testing.T) {
	f := clienttest.Start(t)
	c := connectFake(t, f, WithSessionTimeout(300*time.Millisecond))
	_ = c
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range f.Requests() {
			if r.Op.Op == zk.OpPing && r.Session == c.SessionID() {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no ping within 3s on a 300ms session")
}
