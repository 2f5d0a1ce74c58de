package store

import (
	"bytes"
	"slices"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// Session tracking (see package sessions): this store tells its local
// sessions actor the replicated session table while it leads, sends the
// leader's tracker the sessions its clients touched, and closes the
// sessions the leader's tracker reports expired.

// expiryCxid marks a closeSession the leader proposed for an expired
// session: no client call has it, so none is answered by it.
const expiryCxid = -1

func (s *Store) sessionsAddr(node msg.NodeID) msg.Addr {
	return msg.Addr{Node: node, Role: msg.RoleSessions}
}

// touchSession records that a client of ss was heard from.
func (s *Store) touchSession(id int64) { s.touched[id] = struct{}{} }

// sendTouches sends the leader's tracker this tick's touched sessions.
func (s *Store) sendTouches() {
	if len(s.touched) == 0 || !s.serving || s.r.Leader() == 0 {
		return
	}
	ids := make([]int64, 0, len(s.touched))
	for id := range s.touched {
		ids = append(ids, id)
	}
	clear(s.touched)
	slices.Sort(ids)
	s.msgs = append(s.msgs, msg.New(s.self, s.sessionsAddr(s.r.Leader()), &msg.Touch{Epoch: s.epoch, Sessions: ids}))
}

// setTracking starts or stops the local tracker's table: it starts when
// Prep exists (the tree holds every session of the log) and stops when
// the node stops leading.
func (s *Store) setTracking(on bool) {
	if on == s.tracking {
		return
	}
	s.tracking = on
	s.sessUpd = nil
	u := &msg.SessionsUpdate{Epoch: s.epoch, Leading: on, Reset: true}
	if on {
		for _, si := range s.tree.Sessions() {
			u.Opened = append(u.Opened, msg.SessionInfo{ID: si.ID, Timeout: si.Timeout})
		}
	}
	s.msgs = append(s.msgs, msg.New(s.self, s.sessionsAddr(s.id), u))
}

// noteSessionTxn follows createSession and closeSession txns: deltas for
// the tracker, and the end of a session served here that was closed by
// expiry (or by the client through another node).
func (s *Store) noteSessionTxn(hdr znode.TxnHeader, txn znode.Txn) {
	switch txn := txn.(type) {
	case znode.CreateSessionTxn:
		if s.tracking {
			s.delta().Opened = append(s.delta().Opened, msg.SessionInfo{ID: hdr.Session, Timeout: txn.Timeout})
		}
	case znode.CloseSessionTxn:
		if s.tracking {
			s.delta().Closed = append(s.delta().Closed, hdr.Session)
		}
		delete(s.owners, hdr.Session) // forwards of a closed session are refused anyway

		ss := s.sessions[hdr.Session]
		if ss == nil {
			s.watches.DropSession(hdr.Session)
			return
		}
		for _, c := range ss.queue {
			closing := c.forwarded && c.req.Xid == hdr.Cxid && c.req.Op.Op == zk.OpCloseSession
			if c.reply == nil && !closing {
				c.reply = &msg.Reply{Err: zk.SessionExpired}
			}
		}
		s.flush(ss)
		delete(s.sessions, hdr.Session)
		delete(s.touched, hdr.Session)
		s.watches.DropSession(hdr.Session)
	}
}

func (s *Store) delta() *msg.SessionsUpdate {
	if s.sessUpd == nil {
		s.sessUpd = &msg.SessionsUpdate{Epoch: s.epoch, Leading: true}
	}
	return s.sessUpd
}

// flushSessionsUpdate sends the deltas gathered while applying.
func (s *Store) flushSessionsUpdate() {
	if s.sessUpd != nil {
		s.msgs = append(s.msgs, msg.New(s.self, s.sessionsAddr(s.id), s.sessUpd))
		s.sessUpd = nil
	}
}

// onExpire proposes a closeSession for each expired session still live.
func (s *Store) onExpire(e *msg.Expire) {
	if e.Epoch != s.epoch || s.prep == nil {
		return
	}
	for _, id := range e.Sessions {
		if !s.prep.SessionLive(id) {
			continue // already closing, or gone
		}
		next, ok := s.r.NextZxid()
		if !ok {
			return
		}
		hdr := znode.TxnHeader{Session: id, Cxid: expiryCxid, Zxid: int64(next), Time: s.now, Type: zk.OpCloseSession}
		txn, err := s.prep.Prepare(hdr, znode.CloseSession{}, nil)
		if err != nil {
			s.log.Warn("cannot close expired session", "session", id, "err", err)
			continue
		}
		if z, err := s.r.Propose(znode.EncodeRecord(hdr, txn)); err != nil || z != next {
			panic("store: propose after NextZxid said yes: " + errString(err))
		}
	}
}

// reattach answers a createSession that names an existing session: the
// client moves it here (ZooKeeper's reconnect with sessionId and passwd).
// It is refused with SessionExpired if the session is gone or the
// password is wrong, and with ConnectionLoss while this node has applied
// less than the client has seen, so the client never reads older state
// than it saw.
func (s *Store) reattach(req *msg.Request) {
	fail := func(c zk.Code) {
		// Nothing was done: a re-attach is always safe to repeat.
		s.reply(req.ReplyTo, &msg.Reply{Session: req.Session, Xid: req.Xid, Err: c, Refused: c == zk.ConnectionLoss})
	}
	timeout, live := s.tree.Session(req.Session)
	switch {
	case !bytes.Equal(req.Passwd, s.passwd(req.Session)):
		fail(zk.SessionExpired)
		return
	case s.tree.LastZxid() < req.LastZxid:
		if !s.holdHandshake(req) {
			fail(zk.ConnectionLoss)
		}
		return
	case !live:
		fail(zk.SessionExpired)
		return
	}
	ss := s.sessions[req.Session]
	if ss == nil {
		ss = &session{id: req.Session, fwdSeq: s.seqBase}
		s.sessions[ss.id] = ss
	}
	ss.replyTo = req.ReplyTo
	ss.setClientAddr(req.ClientAddr)
	s.touchSession(ss.id)
	// The leader learns that the session is served here before the client
	// does: a write the client sent through the node it left is refused
	// from now on, rather than applied after the ones it sends here
	// (TestSessionMovedKeepsOrder).
	rv := &call{req: msg.Request{Session: ss.id, Xid: revalidateXid, Op: msg.Op{Op: zk.OpSync}},
		forwarded: true, revalidate: true, attach: true}
	ss.fwdSeq++
	rv.seq = ss.fwdSeq
	ss.queue = append(ss.queue, rv)
	c := &call{req: *req, replyTo: req.ReplyTo, reply: &msg.Reply{Timeout: timeout, Passwd: s.passwd(req.Session)}}
	c.req.ReplyTo = ""
	ss.queue = append(ss.queue, c)
	s.forward(ss, rv)
	if s.sessions[ss.id] != ss {
		return // expired meanwhile: c has been answered
	}
	s.flush(ss)
}
