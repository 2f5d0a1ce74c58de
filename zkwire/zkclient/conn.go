package zkclient

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/jute"
	"github.com/paddock-zk/paddock/znode"
)

// Errors of the client. Server errors are *zk.Error with the
// request's path (as the server was asked, without the chroot).
var (
	ErrBadReply      = errors.New("zkclient: malformed reply")
	ErrClosed        = errors.New("zkclient: connection closed")
	ErrConnectString = errors.New("zkclient: bad connect string")
	ErrNoServer      = errors.New("zkclient: no server answered")
	// ErrRequestTooLarge: the request is longer than jute.maxbuffer, so a
	// server would drop the connection for it; it is not sent.
	ErrRequestTooLarge = errors.New("zkclient: request larger than jute.maxbuffer")
)

// DefaultMaxBuffer is jute.maxbuffer's default: the longest request a
// server takes.
const DefaultMaxBuffer = 1 << 20

// MaxFrame bounds a reply frame: ZooKeeper's jute.maxbuffer (1 MiB) of
// data plus room for the header, Stat and path around it.
const MaxFrame = 1<<20 + 64<<10

// DefaultPort is the port of a server named without one.
const DefaultPort = "2181"

type options struct {
	timeout   time.Duration
	maxBuffer int
	dial      func(ctx context.Context, addr string) (net.Conn, error)
	shuffle   bool
}

// Option tunes Connect.
type Option func(*options)

// WithSessionTimeout asks for a session timeout (default 30s); the server
// negotiates it.
func WithSessionTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithMaxBuffer sets the longest request sent (jute.maxbuffer, default
// DefaultMaxBuffer); it should match the servers' setting.
func WithMaxBuffer(n int) Option { return func(o *options) { o.maxBuffer = n } }

// WithDialer replaces net.Dialer's DialContext (tests).
func WithDialer(f func(ctx context.Context, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.dial = f }
}

// WithoutShuffle tries the servers in the order given (tests).
func WithoutShuffle() Option { return func(o *options) { o.shuffle = false } }

// ParseConnectString splits zkCli's connect string into host:port
// addresses (port 2181 when missing) and the chroot ("" for none), as
// ZooKeeper's ConnectStringParser does.
func ParseConnectString(s string) (servers []string, chroot string, err error) {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s, chroot = s[:i], s[i:]
		if chroot == "/" {
			chroot = ""
		} else if err := znode.ValidatePath(chroot, false); err != nil {
			return nil, "", fmt.Errorf("%w: chroot: %v", ErrConnectString, err)
		}
	}
	for _, h := range strings.Split(s, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), DefaultPort)
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil || host == "" {
			return nil, "", fmt.Errorf("%w: %q", ErrConnectString, h)
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return nil, "", fmt.Errorf("%w: port of %q", ErrConnectString, h)
		}
		servers = append(servers, h)
	}
	if len(servers) == 0 {
		return nil, "", fmt.Errorf("%w: no server", ErrConnectString)
	}
	return servers, chroot, nil
}

// pending is a request waiting for its reply.
type pending struct {
	xid      int32
	path     string // for the error, as the caller named it
	resp     jute.Record
	register func(code zk.Code) // run by the reader before done
	done     chan error
}

// Conn is one session with a ZooKeeper ensemble over the wire protocol.
type Conn struct {
	o       options
	servers []string
	chroot  string
	done    chan struct{} // closed by Close

	mu        sync.Mutex
	next      int      // index of the server to try next
	nc        net.Conn // nil while disconnected
	up        chan struct{}
	xid       int32
	pend      []*pending
	authWait  []chan error // nil entries for re-sent packets
	sessionID int64
	passwd    []byte
	timeout   time.Duration
	lastZxid  int64
	auths     []jute.AuthPacket
	w         watches
	expired   bool
	closing   bool // Close is ending the session: do not re-attach
	closed    bool
}

