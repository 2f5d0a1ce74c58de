package zkwire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// fakeBus answers each request with what answer returns, from a goroutine
// of its own (in order), like the node's request path.
type fakeBus struct {
	answer func(*msg.Request) []msg.Body
	mu     sync.Mutex
	got    []msg.Request
}

type fakeStream struct {
	b  *fakeBus
	ch chan *msg.Request
}

func (f *fakeBus) Open(deliver func(msg.Body)) (Stream, error) {
	s := &fakeStream{b: f, ch: make(chan *msg.Request, 64)}
	go func() {
		for r := range s.ch {
			for _, body := range f.answer(r) {
				deliver(body)
			}
		}
	}()
	return s, nil
}

func (s *fakeStream) Send(r *msg.Request) error {
	s.b.mu.Lock()
	s.b.got = append(s.b.got, *r)
	s.b.mu.Unlock()
	s.ch <- r
	return nil
}

func (s *fakeStream) Close() { close(s.ch) }

func (f *fakeBus) requests() []msg.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]msg.Request(nil), f.got...)
}

// echo answers createSession with session 0x77 and everything else OK.
func echo(r *msg.Request) []msg.Body {
	if r.Op.Op == zk.OpCreateSession {
		return []msg.Body{&msg.Reply{Session: 0x77, Timeout: 3000, Passwd: bytes.Repeat([]byte{9}, 16), Zxid: 5}}
	}
	return []msg.Body{&msg.Reply{Session: r.Session, Xid: r.Xid, Zxid: 6, Data: []byte("d"), Stat: &zk.Stat{Version: 2}}}
}

func startFake(t *testing.T, answer func(*msg.Request) []msg.Body) (*Server, *fakeBus) {
	t.Helper()
	fb := &fakeBus{answer: answer}
	srv, err := Listen(Config{Addr: "127.0.0.1:0", Allowed: NewAllowed([]string{"ruok"}), Bus: fb, MaxBuffer: 4096,
		Status: func() Status { return Status{Mode: ModeFollower} }})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	return srv, fb
}

type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, srv *Server) *client {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &client{t: t, c: c, br: bufio.NewReader(c)}
}

