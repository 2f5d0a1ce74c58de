package store

import (
	"fmt"
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/znode"
)

// Focused tests of the request path over a fault-free simulated ensemble
// (the sim of sim_test.go with no clients): requests are stepped into a
// chosen node and their replies captured.

func stableSim(t *testing.T, n int) *sim {
	t.Helper()
	s := newSim(t, 1, n, 0)
	s.captured = map[string][]*msg.Reply{}
	s.settle()
	return s
}

func (s *sim) settle() {
	s.t.Helper()
	for i := 0; !s.converged(); i++ {
		if i > 500 {
			s.fatalf("ensemble does not settle")
		}
		s.step()
	}
}

func (s *sim) leaderID() msg.NodeID {
	for _, id := range s.ids {
		if n := s.nodes[id]; n.alive && n.st.Status().Role == replica.RoleLeader {
			return id
		}
	}
	return 0
}

func (s *sim) follower() msg.NodeID {
	for _, id := range s.ids {
		if n := s.nodes[id]; n.alive && n.st.Status().Role == replica.RoleFollower {
			return id
		}
	}
	return 0
}

// tc is a test client: a session and its next xid.
type tc struct {
	s       *sim
	name    string
	session int64
	xid     int32
}

func (s *sim) session(node msg.NodeID, name string) *tc {
	s.t.Helper()
	c := &tc{s: s, name: "t:" + name}
	rp := c.do(node, msg.Op{Op: int32(znode.OpCreateSession)})
	if rp.Err != 0 {
		s.fatalf("createSession at %d: %d", node, rp.Err)
	}
	c.session = rp.Session
	return c
}

// send hands a request to node without waiting.
func (c *tc) send(node msg.NodeID, o msg.Op) int32 {
	req := &msg.Request{Session: c.session, Op: o, ReplyTo: c.name}
	if o.Op == int32(znode.OpCreateSession) {
		req.Timeout = 10000
	} else {
		c.xid++
		req.Xid, req.Passwd = c.xid, Passwd(c.session)
	}
	n := c.s.nodes[node]
	if err := n.st.Step(msg.New(msg.Addr{}, msg.Addr{Node: node, Role: msg.RoleReplica}, req)); err != nil {
		c.s.fatalf("step: %v", err)
	}
	c.s.drain(n)
	return req.Xid
}

// wait steps the ensemble until the reply to xid arrives.
func (c *tc) wait(xid int32) *msg.Reply {
	s := c.s
	s.t.Helper()
	for i := 0; ; i++ {
		for _, rp := range s.captured[c.name] {
			if rp.Xid == xid {
				return rp
			}
		}
		if i > 200 {
			s.fatalf("%s: no reply to xid %d", c.name, xid)
		}
		s.step()
	}
}

func (c *tc) do(node msg.NodeID, o msg.Op) *msg.Reply {
	c.s.t.Helper()
	return c.wait(c.send(node, o))
}

func setData(path, data string, version int32) msg.Op {
	return msg.Op{Op: int32(znode.OpSetData), Path: path, Data: []byte(data), Version: version}
}

func create(path, data string, mode znode.CreateMode) msg.Op {
	return msg.Op{Op: int32(znode.OpCreate), Path: path, Data: []byte(data), ACL: openACL, Mode: int32(mode)}
}

func getData(path string) msg.Op { return msg.Op{Op: int32(znode.OpGetData), Path: path} }

// TestRefusalAnsweredWhenOtherSessionsCatchUp: a refused write is answered
// once the serving node has applied up to the leader's last proposal. When
// that proposal belongs to another session, only its apply brings the tree
// there; the refusal used to wait for a txn of its own session (found by
// seed 47 of TestEnsembleSimulation: a client got no answer forever).
func TestRefusalAnsweredWhenOtherSessionsCatchUp(t *testing.T) {
	s := stableSim(t, 3)
	l, f := s.leaderID(), s.follower()
	a, b := s.session(f, "a"), s.session(l, "b")
	if rp := a.do(f, create("/x", "0", znode.Persistent)); rp.Err != 0 {
		t.Fatalf("create: %d", rp.Err)
	}
	// b's write is proposed (not committed) before a's bad write reaches
	// the leader, so the refusal names b's zxid.
	bx := b.send(l, setData("/x", "b", -1))
	ax := a.send(f, setData("/x", "a", 7))
	if rp := a.wait(ax); rp.Err != int32(znode.BadVersion) {
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
		if rp := a.do(f, create(fmt.Sprintf("/p%d", i), "", znode.Persistent)); rp.Err != 0 {
			t.Fatalf("create: %d", rp.Err)
		}
	}
	epoch := s.nodes[f].st.Status().Epoch
	s.crash(l)
	s.step()
	s.start(l)
	s.settle()
	if s.nodes[f].st.Status().Epoch == epoch {
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
		if rp := a.do(f, create(fmt.Sprintf("/p%d", i), "", znode.Persistent)); rp.Err != 0 {
			t.Fatalf("create: %d", rp.Err)
		}
	}
	epoch := s.nodes[f].st.Status().Epoch
	s.crash(f)
	s.step()
	s.start(f)
	s.settle()
	if got := s.nodes[f].st.Status().Epoch; got != epoch {
		t.Skipf("the restarted node joined epoch %d, not %d", got, epoch)
	}
	if rp := a.do(f, setData("/p0", "x", -1)); rp.Err != 0 {
		t.Fatalf("setData after the restart: %d", rp.Err)
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
	a := &tc{s: s, name: "t:a"}
	a.send(l, msg.Op{Op: int32(znode.OpCreateSession)})
	for len(s.captured[a.name]) == 0 {
		if !s.bus.DeliverOne() {
			t.Fatal("no createSession reply")
		}
	}
	a.session = s.captured[a.name][0].Session
	// The leader has answered; pick the follower that has not applied it.
	var f msg.NodeID
	for _, id := range s.ids {
		if _, live := s.nodes[id].st.Tree().Session(a.session); !live {
			f = id
		}
	}
	if f == 0 {
		t.Skip("every follower had applied the session already")
	}
	if rp := a.do(f, getData("/")); rp.Err != 0 {
		t.Fatalf("node %d behind the session's creation answered %s", f, znode.Code(rp.Err))
	}
}
