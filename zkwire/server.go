package zkwire

import (
	"container/list"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"
)

// Config is what the front end needs from the node.
type Config struct {
	Addr    string // host:port to listen on
	Allowed Allowed
	Status  func() Status // called per request; must be safe from any goroutine
	// Dump lists the sessions the node knows with their ephemerals, for
	// the dump word only (it may take a moment); nil prints none.
	Dump func() []SessionDump
	// Expiries is a leading node's expiry queue, for dump on a leader or
	// standalone node, which prints it as ZooKeeper's leader does; nil
	// prints an empty queue.
	Expiries func() []SessionExpiry
	// Conf is the node's configuration, for conf and dirs only (it sizes
	// the data directories); nil prints nothing.
	Conf func() Conf
	// Watches lists the watches of the sessions served here, sorted by
	// path, for wchs, wchc and wchp only; nil prints none.
	Watches func() []WatchDump
	Log     *slog.Logger
	// Bus is the node's request path for jute client connections; nil
	// refuses them (the connection is closed).
	Bus Bus
	// MaxBuffer is jute.maxbuffer: a larger packet closes the
	// connection. 0 means DefaultMaxBuffer.
	MaxBuffer int
	// MaxClientCnxns is ZooKeeper's maxClientCnxns: how many connections
	// one client address may hold at once; one more is closed as soon as
	// it is accepted. 0 means no limit.
	MaxClientCnxns int
	// MaxOutstanding is how many requests one connection may have
	// waiting for their replies; at the limit the front end stops
	// reading that connection until a reply goes out, as ZooKeeper stops
	// reading its connections at globalOutstandingLimit (it drops
	// nothing). 0 means DefaultMaxOutstanding.
	MaxOutstanding int
	// MaxConnections bounds the client connections held at once, so they
	// never take the file descriptors the node's log, snapshots and bus
	// need: at the bound nothing more is accepted (new connections wait
	// in the listen backlog) until one ends, or until the oldest one
	// without a session yet (half-open, idle, dribbling its handshake)
	// has had evictAfter, which is then closed to make room. 0 means the
	// process's file limit less a reserve (fdReserve); -1 means no
	// bound.
	MaxConnections int
	// SessionRate is how many sessions per second one client address may
	// open (or re-attach), past a burst of MaxClientCnxns; the connection
	// of one more is closed when its handshake comes, before it reaches
	// the node. Four-letter words are not counted. It applies with
	// MaxClientCnxns only (0 there: no bound per address at all). 0
	// means DefaultSessionRate, -1 no bound.
	SessionRate int
	// MaxPipelined bounds the requests of connections that already have
	// one in flight that the node takes at once, over all connections,
	// handed out round-robin (see admission); 0 means
	// DefaultMaxPipelined.
	MaxPipelined int
	// SessionlessTimeout bounds a connection's first frame (and a TLS
	// handshake before it); 0 means DefaultSessionlessTimeout.
	SessionlessTimeout time.Duration
	// SecureAddr, when set, is ZooKeeper's secureClientPort: the same
	// protocol over TLS with the TLS config (package server builds it
	// with internal/pemtls, which reloads renewed PEM stores).
	SecureAddr string
	TLS        *tls.Config
	// Latency, if set, is told every answered request's latency, and
	// whether the request was a write (ZooKeeper's updatelatency) or not
	// (readlatency), for the node's metrics. It runs on the connections'
	// goroutines: it must be cheap and safe for concurrent use.
	Latency func(update bool, d time.Duration)
}

// DefaultMaxOutstanding is ZooKeeper's default globalOutstandingLimit,
// applied per connection.
const DefaultMaxOutstanding = 1000

// Server is the clientPort listener.
type Server struct {
	cfg    Config
	ln     net.Listener
	secure net.Listener // the TLS one, nil without a secure client port
	wg     sync.WaitGroup
	mu     sync.Mutex
	conn   map[net.Conn]struct{}
	done   bool
	// clients are the jute connections past their handshake.
	clients map[*zkConn]struct{}
	stats   serverStats
	started time.Time // for mntr's zk_uptime
	// adm shares the node's request path between connections.
	adm *admission
	// churn paces each address's new sessions; nil: no bound.
	churn *churn
	// maxConns is MaxConnections resolved; 0 is no bound.
	maxConns int
	// unseated are the connections without a session yet (nor a
	// four-letter word), oldest first, each with its element in the list:
	// the ones to close when the connections reach maxConns.
	unseated *list.List
	seats    map[net.Conn]*list.Element
	// slot is signalled when a connection ends, for an accept loop
	// waiting for room.
	slot chan struct{}
	// perAddr counts the open connections of each client address, for
	// MaxClientCnxns.
	perAddr map[string]int
	quit    chan struct{}
	// lastWarn rate-limits the warnings of the accept loop, by kind;
	// suppressed counts those left out since.
	lastWarn   map[string]time.Time
	suppressed map[string]int
}

