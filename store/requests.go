package store

import (
	"bytes"
	"io"
	"slices"
	"strings"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// Request kinds by what the serving node does with them.
func isWrite(op zk.OpCode) bool {
	switch op {
	case zk.OpCreate, zk.OpCreate2, zk.OpCreateContainer, zk.OpCreateTTL,
		zk.OpDelete, zk.OpSetData, zk.OpSetACL, zk.OpCheck, zk.OpMulti,
		zk.OpCloseSession, zk.OpCreateSession, zk.OpSync:
		return true
	}
	return false
}

func isRead(op zk.OpCode) bool {
	switch op {
	case zk.OpExists, zk.OpGetData, zk.OpGetACL, zk.OpGetChildren, zk.OpGetChildren2,
		zk.OpPing, zk.OpMultiRead, zk.OpGetEphemerals, zk.OpGetAllChildrenNumber, zk.OpWhoAmI,
		zk.OpAddWatch, zk.OpRemoveWatches, zk.OpCheckWatches, zk.OpSetWatches, zk.OpSetWatches2:
		return true
	}
	return false
}

func errReply(c zk.Code) *msg.Reply { return &msg.Reply{Err: c} }

func (s *Store) reply(to string, rp *msg.Reply) {
	rp.Zxid = s.tree.LastZxid()
	s.replies = append(s.replies, Reply{To: to, Reply: rp})
}

// onRequest takes a client request for a session served here.
func (s *Store) onRequest(req *msg.Request) {
	op := req.Op.Op
	if !s.serving {
		if s.holdHandshake(req) {
			return
		}
		// Like a ZooKeeper server that is not synced: no service. The
		// client tries again or elsewhere.
		s.reply(req.ReplyTo, &msg.Reply{Session: req.Session, Xid: req.Xid, Err: zk.ConnectionLoss, Refused: true})
		return
	}
	if op == zk.OpCreateSession && req.Session != 0 {
		s.reattach(req)
		return
	}
	var ss *session
	var rv *call // revalidation of a session unknown here
	if op == zk.OpCreateSession {
		ss = &session{id: s.nextSession, fwdSeq: s.seqBase}
		s.nextSession++
		s.sessions[ss.id] = ss
		ss.setClientAddr(req.ClientAddr)
		req.Session, req.Xid = ss.id, 0
		req.Timeout = min(max(req.Timeout, s.cfg.MinSessionTimeout), s.cfg.MaxSessionTimeout)
	} else if !bytes.Equal(req.Passwd, s.passwd(req.Session)) {
		// Every request carries the session's password (a front end
		// that gets it only at connect time must attach it), and every
		// one is checked: checking only a session's first request at
		// this node let anyone who can publish requests act for a
		// session already served here (TestSessionLifecycle).
		s.reply(req.ReplyTo, &msg.Reply{Session: req.Session, Xid: req.Xid, Err: zk.SessionExpired})
		return
	} else if ss = s.sessions[req.Session]; ss == nil {
		// A session moving to this node (its old node failed). Like
		// ZooKeeper's Learner.validateSession, ask the leader first: a
		// sync ahead of the request, then decide in flush. It may be
		// expired, or created (and acknowledged to the client by another
		// node) after what this node has applied
		// (TestSessionMovesToBehindNode); and it tells the leader that
		// the session is served here now, so what the old node still
		// holds of it is refused (TestSessionMovedKeepsOrder).
		ss = &session{id: req.Session, fwdSeq: s.seqBase}
		s.sessions[ss.id] = ss
		rv = &call{req: msg.Request{Session: ss.id, Xid: revalidateXid, Op: msg.Op{Op: zk.OpSync}},
			forwarded: true, revalidate: true, attach: true}
		ss.queue = append(ss.queue, rv)
		ss.fwdSeq++
		rv.seq = ss.fwdSeq
	}
	s.touchSession(ss.id)
	if req.ReplyTo != "" {
		ss.replyTo = req.ReplyTo
	}
	c := &call{req: *req, replyTo: req.ReplyTo}
	c.req.ReplyTo = ""
	ss.queue = append(ss.queue, c)
	switch {
	case isWrite(op):
		c.forwarded = true
		ss.fwdSeq++
		c.seq = ss.fwdSeq
	case isRead(op):
	case op == zk.OpAuth:
		c.reply = addAuth(ss, &c.req.Op)
	default:
		c.reply = errReply(zk.Unimplemented)
	}
	// Forward only once c is queued: on the leader a forward may be
	// answered at once, and a revalidation that finds the session gone
	// must answer c too rather than leave it to be served
	// (TestSessionLifecycle).
	if rv != nil {
		s.forward(ss, rv)
		if s.sessions[ss.id] != ss {
			return // expired: c has been answered
		}
	}
	if c.forwarded && c.reply == nil {
		s.forward(ss, c)
	}
	s.flush(ss)
}

// addAuth takes an auth packet (OpAuth, its ACL[0] carrying the scheme and
// the credential): the digest scheme's "user:password" gives the session
// the id digest:user:base64(sha1(user:password)) on this node, for its
// requests from now on; the ip scheme succeeds (changing nothing) for a
// session that has its connection's ip id (see setClientAddr); any other
// scheme fails with AuthFailed. As in
// ZooKeeper (ServerCnxn.addAuthInfo) it takes effect on receipt and is not
// replicated: a client that moves to another node sends it again.
func addAuth(ss *session, o *msg.Op) *msg.Reply {
	if len(o.ACL) == 1 && o.ACL[0].Scheme == "ip" {
		// IPAuthenticationProvider: the connection's own address, which
		// the session has already when a front end gave it one.
		for _, a := range ss.auth {
			if a.Scheme == "ip" {
				return &msg.Reply{}
			}
		}
		return errReply(zk.AuthFailed)
	}
	if len(o.ACL) != 1 || o.ACL[0].Scheme != "digest" {
		return errReply(zk.AuthFailed)
	}
	user, pw, ok := strings.Cut(o.ACL[0].ID.ID, ":")
	if !ok {
		return errReply(zk.AuthFailed)
	}
	id := zk.ACL{ID: zk.ID{Scheme: "digest", ID: znode.DigestID(user, pw)}}
	if !slices.Contains(ss.auth, id) {
		// A new array: forwards already made keep the ids they had.
		ss.auth = append(slices.Clip(ss.auth), id)
	}
	return &msg.Reply{}
}

// setClientAddr gives the session the ip scheme id of the connection it
// arrived on (ZooKeeper gives every connection ip:<client address>),
// replacing the id of an earlier connection; addr is "" for a client with
// no known address (the native client), which gets no ip id.
func (ss *session) setClientAddr(addr string) {
	auth := make([]zk.ACL, 0, len(ss.auth)+1)
	if addr != "" {
		auth = append(auth, zk.ACL{ID: zk.ID{Scheme: "ip", ID: addr}})
	}
	for _, a := range ss.auth {
		if a.Scheme != "ip" {
			auth = append(auth, a)
		}
	}
	// A new array: forwards already made keep the ids they had.
	ss.auth = auth
}

func (s *Store) forward(ss *session, c *call) {
	c.sent = s.tick
	f := &msg.Forward{Epoch: s.epoch, Origin: s.id, Seq: c.seq, Request: c.req, Auth: ss.auth, Attach: c.attach}
	if leader := s.r.Leader(); leader == s.id {
		s.onForward(f)
	} else {
		s.msgs = append(s.msgs, msg.New(s.self, msg.Addr{Node: leader, Role: msg.RoleStore}, f))
	}
}

// resend forwards again the writes whose answer is overdue.
func (s *Store) resend() {
	if !s.serving {
		return
	}
	for _, ss := range s.sortedSessions() {
		// On the leader a forward may be answered at once (a session
		// closed meanwhile), and the answer flushes ss, nilling the calls
		// it pops from the queue this loop ranges over: skip those, they
		// are answered (TestWireMutatedFrames found this nil dereference).
		for _, c := range ss.queue {
			if c == nil {
				continue
			}
			if c.forwarded && c.reply == nil && c.answer == nil && s.tick-c.sent >= int64(s.cfg.ResendTicks) {
				s.forward(ss, c)
			}
		}
	}
}

// onForwardReply takes the leader's answer to a forward that made no txn.
func (s *Store) onForwardReply(fr *msg.ForwardReply) {
	ss := s.sessions[fr.Session]
	if ss == nil {
		return
	}
	for _, c := range ss.queue {
		if c.forwarded && c.reply == nil && c.req.Xid == fr.Xid {
			c.answer = fr
			s.awaiting[ss.id] = struct{}{}
			break
		}
	}
	s.flush(ss)
}

func answerReply(c *call) *msg.Reply {
	fr := c.answer
	rp := &msg.Reply{Err: fr.Err}
	switch {
	case c.req.Op.Op == zk.OpSync && fr.Err == 0:
		rp.Path = c.req.Path
	case len(fr.Errs) > 0:
		for _, e := range fr.Errs {
			rp.Results = append(rp.Results, msg.OpResult{Op: zk.OpError, Err: e})
		}
	}
	return rp
}

// onForward prepares a forwarded write on the leader.
func (s *Store) onForward(f *msg.Forward) {
	if f.Epoch != s.epoch || s.role != replica.RoleLeader || !s.serving {
		return // not ours to prepare; the origin sends again or fails it
	}
	if s.prep == nil {
		s.held = append(s.held, f)
		return
	}
	req := &f.Request
	if op := req.Op.Op; op != zk.OpCreateSession && !s.prep.SessionLive(req.Session) {
		// Closed (or never created): no order to keep any more. A node
		// that serves the session afresh, to tell its client it
		// expired, starts a new sequence, and duplicates of old
		// forwards must not reach the log (as ZooKeeper's checkSession).
		fr := &msg.ForwardReply{Epoch: s.epoch, Session: req.Session, Xid: req.Xid, Zxid: s.r.LastZxid()}
		if op != zk.OpSync {
			fr.Err = zk.SessionExpired
		}
		s.answer(f.Origin, fr)
		return
	}
	key := seenKey{req.Session, f.Origin}
	seen := s.seen[key]
	if seen == nil {
		seen = &seenSession{}
		s.seen[key] = seen
	}
	// A first forward above the last seen starts a new sequence: the
	// origin restarted (see Store.seqBase).
	restart := firstSeq(f.Seq) && f.Seq > seen.lastSeq+1
	switch {
	case f.Seq <= seen.lastSeq:
		for _, r := range seen.refused {
			if r.seq == f.Seq {
				s.answer(f.Origin, r.fr)
			}
		}
		return // a duplicate: its txn is proposed, the commit answers it
	case f.Seq > seen.lastSeq+1 && !restart:
		return // one before it was lost; the origin sends them all again
	}
	switch owner, known := s.owners[req.Session]; {
	case f.Attach || !known:
		s.owners[req.Session] = f.Origin
	case owner != f.Origin:
		// The session moved to another node since this was sent there:
		// taking it now would apply it after the writes the client made
		// since (ZooKeeper's SessionMovedException).
		seen.lastSeq = f.Seq
		s.refuse(f, seen, &msg.ForwardReply{Session: req.Session, Xid: req.Xid, Zxid: s.r.LastZxid(), Err: zk.SessionMoved})
		return
	}
	op := req.Op.Op
	if op == zk.OpSync {
		seen.lastSeq = f.Seq
		s.refuse(f, seen, &msg.ForwardReply{Session: req.Session, Xid: req.Xid, Zxid: s.r.LastZxid()})
		return
	}
	next, ok := s.r.NextZxid()
	if !ok {
		return
	}
	zreq, err := toRequest(req)
	seen.lastSeq = f.Seq
	if err != nil {
		s.refuse(f, seen, &msg.ForwardReply{Session: req.Session, Xid: req.Xid, Zxid: s.r.LastZxid(), Err: zk.CodeOf(err)})
		return
	}
	hdr := znode.TxnHeader{Session: req.Session, Cxid: req.Xid, Zxid: int64(next), Time: s.now, Type: op}
	txn, err := s.prep.Prepare(hdr, zreq, idsOf(f.Auth))
	if err != nil {
		fr := &msg.ForwardReply{Session: req.Session, Xid: req.Xid, Zxid: s.r.LastZxid(), Err: zk.CodeOf(err)}
		if m, ok := txn.(znode.MultiTxn); ok {
			for _, op := range m.Ops {
				e, _ := op.(znode.ErrorTxn)
				fr.Errs = append(fr.Errs, e.Err)
			}
		}
		s.refuse(f, seen, fr)
		return
	}
	z, err := s.r.Propose(znode.EncodeRecord(hdr, txn))
	if err != nil || z != next {
		panic("store: propose after NextZxid said yes: " + errString(err))
	}
}

func errString(err error) string {
	if err == nil {
		return "zxid mismatch"
	}
	return err.Error()
}

func (s *Store) refuse(f *msg.Forward, seen *seenSession, fr *msg.ForwardReply) {
	fr.Epoch = s.epoch
	if len(seen.refused) == keepRefused {
		seen.refused = append(seen.refused[:0], seen.refused[1:]...)
	}
	seen.refused = append(seen.refused, refusal{f.Seq, fr})
	s.answer(f.Origin, fr)
}

func (s *Store) answer(origin msg.NodeID, fr *msg.ForwardReply) {
	if origin == s.id {
		s.onForwardReply(fr)
		return
	}
	s.msgs = append(s.msgs, msg.New(s.self, msg.Addr{Node: origin, Role: msg.RoleStore}, fr))
}

// toRequest turns a client write into the znode request Prep takes.
func toRequest(r *msg.Request) (znode.Request, error) {
	switch op := r.Op.Op; op {
	case zk.OpCreateSession:
		return znode.CreateSession{Timeout: r.Timeout}, nil
	case zk.OpCloseSession:
		return znode.CloseSession{}, nil
	}
	return toOp(&r.Op, true)
}

var errBadOp = &zk.Error{Code: zk.BadArguments}

func toOp(o *msg.Op, multiOK bool) (znode.Request, error) {
	switch op := o.Op; op {
	case zk.OpCreate, zk.OpCreate2, zk.OpCreateContainer, zk.OpCreateTTL:
		mode := zk.CreateMode(o.Mode)
		switch {
		case !mode.Valid(),
			op == zk.OpCreateContainer && mode != zk.Container,
			(op == zk.OpCreateTTL) != mode.IsTTL():
			return nil, &zk.Error{Code: zk.BadArguments, Path: o.Path}
		}
		return znode.Create{Path: o.Path, Data: o.Data, ACL: o.ACL, Mode: mode, TTL: o.TTL}, nil
	case zk.OpDelete:
		return znode.Delete{Path: o.Path, Version: o.Version}, nil
	case zk.OpSetData:
		return znode.SetData{Path: o.Path, Data: o.Data, Version: o.Version}, nil
	case zk.OpSetACL:
		return znode.SetACL{Path: o.Path, ACL: o.ACL, Version: o.Version}, nil
	case zk.OpCheck:
		return znode.Check{Path: o.Path, Version: o.Version}, nil
	case zk.OpMulti:
		if !multiOK {
			return nil, errBadOp
		}
		m := znode.Multi{Ops: make([]znode.Request, 0, len(o.Ops))}
		for i := range o.Ops {
			sub, err := toOp(&o.Ops[i], false)
			if err != nil {
				return nil, err
			}
			m.Ops = append(m.Ops, sub)
		}
		return m, nil
	}
	return nil, &zk.Error{Code: zk.Unimplemented}
}

// writeReply is the answer to a write whose txn was just applied.
func (s *Store) writeReply(c *call, hdr znode.TxnHeader, res znode.Result) *msg.Reply {
	rp := &msg.Reply{Err: res.Err}
	switch c.req.Op.Op {
	case zk.OpCreateSession:
		rp.Timeout, rp.Passwd = c.req.Timeout, s.passwd(hdr.Session)
	case zk.OpCreate:
		rp.Path = res.Path
	case zk.OpCreate2, zk.OpCreateContainer, zk.OpCreateTTL:
		rp.Path, rp.Stat = res.Path, &res.Stat
	case zk.OpSetData, zk.OpSetACL:
		rp.Stat = &res.Stat
	case zk.OpMulti:
		for _, r := range res.Multi {
			or := msg.OpResult{Op: r.Type, Err: r.Err, Path: r.Path}
			switch r.Type {
			case zk.OpCreate2, zk.OpCreateContainer, zk.OpCreateTTL, zk.OpSetData:
				or.Stat = &r.Stat
			}
			rp.Results = append(rp.Results, or)
		}
	}
	if rp.Err != 0 && res.Path != "" {
		rp.Path = res.Path
	}
	return rp
}

// read answers a read from the applied tree.
func (s *Store) read(ss *session, req *msg.Request) *msg.Reply {
	auth := idsOf(ss.auth)
	switch req.Op.Op {
	case zk.OpPing:
		return &msg.Reply{}
	case zk.OpWhoAmI:
		return &msg.Reply{ACL: ss.auth}
	case zk.OpGetEphemerals:
		return &msg.Reply{Children: s.tree.Ephemerals(ss.id, req.Path)}
	case zk.OpAddWatch, zk.OpRemoveWatches, zk.OpCheckWatches, zk.OpSetWatches, zk.OpSetWatches2:
		return s.watchOp(ss, req)
	case zk.OpMultiRead:
		rp := &msg.Reply{}
		for i := range req.Ops {
			sub := s.readOp(&req.Ops[i], auth)
			or := msg.OpResult{Op: req.Ops[i].Op, Err: sub.Err, Data: sub.Data, Children: sub.Children, Stat: sub.Stat}
			if sub.Err != 0 {
				or = msg.OpResult{Op: zk.OpError, Err: sub.Err}
			}
			rp.Results = append(rp.Results, or)
		}
		return rp
	}
	rp := s.readOp(&req.Op, auth)
	s.watchRead(ss, &req.Op, rp)
	return rp
}

func (s *Store) readOp(o *msg.Op, auth []zk.ID) *msg.Reply {
	fail := func(err error) *msg.Reply { return &msg.Reply{Err: zk.CodeOf(err), Path: o.Path} }
	if err := znode.ValidatePath(o.Path, false); err != nil {
		return fail(err)
	}
	switch o.Op {
	case zk.OpExists:
		st, ok := s.tree.Exists(o.Path)
		if !ok {
			return fail(&zk.Error{Code: zk.NoNode, Path: o.Path})
		}
		return &msg.Reply{Stat: &st}
	case zk.OpGetData:
		if err := s.tree.CheckRead(o.Path, auth); err != nil {
			return fail(err)
		}
		data, st, err := s.tree.Get(o.Path)
		if err != nil {
			return fail(err)
		}
		return &msg.Reply{Data: data, Stat: &st}
	case zk.OpGetACL:
		// ZooKeeper 3.5+ (ZOOKEEPER-1392): getACL needs READ.
		if err := s.tree.CheckRead(o.Path, auth); err != nil {
			return fail(err)
		}
		acl, st, err := s.tree.ACL(o.Path)
		if err != nil {
			return fail(err)
		}
		return &msg.Reply{ACL: acl, Stat: &st}
	case zk.OpGetChildren, zk.OpGetChildren2:
		if err := s.tree.CheckRead(o.Path, auth); err != nil {
			return fail(err)
		}
		kids, st, err := s.tree.Children(o.Path)
		if err != nil {
			return fail(err)
		}
		return &msg.Reply{Children: kids, Stat: &st}
	case zk.OpGetAllChildrenNumber:
		n, err := s.tree.AllChildrenNumber(o.Path)
		if err != nil {
			return fail(err)
		}
		return &msg.Reply{Count: int32(n)}
	}
	return fail(&zk.Error{Code: zk.Unimplemented})
}

// idsOf is a session's authenticated ids as Prep and the ACL checks take
// them; the bus carries them as ACLs with no permissions.
func idsOf(auth []zk.ACL) []zk.ID {
	out := make([]zk.ID, len(auth))
	for i, a := range auth {
		out[i] = a.ID
	}
	return out
}