func (c *client) send(recs ...jute.Record) {
	c.t.Helper()
	if _, err := c.c.Write(frameOf(recs...)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) read() ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(c.br, head[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(head[:]))
	_, err := io.ReadFull(c.br, b)
	return b, err
}

func (c *client) reply(body jute.Record) jute.ReplyHeader {
	c.t.Helper()
	b, err := c.read()
	if err != nil {
		c.t.Fatalf("read reply: %v", err)
	}
	var h jute.ReplyHeader
	rest, err := jute.DecodePrefix(b, &h)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil && h.Err == 0 {
		if err := jute.Decode(rest, body); err != nil {
			c.t.Fatalf("reply body: %v", err)
		}
	}
	return h
}

func (c *client) closed() bool {
	_, err := c.read()
	return err != nil
}

func (c *client) connect(ro bool) jute.ConnectResponse {
	c.t.Helper()
	c.send(&jute.ConnectRequest{TimeOut: 3000, Passwd: make([]byte, 16), HasReadOnly: ro})
	b, err := c.read()
	if err != nil {
		c.t.Fatal(err)
	}
	var cr jute.ConnectResponse
	if err := jute.Decode(b, &cr); err != nil {
		c.t.Fatal(err)
	}
	if cr.HasReadOnly != ro || len(b) != 4+4+8+4+16+map[bool]int{true: 1}[ro] {
		c.t.Fatalf("readOnly byte sent %v, answer %+v (%d bytes)", ro, cr, len(b))
	}
	return cr
}

func TestHandshakeAndRequests(t *testing.T) {
	srv, fb := startFake(t, echo)
	for _, ro := range []bool{false, true} {
		c := dial(t, srv)
		cr := c.connect(ro)
		if cr.SessionID != 0x77 || cr.TimeOut != 3000 || len(cr.Passwd) != 16 {
			t.Fatalf("connect response %+v", cr)
		}
		var gd jute.GetDataResponse
		c.send(&jute.RequestHeader{Xid: 1, Type: zk.OpGetData}, &jute.GetDataRequest{Path: "/a", Watch: true})
		if h := c.reply(&gd); h.Xid != 1 || h.Zxid != 6 || h.Err != 0 || string(gd.Data) != "d" || gd.Stat.Version != 2 {
			t.Fatalf("getData: %+v %+v", h, gd)
		}
		c.send(&jute.RequestHeader{Xid: jute.XidPing, Type: zk.OpPing})
		if h := c.reply(nil); h.Xid != jute.XidPing {
			t.Fatalf("ping: %+v", h)
		}
	}
	reqs := fb.requests()
	if r := reqs[1]; r.Op.Op != zk.OpGetData || r.Path != "/a" || !r.Watch || r.Session != 0x77 || r.Xid != 1 || len(r.Passwd) != 16 {
		t.Fatalf("forwarded getData %+v", r)
	}
	if r := reqs[2]; r.Op.Op != zk.OpPing || r.Xid != jute.XidPing {
		t.Fatalf("forwarded ping %+v", r)
	}
	if got, err := Ask(t.Context(), srv.Addr().String(), "ruok"); err != nil || got != "imok" {
		t.Fatalf("4lw with the jute front end on: %q %v", got, err)
	}
}

// The front end's own answers wait for the replies before them; unknown
// opcodes and malformed records get ZooKeeper's codes and keep the
// connection; oversize frames, headerless frames and auth close it.
func TestBadFrames(t *testing.T) {
	release := make(chan struct{})
	srv, _ := startFake(t, func(r *msg.Request) []msg.Body {
		switch {
		case r.Op.Op == zk.OpSync:
			<-release
		case r.Op.Op == zk.OpAuth && (len(r.ACL) != 1 || r.ACL[0].Scheme != "digest" || r.ACL[0].ID.ID != "u:p"):
			return []msg.Body{&msg.Reply{Session: r.Session, Xid: r.Xid, Err: -115}}
		}
		return echo(r)
	})
	c := dial(t, srv)
	c.connect(false)
	c.send(&jute.RequestHeader{Xid: 1, Type: zk.OpSync}, &jute.SyncRequest{Path: "/"})
	c.send(&jute.RequestHeader{Xid: 2, Type: 999})
	c.send(&jute.RequestHeader{Xid: 3, Type: zk.OpCreate}, &jute.PathOnly{Path: "/x"}) // truncated CreateRequest
	close(release)
	for _, want := range []jute.ReplyHeader{{Xid: 1, Zxid: 6}, {Xid: 2, Zxid: 6, Err: zk.Unimplemented}, {Xid: 3, Zxid: 6, Err: zk.MarshallingError}} {
		if h := c.reply(nil); h != want {
			t.Fatalf("reply %+v, want %+v", h, want)
		}
	}

	c = dial(t, srv)
	c.connect(false)
	big := make([]byte, 4)
	binary.BigEndian.PutUint32(big, 4097)
	c.c.Write(big)
	if !c.closed() {
		t.Fatal("oversize frame did not close the connection")
	}

	c = dial(t, srv)
	c.connect(false)
	c.c.Write([]byte{0, 0, 0, 2, 0, 0})
	if !c.closed() {
		t.Fatal("headerless frame did not close the connection")
	}

	c = dial(t, srv)
	c.connect(false)
	c.send(&jute.RequestHeader{Xid: jute.XidAuth, Type: zk.OpAuth}, &jute.AuthPacket{Scheme: "digest", Auth: []byte("u:p")})
	if h := c.reply(nil); h.Xid != jute.XidAuth || h.Err != 0 {
		t.Fatalf("auth: %+v", h)
	}
	c.send(&jute.RequestHeader{Xid: jute.XidAuth, Type: zk.OpAuth}, &jute.AuthPacket{Scheme: "bad"})
	if h := c.reply(nil); h.Xid != jute.XidAuth || h.Err != -115 || !c.closed() {
		t.Fatalf("failed auth: %+v", h)
	}

	c = dial(t, srv)
	c.c.Write([]byte{0, 0, 0, 3, 1, 2, 3}) // not a ConnectRequest
	if !c.closed() {
		t.Fatal("bad handshake did not close")
	}
}

func TestNotificationsAndClose(t *testing.T) {
	srv, _ := startFake(t, func(r *msg.Request) []msg.Body {
		if r.Op.Op == zk.OpSetData {
			return []msg.Body{&msg.WatchEvent{Session: r.Session, Type: 3, Path: "/a", Zxid: 9},
				&msg.Reply{Session: r.Session, Xid: r.Xid, Zxid: 9, Stat: &zk.Stat{Version: 1}}}
		}
		return echo(r)
	})
	c := dial(t, srv)
	c.connect(false)
	c.send(&jute.RequestHeader{Xid: 1, Type: zk.OpSetData}, &jute.SetDataRequest{Path: "/a", Version: -1})
	var ev jute.WatcherEvent
	if h := c.reply(&ev); h.Xid != jute.XidNotification || ev != (jute.WatcherEvent{Type: 3, State: 3, Path: "/a"}) {
		t.Fatalf("notification %+v %+v", h, ev)
	}
	var st jute.SetDataResponse
	if h := c.reply(&st); h.Xid != 1 || st.Stat.Version != 1 {
		t.Fatalf("setData %+v %+v", h, st)
	}
	c.send(&jute.RequestHeader{Xid: 2, Type: zk.OpCloseSession})
	if h := c.reply(nil); h.Xid != 2 || !c.closed() {
		t.Fatalf("closeSession: %+v", h)
	}
}

// A node that replaced its state with a snapshot says so with an
// EventNone (its persistent watches missed changes): the front end closes
// the connection, as a ZooKeeper follower does when it resyncs, after what
// came before it; the client reconnects and re-registers its watches.
func TestSnapshotNoticeCloses(t *testing.T) {
	srv, _ := startFake(t, func(r *msg.Request) []msg.Body {
		if r.Op.Op == zk.OpSetData {
			return []msg.Body{&msg.WatchEvent{Session: r.Session, Type: 3, Path: "/a", Zxid: 9},
				&msg.WatchEvent{Session: r.Session, Type: zk.EventNone, Zxid: 9}}
		}
		return echo(r)
	})
	c := dial(t, srv)
	c.connect(false)
	c.send(&jute.RequestHeader{Xid: 1, Type: zk.OpSetData}, &jute.SetDataRequest{Path: "/a", Version: -1})
	var ev jute.WatcherEvent
	if h := c.reply(&ev); h.Xid != jute.XidNotification || ev.Path != "/a" {
		t.Fatalf("notification %+v %+v", h, ev)
	}
	// closed() would take the read deadline for a close.
	if _, err := c.read(); err == nil {
		t.Fatal("more after the snapshot notice")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the connection stayed open after the snapshot notice")
	}
}

// An event that comes ahead of a re-attach's answer follows the
// ConnectResponse.
func TestEventBeforeReattach(t *testing.T) {
	srv, _ := startFake(t, func(r *msg.Request) []msg.Body {
		if r.Op.Op == zk.OpCreateSession {
			return append([]msg.Body{&msg.WatchEvent{Session: r.Session, Type: 2, Path: "/x", Zxid: 4}}, echo(r)...)
		}
		return echo(r)
	})
	c := dial(t, srv)
	c.send(&jute.ConnectRequest{SessionID: 0x77, TimeOut: 3000, Passwd: make([]byte, 16)})
	b, err := c.read()
	var cr jute.ConnectResponse
	if err != nil || jute.Decode(b, &cr) != nil || cr.SessionID != 0x77 {
		t.Fatalf("re-attach: %+v %v", cr, err)
	}
	var ev jute.WatcherEvent
	if h := c.reply(&ev); h.Xid != jute.XidNotification || ev.Path != "/x" || ev.Type != 2 {
		t.Fatalf("early event: %+v %+v", h, ev)
	}
}

func TestExpiredSessionHandshake(t *testing.T) {
	srv, _ := startFake(t, func(r *msg.Request) []msg.Body {
		return []msg.Body{&msg.Reply{Session: r.Session, Err: zk.SessionExpired}}
	})
	c := dial(t, srv)
	c.send(&jute.ConnectRequest{SessionID: 5, TimeOut: 3000, Passwd: make([]byte, 16)})
	b, err := c.read()
	var cr jute.ConnectResponse
	if err != nil || jute.Decode(b, &cr) != nil || cr.TimeOut != 0 || !c.closed() {
		t.Fatalf("expired re-attach: %+v %v", cr, err)
	}
}

// FuzzConn feeds arbitrary bytes after a handshake: the front end answers
// or closes, and never panics.
func FuzzConn(f *testing.F) {
	f.Add(frameOf(&jute.RequestHeader{Xid: 1, Type: zk.OpGetData}, &jute.GetDataRequest{Path: "/a"}))
	f.Add(frameOf(&jute.RequestHeader{Xid: 1, Type: zk.OpMulti}, &jute.MultiRequest{Ops: []jute.MultiOp{{Type: zk.OpDelete, Rec: &jute.DeleteRequest{Path: "/a"}}}}))
	f.Add(frameOf(&jute.RequestHeader{Xid: 1, Type: zk.OpSetWatches2}, &jute.SetWatches{Two: true}))
	f.Add([]byte{0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x65})
	f.Fuzz(func(_ *testing.T, b []byte) {
		fb := &fakeBus{answer: echo}
		s := &Server{cfg: Config{Bus: fb, MaxBuffer: 4096, Log: discard}}
		a, z := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			var head [4]byte
			if _, err := io.ReadFull(a, head[:]); err == nil {
				s.serveClient(a, head)
			}
			a.Close()
		}()
		go io.Copy(io.Discard, z)
		z.Write(frameOf(&jute.ConnectRequest{TimeOut: 3000, Passwd: make([]byte, 16)}))
		z.Write(b)
		z.Close()
		<-done
	})
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))
