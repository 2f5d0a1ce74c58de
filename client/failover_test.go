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

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/client/clienttest"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/faultproxy"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/server"
	"github.com/paddock-zk/paddock/zk"
)

// startNode is the kit's StartFunc for this package's tests.
func startNode(_ int, c *config.Config, log *slog.Logger) (*server.Node, error) {
	return server.Start(c, log)
}

// stateLog records a Conn's state changes.
type stateLog struct {
	mu     sync.Mutex
	states []State
}

func (s *stateLog) add(st State) { s.mu.Lock(); s.states = append(s.states, st); s.mu.Unlock() }

func (s *stateLog) get() []State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]State(nil), s.states...)
}

// waitStates waits until the log holds want as a subsequence from index from.
func (s *stateLog) wait(t *testing.T, from int, d time.Duration, want ...State) {
	t.Helper()
	testkit.WaitFor(t, fmt.Sprintf("states %v after %d", want, from), d, func() bool {
		got := s.get()
		i := 0
		for _, st := range got[min(from, len(got)):] {
			if i < len(want) && st == want[i] {
				i++
			}
		}
		return i == len(want)
	})
}

// The session survives its node: the client connected to node X (the
// leader, the hardest case: an election follows) with every URL creates an
// ephemeral and writes; X stops; the client goes Disconnected, then
// Connected on another node with the same session, reads its own write,
// and the ephemeral is still there for another client.
func TestFailoverKeepsSessionWhenNodeStops(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	x := max(testkit.Leader(nodes), 0)
	urls := []string{nodes[x].BusURL()}
	for i, n := range nodes {
		if i != x {
			urls = append(urls, n.BusURL())
		}
	}
	var log stateLog
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Connect(ctx, urls, withOrderedServers(), WithStateListener(log.add), WithSessionTimeout(4*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, id := c.Node(); id != nodes[x].ID() {
		t.Fatalf("connected to node %d, want %d", id, nodes[x].ID())
	}
	states := c.States()
	if st := <-states; st != StateConnected {
		t.Fatalf("first state %s", st)
	}
	sess := c.SessionID()
	if _, err := c.Create(ctx, "/eph", []byte("v1"), zk.Ephemeral, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(ctx, "/p", nil, zk.Persistent, nil); err != nil {
		t.Fatal(err)
	}
	st, err := c.Set(ctx, "/eph", []byte("v2"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.LastZxid() < st.Mzxid {
		t.Fatalf("lastZxid 0x%x below the write's 0x%x", c.LastZxid(), st.Mzxid)
	}

	start := time.Now()
	nodes[x].Close()
	log.wait(t, 1, c.SessionTimeout()+2*time.Second, StateDisconnected, StateConnected)
	t.Logf("re-attached after %s; states %v", time.Since(start), log.get())
	if got := <-states; got != StateDisconnected {
		t.Fatalf("States(): %s, want Disconnected", got)
	}
	if c.State() != StateConnected || c.SessionID() != sess {
		t.Fatalf("state %s session 0x%x, want Connected 0x%x", c.State(), c.SessionID(), sess)
	}
	if _, id := c.Node(); id == nodes[x].ID() {
		t.Fatalf("still on node %d", id)
	}
	// Read-your-writes on the new node.
	data, st2, err := c.Get(ctx, "/eph")
	if err != nil || string(data) != "v2" || st2.EphemeralOwner != sess {
		t.Fatalf("get after failover: %q %+v %v", data, st2, err)
	}
	// The node the session moved to may still take itself for a
	// follower of the stopped leader: a write it forwards there fails
	// with ConnectionLoss (its outcome unknown, so the client does not
	// repeat it); this blind write is safe to repeat, as an application
	// would.
	for i := 0; ; i++ {
		_, err := c.Set(ctx, "/p", []byte("after"), -1)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrConnectionLoss) || i == 20 {
			t.Fatalf("write after failover: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Another client sees the ephemeral, owned by the same session.
	other := nodes[(x+1)%3]
	o, err := Connect(ctx, []string{other.BusURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if st, ok, err := o.Exists(ctx, "/eph"); err != nil || !ok || st.EphemeralOwner != sess {
		t.Fatalf("other client: %+v %v %v", st, ok, err)
	}
	// Closing the session removes it.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := o.Sync(ctx, "/"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := o.Exists(ctx, "/eph"); err != nil || ok {
		t.Fatalf("ephemeral after close: %v %v", ok, err)
	}
	log.wait(t, 3, 5*time.Second, StateClosed)
	if _, _, err := c.Get(ctx, "/p"); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

// An abrupt loss of the client's TCP connection (a proxy cut): requests
// outstanding fail with ConnectionLoss, the session re-attaches through
// another server, and calls issued while disconnected go out afterwards.
func TestFailoverAfterConnectionCut(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	target := strings.TrimPrefix(nodes[0].BusURL(), "nats://")
	p, err := faultproxy.Listen("127.0.0.1:0", target)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var log stateLog
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	urls := []string{"nats://" + p.Addr(), nodes[1].BusURL(), nodes[2].BusURL()}
	c, err := Connect(ctx, urls, withOrderedServers(), WithStateListener(log.add), WithSessionTimeout(4*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess := c.SessionID()
	if _, err := c.Create(ctx, "/cut", []byte("a"), zk.Ephemeral, nil); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	log.wait(t, 1, 5*time.Second, StateDisconnected)
	// Issued while disconnected (or just re-attached): it waits and goes out.
	if _, err := c.Set(ctx, "/cut", []byte("b"), -1); err != nil {
		t.Fatalf("set across the cut: %v", err)
	}
	log.wait(t, 1, 5*time.Second, StateDisconnected, StateConnected)
	data, st, err := c.Get(ctx, "/cut")
	if err != nil || string(data) != "b" || st.EphemeralOwner != sess || c.SessionID() != sess {
		t.Fatalf("after cut: %q %+v %v", data, st, err)
	}
}

// connectViaProxy connects to the fake node through a proxy the test can
// cut.
func connectViaProxy(t *testing.T, f *clienttest.Node, opts ...Option) (*Conn, *faultproxy.Proxy, *stateLog) {
	t.Helper()
	p, err := faultproxy.Listen("127.0.0.1:0", strings.TrimPrefix(f.URL(), "nats://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	var log stateLog
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Connect(ctx, []string{p.Addr()}, append(opts, WithStateListener(log.add))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, p, &log
}

// A node that answers SessionExpired expires the session: state Expired,
// every call ErrSessionExpired, no reconnects.
func TestSessionExpiredByNode(t *testing.T) {
	f := clienttest.Start(t)
	var log stateLog
	c := connectFake(t, f, WithStateListener(log.add))
	states := c.States()
	f.Expire(c.SessionID())
	if _, _, err := c.Get(ctxT(t), "/"); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("got %v", err)
	}
	if c.State() != StateExpired {
		t.Fatalf("state %s", c.State())
	}
	before := len(f.Requests())
	if _, err := c.Create(ctxT(t), "/x", nil, zk.Persistent, nil); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("after expiry: %v", err)
	}
	if len(f.Requests()) != before {
		t.Fatal("a request left after expiry")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	var got []State
	for st := range states {
		got = append(got, st)
	}
	want := []State{StateConnected, StateExpired, StateClosed}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("States() gave %v, want %v", got, want)
	}
	log.wait(t, 0, 5*time.Second, want...)
	if fmt.Sprint(log.get()) != fmt.Sprint(want) {
		t.Fatalf("listener got %v, want %v", log.get(), want)
	}
}

// After a lost connection the client re-attaches with its session,
// password and lastZxid; the request outstanding at the cut fails with
// ConnectionLoss at once, and xids go on from where they were.
func TestReattachCarriesSessionAndLastZxid(t *testing.T) {
	f := clienttest.Start(t)
	c, p, log := connectViaProxy(t, f, WithSessionTimeout(4*time.Second))
	ctx := ctxT(t)
	for i := 0; i < 3; i++ {
		if _, err := c.Create(ctx, fmt.Sprintf("/n%d", i), nil, zk.Persistent, nil); err != nil {
			t.Fatal(err)
		}
	}
	f.Drop(func(r msg.Request) bool { return r.Path == "/hang" })
	errc := make(chan error, 1)
	go func() { _, _, err := c.Get(ctx, "/hang"); errc <- err }()
	testkit.WaitFor(t, "the request at the node", 5*time.Second, func() bool {
		r := f.Requests()
		return r[len(r)-1].Path == "/hang"
	})
	lastXid := f.Requests()[len(f.Requests())-1].Xid
	p.Cut()
	start := time.Now()
	if err := <-errc; !errors.Is(err, ErrConnectionLoss) {
		t.Fatalf("outstanding request: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("outstanding request failed only after %s", d)
	}
	f.Drop(nil)
	log.wait(t, 1, 5*time.Second, StateDisconnected)
	p.Heal()
	log.wait(t, 1, 5*time.Second, StateDisconnected, StateConnected)
	if _, err := c.Create(ctx, "/after", nil, zk.Persistent, nil); err != nil {
		t.Fatal(err)
	}
	var move *msg.Request
	reqs := f.Requests()
	for i := range reqs {
		if r := reqs[i]; r.Op.Op == zk.OpCreateSession && r.Session != 0 {
			move = &reqs[i]
		}
	}
	if move == nil {
		t.Fatal("no re-attach request")
	}
	if move.Session != c.SessionID() || string(move.Passwd) != "secret" || move.LastZxid != 3 || move.Timeout != 4000 {
		t.Fatalf("re-attach request %+v", *move)
	}
	last := reqs[len(reqs)-1]
	if last.Path != "/after" || last.Xid <= lastXid || last.Session != c.SessionID() {
		t.Fatalf("request after re-attach %+v (last xid before %d)", last, lastXid)
	}
}

// A re-attach refused with SessionExpired (the session died while the
// client was away) expires the session.
func TestReattachRefusedExpires(t *testing.T) {
	f := clienttest.Start(t)
	c, p, log := connectViaProxy(t, f, WithSessionTimeout(4*time.Second))
	p.Cut()
	log.wait(t, 1, 5*time.Second, StateDisconnected)
	f.Expire(c.SessionID())
	p.Heal()
	log.wait(t, 1, 5*time.Second, StateDisconnected, StateExpired)
	if _, _, err := c.Get(ctxT(t), "/"); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("got %v", err)
	}
}

// A session that cannot re-attach within its timeout expires; calls
// waiting for the re-attach fail with ErrSessionExpired.
func TestUnreachableSessionExpiresAfterTimeout(t *testing.T) {
	f := clienttest.Start(t)
	c, p, log := connectViaProxy(t, f, WithSessionTimeout(600*time.Millisecond))
	p.Cut()
	log.wait(t, 1, 5*time.Second, StateDisconnected)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if _, _, err := c.Get(ctx, "/"); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("call while disconnected: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("expired only after %s", d)
	}
	log.wait(t, 1, time.Second, StateDisconnected, StateExpired)
	p.Heal()
	if c.State() != StateExpired {
		t.Fatalf("state %s", c.State())
	}
}

// A call issued while disconnected waits for the re-attach, bounded by its
// context.
func TestCallWhileDisconnectedBoundedByContext(t *testing.T) {
	f := clienttest.Start(t)
	c, p, log := connectViaProxy(t, f, WithSessionTimeout(4*time.Second))
	p.Cut()
	log.wait(t, 1, 5*time.Second, StateDisconnected)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, _, err := c.Get(ctx, "/"); !errors.Is(err, ErrConnectionLoss) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	p.Heal()
	if _, _, err := c.Get(ctxT(t), "/"); err != nil {
		t.Fatal(err)
	}
	if c.State() != StateConnected {
		t.Fatalf("state %s", c.State())
	}
}

// A node that keeps refusing (requests and the re-attach) while NATS stays
// connected to it: the client dials another server and moves there.
func TestRefusingNodeMovesSessionToAnotherServer(t *testing.T) {
	fa, fb := clienttest.StartNode(t, 1), clienttest.StartNode(t, 2)
	var log stateLog
	ctx := ctxT(t)
	c, err := Connect(ctx, []string{fa.URL(), fb.URL()}, withOrderedServers(), WithStateListener(log.add),
		WithSessionTimeout(3*time.Second), withRetry(2, 10*time.Millisecond, 20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, id := c.Node(); id != 1 {
		t.Fatalf("on node %d", id)
	}
	fb.AddSession(c.SessionID())
	fa.Refuse(1000)
	fa.RefuseAttach(1000)
	if _, _, err := c.Get(ctx, "/"); !errors.Is(err, ErrConnectionLoss) {
		t.Fatalf("refused get: %v", err)
	}
	log.wait(t, 1, 5*time.Second, StateDisconnected, StateConnected)
	if _, id := c.Node(); id != 2 {
		t.Fatalf("moved to node %d, want 2", id)
	}
	if _, _, err := c.Get(ctx, "/"); err != nil {
		t.Fatal(err)
	}
}

// A node that stops answering altogether (the bus stays up): the client
// notices within two thirds of the session timeout and moves.
func TestSilentNodeMovesSession(t *testing.T) {
	fa, fb := clienttest.StartNode(t, 1), clienttest.StartNode(t, 2)
	var log stateLog
	ctx := ctxT(t)
	c, err := Connect(ctx, []string{fa.URL(), fb.URL()}, withOrderedServers(), WithStateListener(log.add),
		WithSessionTimeout(1500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fb.AddSession(c.SessionID())
	fa.Drop(func(msg.Request) bool { return true })
	log.wait(t, 1, 5*time.Second, StateDisconnected, StateConnected)
	if _, id := c.Node(); id != 2 || c.State() != StateConnected {
		t.Fatalf("on node %d in %s", id, c.State())
	}
}
