package zkclient

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// fakeServer is a scripted ZooKeeper server: the test accepts each
// connection and plays the server's side frame by frame.
type fakeServer struct {
	t  *testing.T
	ln net.Listener
}

func newFake(t *testing.T) *fakeServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &fakeServer{t: t, ln: ln}
}

func (f *fakeServer) addr() string { return f.ln.Addr().String() }

type fakeConn struct {
	t   *testing.T
	c   net.Conn
	req jute.ConnectRequest
}

// accept takes the next connection and reads its ConnectRequest.
func (f *fakeServer) accept() *fakeConn {
	f.t.Helper()
	_ = f.ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	c, err := f.ln.Accept()
	if err != nil {
		f.t.Fatalf("accept: %v", err)
	}
	f.t.Cleanup(func() { c.Close() })
	fc := &fakeConn{t: f.t, c: c}
	if err := jute.Decode(fc.frame(), &fc.req); err != nil {
		f.t.Fatalf("connect request: %v", err)
	}
	return fc
}

func (fc *fakeConn) frame() []byte {
	fc.t.Helper()
	_ = fc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := readFrame(fc.c)
	if err != nil {
		fc.t.Fatalf("server read: %v", err)
	}
	return b
}

// welcome answers the handshake.
func (fc *fakeConn) welcome(session int64, timeoutMs int32) {
	fc.t.Helper()
	fc.raw(jute.Encode(nil, &jute.ConnectResponse{TimeOut: timeoutMs, SessionID: session, Passwd: []byte("0123456789abcdef"), HasReadOnly: true}))
}

// next reads a request, skipping pings.
func (fc *fakeConn) next() (jute.RequestHeader, jute.Record) {
	fc.t.Helper()
	for {
		h, r, err := jute.DecodeRequest(fc.frame())
		if err != nil {
			fc.t.Fatalf("server decode: %v", err)
		}
		if h.Xid != jute.XidPing {
			return h, r
		}
	}
}

func (fc *fakeConn) reply(xid int32, zxid int64, code zk.Code, r jute.Record) {
	fc.t.Helper()
	b := jute.Encode(nil, &jute.ReplyHeader{Xid: xid, Zxid: zxid, Err: code})
	if r != nil {
		b = jute.Encode(b, r)
	}
	fc.raw(b)
}

func (fc *fakeConn) raw(body []byte) {
	fc.t.Helper()
	if err := writeFrame(fc.c, body); err != nil {
		fc.t.Fatalf("server write: %v", err)
	}
}

func connect(t *testing.T, connect string, opts ...Option) <-chan *Conn {
	ch := make(chan *Conn, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := Connect(ctx, connect, append([]Option{WithoutShuffle(), WithSessionTimeout(9 * time.Second)}, opts...)...)
		if err != nil {
			t.Errorf("connect: %v", err)
			close(ch)
			return
		}
		t.Cleanup(func() { c.closeNow() })
		ch <- c
	}()
	return ch
}

// closeNow ends the Conn without closeSession (the fake may be gone).
func (c *Conn) closeNow() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.done)
		if c.nc != nil {
			c.nc.Close()
		}
		c.failLocked(ErrClosed)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestHandshake(t *testing.T) {
	f := newFake(t)
	cc := connect(t, f.addr())
	fc := f.accept()
	if fc.req.ProtocolVersion != 0 || fc.req.SessionID != 0 || fc.req.TimeOut != 9000 || len(fc.req.Passwd) != 16 || !fc.req.HasReadOnly || fc.req.ReadOnly {
		t.Fatalf("connect request %+v", fc.req)
	}
	fc.welcome(0x77, 4000)
	c := <-cc
	if c == nil {
		t.FailNow()
	}
	if c.SessionID() != 0x77 || c.SessionTimeout() != 4*time.Second {
		t.Fatalf("session %#x timeout %s", c.SessionID(), c.SessionTimeout())
	}
}

func TestHandshakeExpired(t *testing.T) {
	f := newFake(t)
	go func() {
		fc := f.accept()
		fc.welcome(0, 0)
	}()
	_, err := Connect(ctx(t), f.addr(), WithoutShuffle())
	if !errors.Is(err, zk.ErrSessionExpired) {
		t.Fatalf("got %v, want SessionExpired", err)
	}
}

type getResult struct {
	data []byte
	err  error
}