// Connect opens a session on one of the servers of connect, trying each
// in turn until one accepts or ctx ends.
func Connect(ctx context.Context, connect string, opts ...Option) (*Conn, error) {
	o := options{timeout: 30 * time.Second, maxBuffer: DefaultMaxBuffer, shuffle: true}
	for _, f := range opts {
		f(&o)
	}
	if o.dial == nil {
		var d net.Dialer
		o.dial = func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	}
	servers, chroot, err := ParseConnectString(connect)
	if err != nil {
		return nil, err
	}
	if o.shuffle {
		rand.Shuffle(len(servers), func(i, j int) { servers[i], servers[j] = servers[j], servers[i] })
	}
	c := &Conn{o: o, servers: servers, chroot: chroot, done: make(chan struct{}), up: make(chan struct{})}
	c.w.init()
	var last error
	for round := 0; ; round++ {
		for range servers {
			nc, err := c.attach(ctx)
			if err == nil {
				go c.serve(nc)
				return c, nil
			}
			if errors.Is(err, zk.ErrSessionExpired) {
				return nil, err
			}
			last = err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %v (last: %v)", ErrNoServer, ctx.Err(), last)
		case <-time.After(backoff(round)):
		}
	}
}

func backoff(round int) time.Duration {
	return time.Duration(min(round+1, 10)) * 100 * time.Millisecond
}

// SessionID is the session's id (0 before the first handshake).
func (c *Conn) SessionID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID
}

// SessionTimeout is the negotiated session timeout.
func (c *Conn) SessionTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.timeout
}

// Server is the address of the server the session is attached to, "" while
// disconnected.
func (c *Conn) Server() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nc == nil {
		return ""
	}
	return c.nc.RemoteAddr().String()
}

// attach dials the next server and opens or re-attaches the session there;
// on success the connection is up, with watches and auth re-sent.
func (c *Conn) attach(ctx context.Context) (net.Conn, error) {
	c.mu.Lock()
	addr := c.servers[c.next]
	c.next = (c.next + 1) % len(c.servers)
	req := jute.ConnectRequest{LastZxidSeen: c.lastZxid, TimeOut: int32(c.o.timeout / time.Millisecond),
		SessionID: c.sessionID, Passwd: c.passwd, HasReadOnly: true}
	if req.Passwd == nil {
		req.Passwd = make([]byte, 16)
	}
	c.mu.Unlock()

	// A server gets a share of the session timeout to answer, so the
	// others are still tried within it.
	limit := c.o.timeout / time.Duration(len(c.servers))
	dctx, cancel := context.WithTimeout(ctx, max(limit, time.Second))
	defer cancel()
	nc, err := c.o.dial(dctx, addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := dctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	var resp jute.ConnectResponse
	err = writeFrame(nc, jute.Encode(nil, &req))
	if err == nil {
		var f []byte
		if f, err = readFrame(nc); err == nil {
			if err = jute.Decode(f, &resp); err != nil {
				err = fmt.Errorf("%w: connect response: %v", ErrBadReply, err)
			}
		}
	}
	if err != nil {
		nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		nc.Close()
		return nil, ErrClosed
	}
	if resp.TimeOut <= 0 {
		nc.Close()
		c.expireLocked()
		return nil, &zk.Error{Code: zk.SessionExpired}
	}
	c.sessionID, c.passwd = resp.SessionID, resp.Passwd
	c.timeout = time.Duration(resp.TimeOut) * time.Millisecond
	// Before any waiting request: the watches, then the identities, as
	// ZooKeeper's ClientCnxn.primeConnection sends them.
	if sw, ok := c.w.setWatches(c.lastZxid, c.serverPath); ok {
		op := zk.OpSetWatches
		if sw.Two {
			op = zk.OpSetWatches2
		}
		err = writeFrame(nc, jute.EncodeRequest(nil, jute.RequestHeader{Xid: jute.XidSetWatches, Type: op}, sw))
	}
	for i := 0; i < len(c.auths) && err == nil; i++ {
		err = writeFrame(nc, jute.EncodeRequest(nil, jute.RequestHeader{Xid: jute.XidAuth, Type: zk.OpAuth}, &c.auths[i]))
		c.authWait = append(c.authWait, nil)
	}
	if err != nil {
		nc.Close()
		c.authWait = nil
		return nil, err
	}
	c.nc = nc
	close(c.up)
	return nc, nil
}

// serve reads replies until the connection breaks, then re-attaches the
// session elsewhere; it is the session's one long-lived goroutine.
func (c *Conn) serve(nc net.Conn) {
	for {
		stop := make(chan struct{})
		go c.pinger(nc, stop)
		_ = c.read(nc) // any reason ends the connection alike
		close(stop)
		c.lose(nc)
		if c.ended() {
			return
		}
		if nc = c.reattach(); nc == nil {
			return
		}
	}
}

// reattach tries the servers in turn until one takes the session, the
// session expires or the Conn is closed (nil then).
func (c *Conn) reattach() net.Conn {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	for round := 0; ; round++ {
		for range c.servers {
			nc, err := c.attach(ctx)
			if err == nil {
				return nc
			}
			if c.ended() {
				return nil
			}
		}
		select {
		case <-c.done:
			return nil
		case <-time.After(backoff(round)):
		}
	}
}

func (c *Conn) ended() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed || c.closing || c.expired
}

