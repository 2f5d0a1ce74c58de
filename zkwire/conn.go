package zkwire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// Bus is the node's request path as the front end sees it: a stream per
// client connection to the node's own request subject.
type Bus interface {
	// Open starts a stream whose replies and watch events (*msg.Reply,
	// *msg.WatchEvent) are handed to deliver in the order the node sent
	// them. deliver may block.
	Open(deliver func(msg.Body)) (Stream, error)
}

// Stream is one connection's way to the node's request path.
type Stream interface {
	Send(req *msg.Request) error
	Close()
}

// DefaultMaxBuffer is jute.maxbuffer's default.
const DefaultMaxBuffer = 1 << 20

// connectTimeout bounds the handshake: the ConnectRequest and the node's
// answer to the createSession it becomes.
const connectTimeout = 10 * time.Second

var errTooLarge = errors.New("zkwire: packet larger than jute.maxbuffer")

// readFrame reads one length-prefixed frame whose length is given in head.
func readFrame(r io.Reader, head [4]byte, maxBuf int) ([]byte, error) {
	n := int32(binary.BigEndian.Uint32(head[:]))
	if n < 0 || int(n) > maxBuf {
		return nil, errTooLarge
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// pend is a request waiting for its reply, in the order the client sent
// them. A local one is answered by the front end itself with code when it
// reaches the head of the queue, so replies stay in order.
type pend struct {
	xid    int32
	op     zk.OpCode
	local  bool
	code   zk.Code
	close  bool      // close the connection once this reply is written
	at     time.Time // when it arrived, for the latency figures
	ticket ticket    // its admission, given back with the reply
}

// zkConn is one jute client connection after its handshake.
type zkConn struct {
	srv     *Server // nil in tests that drive a connection alone
	c       net.Conn
	log     *slog.Logger
	stream  Stream
	session int64
	passwd  []byte
	timeout time.Duration

	in   chan msg.Body
	kick chan struct{}
	done chan struct{}
	once sync.Once
	// room is signalled when a reply leaves the queue, for a reader held
	// at the outstanding limit.
	room chan struct{}
	// adm is the node's admission, nil for a connection driven alone.
	adm      *admission
	admitter admitter

	mu       sync.Mutex
	queue    []pend
	lastZxid int64
	stats    connStats
}

func (z *zkConn) stop() { z.once.Do(func() { close(z.done) }) }

// serveClient runs the jute protocol on c, whose first four bytes (the
// first frame's length) have been read into head.
func (s *Server) serveClient(c net.Conn, head [4]byte) {
	maxBuf := s.cfg.MaxBuffer
	if maxBuf <= 0 {
		maxBuf = DefaultMaxBuffer
	}
	log := s.cfg.Log.With("remote", c.RemoteAddr().String())
	br := bufio.NewReader(c)
	frame, err := readFrame(br, head, maxBuf)
	if err != nil {
		log.Debug("client handshake: bad frame", "err", err)
		return
	}
	s.stats.bytes.Add(uint64(4 + len(frame)))
	var cr jute.ConnectRequest
	if err := jute.Decode(frame, &cr); err != nil {
		log.Debug("client handshake: bad ConnectRequest", "err", err)
		return
	}
	s.stats.handshakes.Add(1)
	if host := remoteHost(c.RemoteAddr()); s.churn != nil && !s.churn.allow(host, time.Now()) {
		s.warn("sessionRate", "Too many new sessions from "+host+" - closing")
		return
	}
	z := &zkConn{srv: s, c: c, log: log, in: make(chan msg.Body, 256), kick: make(chan struct{}, 1), done: make(chan struct{}),
		room: make(chan struct{}, 1), adm: s.adm}
	z.stats.remote, z.stats.est = remoteString(c.RemoteAddr()), time.Now()
	z.receivedPacket(z.stats.est)
	defer z.stop()
	// The stream delivers until the connection's last replies are in
	// (settle), not only while the connection is up.
	gone := make(chan struct{})
	defer close(gone)
	stream, err := s.cfg.Bus.Open(func(b msg.Body) {
		select {
		case z.in <- b:
		case <-gone:
		}
	})
	if err != nil {
		log.Warn("client connection: no request stream", "err", err)
		return
	}
	defer stream.Close()
	z.stream = stream
	if !z.handshake(&cr) {
		return
	}
	s.seated(c)
	s.register(z)
	defer s.unregister(z)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// A reader waiting for room or for admission reads nothing, so
		// closing c alone does not wake it: stop does.
		defer z.stop()
		defer c.Close() // unblocks the reader in a read
		z.writer()
	}()
	limit := s.cfg.MaxOutstanding
	if limit <= 0 {
		limit = DefaultMaxOutstanding
	}
	z.reader(br, maxBuf, limit)
	z.stop()
	wg.Wait()
	z.settle(settleTimeout)
}

// settleTimeout bounds how long a closed connection waits for the replies
// of the requests it sent on.
const settleTimeout = 5 * time.Second

// settle waits, for at most d, for the replies of the requests a closed
// connection sent on, giving back each one's admission ticket as its
// reply comes: until then the request still holds its place in the node's
// queue, and a client that pipelines, hangs up and connects again must
// not get more places than one that waits.
func (z *zkConn) settle(d time.Duration) {
	if z.adm == nil {
		return
	}
	defer z.adm.close(&z.admitter)
	var tickets []ticket
	z.mu.Lock()
	for _, p := range z.queue {
		if !p.local {
			tickets = append(tickets, p.ticket)
		}
	}
	z.mu.Unlock()
	if len(tickets) == 0 {
		return
	}
	var quit <-chan struct{} // the server closing: nobody waits for room
	if z.srv != nil {
		quit = z.srv.quit
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for len(tickets) > 0 {
		select {
		case b := <-z.in:
			if _, ok := b.(*msg.Reply); ok {
				z.adm.release(&z.admitter, tickets[0])
				tickets = tickets[1:]
			}
		case <-t.C:
			return
		case <-quit:
			return
		}
	}
}

// handshake turns the ConnectRequest into a createSession and answers it.
func (z *zkConn) handshake(cr *jute.ConnectRequest) bool {
	req := &msg.Request{Session: cr.SessionID, Timeout: cr.TimeOut, LastZxid: cr.LastZxidSeen,
		Op: msg.Op{Op: zk.OpCreateSession}}
	if cr.SessionID != 0 {
		req.Passwd = cr.Passwd
	}
	// The connection's ip scheme id, as ZooKeeper gives every connection.
	if ap, err := netip.ParseAddrPort(z.c.RemoteAddr().String()); err == nil {
		req.ClientAddr = ap.Addr().Unmap().WithZone("").String()
	}
	if err := z.stream.Send(req); err != nil {
		z.log.Debug("client handshake: send", "err", err)
		return false
	}
	var rp *msg.Reply
	// Events the node sends before the answer (a re-attach waits behind
	// the session's earlier requests; its watches fire meanwhile) follow
	// the ConnectResponse.
	var early []jute.Record
	t := time.NewTimer(connectTimeout)
	defer t.Stop()
	for rp == nil {
		select {
		case b := <-z.in:
			switch b := b.(type) {
			case *msg.Reply:
				rp = b
			case *msg.WatchEvent:
				if b.Type == zk.EventNone {
					continue // the watches the client registers next are fresh
				}
				early = append(early, &jute.ReplyHeader{Xid: jute.XidNotification, Zxid: b.Zxid},
					&jute.WatcherEvent{Type: b.Type, State: zk.StateSyncConnected, Path: b.Path})
			}
		case <-t.C:
			z.log.Debug("client handshake: no answer from the node")
			return false
		}
	}
	resp := &jute.ConnectResponse{HasReadOnly: cr.HasReadOnly}
	switch rp.Err {
	case 0:
		resp.TimeOut, resp.SessionID, resp.Passwd = rp.Timeout, rp.Session, rp.Passwd
	case zk.SessionExpired:
		// ZooKeeper's answer to a session it will not re-attach: timeout
		// 0, which the client reports as an expired session.
		resp.Passwd = make([]byte, 16)
	default:
		// Not serving, or behind the client: close, and the client
		// tries another server.
		z.log.Debug("client handshake refused", "err", rp.Err)
		return false
	}
	_ = z.c.SetWriteDeadline(time.Now().Add(connectTimeout))
	out := frameOf(resp)
	for i := 0; rp.Err == 0 && i < len(early); i += 2 {
		out = append(out, frameOf(early[i], early[i+1])...)
	}
	if _, err := z.c.Write(out); err != nil || rp.Err != 0 {
		return false
	}
	z.sentPackets(1 + len(early)/2)
	z.mu.Lock()
	z.session, z.passwd = rp.Session, rp.Passwd
	z.timeout = time.Duration(rp.Timeout) * time.Millisecond
	z.lastZxid = rp.Zxid
	z.responded(pend{xid: 0, op: zk.OpCreateSession, at: z.stats.est}, time.Now())
	z.mu.Unlock()
	z.log = z.log.With("session", rp.Session)
	return true
}

// frameOf encodes records into one length-prefixed frame.
func frameOf(recs ...jute.Record) []byte {
	e := jute.Encoder{B: make([]byte, 4, 64)}
	for _, r := range recs {
		r.Encode(&e)
	}
	binary.BigEndian.PutUint32(e.B, uint32(len(e.B)-4))
	return e.B
}

// reader takes request frames until the connection fails or closes.
func (z *zkConn) reader(br *bufio.Reader, maxBuf, maxOutstanding int) {
	for {
		// At the outstanding limit, read nothing more until a reply
		// leaves: the client's writes back up in TCP, nothing is lost,
		// and one connection cannot queue without bound.
		if !z.waitRoom(maxOutstanding) {
			return
		}
		// The client pings at a third of the timeout at the latest; a
		// silent connection is dead (its session goes on until expiry).
		_ = z.c.SetReadDeadline(time.Now().Add(max64(z.timeout, 2*time.Second)))
		var head [4]byte
		if _, err := io.ReadFull(br, head[:]); err != nil {
			return
		}
		frame, err := readFrame(br, head, maxBuf)
		if err != nil {
			z.log.Debug("client frame dropped; closing", "err", err)
			return
		}
		z.receivedBytes(4 + len(frame))
		h, rec, err := jute.DecodeRequest(frame)
		at := time.Now()
		var p pend
		var req *msg.Request
		switch {
		case len(frame) < 8:
			z.log.Debug("client frame without a header; closing")
			return
		case errors.Is(err, jute.ErrUnknownOp):
			p = z.localReply(h, zk.Unimplemented)
		case err != nil:
			p = z.localReply(h, zk.MarshallingError)
		default:
			req = toRequest(h, rec)
			if req == nil {
				p = z.localReply(h, zk.Unimplemented)
			} else {
				req.Session, req.Passwd = z.session, z.passwd
				p = pend{xid: h.Xid, op: h.Type, close: h.Type == zk.OpCloseSession}
			}
		}
		if req != nil && z.adm != nil {
			// Wait for a place in the node's request queue; meanwhile
			// nothing more is read, as at the outstanding limit. A ping
			// is no sign of a client waiting for its answers.
			t, ok := z.adm.admit(&z.admitter, z.done, h.Type != zk.OpPing)
			if !ok {
				return
			}
			p.ticket = t
		}
		p.at = at
		z.mu.Lock()
		z.queue = append(z.queue, p)
		z.receivedPacket(at)
		z.mu.Unlock()
		if req != nil {
			if err := z.stream.Send(req); err != nil {
				z.log.Debug("client request not sent; closing", "err", err)
				return
			}
		} else {
			select {
			case z.kick <- struct{}{}:
			default:
			}
		}
		select {
		case <-z.done:
			return
		default:
		}
	}
}

// waitRoom waits until fewer than limit requests are outstanding; false
// when the connection stops meanwhile.
func (z *zkConn) waitRoom(limit int) bool {
	for {
		z.mu.Lock()
		n := len(z.queue)
		z.mu.Unlock()
		if n < limit {
			return true
		}
		select {
		case <-z.room:
		case <-z.done:
			return false
		}
	}
}

// popped tells a reader held at the outstanding limit that a reply left.
func (z *zkConn) popped() {
	select {
	case z.room <- struct{}{}:
	default:
	}
}

func (z *zkConn) localReply(h jute.RequestHeader, code zk.Code) pend {
	return pend{xid: h.Xid, op: h.Type, local: true, code: code}
}

func max64(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

// writer writes replies in request order and notifications as they come.
func (z *zkConn) writer() {
	bw := bufio.NewWriter(z.c)
	for {
		var b msg.Body
		select {
		case <-z.done:
			return
		case b = <-z.in:
		case <-z.kick:
		}
		closing := false
		var err error
		if b != nil {
			closing, err = z.write(bw, b)
		}
		if !closing && err == nil {
			closing, err = z.flushLocal(bw)
		}
		// Write out everything already at hand before flushing.
		for !closing && err == nil && len(z.in) > 0 {
			if closing, err = z.write(bw, <-z.in); err == nil && !closing {
				closing, err = z.flushLocal(bw)
			}
		}
		_ = z.c.SetWriteDeadline(time.Now().Add(max64(z.timeout, 2*time.Second)))
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
		if closing || err != nil {
			return
		}
	}
}

// flushLocal writes the front end's own replies that reached the head.
func (z *zkConn) flushLocal(bw *bufio.Writer) (bool, error) {
	for {
		z.mu.Lock()
		if len(z.queue) == 0 || !z.queue[0].local {
			z.mu.Unlock()
			return false, nil
		}
		p := z.queue[0]
		z.queue = z.queue[1:]
		zxid := z.lastZxid
		z.responded(p, time.Now())
		z.mu.Unlock()
		z.popped()
		_, err := bw.Write(frameOf(&jute.ReplyHeader{Xid: p.xid, Zxid: zxid, Err: p.code}))
		z.sentPackets(1)
		if err != nil || p.close {
			return true, err
		}
	}
}

func (z *zkConn) write(bw *bufio.Writer, b msg.Body) (closing bool, err error) {
	switch b := b.(type) {
	case *msg.WatchEvent:
		if b.Type == zk.EventNone {
			// The node replaced its tree with a snapshot and its
			// persistent watches missed changes: close the connection,
			// as a ZooKeeper follower does when it resyncs, so the
			// client sees Disconnected and re-registers them.
			z.log.Debug("closing: the node's state was replaced by a snapshot") // z.log names the session
			return true, nil
		}
		_, err = bw.Write(frameOf(&jute.ReplyHeader{Xid: jute.XidNotification, Zxid: b.Zxid},
			&jute.WatcherEvent{Type: b.Type, State: zk.StateSyncConnected, Path: b.Path}))
		z.sentPackets(1)
		return false, err
	case *msg.Reply:
		if closing, err = z.flushLocal(bw); closing || err != nil {
			return closing, err
		}
		z.mu.Lock()
		if len(z.queue) == 0 || z.queue[0].xid != b.Xid {
			later := false
			for _, p := range z.queue {
				later = later || p.xid == b.Xid
			}
			z.mu.Unlock()
			if later {
				// A reply was lost on the way: the client would wait
				// for it forever. Close; it reconnects and retries.
				z.log.Warn("reply out of order; closing the connection", "xid", b.Xid)
				return true, nil
			}
			z.log.Debug("unexpected reply dropped", "xid", b.Xid)
			return false, nil
		}
		p := z.queue[0]
		z.queue = z.queue[1:]
		if b.Zxid > z.lastZxid {
			z.lastZxid = b.Zxid
		}
		z.responded(p, time.Now())
		z.mu.Unlock()
		if z.adm != nil {
			z.adm.release(&z.admitter, p.ticket)
		}
		z.popped()
		_, err = bw.Write(replyFrame(p.op, b))
		z.sentPackets(1)
		// After SessionExpired the connection is useless; after
		// ConnectionLoss (the node stopped serving) the client should
		// move to another node, as when a ZooKeeper server loses its
		// quorum and closes its connections.
		// A failed auth packet closes the connection, as in ZooKeeper.
		return p.close || b.Err == zk.SessionExpired || b.Err == zk.ConnectionLoss ||
			p.op == zk.OpAuth && b.Err != 0, err
	}
	return false, nil
}