// get starts a Get and waits until the server has read it; it returns the
// request's xid and where its result will come.
func get(t *testing.T, c *Conn, fc *fakeConn, path, want string) (int32, chan getResult) {
	t.Helper()
	ch := make(chan getResult, 1)
	go func() {
		d, _, _, err := c.Get(ctx(t), path, false)
		ch <- getResult{d, err}
	}()
	h, r := fc.next()
	if h.Type != zk.OpGetData || r.(*jute.GetDataRequest).Path != want {
		t.Fatalf("request for %s: %+v %+v", path, h, r)
	}
	return h.Xid, ch
}

// Replies come in request order; each caller gets its own (chroot added
// on the way out), and the zxid of the last reply is what a reconnect
// reports.
func TestRepliesInOrder(t *testing.T) {
	f := newFake(t)
	cc := connect(t, f.addr()+"/app")
	fc := f.accept()
	fc.welcome(1, 9000)
	c := <-cc
	x1, r1 := get(t, c, fc, "/x", "/app/x")
	x2, r2 := get(t, c, fc, "/y", "/app/y")
	x3, r3 := get(t, c, fc, "/", "/app")
	if x1 >= x2 || x2 >= x3 {
		t.Fatalf("xids %d %d %d not increasing", x1, x2, x3)
	}
	fc.reply(x1, 0x11, zk.Ok, &jute.GetDataResponse{Data: []byte("a")})
	fc.reply(x2, 0x12, zk.NoNode, nil)
	fc.reply(x3, 0x13, zk.Ok, &jute.GetDataResponse{Data: nil})
	if g := <-r1; string(g.data) != "a" || g.err != nil {
		t.Fatalf("first: %q %v", g.data, g.err)
	}
	if g := <-r2; zk.CodeOf(g.err) != zk.NoNode || g.err.(*zk.Error).Path != "/y" {
		t.Fatalf("second: %v", g.err)
	}
	if g := <-r3; g.data != nil || g.err != nil {
		t.Fatalf("third: %q %v (a null value must stay nil)", g.data, g.err)
	}
	c.mu.Lock()
	z := c.lastZxid
	c.mu.Unlock()
	if z != 0x13 {
		t.Fatalf("lastZxid %#x", z)
	}
}

// A reply for another xid than the oldest pending request is a protocol
// error: that request fails with ErrBadReply, the others with
// ConnectionLoss, and the session moves on to a new connection.
func TestOutOfOrderReply(t *testing.T) {
	f := newFake(t)
	cc := connect(t, f.addr())
	fc := f.accept()
	fc.welcome(5, 9000)
	c := <-cc
	x1, r1 := get(t, c, fc, "/a", "/a")
	_, r2 := get(t, c, fc, "/b", "/b")
	fc.reply(x1+7, 1, zk.Ok, &jute.GetDataResponse{})
	g1, g2 := <-r1, <-r2
	if zk.CodeOf(g1.err) != zk.ConnectionLoss || zk.CodeOf(g2.err) != zk.ConnectionLoss {
		t.Fatalf("got %v, %v; want ConnectionLoss for both (the reply matched neither)", g1.err, g2.err)
	}
	again := f.accept()
	if again.req.SessionID != 5 || !bytes.Equal(again.req.Passwd, []byte("0123456789abcdef")) {
		t.Fatalf("re-attach %+v", again.req)
	}
}

// Malformed replies never panic: each is an error, and the connection is
// dropped.
func TestMalformedReplies(t *testing.T) {
	huge := make([]byte, 4)
	binary.BigEndian.PutUint32(huge, MaxFrame+1)
	negative := []byte{0xff, 0xff, 0xff, 0xfe}
	cases := []struct {
		name  string
		frame func(xid int32) []byte // nil: raw bytes below
		raw   []byte
		want  error
	}{
		{"short header", func(int32) []byte { return []byte{0, 0, 0} }, nil, zk.ErrConnectionLoss},
		{"truncated body", func(xid int32) []byte {
			b := jute.Encode(nil, &jute.ReplyHeader{Xid: xid})
			return append(b, 0, 0, 0, 9, 'x') // a 9-byte buffer with 1 byte
		}, nil, ErrBadReply},
		{"vector length", func(xid int32) []byte {
			b := jute.Encode(nil, &jute.ReplyHeader{Xid: xid})
			return binary.BigEndian.AppendUint32(b, 0x7fffffff)
		}, nil, ErrBadReply},
		{"trailing bytes", func(xid int32) []byte {
			b := jute.Encode(nil, &jute.ReplyHeader{Xid: xid})
			b = jute.Encode(b, &jute.GetDataResponse{Data: []byte("v")})
			return append(b, 1, 2, 3)
		}, nil, ErrBadReply},
		{"bad notification", func(int32) []byte {
			return append(jute.Encode(nil, &jute.ReplyHeader{Xid: jute.XidNotification}), 1)
		}, nil, zk.ErrConnectionLoss},
		{"unexpected auth reply", func(int32) []byte {
			return jute.Encode(nil, &jute.ReplyHeader{Xid: jute.XidAuth})
		}, nil, zk.ErrConnectionLoss},
		{"huge frame", nil, huge, zk.ErrConnectionLoss},
		{"negative frame", nil, negative, zk.ErrConnectionLoss},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			cc := connect(t, f.addr())
			fc := f.accept()
			fc.welcome(9, 9000)
			c := <-cc
			xid, r := get(t, c, fc, "/a", "/a")
			if tc.frame != nil {
				fc.raw(tc.frame(xid))
			} else if _, err := fc.c.Write(tc.raw); err != nil {
				t.Fatal(err)
			}
			g := <-r
			if !errors.Is(g.err, tc.want) {
				t.Fatalf("got %v, want %v", g.err, tc.want)
			}
			f.accept() // the client moves on
		})
	}
}