// pinger sends a ping every third of the session timeout, which keeps the
// session alive and the server's replies coming.
func (c *Conn) pinger(nc net.Conn, stop chan struct{}) {
	c.mu.Lock()
	every := c.timeout / 3
	c.mu.Unlock()
	t := time.NewTicker(every)
	defer t.Stop()
	ping := jute.EncodeRequest(nil, jute.RequestHeader{Xid: jute.XidPing, Type: zk.OpPing}, nil)
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			c.mu.Lock()
			if c.nc == nc {
				if err := c.writeLocked(nc, ping); err != nil {
					nc.Close() // the reader sees it and re-attaches
				}
			}
			c.mu.Unlock()
		}
	}
}

func (c *Conn) writeLocked(nc net.Conn, frame []byte) error {
	_ = nc.SetWriteDeadline(time.Now().Add(c.timeout))
	return writeFrame(nc, frame)
}

// read handles replies and notifications in order until an error.
func (c *Conn) read(nc net.Conn) error {
	for {
		c.mu.Lock()
		wait := c.timeout * 2 / 3
		c.mu.Unlock()
		_ = nc.SetReadDeadline(time.Now().Add(wait))
		f, err := readFrame(nc)
		if err != nil {
			return err
		}
		var h jute.ReplyHeader
		body, err := jute.DecodePrefix(f, &h)
		if err != nil {
			return fmt.Errorf("%w: header: %v", ErrBadReply, err)
		}
		switch h.Xid {
		case jute.XidPing, jute.XidSetWatches:
			// A failed setWatches leaves the watches as they are; the
			// server fires none of them, which the caller cannot mend.
		case jute.XidNotification:
			var ev jute.WatcherEvent
			if err := jute.Decode(body, &ev); err != nil {
				return fmt.Errorf("%w: notification: %v", ErrBadReply, err)
			}
			c.w.fire(Event{Type: ev.Type, State: ev.State, Path: c.clientPath(ev.Path)})
		case jute.XidAuth:
			c.mu.Lock()
			if len(c.authWait) == 0 {
				c.mu.Unlock()
				return fmt.Errorf("%w: unexpected auth reply", ErrBadReply)
			}
			ch := c.authWait[0]
			c.authWait = c.authWait[1:]
			c.mu.Unlock()
			if ch != nil {
				ch <- codeErr(h.Err, "")
			}
		default:
			if err := c.reply(h, body); err != nil {
				return err
			}
		}
	}
}

// reply completes the oldest pending request with h and body.
func (c *Conn) reply(h jute.ReplyHeader, body []byte) error {
	c.mu.Lock()
	if len(c.pend) == 0 || c.pend[0].xid != h.Xid {
		c.mu.Unlock()
		return fmt.Errorf("%w: xid %d out of order", ErrBadReply, h.Xid)
	}
	p := c.pend[0]
	c.pend = c.pend[1:]
	if h.Zxid > 0 {
		c.lastZxid = h.Zxid
	}
	c.mu.Unlock()
	code := h.Err
	if code == zk.Ok && p.resp != nil {
		if err := jute.Decode(body, p.resp); err != nil {
			err = fmt.Errorf("%w: xid %d: %v", ErrBadReply, h.Xid, err)
			p.done <- err
			return err
		}
	}
	if p.register != nil {
		p.register(code)
	}
	p.done <- codeErr(h.Err, p.path)
	return nil
}

func codeErr(code zk.Code, path string) error {
	if code == zk.Ok {
		return nil
	}
	return &zk.Error{Code: code, Path: path}
}

// lose drops nc: requests in flight fail with ConnectionLoss (a malformed
// reply's own request already got ErrBadReply).
func (c *Conn) lose(nc net.Conn) {
	nc.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nc != nc {
		return
	}
	c.nc = nil
	c.up = make(chan struct{})
	c.failLocked(&zk.Error{Code: zk.ConnectionLoss})
}