// Connections is the number of client sessions connected here.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// Listen binds the client port. Serve must be called to accept connections.
func Listen(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("zkwire: listen on client port %s: %w", cfg.Addr, err)
	}
	var secure net.Listener
	if cfg.SecureAddr != "" {
		if cfg.TLS == nil {
			ln.Close()
			return nil, errors.New("zkwire: a secure client port needs a TLS config")
		}
		plain, err := net.Listen("tcp", cfg.SecureAddr)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("zkwire: listen on secure client port %s: %w", cfg.SecureAddr, err)
		}
		secure = tls.NewListener(plain, cfg.TLS)
	}
	s := &Server{cfg: cfg, ln: ln, secure: secure, conn: map[net.Conn]struct{}{}, clients: map[*zkConn]struct{}{}, started: time.Now(),
		adm: newAdmission(DefaultMaxFresh, cfg.MaxPipelined), maxConns: max(cfg.MaxConnections, 0),
		unseated: list.New(), seats: map[net.Conn]*list.Element{}, slot: make(chan struct{}, 1),
		perAddr: map[string]int{}, quit: make(chan struct{}), lastWarn: map[string]time.Time{}, suppressed: map[string]int{}}
	if cfg.SessionRate >= 0 && cfg.MaxClientCnxns > 0 {
		s.churn = newChurn(cfg.SessionRate, cfg.MaxClientCnxns)
	}
	if cfg.MaxConnections == 0 {
		if _, limit := fileDescriptors(); limit > 0 {
			s.maxConns = int(limit - fdReserve(limit))
			cfg.Log.Info("client connections bounded by the file limit", "max_connections", s.maxConns, "file_limit", limit)
		}
	}
	return s, nil
}

// fdReserve is how many of limit file descriptors are kept from client
// connections for the rest of the node (log files, snapshots, routes, bus
// clients): a quarter, at least 64 and at most 1,024.
func fdReserve(limit int64) int64 {
	return min(max(limit/4, 64), 1024)
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// SecureAddr is the bound secure (TLS) address, nil without one.
func (s *Server) SecureAddr() net.Addr {
	if s.secure == nil {
		return nil
	}
	return s.secure.Addr()
}

// Accept errors back off from acceptBackoffFloor, doubling up to
// acceptBackoffCeiling; warnings of one kind are logged at most once per
// warnInterval.
const (
	acceptBackoffFloor   = 5 * time.Millisecond
	acceptBackoffCeiling = time.Second
	warnInterval         = 10 * time.Second
)

// Serve accepts connections on the client port, and the secure one if
// any, until Close. No accept error stops it: out of file descriptors
// (EMFILE, ENFILE), a connection aborted before it was accepted, or any
// other, it waits a moment and goes on, since the node must keep serving
// the clients it has.
func (s *Server) Serve() error {
	if s.secure != nil {
		done := make(chan struct{})
		defer func() { <-done }()
		go func() { defer close(done); s.serve(s.secure) }()
	}
	s.serve(s.ln)
	return nil
}

func (s *Server) serve(ln net.Listener) {
	var backoff time.Duration
	for {
		if !s.room() {
			return
		}
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			done := s.done
			s.mu.Unlock()
			if done || errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = min(max(2*backoff, acceptBackoffFloor), acceptBackoffCeiling)
			s.warn("accept", "client port: accept failed; retrying", "err", err, "backoff", backoff)
			select {
			case <-time.After(backoff):
			case <-s.quit:
				return
			}
			continue
		}
		backoff = 0
		addr := remoteHost(c.RemoteAddr())
		s.mu.Lock()
		if s.done {
			s.mu.Unlock()
			c.Close()
			return
		}
		if limit := s.cfg.MaxClientCnxns; limit > 0 && s.perAddr[addr] >= limit {
			s.mu.Unlock()
			c.Close()
			s.warn("maxClientCnxns", "Too many connections from "+addr+" - max is "+fmt.Sprint(limit))
			continue
		}
		s.perAddr[addr]++
		s.conn[c] = struct{}{}
		s.seats[c] = s.unseated.PushBack(unseated{c: c, at: time.Now()})
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				s.seatLocked(c)
				delete(s.conn, c)
				select {
				case s.slot <- struct{}{}:
				default:
				}
				if s.perAddr[addr]--; s.perAddr[addr] <= 0 {
					delete(s.perAddr, addr)
				}
				s.mu.Unlock()
				c.Close()
			}()
			s.handle(c)
		}()
	}
}

