package sim

import (
	"fmt"
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/store"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// Focused tests of the store's request path over a fault-free simulated
// ensemble (the one of ensemble_test.go with no simulated clients):
// requests are handed to a chosen node and their replies captured.

func stableSim(t *testing.T, n int) *storeSim {
	t.Helper()
	return stableSimWith(t, n, Options{})
}

func stableSimWith(t *testing.T, n int, opts Options) *storeSim {
	t.Helper()
	s := newStoreSim(t, 1, n, 0, opts)
	s.settle()
	return s
}

func (s *storeSim) settle() {
	s.T.Helper()
	for i := 0; !s.converged(); i++ {
		if i > 500 {
			s.Fatalf("ensemble does not settle")
		}
		s.step()
	}
}

func (s *storeSim) leaderID() msg.NodeID {
	for _, id := range s.IDs {
		if n := s.Nodes[id]; n.Alive() && n.Store.Status().Role == replica.RoleLeader {
			return id
		}
	}
	return 0
}

func (s *storeSim) follower() msg.NodeID {
	for _, id := range s.IDs {
		if n := s.Nodes[id]; n.Alive() && n.Store.Status().Role == replica.RoleFollower {
			return id
		}
	}
	return 0
}

// tc is a test client: a session and its next xid.
type tc struct {
	s       *storeSim
	name    string
	session int64
	xid     int32
	addr    string // ClientAddr of its createSession (a front end's client)
	timeout int32  // asked for by its createSession (0: 10s)
}

// client is a test client with no session yet, whose replies are
// captured.
func (s *storeSim) client(name string) *tc {
	c := &tc{s: s, name: "t:" + name}
	s.capture(c.name)
	return c
}

func (s *storeSim) session(node msg.NodeID, name string) *tc {
	s.T.Helper()
	return s.sessionFrom(node, name, "")
}

// sessionFrom is a session created through a front end that saw the client
// at addr.
func (s *storeSim) sessionFrom(node msg.NodeID, name, addr string) *tc {
	s.T.Helper()
	c := s.client(name)
	c.addr = addr
	rp := c.do(node, msg.Op{Op: zk.OpCreateSession})
	if rp.Err != 0 {
		s.Fatalf("createSession at %d: %d", node, rp.Err)
	}
	c.session = rp.Session
	return c
}

// send hands a request to node, which handles it at once, without
// waiting for the reply.
func (c *tc) send(node msg.NodeID, o msg.Op) int32 {
	xid := c.post(node, o)
	c.s.Process()
	return xid
}

// post puts a request in node's mailbox.
func (c *tc) post(node msg.NodeID, o msg.Op) int32 {
	req := &msg.Request{Session: c.session, Op: o, ReplyTo: c.name}
	if o.Op == zk.OpCreateSession {
		req.Timeout, req.ClientAddr = 10000, c.addr
		if c.timeout != 0 {
			req.Timeout = c.timeout
		}
	} else {
		c.xid++
		req.Xid, req.Passwd = c.xid, store.Passwd(c.session)
	}
	c.s.Request(node, req)
	return req.Xid
}

// wait steps the ensemble until the reply to xid arrives.
func (c *tc) wait(xid int32) *msg.Reply {
	s := c.s
	s.T.Helper()
	for i := 0; ; i++ {
		for _, rp := range s.captured[c.name] {
			if rp.Xid == xid {
				return rp
			}
		}
		if i > 200 {
			s.Fatalf("%s: no reply to xid %d", c.name, xid)
		}
		s.step()
	}
}

func (c *tc) do(node msg.NodeID, o msg.Op) *msg.Reply {
	c.s.T.Helper()
	return c.wait(c.send(node, o))
}

func setData(path, data string, version int32) msg.Op {
	return msg.Op{Op: zk.OpSetData, Path: path, Data: []byte(data), Version: version}
}

func create(path, data string, mode zk.CreateMode) msg.Op {
	return msg.Op{Op: zk.OpCreate, Path: path, Data: []byte(data), ACL: openACL, Mode: int32(mode)}
}

func getData(path string) msg.Op { return msg.Op{Op: zk.OpGetData, Path: path} }

// TestRefusalAnsweredWhenOtherSessionsCatchUp: a refused write is answered
// once the serving node has applied up to the leader's last proposal. When
// that proposal belongs to another session, only its apply brings the tree
// there; the refusal used to wait for a txn of its own session (found by
// seed 47 of TestEnsembleSimulation: a client got no answer forever).
func TestRefusalAnsweredWhenOtherSessionsCatchUp(t *testing.T) {
	s := stableSim(t, 3)
	l, f := s.leaderID(), s.follower()
	a, b := s.session(f, "a"), s.session(l, "b")
	if rp := a.do(f, create("/x", "0", zk.Persistent)); rp.Err != 0 {
		t.Fatalf("create: %d", rp.Err)
	}
	// b's write is proposed (not committed) before a's bad write reaches
	// the leader, so the refusal names b's zxid.
	bx := b.send(l, setData("/x", "b", -1))
	ax := a.send(f, setData("/x", "a", 7))
	if rp := a.wait(ax); rp.Err != zk.BadVersion {
		t.Fatalf("a: got %d, want BadVersion", rp.Err)
	}
	if rp := b.wait(bx); rp.Err != 0 {
		t.Fatalf("b: got %d", rp.Err)
	}
}

// TestForwardsAfterNewEpoch: a session's forwards are numbered anew in each
// epoch. They used to go on counting while the new leader expected 1, so
// every later write of the session through that node waited forever as if
// an earlier one were lost (found by seed 53 of TestEnsembleSimulation).
func TestForwardsAfterNewEpoch(t *testing.T) {
	s := stableSim(t, 3)
	l, f := s.leaderID(), s.follower()
	a := s.session(f, "a")
	for i := range 3 {
		if rp := a.do(f, create(fmt.Sprintf("/p%d", i), "", zk.Persistent)); rp.Err != 0 {
			t.Fatalf("create: %d", rp.Err)
		}
	}
	epoch := s.Nodes[f].Store.Status().Epoch
	s.Crash(l)
	s.step()
	s.Start(l)
	s.settle()
	if s.Nodes[f].Store.Status().Epoch == epoch {
		t.Fatal("no new epoch")
	}
	if rp := a.do(f, setData("/p0", "x", -1)); rp.Err != 0 {
		t.Fatalf("setData in the new epoch: %d", rp.Err)
	}
}

// TestOriginRestartSameEpoch: a node that restarts and rejoins the same
// epoch numbers its forwards above its previous incarnation's, so the
// leader neither ignores them as duplicates of the old ones nor takes the
// old ones' delayed copies as new.
func TestOriginRestartSameEpoch(t *testing.T) {
	s := stableSim(t, 3)
	f := s.follower()
	a := s.session(f, "a")
	for i := range 3 {
		if rp := a.do(f, create(fmt.Sprintf("/p%d", i), "", zk.Persistent)); rp.Err != 0 {
			t.Fatalf("create: %d", rp.Err)
		}
	}
	epoch := s.Nodes[f].Store.Status().Epoch
	s.Crash(f)
	s.step()
	s.Start(f)
	s.settle()
	if got := s.Nodes[f].Store.Status().Epoch; got != epoch {
		t.Skipf("the restarted node joined epoch %d, not %d", got, epoch)
	}
	if rp := a.do(f, setData("/p0", "x", -1)); rp.Err != 0 {
		t.Fatalf("setData after the restart: %d", rp.Err)
	}
}

// TestOriginRestartClockBehind: a node whose clock ran an hour ahead
// restarts with its clock set right, in the same epoch. Its forwards must
// still count from above its previous incarnation's: numbered from its
// start time, the leader ignored them all as duplicates of the old ones
// until the next epoch (the gauntlet's clock-skew fault, going from a fast
// clock back to a normal one).
func TestOriginRestartClockBehind(t *testing.T) {
	s := stableSim(t, 3)
	f := s.follower()
	epoch := s.Nodes[f].Store.Status().Epoch
	s.Crash(f)
	s.step()
	s.Nodes[f].ClockOff = 3600_000
	s.Start(f)
	s.settle()
	a := s.session(f, "a")
	for i := range 3 {
		if rp := a.do(f, create(fmt.Sprintf("/p%d", i), "", zk.Persistent)); rp.Err != 0 {
			t.Fatalf("create: %d", rp.Err)
		}
	}
	s.Crash(f)
	s.step()
	s.Nodes[f].ClockOff = 0
	s.Start(f)
	s.settle()
	if got := s.Nodes[f].Store.Status().Epoch; got != epoch {
		t.Skipf("the restarted node joined epoch %d, not %d", got, epoch)
	}
	if rp := a.do(f, setData("/p0", "x", -1)); rp.Err != 0 {
		t.Fatalf("setData after the restart with the clock set back: %d", rp.Err)
	}
}

// TestSnapshotSyncBreaksPersistentWatches: a follower that rejoins by a
// snapshot replaces its tree wholesale, so the changes inside the
// snapshot fire no persistent watch. Its sessions stay attached (unlike a
// ZooKeeper follower, which closes every client connection when it loses
// its leader), so nothing told their clients that their persistent
// watches missed changes: the node must say so, with an EventNone that
// makes the client re-attach and show the gap as Disconnected/Connected.
// Found by the gauntlet's watch validator design (persistent streams are
// gap-free only between such markers).
func TestSnapshotSyncBreaksPersistentWatches(t *testing.T) {
	s := stableSim(t, 3)
	l, f := s.leaderID(), s.follower()
	a := s.client("a")
	a.timeout = 40000 // outlives the partition
	if rp := a.do(f, msg.Op{Op: zk.OpCreateSession}); rp.Err != 0 {
		t.Fatalf("createSession: %d", rp.Err)
	} else {
		a.session = rp.Session
	}
	if rp := a.do(f, msg.Op{Op: zk.OpAddWatch, Path: "/", Mode: 1}); rp.Err != 0 {
		t.Fatalf("addWatch: %d", rp.Err)
	}
	b := s.session(l, "b")
	var rest []msg.NodeID
	for _, id := range s.IDs {
		if id != f {
			rest = append(rest, id)
		}
	}
	s.Bus.Partition([]msg.NodeID{f}, rest)
	const n = 100
	for i := range n {
		if rp := b.do(l, create(fmt.Sprintf("/n%d", i), "", zk.Persistent)); rp.Err != 0 {
			t.Fatalf("create: %d", rp.Err)
		}
	}
	first := s.Nodes[l].Disk.FirstZxid()
	s.Bus.Heal()
	s.settle()
	if _, live := s.Nodes[f].Store.Tree().Session(a.session); !live {
		t.Skip("the watching session expired meanwhile")
	}
	if first <= 1 {
		t.Skipf("the leader kept its whole log (first 0x%x): no snapshot sync", first)
	}
	created, gap := 0, false
	for _, ev := range s.watched[a.name] {
		switch ev.Type {
		case zk.EventNone:
			gap = true
		case zk.EventNodeCreated:
			created++
		}
	}
	if created < n && !gap {
		t.Fatalf("the persistent watch got %d of %d creates and no word of the gap", created, n)
	}
}

// TestSessionMovedKeepsOrder: a write a client sent through a node that
// then stopped answering (SIGSTOP) must not be applied after the writes
// the client made once it moved its session to another node: resumed, the
// old node forwards its backlog, and the leader took it (another origin,
// its own sequence). The gauntlet's watch validator saw a writer's data go
// back (seed 602: "w1:568" applied after "w1:573"). As ZooKeeper's leader
// answers SESSIONMOVED to a server the session left, the re-attach tells
// the leader which node serves the session, and forwards from any other
// are refused.
func TestSessionMovedKeepsOrder(t *testing.T) {
	s := stableSim(t, 3)
	l := s.leaderID()
	var a, b msg.NodeID
	for _, id := range s.IDs {
		if id != l {
			if a == 0 {
				a = id
			} else {
				b = id
			}
		}
	}
	c := s.session(a, "c")
	if rp := c.do(a, create("/r", "0", zk.Persistent)); rp.Err != 0 {
		t.Fatalf("create: %d", rp.Err)
	}
	// The write through a is stuck there: a's outbound messages are lost
	// for now, as if a were paused with it in its mailbox.
	s.Bus.Partition([]msg.NodeID{a}, []msg.NodeID{l, b})
	c.send(a, setData("/r", "old", -1))
	for range 3 {
		s.step()
	}
	// The client gives a up and re-attaches to b, where it writes again.
	c.xid++
	mv := &msg.Request{Session: c.session, Passwd: store.Passwd(c.session), Xid: c.xid, LastZxid: int64(s.Nodes[b].Store.Tree().LastZxid()),
		Op: msg.Op{Op: zk.OpCreateSession}, ReplyTo: c.name}
	s.Request(b, mv)
	s.Process()
	if rp := c.wait(c.xid); rp.Err != 0 {
		t.Fatalf("re-attach at %d: %d", b, rp.Err)
	}
	if rp := c.do(b, setData("/r", "new", -1)); rp.Err != 0 {
		t.Fatalf("setData at %d: %d", b, rp.Err)
	}
	// a comes back and forwards what it held.
	s.Bus.Heal()
	s.settle()
	for range 50 {
		s.step()
	}
	if data, _, err := s.Nodes[l].Store.Tree().Get("/r"); err != nil || string(data) != "new" {
		t.Fatalf("/r = %q (%v): the write sent before the move was applied after the one made since", data, err)
	}
}

// TestSessionMovesToBehindNode: a client whose session was just created
// (acknowledged by the leader) moves to a follower that has not applied the
// createSession yet. The follower must not declare the live session
// expired: ZooKeeper's follower revalidates an unknown session with the
// leader (Learner.validateSession) before answering SESSIONEXPIRED.
func TestSessionMovesToBehindNode(t *testing.T) {
	s := stableSim(t, 3)
	l := s.leaderID()
	a := s.client("a")
	// Messages between nodes take a step, a reply to a client none: the
	// leader's reply overtakes its commits.
	s.Bus.SetDelay(1, 1)
	a.post(l, msg.Op{Op: zk.OpCreateSession})
	for i := 0; len(s.captured[a.name]) == 0; i++ {
		if i > 100 {
			t.Fatal("no createSession reply")
		}
		if !s.DeliverOne() {
			s.Bus.Advance(1)
		}
	}
	s.Bus.SetDelay(0, 0)
	a.session = s.captured[a.name][0].Session
	// The leader has answered; pick the follower that has not applied it.
	var f msg.NodeID
	for _, id := range s.IDs {
		if _, live := s.Nodes[id].Store.Tree().Session(a.session); !live {
			f = id
		}
	}
	if f == 0 {
		t.Skip("every follower had applied the session already")
	}
	if rp := a.do(f, getData("/")); rp.Err != 0 {
		t.Fatalf("node %d behind the session's creation answered %s", f, rp.Err)
	}
}

// TestPipelinedRepliesInOrder: requests of one session sent together to a
// follower are answered in xid order, and each read sees the writes sent
// before it.
func TestPipelinedRepliesInOrder(t *testing.T) {
	s := stableSim(t, 3)
	f := s.follower()
	a := s.session(f, "a")
	ops := []struct {
		op      msg.Op
		err     zk.Code
		data    string
		version int32
	}{
		{create("/a", "0", zk.Persistent), 0, "", 0},
		{getData("/a"), 0, "0", 0},
		{setData("/a", "1", 0), 0, "", 1},
		{setData("/a", "x", 0), zk.BadVersion, "", 0},
		{getData("/a"), 0, "1", 1},
		{msg.Op{Op: zk.OpSync, Path: "/a"}, 0, "", 0},
		{msg.Op{Op: zk.OpDelete, Path: "/a", Version: 1}, 0, "", 0},
		{getData("/a"), zk.NoNode, "", 0},
		{msg.Op{Op: zk.OpReconfig}, zk.Unimplemented, "", 0},
		{msg.Op{Op: zk.OpExists, Path: "/a"}, zk.NoNode, "", 0},
	}
	var last int32
	for _, o := range ops {
		last = a.send(f, o.op)
	}
	a.wait(last)
	got := s.captured[a.name][1:] // after createSession's
	if len(got) != len(ops) {
		t.Fatalf("%d replies for %d requests", len(got), len(ops))
	}
	for i, o := range ops {
		rp := got[i]
		if rp.Xid != int32(i+1) {
			t.Fatalf("reply %d has xid %d, want %d", i, rp.Xid, i+1)
		}
		if rp.Err != o.err {
			t.Errorf("xid %d (op %d): got %s, want %s", rp.Xid, o.op.Op, rp.Err, o.err)
			continue
		}
		if o.op.Op == zk.OpGetData && o.err == 0 && (string(rp.Data) != o.data || rp.Stat.Version != o.version) {
			t.Errorf("xid %d: read %q v%d, want %q v%d", rp.Xid, rp.Data, rp.Stat.Version, o.data, o.version)
		}
		if o.op.Op == zk.OpSetData && o.err == 0 && rp.Stat.Version != o.version {
			t.Errorf("xid %d: setData version %d, want %d", rp.Xid, rp.Stat.Version, o.version)
		}
	}
}

// TestRefusedMultiReportsEveryOp: a refused multi never reaches the log
// and reports ZooKeeper's per-op codes: OK before the failing op, its code,
// RuntimeInconsistency after.
func TestRefusedMultiReportsEveryOp(t *testing.T) {
	s := stableSim(t, 3)
	f := s.follower()
	a := s.session(f, "a")
	before := s.History.Ref.LastZxid()
	rp := a.do(f, msg.Op{Op: zk.OpMulti, Ops: []msg.Op{
		create("/m", "", zk.Persistent),
		{Op: zk.OpCheck, Path: "/nope", Version: -1},
		setData("/m", "x", -1),
	}})
	if rp.Err != zk.NoNode {
		t.Fatalf("multi: %s, want NoNode", rp.Err)
	}
	want := []zk.Code{0, zk.NoNode, zk.RuntimeInconsistency}
	if len(rp.Results) != len(want) {
		t.Fatalf("results %+v", rp.Results)
	}
	for i, r := range rp.Results {
		if r.Op != zk.OpError || r.Err != want[i] {
			t.Errorf("result %d: %+v, want error %s", i, r, want[i])
		}
	}
	if s.History.Ref.LastZxid() != before {
		t.Fatalf("a refused multi was committed: %x -> %x", before, s.History.Ref.LastZxid())
	}
}

// TestSessionLifecycle: a session moves between nodes with its password,
// a wrong password is refused, close deletes its ephemerals everywhere, and
// the closed session is expired on every node.
func TestSessionLifecycle(t *testing.T) {
	s := stableSim(t, 3)
	l, f := s.leaderID(), s.follower()
	a := s.session(f, "a")
	if rp := a.do(f, create("/e", "", zk.Ephemeral)); rp.Err != 0 {
		t.Fatalf("create ephemeral: %s", rp.Err)
	}
	if rp := a.do(l, getData("/e")); rp.Err != 0 || rp.Stat.EphemeralOwner != a.session {
		t.Fatalf("read on the leader after moving: %s %+v", rp.Err, rp.Stat)
	}
	// A forged request for a's session.
	forged := &msg.Request{Session: a.session, Xid: 99, Passwd: []byte("guess"), ReplyTo: "t:forger", Op: getData("/e")}
	// To f, where the session is served (its first request there was
	// checked; this one used not to be).
	s.capture("t:forger")
	s.Request(f, forged)
	s.Process()
	s.step()
	if got := s.captured["t:forger"]; len(got) != 1 || got[0].Err != zk.SessionExpired {
		t.Fatalf("wrong password: %+v", got)
	}
	if rp := a.do(l, msg.Op{Op: zk.OpCloseSession}); rp.Err != 0 {
		t.Fatalf("close: %s", rp.Err)
	}
	s.settle()
	for _, id := range s.IDs {
		if _, ok := s.Nodes[id].Store.Tree().Exists("/e"); ok {
			t.Errorf("node %d still has the closed session's ephemeral", id)
		}
		if rp := a.do(id, getData("/")); rp.Err != zk.SessionExpired {
			t.Errorf("node %d: closed session got %s", id, rp.Err)
		}
	}
}

// TestNotServingAnswersConnectionLoss: a node without a quorum answers at
// once with ConnectionLoss, so the client moves on.
func TestNotServingAnswersConnectionLoss(t *testing.T) {
	s := stableSim(t, 3)
	f := s.follower()
	a := s.session(f, "a")
	for _, id := range s.IDs {
		if id != f {
			s.Crash(id)
		}
	}
	for i := 0; s.Nodes[f].Store.Status().Serving; i++ {
		if i > 200 {
			t.Fatal("a node alone keeps serving")
		}
		s.step()
	}
	if rp := a.do(f, getData("/")); rp.Err != zk.ConnectionLoss {
		t.Fatalf("got %s, want ConnectionLoss", rp.Err)
	}
}

// TestReattach: a session moves to another node with createSession and
// its id, password and the last zxid its client saw. A node that has not
// applied that far refuses with ConnectionLoss; a wrong password or a
// closed session is SessionExpired.
func TestReattach(t *testing.T) {
	s := stableSim(t, 3)
	l := s.leaderID()
	a := s.session(l, "a")
	rp := a.do(l, create("/x", "1", zk.Persistent))
	if rp.Err != 0 {
		t.Fatalf("create: %s", rp.Err)
	}
	f := s.follower()
	move := func(passwd []byte, last int64) *msg.Reply {
		req := &msg.Request{Session: a.session, Passwd: passwd, LastZxid: last, Timeout: 10000,
			Op: msg.Op{Op: zk.OpCreateSession}, ReplyTo: a.name}
		s.captured[a.name] = nil
		s.Request(f, req)
		s.Process()
		return a.wait(0)
	}
	if rp := move(store.Passwd(a.session), rp.Zxid+1); rp.Err != zk.ConnectionLoss {
		t.Fatalf("reattach ahead of the node: %s, want ConnectionLoss", rp.Err)
	}
	if rp := move([]byte("wrong password!!"), 0); rp.Err != zk.SessionExpired {
		t.Fatalf("reattach with a wrong password: %s, want SessionExpired", rp.Err)
	}
	s.settle()
	got := move(store.Passwd(a.session), rp.Zxid)
	if got.Err != 0 || got.Session != a.session || got.Timeout != 10000 || len(got.Passwd) != 16 {
		t.Fatalf("reattach: %+v", got)
	}
	if rp := a.do(f, getData("/x")); rp.Err != 0 || string(rp.Data) != "1" {
		t.Fatalf("read after reattach: %s %q", rp.Err, rp.Data)
	}
	if rp := a.do(f, msg.Op{Op: zk.OpCloseSession}); rp.Err != 0 {
		t.Fatalf("close: %s", rp.Err)
	}
	s.settle()
	if rp := move(store.Passwd(a.session), 0); rp.Err != zk.SessionExpired {
		t.Fatalf("reattach of a closed session: %s, want SessionExpired", rp.Err)
	}
}

// TestDigestAuth: an auth packet gives the session its digest id on the
// node serving it, at once (a write pipelined right behind it is
// forwarded with the id), and only for the digest scheme.
func TestDigestAuth(t *testing.T) {
	s := stableSim(t, 3)
	f := s.follower()
	auth := func(scheme, cred string) msg.Op {
		return msg.Op{Op: zk.OpAuth, ACL: []zk.ACL{{ID: zk.ID{Scheme: scheme, ID: cred}}}}
	}
	creatorAll := zk.CreatorAllACL
	a := s.session(f, "a")
	if rp := a.do(f, msg.Op{Op: zk.OpCreate, Path: "/s", ACL: creatorAll}); rp.Err != zk.InvalidACL {
		t.Fatalf("creator ACL without auth: %s", rp.Err)
	}
	x1 := a.send(f, auth("digest", "u:p:w"))
	x2 := a.send(f, msg.Op{Op: zk.OpCreate, Path: "/s", Data: []byte("x"), ACL: creatorAll})
	if rp := a.wait(x1); rp.Err != 0 {
		t.Fatalf("auth: %s", rp.Err)
	}
	if rp := a.wait(x2); rp.Err != 0 {
		t.Fatalf("create behind auth: %s", rp.Err)
	}
	want := zk.ACL{ID: zk.ID{Scheme: "digest", ID: znode.DigestID("u", "p:w")}}
	if rp := a.do(f, msg.Op{Op: zk.OpGetACL, Path: "/s"}); rp.Err != 0 || len(rp.ACL) != 1 || rp.ACL[0].ID != want.ID || rp.ACL[0].Scheme != "digest" {
		t.Fatalf("ACL of /s: %s %+v", rp.Err, rp.ACL)
	}
	if rp := a.do(f, msg.Op{Op: zk.OpWhoAmI}); len(rp.ACL) != 1 || rp.ACL[0] != want {
		t.Fatalf("whoAmI: %+v", rp.ACL)
	}
	b := s.session(s.leaderID(), "b")
	if rp := b.do(s.leaderID(), getData("/s")); rp.Err != zk.NoAuth {
		t.Fatalf("read without auth: %s", rp.Err)
	}
	for _, bad := range []msg.Op{auth("ip", "127.0.0.1"), auth("digest", "nocolon"), {Op: zk.OpAuth}} {
		if rp := b.do(s.leaderID(), bad); rp.Err != zk.AuthFailed {
			t.Fatalf("auth %+v: %s", bad.ACL, rp.Err)
		}
	}
	b.do(s.leaderID(), auth("digest", "u:p:w"))
	if rp := b.do(s.leaderID(), auth("digest", "u:p:w")); rp.Err != 0 {
		t.Fatalf("auth again: %s", rp.Err)
	}
	if rp := b.do(s.leaderID(), getData("/s")); rp.Err != 0 || string(rp.Data) != "x" {
		t.Fatalf("read with auth: %s %q", rp.Err, rp.Data)
	}
	if rp := b.do(s.leaderID(), msg.Op{Op: zk.OpWhoAmI}); len(rp.ACL) != 1 {
		t.Fatalf("auth twice gave ids %+v", rp.ACL)
	}
}

// TestReapContainersAndTTLs: the leader deletes an empty container that
// had a child and a TTL node past its TTL, as ZooKeeper's ContainerManager
// does, and keeps a container that still has a child.
func TestReapContainersAndTTLs(t *testing.T) {
	s := stableSimWith(t, 3, Options{StoreConfig: func(_ msg.NodeID, c *store.Config) { c.ContainerCheckTicks = 1 }})
	l := s.leaderID()
	a := s.session(l, "a")
	for _, op := range []msg.Op{
		create("/box", "", zk.Container), create("/box/x", "", zk.Persistent),
		create("/keep", "", zk.Container), create("/keep/x", "", zk.Persistent),
		create("/fresh", "", zk.Container),
		{Op: zk.OpCreateTTL, Path: "/ttl", ACL: openACL, Mode: int32(zk.PersistentWithTTL), TTL: 1},
		{Op: zk.OpDelete, Path: "/box/x", Version: -1},
	} {
		if rp := a.do(l, op); rp.Err != 0 {
			t.Fatalf("%s %s: %s", op.Op, op.Path, rp.Err)
		}
	}
	for i := 0; i < 20; i++ {
		s.step()
	}
	s.settle()
	for _, id := range s.IDs {
		tr := s.Nodes[id].Store.Tree()
		for path, want := range map[string]bool{"/box": false, "/ttl": false, "/keep": true, "/keep/x": true, "/fresh": true} {
			if _, ok := tr.Exists(path); ok != want {
				t.Errorf("node %d: %s exists %v, want %v", id, path, ok, want)
			}
		}
	}
}

// TestHandshakeWaitsForNewLeader: a createSession, new or a re-attach,
// that reaches a node while it has no leader waits for the next one
// (store.Config.HoldTicks) instead of being refused: a client whose node
// lost its leader reconnects at once, and a refusal sent it into its
// back-off although the election ends within milliseconds.
func TestHandshakeWaitsForNewLeader(t *testing.T) {
	s := stableSimWith(t, 3, Options{StoreConfig: func(_ msg.NodeID, c *store.Config) { c.HoldTicks = 100 }})
	l, f := s.leaderID(), s.follower()
	a := s.session(f, "a")
	if rp := a.do(f, create("/x", "1", zk.Persistent)); rp.Err != 0 {
		t.Fatalf("create: %s", rp.Err)
	}
	s.Crash(l)
	for i := 0; s.Nodes[f].Store.Status().Serving; i++ {
		if i > 200 {
			t.Fatal("the follower keeps serving without its leader")
		}
		s.step()
	}
	s.captured[a.name] = nil
	s.Request(f, &msg.Request{Session: a.session, Passwd: store.Passwd(a.session), Timeout: 10000,
		Op: msg.Op{Op: zk.OpCreateSession}, ReplyTo: a.name})
	b := s.client("b")
	b.post(f, msg.Op{Op: zk.OpCreateSession})
	s.Process()
	if got := a.wait(0); got.Err != 0 || got.Session != a.session {
		t.Fatalf("re-attach during the election: %+v, want it answered once a leader serves", got)
	}
	if got := b.wait(0); got.Err != 0 || got.Session == 0 {
		t.Fatalf("new session during the election: %+v, want it answered once a leader serves", got)
	}
	if !s.Nodes[f].Store.Status().Serving {
		t.Fatal("answered while not serving")
	}
	if rp := a.do(f, getData("/x")); rp.Err != 0 || string(rp.Data) != "1" {
		t.Fatalf("read after the re-attach: %s %q", rp.Err, rp.Data)
	}
}

// TestReattachAcrossLeaderDeath: a re-attach that a node still serving
// sends on to its leader (the revalidating sync) just as that leader dies
// waits for the next leader too, rather than failing with the epoch.
func TestReattachAcrossLeaderDeath(t *testing.T) {
	s := stableSimWith(t, 3, Options{StoreConfig: func(_ msg.NodeID, c *store.Config) { c.HoldTicks = 100 }})
	l, f := s.leaderID(), s.follower()
	a := s.session(l, "a")
	if rp := a.do(l, create("/x", "1", zk.Persistent)); rp.Err != 0 {
		t.Fatalf("create: %s", rp.Err)
	}
	s.settle()
	s.Crash(l)
	s.captured[a.name] = nil
	s.Request(f, &msg.Request{Session: a.session, Passwd: store.Passwd(a.session), Timeout: 10000,
		Op: msg.Op{Op: zk.OpCreateSession}, ReplyTo: a.name})
	s.Process()
	if got := a.wait(0); got.Err != 0 || got.Session != a.session {
		t.Fatalf("re-attach across the leader's death: %+v, want it answered by the next leader's epoch", got)
	}
	if rp := a.do(f, getData("/x")); rp.Err != 0 || string(rp.Data) != "1" {
		t.Fatalf("read after the re-attach: %s %q", rp.Err, rp.Data)
	}
}
