package sim

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/store"
	"github.com/paddock-zk/paddock/zk"
)

// simClient is a client with one outstanding request at a time. It moves
// to another node, keeping its session, when it gets ConnectionLoss or no
// answer within clientTimeout ticks.
type simClient struct {
	s         *storeSim
	name      string
	node      msg.NodeID
	session   int64
	xid       int32
	out       *msg.Request
	sentAt    int64
	sent      map[TxnKey]sentReq
	lastXid   map[[2]int64]int32 // (session, node incarnation) -> last reply's xid
	versions  map[string]int32   // last version seen per path, for CAS
	closed    []int64            // sessions this client closed
	mustWrite bool               // finish: a write must succeed
	detached  bool               // moved: reattach before the next request
	seenZxid  int64              // highest reply zxid (ZooKeeper's lastZxidSeen)
	n         int
}

type sentReq struct {
	req       *msg.Request
	syncFloor int64
}

func (c *simClient) act() {
	s := c.s
	if c.out != nil {
		if s.Bus.Now()-c.sentAt > clientTimeout {
			s.Logf("client %s: no answer to xid %d from %d, moving", c.name, c.out.Xid, c.node)
			c.out = nil
			c.move()
		}
		return
	}
	if c.node == 0 {
		c.move()
	}
	if c.session == 0 {
		c.send(&msg.Request{Op: msg.Op{Op: zk.OpCreateSession}, Timeout: 10000})
		return
	}
	if !s.finishing && s.Rand.Intn(150) == 0 {
		// As a client killed -9: the session is left to expire (about 100
		// ticks), taking its ephemerals with it.
		s.Logf("client %s: abandons session %x", c.name, c.session)
		s.abandoned = append(s.abandoned, c.session)
		c.session = 0
		return
	}
	if s.Rand.Intn(25) == 0 {
		c.move() // as after a lost connection: the session moves, maybe to a node behind
	}
	if c.detached {
		c.detached = false
		if s.Rand.Intn(2) == 0 {
			// As the native client does: reattach with the last zxid
			// seen. Otherwise the next request goes there directly.
			c.send(&msg.Request{Session: c.session, Passwd: store.Passwd(c.session), Timeout: 10000,
				LastZxid: c.seenZxid, Op: msg.Op{Op: zk.OpCreateSession}})
			return
		}
	}
	c.send(c.nextOp())
}

func (c *simClient) move() {
	c.node = c.s.IDs[c.s.Rand.Intn(len(c.s.IDs))]
	c.detached = true
}

func (c *simClient) version(path string) int32 {
	if v, ok := c.versions[path]; ok && c.s.Rand.Intn(10) < 7 {
		return v
	}
	return -1
}

// nextOp picks the client's next request.
func (c *simClient) nextOp() *msg.Request {
	rng := c.s.Rand
	c.n++
	data := []byte(fmt.Sprintf("%s-%d", c.name, c.n))
	kpath := func() string { return fmt.Sprintf("/k%d", rng.Intn(4)) }
	if c.mustWrite {
		return &msg.Request{Op: msg.Op{Op: zk.OpCreate2, Path: "/q-", Data: data, ACL: openACL, Mode: int32(zk.PersistentSequential)}}
	}
	var o msg.Op
	switch x := rng.Intn(100); {
	case x < 14:
		o = msg.Op{Op: zk.OpCreate, Path: kpath(), Data: data, ACL: openACL}
	case x < 20:
		o = msg.Op{Op: zk.OpCreate2, Path: "/q-", Data: data, ACL: openACL, Mode: int32(zk.PersistentSequential)}
	case x < 25:
		o = msg.Op{Op: zk.OpCreate, Path: fmt.Sprintf("/e-%s-%d", c.name, c.n), Data: data, ACL: openACL, Mode: int32(zk.Ephemeral)}
	case x < 45:
		p := kpath()
		o = msg.Op{Op: zk.OpSetData, Path: p, Data: data, Version: c.version(p)}
	case x < 52:
		p := kpath()
		o = msg.Op{Op: zk.OpDelete, Path: p, Version: c.version(p)}
	case x < 60:
		a, b := kpath(), kpath()
		o = msg.Op{Op: zk.OpMulti, Ops: []msg.Op{
			{Op: zk.OpCheck, Path: a, Version: c.version(a)},
			{Op: zk.OpSetData, Path: b, Data: data, Version: -1},
			{Op: zk.OpCreate, Path: "/q-", Data: data, ACL: openACL, Mode: int32(zk.PersistentSequential)},
		}}
	case x < 82:
		o = msg.Op{Op: zk.OpGetData, Path: kpath()}
	case x < 88:
		o = msg.Op{Op: zk.OpExists, Path: kpath()}
	case x < 96:
		o = msg.Op{Op: zk.OpSync, Path: "/"}
	case x < 98:
		o = msg.Op{Op: zk.OpPing}
	default:
		o = msg.Op{Op: zk.OpCloseSession}
	}
	return &msg.Request{Op: o}
}