// evictAfter is how long a connection without a session keeps its place
// when the client port is full: then a new connection may take it. It
// also paces a connection flood at a full node to one accept per
// evictAfter per place, however fast the flood dials.
const evictAfter = time.Second

// unseated is a connection without a session yet, and when it came.
type unseated struct {
	c  net.Conn
	at time.Time
}

// room waits until there is room for one more connection: under
// maxConns, or made by closing the oldest connection without a session
// once it has had evictAfter. Meanwhile nothing is accepted, and new
// connections wait in the listen backlog, costing the node nothing.
// False once the server closes.
func (s *Server) room() bool {
	for {
		s.mu.Lock()
		if s.done {
			s.mu.Unlock()
			return false
		}
		if s.maxConns <= 0 || len(s.conn) < s.maxConns {
			s.mu.Unlock()
			return true
		}
		// A slot freed is signalled to one accept loop only: the other
		// (the secure port's) looks again now and then.
		wait := 50 * time.Millisecond
		if e := s.unseated.Front(); e != nil {
			u := e.Value.(unseated)
			if time.Since(u.at) >= evictAfter {
				// Its handler ends on its own (its read fails) and does
				// the rest of the bookkeeping.
				s.seatLocked(u.c)
				delete(s.conn, u.c)
				u.c.Close()
				s.mu.Unlock()
				return true
			}
			wait = min(wait, evictAfter-time.Since(u.at))
		}
		s.mu.Unlock()
		s.warn("maxConnections", "client port full; new connections wait", "max_connections", s.maxConns)
		t := time.NewTimer(wait)
		select {
		case <-s.slot:
		case <-t.C:
		case <-s.quit:
		}
		t.Stop()
	}
}

// seated marks c as past its first frame and handshake: a connection in
// use, never closed to make room.
func (s *Server) seated(c net.Conn) {
	s.mu.Lock()
	s.seatLocked(c)
	s.mu.Unlock()
}

func (s *Server) seatLocked(c net.Conn) {
	if e, ok := s.seats[c]; ok {
		s.unseated.Remove(e)
		delete(s.seats, c)
	}
}

// warn logs at most once per warnInterval for each kind, saying how many
// were left out since the last.
func (s *Server) warn(kind, text string, args ...any) {
	s.mu.Lock()
	now := time.Now()
	if now.Sub(s.lastWarn[kind]) < warnInterval {
		s.suppressed[kind]++
		s.mu.Unlock()
		return
	}
	s.lastWarn[kind] = now
	n := s.suppressed[kind]
	s.suppressed[kind] = 0
	s.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	s.cfg.Log.Warn(text, args...)
}

// remoteHost is the address part of a client's address: the unit of
// maxClientCnxns.
func remoteHost(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// Close stops accepting, closes every connection and waits for handlers.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.done {
		close(s.quit)
	}
	s.done = true
	for c := range s.conn {
		c.Close()
	}
	// A connection's reader waiting for room or admission reads nothing:
	// closing its socket alone would not end it.
	for z := range s.clients {
		z.stop()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	if s.secure != nil {
		if serr := s.secure.Close(); err == nil {
			err = serr
		}
	}
	s.wg.Wait()
	return err
}

func (s *Server) handle(c net.Conn) {
	// A client that connects and sends nothing must not pin a goroutine.
	_ = c.SetReadDeadline(time.Now().Add(s.sessionless()))
	var head [4]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return
	}
	if IsFourLetterWord(head[:]) {
		s.seated(c)
		s.answer(c, string(head[:]))
		return
	}
	if s.cfg.Bus == nil {
		// No request path: closing is what ZooKeeper clients treat as
		// connection loss, and they try elsewhere.
		s.cfg.Log.Debug("client protocol connection refused: no request path", "remote", c.RemoteAddr())
		return
	}
	s.serveClient(c, head)
}