// After a lost connection the session is re-attached with its id,
// password and last zxid; the first frames are the watches (setWatches2:
// there is a persistent one, server paths with the chroot) and the
// identities, before anything else; events then reach the watches.
func TestReconnectSetWatches(t *testing.T) {
	f := newFake(t)
	cc := connect(t, f.addr()+"/r")
	fc := f.accept()
	fc.welcome(0x42, 9000)
	c := <-cc

	type watchResult struct {
		ch  <-chan Event
		err error
	}
	serve := func(op zk.OpCode, code zk.Code, zxid int64, resp jute.Record) {
		t.Helper()
		h, _ := fc.next()
		if h.Type != op {
			t.Fatalf("got op %d, want %d", h.Type, op)
		}
		fc.reply(h.Xid, zxid, code, resp)
	}
	do := func(f func() (<-chan Event, error), op zk.OpCode, code zk.Code, resp jute.Record) <-chan Event {
		t.Helper()
		res := make(chan watchResult, 1)
		go func() { ch, err := f(); res <- watchResult{ch, err} }()
		serve(op, code, 0x20, resp)
		r := <-res
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.ch
	}
	dataW := do(func() (<-chan Event, error) { _, _, ch, err := c.Get(ctx(t), "/d", true); return ch, err },
		zk.OpGetData, zk.Ok, &jute.GetDataResponse{})
	existW := do(func() (<-chan Event, error) { _, _, ch, err := c.Exists(ctx(t), "/e", true); return ch, err },
		zk.OpExists, zk.NoNode, nil)
	childW := do(func() (<-chan Event, error) { _, _, ch, err := c.Children(ctx(t), "/", true); return ch, err },
		zk.OpGetChildren2, zk.Ok, &jute.GetChildren2Response{})
	recW := do(func() (<-chan Event, error) { return c.AddWatch(ctx(t), "/t", true) }, zk.OpAddWatch, zk.Ok, nil)
	authDone := make(chan error, 1)
	go func() { authDone <- c.AddAuth(ctx(t), "digest", []byte("u:p")) }()
	h, r := fc.next()
	if h.Xid != jute.XidAuth || r.(*jute.AuthPacket).Scheme != "digest" {
		t.Fatalf("auth %+v %+v", h, r)
	}
	fc.reply(jute.XidAuth, 0, zk.Ok, nil)
	if err := <-authDone; err != nil {
		t.Fatal(err)
	}

	fc.c.Close()
	fc = f.accept()
	if fc.req.SessionID != 0x42 || fc.req.LastZxidSeen != 0x20 {
		t.Fatalf("re-attach %+v", fc.req)
	}
	fc.welcome(0x42, 9000)
	h, r = fc.next()
	sw, _ := r.(*jute.SetWatches)
	if h.Xid != jute.XidSetWatches || h.Type != zk.OpSetWatches2 || sw == nil || sw.RelativeZxid != 0x20 ||
		!slices.Equal(sw.DataWatches, []string{"/r/d"}) || !slices.Equal(sw.ExistWatches, []string{"/r/e"}) ||
		!slices.Equal(sw.ChildWatches, []string{"/r"}) || !slices.Equal(sw.PersistentRecursiveWatches, []string{"/r/t"}) ||
		len(sw.PersistentWatches) != 0 {
		t.Fatalf("setWatches %+v %+v", h, r)
	}
	fc.reply(jute.XidSetWatches, 0, zk.Ok, nil)
	h, r = fc.next()
	if h.Xid != jute.XidAuth || string(r.(*jute.AuthPacket).Auth) != "u:p" {
		t.Fatalf("auth not re-sent: %+v %+v", h, r)
	}
	fc.reply(jute.XidAuth, 0, zk.Ok, nil)

	notify := func(typ zk.EventType, path string) {
		fc.reply(jute.XidNotification, -1, zk.Ok, &jute.WatcherEvent{Type: zk.EventType(typ), State: zk.StateSyncConnected, Path: path})
	}
	notify(zk.EventNodeDataChanged, "/r/d")
	notify(zk.EventNodeCreated, "/r/e")
	notify(zk.EventNodeChildrenChanged, "/r")
	notify(zk.EventNodeCreated, "/r/t/u")
	notify(zk.EventNodeDeleted, "/r/t")
	for _, w := range []struct {
		ch   <-chan Event
		want []Event
	}{
		{dataW, []Event{{zk.EventNodeDataChanged, zk.StateSyncConnected, "/d"}}},
		{existW, []Event{{zk.EventNodeCreated, zk.StateSyncConnected, "/e"}}},
		{childW, []Event{{zk.EventNodeChildrenChanged, zk.StateSyncConnected, "/"}}},
		{recW, []Event{{zk.EventNodeCreated, zk.StateSyncConnected, "/t/u"}, {zk.EventNodeDeleted, zk.StateSyncConnected, "/t"}}},
	} {
		for _, want := range w.want {
			select {
			case got := <-w.ch:
				if got != want {
					t.Fatalf("got %+v, want %+v", got, want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no event %+v", want)
			}
		}
	}
	// One-shot watches end after their event.
	if _, open := <-dataW; open {
		t.Fatal("data watch channel still open after its event")
	}
}

// Pings go out every third of the negotiated timeout.
func TestPings(t *testing.T) {
	f := newFake(t)
	cc := connect(t, f.addr())
	fc := f.accept()
	fc.welcome(1, 600)
	<-cc
	start := time.Now()
	for i := 0; i < 2; i++ {
		h, _, err := jute.DecodeRequest(fc.frame())
		if err != nil || h.Xid != jute.XidPing || h.Type != zk.OpPing {
			t.Fatalf("got %+v %v, want a ping", h, err)
		}
		fc.reply(jute.XidPing, 0, zk.Ok, nil)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Fatalf("two pings in %s, want about 400ms", d)
	}
}

func TestParseConnectString(t *testing.T) {
	for _, tt := range []struct {
		in      string
		servers []string
		chroot  string
		bad     bool
	}{
		{"h:1", []string{"h:1"}, "", false},
		{"h1:1, h2:2/app/x", []string{"h1:1", "h2:2"}, "/app/x", false},
		{"h", []string{"h:2181"}, "", false},
		{"[::1]:5,[::1]", []string{"[::1]:5", "[::1]:2181"}, "", false},
		{"h:1/", []string{"h:1"}, "", false},
		{"h:1/a/", nil, "", true},
		{"h:x", nil, "", true},
		{"/app", nil, "", true},
		{"", nil, "", true},
	} {
		s, c, err := ParseConnectString(tt.in)
		if (err != nil) != tt.bad || !slices.Equal(s, tt.servers) || c != tt.chroot {
			t.Errorf("%q: %v %q %v", tt.in, s, c, err)
		}
		if err != nil && !errors.Is(err, ErrConnectString) {
			t.Errorf("%q: %v is not ErrConnectString", tt.in, err)
		}
	}
}

// A request longer than jute.maxbuffer fails at once with
// ErrRequestTooLarge and is never sent (a server would drop the
// connection for it); the next request goes out on the same connection
// with the next xid.
func TestRequestTooLarge(t *testing.T) {
	f := newFake(t)
	cc := connect(t, f.addr(), WithMaxBuffer(1000))
	fc := f.accept()
	fc.welcome(1, 9000)
	c := <-cc
	if _, err := c.Set(ctx(t), "/big", make([]byte, 1000), -1); !errors.Is(err, ErrRequestTooLarge) {
		t.Fatalf("over-size set: %v, want ErrRequestTooLarge", err)
	}
	x, r := get(t, c, fc, "/small", "/small")
	if x != 1 {
		t.Fatalf("xid %d after the refused request, want 1", x)
	}
	fc.reply(x, 1, zk.Ok, &jute.GetDataResponse{Data: []byte("s")})
	if g := <-r; g.err != nil || string(g.data) != "s" {
		t.Fatalf("get after the refused request: %q %v", g.data, g.err)
	}
}