func (c *simClient) send(req *msg.Request) {
	s := c.s
	if req.Op.Op != zk.OpCreateSession {
		c.xid++
		req.Session, req.Xid, req.Passwd = c.session, c.xid, store.Passwd(c.session)
		c.sent[TxnKey{c.session, c.xid}] = sentReq{req: req, syncFloor: s.maxAcked}
	}
	req.ReplyTo = c.name
	c.out, c.sentAt = req, s.Bus.Now()
	s.Request(c.node, req)
}

var openACL = zk.OpenACLUnsafe

// isWriteOp reports whether op, one of those the simulated clients send,
// becomes a txn.
func isWriteOp(op zk.OpCode) bool {
	switch op {
	case zk.OpCreate, zk.OpCreate2, zk.OpSetData, zk.OpDelete, zk.OpMulti,
		zk.OpCreateSession, zk.OpCloseSession:
		return true
	}
	return false
}

// onReply checks a reply against the reference history, then moves the
// client on.
func (c *simClient) onReply(id msg.NodeID, inc int, rp *msg.Reply) {
	s := c.s
	fk := [2]int64{rp.Session, int64(id)<<32 | int64(inc)}
	if last, ok := c.lastXid[fk]; ok && rp.Xid <= last && rp.Session != 0 && rp.Xid != 0 {
		s.Fatalf("client %s: node %d replied xid %d after xid %d (session %x)", c.name, id, rp.Xid, last, rp.Session)
	}
	if rp.Xid != 0 {
		c.lastXid[fk] = rp.Xid
	}
	if rp.Zxid > s.History.Ref.LastZxid() {
		s.Fatalf("client %s: reply zxid %x past the committed %x", c.name, rp.Zxid, s.History.Ref.LastZxid())
	}
	var req *msg.Request
	var floor int64
	if rp.Xid == 0 {
		if c.out == nil || c.out.Op.Op != zk.OpCreateSession || id != c.node {
			return // an abandoned createSession
		}
		req = c.out
	} else {
		sr, ok := c.sent[TxnKey{rp.Session, rp.Xid}]
		if !ok {
			s.Fatalf("client %s: reply to a request never sent: session %x xid %d", c.name, rp.Session, rp.Xid)
		}
		req, floor = sr.req, sr.syncFloor
	}
	c.check(id, req, rp, floor)
	if c.out == nil || req != c.out {
		return // an answer to an abandoned request: checked, nothing more
	}
	c.out = nil
	if rp.Session == c.session || c.session == 0 {
		c.seenZxid = max(c.seenZxid, rp.Zxid)
	}
	if rp.Err != 0 {
		s.Logf("client %s: %s xid %d at node %d: %s", c.name, zk.OpCode(req.Op.Op), rp.Xid, id, rp.Err)
	}
	switch rp.Err {
	case zk.ConnectionLoss:
		c.move()
		return
	case zk.SessionExpired:
		s.Logf("client %s: session %x expired at node %d", c.name, c.session, id)
		c.session = 0
		return
	}
	op := zk.OpCode(req.Op.Op)
	if rp.Err == 0 && isWriteOp(req.Op.Op) && op != zk.OpCreateSession && op != zk.OpCloseSession {
		c.mustWrite = false
	}
	switch {
	case op == zk.OpCreateSession && rp.Err == 0 && req.Session != 0:
		// ZooKeeper's rule: a node behind what the client has seen
		// must not take the session, or its reads could go back.
		if rp.Zxid < req.LastZxid {
			s.Fatalf("client %s: node %d at %x took session %x, the client had seen %x", c.name, id, rp.Zxid, c.session, req.LastZxid)
		}
		s.Logf("client %s: session %x reattached at node %d", c.name, c.session, id)
	case op == zk.OpCreateSession && rp.Err == 0:
		c.session, c.xid = rp.Session, 0
		s.Logf("client %s: session %x at node %d", c.name, c.session, id)
	case op == zk.OpCloseSession && rp.Err == 0:
		c.closed = append(c.closed, c.session)
		c.session = 0
	case op == zk.OpSetData && rp.Err == 0, op == zk.OpGetData && rp.Err == 0, op == zk.OpExists && rp.Err == 0:
		c.versions[req.Path] = rp.Stat.Version
	case rp.Err == zk.NoNode && req.Path != "":
		delete(c.versions, req.Path)
	}
}