// DefaultSessionlessTimeout is how long a connection may take to send
// its four-letter word or its whole handshake (ZooKeeper's
// sessionlessCnxnTimeout): a half-open or dribbling client is closed then.
const DefaultSessionlessTimeout = 10 * time.Second

func (s *Server) sessionless() time.Duration {
	if s.cfg.SessionlessTimeout > 0 {
		return s.cfg.SessionlessTimeout
	}
	return DefaultSessionlessTimeout
}

// fourLetterLinger bounds how long a four-letter connection is kept after
// its reply, for the client to close its side.
const fourLetterLinger = 2 * time.Second

// answer replies to a four-letter word: the whole reply in one Write, then
// FIN, then whatever the client still sends (the newline of `echo srvr |
// nc`) is read and dropped until it closes. Closing with unread bytes
// would make the kernel send RST, which can destroy the reply before the
// client has read it; so the connection is closed only once the client
// closed its side. The client's half-close (nc -N) is just that EOF.
func (s *Server) answer(c net.Conn, word string) {
	s.stats.received.Add(1) // the word, as ZooKeeper counts it
	now := time.Now()
	// The asking connection is one of ZooKeeper's connections too: it
	// prints it (stat, cons, dump) and counts it (Connections).
	self := ClientInfo{Remote: remoteString(c.RemoteAddr()), Received: 1, Est: now, Expires: now.Add(s.sessionless())}
	var st Status
	if s.cfg.Allowed.allows(word) {
		st = s.gather(word, &self)
		// The resets run where ZooKeeper's do: on a serving node.
		switch {
		case word == "srst" && st.Mode != ModeLooking:
			s.stats.reset()
		case word == "crst" && st.Mode != ModeLooking:
			s.resetClients()
		}
	} else {
		st = s.cfg.Status()
		s.fill(&st, &self)
	}
	reply := FourLetterReply(word, s.cfg.Allowed, st)
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(reply); err != nil {
		return
	}
	s.stats.sent.Add(1)
	if tc, ok := c.(interface{ CloseWrite() error }); ok && tc.CloseWrite() == nil {
		_ = c.SetReadDeadline(time.Now().Add(fourLetterLinger))
		_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}
}

// gather is the node's Status with the front end's figures (self, the
// asking connection, among the clients unless nil) and the parts that
// word prints, which the node is asked for only then: dump's sessions,
// conf's and dirs' configuration, the watches of wchs, wchc and wchp.
func (s *Server) gather(word string, self *ClientInfo) Status {
	st := s.cfg.Status()
	s.fill(&st, self)
	switch {
	case word == "dump":
		if s.cfg.Dump != nil {
			st.Sessions = s.cfg.Dump()
		}
		if s.cfg.Expiries != nil && (st.Mode == ModeLeader || st.Mode == ModeStandalone) {
			st.Expiries = s.cfg.Expiries()
		}
	case (word == "conf" || word == "dirs") && s.cfg.Conf != nil:
		conf := s.cfg.Conf()
		st.Conf = &conf
	case strings.HasPrefix(word, "wch") && s.cfg.Watches != nil:
		st.WatchList = s.cfg.Watches()
	}
	return st
}

// StatusFor is the Status the four-letter word word prints, without an
// asking connection among the clients: what ZooKeeper's AdminServer
// commands report (an HTTP request is not one of its connections). The
// allow-list does not apply, as it does not to ZooKeeper's AdminServer.
func (s *Server) StatusFor(word string) Status { return s.gather(word, nil) }

// ResetServerStats zeroes the server's counters, as srst does.
func (s *Server) ResetServerStats() { s.stats.reset() }

// ResetConnectionStats zeroes every connection's counters, as crst does.
func (s *Server) ResetConnectionStats() { s.resetClients() }

// Ask sends a four-letter word to addr and returns the whole reply.
func Ask(ctx context.Context, addr, word string) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("zkwire: %s to %s: %w", word, addr, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, word); err != nil {
		return "", fmt.Errorf("zkwire: %s to %s: %w", word, addr, err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return string(b), fmt.Errorf("zkwire: %s reply from %s: %w", word, addr, err)
	}
	return string(b), nil
}