func (c *Conn) failLocked(err error) {
	for _, p := range c.pend {
		p.done <- err
	}
	c.pend = nil
	for _, ch := range c.authWait {
		if ch != nil {
			ch <- err
		}
	}
	c.authWait = nil
}

func (c *Conn) expireLocked() {
	c.expired = true
	c.failLocked(&zk.Error{Code: zk.SessionExpired})
	c.w.endAll(Event{Type: zk.EventNone, State: zk.StateExpired})
}

// Close ends the session (closeSession) and the connection.
func (c *Conn) Close() error {
	c.mu.Lock()
	connected := c.nc != nil && !c.closed && !c.expired
	c.closing = true
	c.mu.Unlock()
	if connected {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = c.do(ctx, zk.OpCloseSession, "", jute.Empty{}, nil, nil)
		cancel()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	close(c.done)
	if c.nc != nil {
		c.nc.Close()
		c.nc = nil
	}
	c.failLocked(ErrClosed)
	c.w.endAll(Event{Type: zk.EventNone, State: zk.StateClosed})
	return nil
}

// sendLocked waits for a connection, then, holding c.mu, writes what
// frame makes of it and runs queued (say, to queue the reply's waiter in
// the order of the write). A failed write closes the connection (the
// reader re-attaches) and is ConnectionLoss for path.
func (c *Conn) sendLocked(ctx context.Context, path string, frame func() []byte, queued func()) error {
	for {
		c.mu.Lock()
		switch {
		case c.closed:
			c.mu.Unlock()
			return ErrClosed
		case c.expired:
			c.mu.Unlock()
			return &zk.Error{Code: zk.SessionExpired, Path: path}
		}
		if c.nc == nil {
			up := c.up
			c.mu.Unlock()
			select {
			case <-up:
				continue
			case <-ctx.Done():
				return ctx.Err()
			case <-c.done:
				return ErrClosed
			}
		}
		nc := c.nc
		if err := c.writeLocked(nc, frame()); err != nil {
			c.mu.Unlock()
			nc.Close()
			return &zk.Error{Code: zk.ConnectionLoss, Path: path}
		}
		queued()
		c.mu.Unlock()
		return nil
	}
}

// do sends one request and waits for its reply, decoded into resp.
func (c *Conn) do(ctx context.Context, op zk.OpCode, path string, req, resp jute.Record, register func(zk.Code)) error {
	p := &pending{path: path, resp: resp, register: register, done: make(chan error, 1)}
	// Encoded once, before a xid is taken: a request the server would
	// drop the connection for fails here at once, instead of as a
	// ConnectionLoss after a reconnect (ZooKeeper's client learns it that
	// way). The xid, the frame's first field, is filled in at the write.
	frame := jute.EncodeRequest(nil, jute.RequestHeader{Type: op}, req)
	if len(frame) > c.o.maxBuffer {
		return fmt.Errorf("zkclient: %s: %d bytes: %w (%d)", path, len(frame), ErrRequestTooLarge, c.o.maxBuffer)
	}
	err := c.sendLocked(ctx, path, func() []byte {
		c.xid++
		p.xid = c.xid
		binary.BigEndian.PutUint32(frame, uint32(p.xid))
		return frame
	}, func() { c.pend = append(c.pend, p) })
	if err != nil {
		return err
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		// The reply is still read in its turn and dropped.
		return ctx.Err()
	}
}

// serverPath is path under the chroot.
func (c *Conn) serverPath(path string) string {
	if c.chroot == "" {
		return path
	}
	if path == "/" {
		return c.chroot
	}
	return c.chroot + path
}

// clientPath strips the chroot from a path the server sent.
func (c *Conn) clientPath(path string) string {
	if c.chroot == "" || !strings.HasPrefix(path, c.chroot) {
		return path
	}
	if len(path) == len(c.chroot) {
		return "/"
	}
	if path[len(c.chroot)] != '/' {
		return path
	}
	return path[len(c.chroot):]
}

func writeFrame(w io.Writer, body []byte) error {
	b := make([]byte, 4, 4+len(body))
	binary.BigEndian.PutUint32(b, uint32(len(body)))
	_, err := w.Write(append(b, body...))
	return err
}

func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := int32(binary.BigEndian.Uint32(n[:]))
	if size < 0 || size > MaxFrame {
		return nil, fmt.Errorf("%w: frame length %d", ErrBadReply, size)
	}
	f := make([]byte, size)
	if _, err := io.ReadFull(r, f); err != nil {
		return nil, err
	}
	return f, nil
}