// check checks one reply against the reference history.
func (c *simClient) check(id msg.NodeID, req *msg.Request, rp *msg.Reply, floor int64) {
	s := c.s
	op := zk.OpCode(req.Op.Op)
	code := rp.Err
	session := rp.Session
	switch code {
	case zk.ConnectionLoss:
		return
	case zk.SessionExpired:
		// Right only if the session was closed by the zxid of the reply.
		// A node that had not applied the session's creation must not
		// say so (TestSessionMovesToBehindNode); clients use only
		// sessions whose creation was acknowledged.
		created, ok := s.History.Txns[TxnKey{session, 0}]
		if !ok || created > rp.Zxid {
			s.Fatalf("client %s: node %d at %x says session %x expired, created at %x", c.name, id, rp.Zxid, session, created)
		}
		if _, live := s.History.Ref.Session(session); live {
			s.Fatalf("client %s: node %d at %x says session %x expired, live since %x", c.name, id, rp.Zxid, session, created)
		}
		if closed := s.History.ClosedAt(session); closed > rp.Zxid {
			s.Fatalf("client %s: node %d at %x says session %x expired, closed only at %x", c.name, id, rp.Zxid, session, closed)
		}
		return
	}
	if isWriteOp(req.Op.Op) {
		k := TxnKey{session, rp.Xid}
		zxid, committed := s.History.Txns[k]
		if code != 0 {
			if committed {
				if got := s.History.Errs[zxid]; got != code {
					s.Fatalf("client %s: %s xid %d answered %s, its txn %x applied with %s", c.name, op, rp.Xid, code, zxid, got)
				}
			} else {
				s.refused[k] = rp.Err
			}
			return
		}
		if !committed {
			s.Fatalf("client %s: %s (session %x xid %d) acknowledged at %x but not committed", c.name, op, session, rp.Xid, rp.Zxid)
		}
		if zxid > rp.Zxid {
			s.Fatalf("client %s: %s committed at %x acknowledged with zxid %x", c.name, op, zxid, rp.Zxid)
		}
		s.acked++
		s.maxAcked = max(s.maxAcked, zxid)
		switch op {
		case zk.OpSetData:
			want := s.History.StateAt(req.Path, zxid)
			if rp.Stat == nil || rp.Stat.Mzxid != zxid || rp.Stat.Version != want.Version || !want.Exists {
				s.Fatalf("client %s: setData %s acked with %+v, committed at %x as %+v", c.name, req.Path, rp.Stat, zxid, want)
			}
		case zk.OpCreate, zk.OpCreate2:
			if !strings.HasPrefix(rp.Path, req.Path) || !s.History.StateAt(rp.Path, zxid).Exists {
				s.Fatalf("client %s: create %s acked as %q, not created at %x", c.name, req.Path, rp.Path, zxid)
			}
			if op == zk.OpCreate2 && (rp.Stat == nil || rp.Stat.Czxid != zxid) {
				s.Fatalf("client %s: create2 %s acked with %+v, committed at %x", c.name, rp.Path, rp.Stat, zxid)
			}
		case zk.OpDelete:
			if s.History.StateAt(req.Path, zxid).Exists {
				s.Fatalf("client %s: delete %s acked, still there at %x", c.name, req.Path, zxid)
			}
		case zk.OpMulti:
			if len(rp.Results) != len(req.Ops) {
				s.Fatalf("client %s: multi acked with %d results for %d ops", c.name, len(rp.Results), len(req.Ops))
			}
		}
		return
	}
	switch op {
	case zk.OpGetData, zk.OpExists:
		want := s.History.StateAt(req.Path, rp.Zxid)
		switch {
		case code == zk.NoNode && !want.Exists:
		case code == 0 && want.Exists && rp.Stat != nil && rp.Stat.Version == want.Version &&
			(op == zk.OpExists || bytes.Equal(rp.Data, want.Data)):
		default:
			s.Fatalf("client %s: %s %s at node %d answered %s %+v %q, the state at %x is %+v", c.name, op, req.Path, id, code, rp.Stat, rp.Data, rp.Zxid, want)
		}
	case zk.OpSync:
		if code == 0 && rp.Zxid < floor {
			s.Fatalf("client %s: sync answered at %x, before the write acknowledged at %x before it was sent", c.name, rp.Zxid, floor)
		}
	}
}
