package zkwire

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// failingListener fails its first n accepts as a process out of file
// descriptors does.
type failingListener struct {
	net.Listener
	mu sync.Mutex
	n  int
}

func (l *failingListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.n > 0 {
		l.n--
		l.mu.Unlock()
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// Running out of file descriptors does not end Serve: it backs off, warns
// once, and accepts again when it can.
func TestAcceptErrorsDoNotStopServing(t *testing.T) {
	var logs lockedBuffer
	srv, err := Listen(Config{Addr: "127.0.0.1:0", Allowed: NewAllowed([]string{"ruok"}),
		Status: func() Status { return Status{Mode: ModeFollower} },
		Log:    slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv.ln = &failingListener{Listener: srv.ln, n: 8}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	t.Cleanup(func() { srv.Close() })
	if got := ask(t, srv.Addr().String(), "ruok"); got != "imok" {
		t.Fatalf("ruok after accept errors: %q", got)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve ended: %v", err)
	default:
	}
	if n := strings.Count(logs.String(), "accept failed"); n != 1 {
		t.Errorf("%d accept warnings for 8 failures; want 1 (rate-limited):\n%s", n, logs.String())
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after Close: %v", err)
	}
}

func ask(t *testing.T, addr, word string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, word); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(c)
	return string(b)
}

// maxClientCnxns bounds the connections one address holds at once: one
// more is closed at once, and a place freed is taken again.
func TestMaxClientCnxns(t *testing.T) {
	fb := &fakeBus{answer: func(*msg.Request) []msg.Body { return nil }}
	srv, err := Listen(Config{Addr: "127.0.0.1:0", Allowed: NewAllowed([]string{"ruok"}), Bus: fb,
		Status: func() Status { return Status{Mode: ModeFollower} }, MaxClientCnxns: 3})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	var held []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		held = append(held, c)
	}
	// The server counts a connection once it accepted it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		srv.mu.Lock()
		n := srv.perAddr["127.0.0.1"]
		srv.mu.Unlock()
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections counted, want 3", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := ask(t, srv.Addr().String(), "ruok"); got != "" {
		t.Fatalf("a fourth connection was served: %q", got)
	}
	// The held ones are still open: a word on one is answered.
	if _, err := io.WriteString(held[0], "ruok"); err != nil {
		t.Fatal(err)
	}
	_ = held[0].SetDeadline(time.Now().Add(10 * time.Second))
	if b, _ := io.ReadAll(held[0]); string(b) != "imok" {
		t.Fatalf("a held connection answered %q", b)
	}
	held[0].Close()
	deadline = time.Now().Add(10 * time.Second)
	for ask(t, srv.Addr().String(), "ruok") != "imok" {
		if time.Now().After(deadline) {
			t.Fatal("the freed place was never taken again")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A connection that pipelines more requests than MaxOutstanding is not
// read further until replies go out: the node holds exactly the limit,
// nothing is dropped, and every reply comes in order once it answers.
func TestOutstandingLimitStopsReading(t *testing.T) {
	release := make(chan struct{})
	fb := &fakeBus{answer: func(r *msg.Request) []msg.Body {
		if r.Op.Op != zk.OpCreateSession {
			<-release
		}
		return echo(r)
	}}
	srv, err := Listen(Config{Addr: "127.0.0.1:0", Allowed: NewAllowed(nil), Bus: fb, MaxOutstanding: 10,
		Status: func() Status { return Status{Mode: ModeFollower} }})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	c := dial(t, srv)
	c.connect(false)
	const n = 50
	for i := 1; i <= n; i++ {
		c.send(&jute.RequestHeader{Xid: int32(i), Type: zk.OpGetData}, &jute.GetDataRequest{Path: "/a"})
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(fb.requests()) < 1+10 {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests reached the node, want the createSession and 10", len(fb.requests()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Held at the limit: nothing more is read while no reply goes out.
	for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if got := len(fb.requests()); got != 1+10 {
			t.Fatalf("%d requests reached the node past the limit of 10", got-1)
		}
	}
	close(release)
	for i := 1; i <= n; i++ {
		var r jute.GetDataResponse
		if h := c.reply(&r); h.Xid != int32(i) || h.Err != 0 {
			t.Fatalf("reply %d: %+v", i, h)
		}
	}
	if got := len(fb.requests()); got != 1+n {
		t.Fatalf("%d requests reached the node, want %d", got-1, n)
	}
}

// A client that connects and then sends its handshake a byte at a time,
// too slowly, is closed once the sessionless timeout passes, however
// much it has sent; one that sends nothing likewise.
func TestSlowHandshakeClosed(t *testing.T) {
	fb := &fakeBus{answer: echo}
	srv, err := Listen(Config{Addr: "127.0.0.1:0", Allowed: NewAllowed(nil), Bus: fb, SessionlessTimeout: 300 * time.Millisecond,
		Status: func() Status { return Status{Mode: ModeFollower} }})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	handshake := frameOf(&jute.ConnectRequest{TimeOut: 3000, Passwd: make([]byte, 16)})
	for _, dribble := range []bool{false, true} {
		c, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			b := make([]byte, 64)
			for {
				if _, err := c.Read(b); err != nil {
					return
				}
			}
		}()
		if dribble {
			for i := 0; i < len(handshake)-1; i++ {
				if _, err := c.Write(handshake[i : i+1]); err != nil {
					break
				}
				select {
				case <-closed:
				case <-time.After(50 * time.Millisecond):
					continue
				}
				break
			}
		}
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatalf("dribble %v: the connection is still open after %s", dribble, time.Since(start))
		}
		c.Close()
	}
	if n := len(fb.requests()); n != 0 {
		t.Fatalf("%d requests reached the node from handshakes never finished", n)
	}
}

// heldBus answers every createSession at once and leaves the other
// requests of its first connection to the test, which delivers their
// replies and events with deliver; the other connections' requests are
// answered at once (echo).
type heldBus struct {
	mu      sync.Mutex
	streams int
	held    []*msg.Request
	deliver func(msg.Body)
}

func (h *heldBus) Open(deliver func(msg.Body)) (Stream, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.streams++
	s := &heldStream{h: h, first: h.streams == 1, deliver: deliver}
	if s.first {
		h.deliver = deliver
	}
	return s, nil
}

func (h *heldBus) heldRequests() []*msg.Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*msg.Request(nil), h.held...)
}

type heldStream struct {
	h       *heldBus
	first   bool
	deliver func(msg.Body)
}

func (s *heldStream) Send(r *msg.Request) error {
	if !s.first || r.Op.Op == zk.OpCreateSession {
		for _, b := range echo(r) {
			s.deliver(b) // in order; the connection's queue has room
		}
		return nil
	}
	s.h.mu.Lock()
	s.h.held = append(s.h.held, r)
	s.h.mu.Unlock()
	return nil
}

func (s *heldStream) Close() {}

// A connection held at its outstanding limit whose client resets it, so
// that its writer fails before any reply comes, ends: the writer's end
// wakes the reader, which would otherwise wait for room for good, since
// no reply would ever leave its queue again.
func TestResetConnectionAtItsLimitEnds(t *testing.T) {
	srv := resetWhileHeld(t, Config{MaxOutstanding: 2})
	deadline := time.Now().Add(10 * time.Second)
	for srv.Connections() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the reset connection's handler never ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A connection whose client resets it while it waits for admission, so
// that its writer fails before the replies of its requests come, still
// gives back its places in the node's queue as those replies come: the
// writer's end wakes the reader. Otherwise the replies wait unread, and
// every other connection's pipelined requests wait for good.
func TestResetConnectionGivesBackItsPlaces(t *testing.T) {
	// The first request is the connection's only one in flight, the
	// second takes the one pipelined place, the third waits for it.
	srv := resetWhileHeld(t, Config{MaxPipelined: 1})

	b := dial(t, srv)
	b.connect(false)
	for i := int32(1); i <= 3; i++ {
		b.send(&jute.RequestHeader{Xid: i, Type: zk.OpGetData}, &jute.GetDataRequest{Path: "/b"})
	}
	for i := int32(1); i <= 3; i++ {
		var r jute.GetDataResponse
		if h := b.reply(&r); h.Xid != i || h.Err != 0 {
			t.Fatalf("reply %d: %+v", i, h)
		}
	}
	waitAdmission(t, srv, 0, 0)
}

// resetWhileHeld serves cfg over a bus that holds requests, has a client
// send three getData of which the node holds two, resets the connection,
// sends events until its writer fails, and then answers the two.
func resetWhileHeld(t *testing.T, cfg Config) *Server {
	t.Helper()
	hb := &heldBus{}
	cfg.Addr, cfg.Allowed, cfg.Bus = "127.0.0.1:0", NewAllowed(nil), hb
	cfg.Status = func() Status { return Status{Mode: ModeFollower} }
	srv, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	a := dial(t, srv)
	a.connect(false)
	for i := int32(1); i <= 3; i++ {
		a.send(&jute.RequestHeader{Xid: i, Type: zk.OpGetData}, &jute.GetDataRequest{Path: "/a"})
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(hb.heldRequests()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests reached the node, want 2", len(hb.heldRequests()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = a.c.(*net.TCPConn).SetLinger(0)
	a.c.Close()
	// Events make the writer write to the reset connection until it fails.
	for i := 0; i < 20; i++ {
		hb.deliver(&msg.WatchEvent{Type: 1, Path: "/a"})
		time.Sleep(5 * time.Millisecond)
	}
	for _, r := range hb.heldRequests() {
		for _, b := range echo(r) {
			hb.deliver(b)
		}
	}
	return srv
}

// waitAdmission waits until the tickets out are fresh and piped.
func waitAdmission(t *testing.T, srv *Server, fresh, piped int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f, p := srv.adm.inFlight()
		if f == fresh && p == piped {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d fresh and %d pipelined tickets out, want %d and %d", f, p, fresh, piped)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// At MaxConnections the node accepts nothing more until there is room:
// a connection that has not opened a session within evictAfter gives its
// place to a new one, a connection with a session never does.
func TestClientPortFullEvictsConnectionsWithoutSession(t *testing.T) {
	fb := &fakeBus{answer: echo}
	var logs lockedBuffer
	srv, err := Listen(Config{Addr: "127.0.0.1:0", Allowed: NewAllowed([]string{"ruok"}), Bus: fb, MaxConnections: 3,
		Status: func() Status { return Status{Mode: ModeFollower} }, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })

	a := dial(t, srv)
	a.connect(false)
	idle := make([]net.Conn, 2)
	for i := range idle {
		c, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		idle[i] = c
	}
	waitCounted(t, srv, 3)
	// A fourth waits in the backlog until the oldest idle one has had its
	// second, then takes its place.
	start := time.Now()
	b := dial(t, srv)
	b.connect(false)
	if took := time.Since(start); took < evictAfter/2 {
		t.Fatalf("a fourth connection was served after %s, with three held", took)
	}
	_ = idle[0].SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := idle[0].Read(make([]byte, 1)); err == nil {
		t.Fatal("the oldest idle connection was not closed")
	}
	// Three held again, two with sessions: the next takes the other idle
	// one's place, and then none is left to give.
	c := dial(t, srv)
	c.connect(false)
	// (The sessions answer a request now and then: a silent one ends.)
	poke := func(xid int32) {
		t.Helper()
		for _, cl := range []*client{a, b, c} {
			cl.send(&jute.RequestHeader{Xid: xid, Type: zk.OpGetData}, &jute.GetDataRequest{Path: "/a"})
			var r jute.GetDataResponse
			if h := cl.reply(&r); h.Xid != xid || h.Err != 0 {
				t.Fatalf("a session's request while full: %+v", h)
			}
		}
	}
	poke(1)
	d, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Write([]byte("ruok")); err != nil {
		t.Fatal(err)
	}
	_ = d.SetReadDeadline(time.Now().Add(evictAfter + evictAfter/2))
	if n, _ := d.Read(make([]byte, 4)); n > 0 {
		t.Fatal("a connection was served with every place held by a session")
	}
	poke(2)
	// A session ends: the waiting connection is served.
	a.c.Close()
	_ = d.SetReadDeadline(time.Now().Add(10 * time.Second))
	if b, _ := io.ReadAll(d); string(b) != "imok" {
		t.Fatalf("the waiting connection got %q once there was room", b)
	}
	if !strings.Contains(logs.String(), "client port full") {
		t.Errorf("no warning of a full client port:\n%s", logs.String())
	}
}

// waitCounted waits until the server holds n connections.
func waitCounted(t *testing.T, srv *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		srv.mu.Lock()
		got := len(srv.conn)
		srv.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections held, want %d", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// One address may open a burst of maxClientCnxns sessions, then
// SessionRate a second: the connection of one more is closed at its
// handshake, before the node sees it, and the address gets its turn again
// as time passes. Other addresses are not held back, nor are four-letter
// words.
func TestSessionRatePerAddress(t *testing.T) {
	fb := &fakeBus{answer: echo}
	srv, err := Listen(Config{Addr: "127.0.0.1:0", Allowed: NewAllowed([]string{"ruok"}), Bus: fb, MaxClientCnxns: 3, SessionRate: 2,
		Status: func() Status { return Status{Mode: ModeFollower} }})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	session := func(local net.IP) bool {
		t.Helper()
		c, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: local}}).Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		cl := &client{t: t, c: c, br: bufio.NewReader(c)}
		cl.send(&jute.ConnectRequest{TimeOut: 3000, Passwd: make([]byte, 16)})
		b, err := cl.read()
		return err == nil && len(b) > 0
	}
	here := net.IPv4(127, 0, 0, 1)
	for i := 0; i < 3; i++ {
		if !session(here) {
			t.Fatalf("session %d of the burst refused", i)
		}
	}
	waitCounted(t, srv, 0) // the burst's connections are gone: maxClientCnxns is not what refuses
	n := len(fb.requests())
	if session(here) {
		t.Fatal("a session past the burst was opened")
	}
	if got := len(fb.requests()); got != n {
		t.Fatalf("the refused handshake reached the node (%d requests, %d before)", got, n)
	}
	for i := 0; i < 10; i++ {
		if got := ask(t, srv.Addr().String(), "ruok"); got != "imok" {
			t.Fatalf("four-letter word %d past the session burst: %q", i, got)
		}
	}
	if !session(net.IPv4(127, 0, 0, 2)) {
		t.Fatal("another address was held back")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !session(here) {
		if time.Now().After(deadline) {
			t.Fatal("the address never got its turn again")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
