package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zk"
)

// Sentinels of the common ZooKeeper errors; compare with errors.Is.
var (
	ErrNoNode                  = zk.ErrNoNode
	ErrNodeExists              = zk.ErrNodeExists
	ErrBadVersion              = zk.ErrBadVersion
	ErrNotEmpty                = zk.ErrNotEmpty
	ErrNoChildrenForEphemerals = zk.ErrNoChildrenForEphemerals
	ErrSessionExpired          = zk.ErrSessionExpired
	ErrConnectionLoss          = zk.ErrConnectionLoss
	ErrNoAuth                  = zk.ErrNoAuth
	ErrInvalidACL              = zk.ErrInvalidACL
	ErrBadArguments            = zk.ErrBadArguments
	ErrQuotaExceeded           = zk.ErrQuotaExceeded
)

// ErrClosed is returned by calls on a closed Conn.
var ErrClosed = errors.New("client: connection closed")

// ErrRequestTooLarge is wrapped by the error of a request whose data
// passes jute.maxbuffer (WithMaxBuffer) or the bus's payload limit: it
// was not sent, and is not retried.
var ErrRequestTooLarge = errors.New("client: request too large")

// DefaultMaxBuffer is ZooKeeper's default jute.maxbuffer, 1 MiB.
const DefaultMaxBuffer = 1 << 20

// DefaultSessionTimeout is the session timeout asked for unless
// WithSessionTimeout says otherwise.
const DefaultSessionTimeout = 10 * time.Second

// Option configures Connect.
type Option func(*options)

type options struct {
	sessionTimeout time.Duration
	log            *slog.Logger
	retry          retryPolicy
	// natsOpts are extra NATS connection options (credentials).
	natsOpts  []nats.Option
	listeners []func(State)
	ordered   bool // try the servers in the order given (tests)
	maxBuffer int
}

// retryPolicy is how requests refused with ConnectionLoss are retried.
type retryPolicy struct {
	attempts int           // retries after the first try
	base     time.Duration // first backoff, doubled each time
	max      time.Duration
}

// WithSessionTimeout sets the session timeout asked for (the node
// negotiates it into its bounds); the default is 10s.
func WithSessionTimeout(d time.Duration) Option {
	return func(o *options) { o.sessionTimeout = d }
}

// WithMaxBuffer sets the client's jute.maxbuffer: a request carrying more
// znode data fails at once with ErrRequestTooLarge (default
// DefaultMaxBuffer, as ZooKeeper's; the nodes hold requests to their own
// jute.maxbuffer too).
func WithMaxBuffer(n int) Option { return func(o *options) { o.maxBuffer = n } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// withOrderedServers makes Connect try the servers in the order given
// instead of NATS's random order; for tests.
func withOrderedServers() Option { return func(o *options) { o.ordered = true } }

// withRetry is for tests.
func withRetry(attempts int, base, ceiling time.Duration) Option {
	return func(o *options) { o.retry = retryPolicy{attempts, base, ceiling} }
}

// Conn is one session with the ensemble. It is safe for concurrent use.
type Conn struct {
	log   *slog.Logger
	retry retryPolicy
	// token fences this Conn's NATS connections (buswire.NewConnToken):
	// they may publish only requests naming it and read only its inbox.
	token   string
	inbox   string
	urls    []string // as given to Connect
	opts    options
	session int64
	passwd  []byte
	timeout time.Duration // negotiated

	// mu guards the NATS connection, the node serving the session and the
	// state. Lock order: sendMu, then mu, then pendMu.
	mu       sync.Mutex
	nc       *nats.Conn
	sub      *nats.Subscription
	ensemble string
	node     msg.NodeID
	link     *link // the session's attachment; nil unless Connected
	// auths are the identities AddAuth added, sent again on a re-attach.
	auths []zk.ACL
	// evNode is the node whose watch events are taken: the one the session
	// is attached to, or being re-attached to once it accepted the
	// session (its setWatches2 fires before the attach completes); 0
	// while disconnected. A node the session left may go on firing the
	// watches it holds, as a ZooKeeper server would into a closed socket;
	// those events are dropped.
	evNode    msg.NodeID
	ready     chan struct{} // closed when the next link is set
	state     State
	subs      []*stateSub
	rot       int  // rotates the servers tried by redial
	elsewhere bool // the next re-attach dials another server first

	sendMu sync.Mutex // orders xid assignment with publishing
	xid    int32
	// The times below are nanoseconds since born, read on the monotonic
	// clock (mono): a wall clock stepped by NTP or an operator must not
	// expire a session early or keep a dead link.
	born     time.Time
	lastSend atomic.Int64 // the last publish, for pings
	lastRecv atomic.Int64 // the last reply of any kind
	// lastTouch is the last reply other than a ConnectionLoss refusal: the
	// session was last known alive then. Re-attaching gives up at
	// lastTouch + timeout.
	lastTouch atomic.Int64

	pendMu  sync.Mutex
	pending map[int32]pendingReq

	watches watchManager // watch.go

	lastZxid    atomic.Int64
	kick        chan struct{} // buffered: the session needs re-attaching
	reconnected chan struct{} // buffered: NATS has reconnected
	closing     atomic.Bool   // Close has begun: new calls fail
	done        chan struct{} // closed on Close or expiry: goroutines stop
	stopOnce    sync.Once
	wg          sync.WaitGroup
}

// pendingReq is a request waiting for its reply.
type pendingReq struct {
	ch   chan *msg.Reply
	link *link                // the link it went out on
	hook func(rep *msg.Reply) // run with the reply before its caller gets it (watch.go); may be nil
}

// link is one attachment of the session to a node, over one NATS
// connection. lost is closed when the attachment ends; requests still
// waiting on it fail with ConnectionLoss.
type link struct {
	nc      *nats.Conn
	node    msg.NodeID
	subject string
	lost    chan struct{}
}

func (c *Conn) newLink(nc *nats.Conn, ens string, node msg.NodeID) *link {
	return &link{nc: nc, node: node, subject: buswire.RequestSubject(ens, node, c.token), lost: make(chan struct{})}
}

// Connect connects to one of servers (NATS URLs of nodes' bus ports, with
// or without nats://) and opens a session. ctx bounds the whole set-up.
// The other servers, and those NATS learns from the cluster, are where the
// session moves when its node fails.
func Connect(ctx context.Context, servers []string, opts ...Option) (*Conn, error) {
	o := options{
		sessionTimeout: DefaultSessionTimeout,
		log:            slog.Default(),
		retry:          retryPolicy{attempts: 6, base: 50 * time.Millisecond, max: time.Second},
		maxBuffer:      DefaultMaxBuffer,
	}
	for _, f := range opts {
		f(&o)
	}
	if len(servers) == 0 {
		return nil, errors.New("client: no servers given")
	}
	urls := make([]string, 0, len(servers))
	for _, s := range servers {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "://") {
			s = "nats://" + s
		}
		// NATS ignores the auth token (the connection's fence) when a URL
		// carries credentials, so they move into the options.
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("client: server %q: %w", s, err)
		}
		if u.User != nil {
			pw, ok := u.User.Password()
			if !ok {
				return nil, fmt.Errorf("client: server %q: a user without a password (use WithCredentials)", u.Redacted())
			}
			// Before the caller's options, so WithCredentials wins.
			o.natsOpts = append([]nats.Option{nats.UserInfo(u.User.Username(), pw)}, o.natsOpts...)
			u.User = nil
			s = u.String()
		}
		urls = append(urls, s)
	}
	connTimeout := 5 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		connTimeout = time.Until(dl)
		if connTimeout <= 0 {
			return nil, fmt.Errorf("client: connect: %w", context.DeadlineExceeded)
		}
	}
	token := buswire.NewConnToken()
	c := &Conn{
		log:         o.log,
		retry:       o.retry,
		token:       token,
		inbox:       buswire.Inbox(token),
		urls:        urls,
		opts:        o,
		pending:     make(map[int32]pendingReq),
		ready:       make(chan struct{}),
		kick:        make(chan struct{}, 1),
		reconnected: make(chan struct{}, 1),
		done:        make(chan struct{}),
		timeout:     o.sessionTimeout, // bounds createSession without a ctx deadline
		born:        time.Now(),
	}
	for _, f := range o.listeners {
		c.subs = append(c.subs, newStateSub(f, func() {}))
	}
	nc, err := c.dial(urls, o.ordered, connTimeout)
	if err != nil {
		return nil, err
	}
	ens, node, err := buswire.ParseServerName(nc.ConnectedServerName())
	if err != nil {
		nc.Close()
		return nil, err
	}
	c.mu.Lock()
	c.ensemble, c.node, c.evNode = ens, node, node
	c.mu.Unlock()
	l := c.newLink(nc, ens, node)
	rep, _, err := c.do(ctx, msg.Request{Timeout: int32(o.sessionTimeout / time.Millisecond),
		Op: msg.Op{Op: zk.OpCreateSession}}, l)
	if err != nil {
		c.shutdown(true)
		return nil, fmt.Errorf("client: create session on node %d of %q: %w", node, ens, err)
	}
	c.session, c.passwd = rep.Session, rep.Passwd
	c.timeout = time.Duration(rep.Timeout) * time.Millisecond
	if c.timeout <= 0 {
		c.timeout = o.sessionTimeout
	}
	c.log.Debug("session established", "session", fmt.Sprintf("0x%x", c.session),
		"node", node, "ensemble", ens, "timeout", c.timeout)
	c.attach(l, ens)
	c.wg.Add(2)
	go c.pinger()
	go c.manage()
	return c, nil
}

// dial opens a NATS connection to one of urls (in that order if ordered)
// and subscribes the reply inbox on it. It becomes c.nc.
func (c *Conn) dial(urls []string, ordered bool, timeout time.Duration) (*nats.Conn, error) {
	nopts := []nats.Option{nats.Name("paddock-client"), nats.Timeout(timeout),
		nats.NoCallbacksAfterClientClose(),
		// NATS reconnects on its own (the session is then re-attached);
		// the session timeout, not a count, ends the attempts.
		nats.MaxReconnects(-1), nats.ReconnectWait(100 * time.Millisecond),
		nats.ReconnectJitter(50*time.Millisecond, 50*time.Millisecond),
		// A request published while disconnected must fail at once, not
		// be buffered and delivered later to whatever node is then there.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(c.onDisconnect), nats.ReconnectHandler(c.onReconnect)}
	if ordered {
		nopts = append(nopts, nats.DontRandomize())
	}
	nopts = append(nopts, buswire.ClientOptions(c.token)...)
	nopts = append(nopts, c.opts.natsOpts...)
	nc, err := nats.Connect(strings.Join(urls, ","), nopts...)
	if err != nil {
		return nil, fmt.Errorf("client: connect to %s: %w", strings.Join(urls, ","), err)
	}
	sub, err := nc.Subscribe(c.inbox, c.onReply)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("client: subscribe to replies: %w", err)
	}
	_ = sub.SetPendingLimits(-1, -1)
	c.mu.Lock()
	select {
	case <-c.done:
		c.mu.Unlock()
		nc.Close()
		return nil, ErrClosed
	default:
	}
	old := c.nc
	c.nc, c.sub = nc, sub
	c.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nc, nil
}

// SessionID is the session's id.
func (c *Conn) SessionID() int64 { return c.session }

// SessionTimeout is the negotiated session timeout.
func (c *Conn) SessionTimeout() time.Duration { return c.timeout }

// LastZxid is the highest zxid seen in a reply.
func (c *Conn) LastZxid() int64 { return c.lastZxid.Load() }

// Node is the ensemble and id of the node serving the session (or, while
// disconnected, of the node that last served it).
func (c *Conn) Node() (ensemble string, id msg.NodeID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ensemble, c.node
}

// Close ends the session (closeSession, waiting up to 3s for its reply,
// which includes waiting for a re-attach if disconnected), then closes the
// NATS connection. Ephemeral nodes go with the session. On an expired
// session it only releases the Conn.
func (c *Conn) Close() error {
	if !c.closing.CompareAndSwap(false, true) {
		c.wg.Wait()
		return nil
	}
	var err error
	if c.State() != StateExpired {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, _, err = c.do(ctx, msg.Request{Op: msg.Op{Op: zk.OpCloseSession}}, nil)
		cancel()
	}
	c.shutdown(true)
	if err != nil {
		return fmt.Errorf("client: close session 0x%x: %w", c.session, err)
	}
	return nil
}

// shutdown stops the Conn: on Close (closed) or on expiry. It may run on
// the manager goroutine, so it waits for the goroutines only when closed.
func (c *Conn) shutdown(closed bool) {
	c.stopOnce.Do(func() {
		close(c.done)
		c.mu.Lock()
		if c.link != nil {
			close(c.link.lost)
			c.link = nil
		}
		nc, sub := c.nc, c.sub
		c.mu.Unlock()
		if sub != nil {
			_ = sub.Unsubscribe()
		}
		if nc != nil {
			nc.Close()
		}
		c.endWatches()
	})
	if closed {
		c.closing.Store(true)
		c.wg.Wait()
		c.mu.Lock()
		c.setStateLocked(StateClosed)
		c.mu.Unlock()
	}
}

// termErr is the error of a call on a stopped Conn.
func (c *Conn) termErr() error {
	if c.State() == StateExpired {
		return fmt.Errorf("client: session 0x%x: %w", c.session, ErrSessionExpired)
	}
	return ErrClosed
}

// onReply runs on the NATS subscription goroutine: it only hands the reply
// to its waiting caller.
func (c *Conn) onReply(m *nats.Msg) {
	env, err := buswire.Decode(m.Data)
	if err != nil {
		c.log.Debug("undecodable reply dropped", "err", err)
		return
	}
	rep, ok := env.Body.(*msg.Reply)
	if !ok {
		if ev, ok := env.Body.(*msg.WatchEvent); ok {
			c.onEvent(ev, env.From.Node)
			return
		}
		c.log.Debug("unexpected message on reply inbox", "kind", env.Kind)
		return
	}
	now := c.mono()
	c.lastRecv.Store(now)
	if rep.Err != zk.ConnectionLoss {
		c.lastTouch.Store(now)
	}
	c.pendMu.Lock()
	p, ok := c.pending[rep.Xid]
	delete(c.pending, rep.Xid)
	c.pendMu.Unlock()
	if ok && p.link != nil && isLost(p.link) {
		// Its caller gets ConnectionLoss. The node's watch events before
		// it were dropped with the link, so what it shows must not count
		// as seen either: the re-attach's setWatches2 would then take
		// those changes as delivered and not fire their watches.
		ok = false
	}
	if !ok {
		c.log.Debug("reply for no pending request", "xid", rep.Xid)
		return
	}
	for {
		z := c.lastZxid.Load()
		if rep.Zxid <= z || c.lastZxid.CompareAndSwap(z, rep.Zxid) {
			break
		}
	}
	if p.hook != nil {
		p.hook(rep)
	}
	p.ch <- rep
}

// do sends req and waits for its reply, retrying refusals with
// ConnectionLoss. A reply with an error code is returned with a
// *zk.Error for req's path. via is the link to use (createSession on a
// node not yet serving the session); nil means the session's link, waited
// for while disconnected.
func (c *Conn) do(ctx context.Context, req msg.Request, via *link) (*msg.Reply, *link, error) {
	internal := via != nil || req.Op.Op == zk.OpCloseSession
	if !internal && c.closing.Load() {
		return nil, nil, ErrClosed
	}
	if n := requestData(&req.Op); c.opts.maxBuffer > 0 && n > c.opts.maxBuffer {
		return nil, nil, fmt.Errorf("client: %s %s: %d bytes of data, over jute.maxbuffer %d: %w",
			req.Op.Op, req.Path, n, c.opts.maxBuffer, ErrRequestTooLarge)
	}
	if _, ok := ctx.Deadline(); !ok && c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	backoff := c.retry.base
	for attempt := 0; ; attempt++ {
		rep, l, err := c.send(ctx, req, via)
		if err != nil {
			return nil, l, err
		}
		code := rep.Err
		// Only what certainly did not happen is sent again: a refusal,
		// or a read. A write that failed with any other ConnectionLoss
		// (its node stopped serving while it was in flight) may have
		// been applied, and repeating it could apply it twice or turn a
		// successful compare-and-set into a BadVersion.
		// A createSession may be repeated too: a new session made twice
		// leaves one unused, which expires; a re-attach changes nothing.
		retry := rep.Refused || readOnly(req.Op.Op) || req.Op.Op == zk.OpCreateSession
		if code == zk.ConnectionLoss && retry && attempt < c.retry.attempts {
			dl, ok := ctx.Deadline()
			if !ok || time.Until(dl) > backoff {
				c.log.Debug("node not serving; retrying", "op", req.Op.Op, "path", req.Path, "backoff", backoff)
				t := time.NewTimer(backoff)
				select {
				case <-t.C:
					backoff = min(2*backoff, c.retry.max)
					continue
				case <-ctx.Done():
					t.Stop()
				case <-c.done:
					t.Stop()
				}
			}
		}
		if code == zk.ConnectionLoss && via == nil {
			// Refused again and again: try the session elsewhere.
			c.suspect(l, "requests refused with ConnectionLoss", true)
		}
		if code == zk.SessionExpired && via == nil {
			c.expire(fmt.Sprintf("node %d answered SessionExpired", l.node))
		}
		if code == zk.SessionMoved && via == nil {
			// The leader knows another node as the session's: re-attach
			// (claiming it again), as a ZooKeeper client reconnects when
			// its server closes the connection on SessionMoved.
			c.suspect(l, "the leader says the session moved", false)
		}
		if code != zk.Ok {
			return rep, l, &zk.Error{Code: code, Path: req.Path}
		}
		return rep, l, nil
	}
}

// readOnly reports whether op changes nothing, so repeating it is safe.
func readOnly(op zk.OpCode) bool {
	switch op {
	case zk.OpExists, zk.OpGetData, zk.OpGetACL, zk.OpGetChildren, zk.OpGetChildren2,
		zk.OpSync, zk.OpPing, zk.OpMultiRead, zk.OpGetEphemerals, zk.OpGetAllChildrenNumber,
		zk.OpWhoAmI, zk.OpCheckWatches:
		return true
	}
	return false
}

// send publishes one request and waits for its reply. A new session's
// createSession goes out as it is (xid 0); any other request gets the
// session, its password and the next xid. Xids are assigned and published under sendMu, so they reach a
// node in xid order. Without via it first waits for the session's link;
// a request still unanswered when that link is lost fails with
// ConnectionLoss (it may or may not have been applied).
func (c *Conn) send(ctx context.Context, req msg.Request, via *link) (*msg.Reply, *link, error) {
	// A re-attach (createSession naming the session) takes a xid too, so
	// that a late answer to an earlier attempt, maybe from another node,
	// cannot pass for this one's.
	reattach := req.Op.Op == zk.OpCreateSession && req.Session != 0
	numbered := req.Op.Op != zk.OpCreateSession || reattach
	for {
		l := via
		if l == nil {
			var err error
			if l, err = c.waitLink(ctx, req); err != nil {
				return nil, nil, err
			}
		}
		ch := make(chan *msg.Reply, 1)
		c.sendMu.Lock()
		if via == nil && !c.isLink(l) {
			c.sendMu.Unlock()
			continue // lost meanwhile
		}
		if numbered {
			c.xid++
			req.Xid, req.Session, req.Passwd = c.xid, c.session, c.passwd
		}
		c.pendMu.Lock()
		c.pending[req.Xid] = pendingReq{ch: ch, link: l, hook: replyHookOf(ctx)}
		c.pendMu.Unlock()
		data, err := buswire.Encode(msg.New(msg.Addr{}, msg.Addr{Node: l.node, Role: msg.RoleStore}, &req))
		sendErr := err
		if err == nil {
			sendErr = l.nc.Publish(l.subject, data)
		}
		if sendErr != nil && numbered {
			c.xid-- // never sent: the next request takes this xid
		}
		c.lastSend.Store(c.mono())
		c.sendMu.Unlock()
		forget := func() {
			c.pendMu.Lock()
			delete(c.pending, req.Xid)
			c.pendMu.Unlock()
		}
		if err != nil {
			forget()
			return nil, l, fmt.Errorf("client: encode %s: %w", req.Op.Op, err)
		}
		if errors.Is(sendErr, nats.ErrMaxPayload) {
			// Larger than the bus carries: no link would take it, and
			// moving the session for it would loop.
			forget()
			return nil, l, fmt.Errorf("client: %s %s: %d bytes: %w: %w", req.Op.Op, req.Path, len(data), ErrRequestTooLarge, sendErr)
		}
		if sendErr != nil {
			forget()
			if via != nil {
				return nil, l, fmt.Errorf("client: send %s: %w: %w", req.Op.Op, &zk.Error{Code: zk.ConnectionLoss, Path: req.Path}, sendErr)
			}
			c.suspect(l, "publish failed: "+sendErr.Error(), false)
			continue // not sent: wait for the next link
		}
		select {
		case rep := <-ch:
			return rep, l, nil
		case <-ctx.Done():
			forget()
			return nil, l, fmt.Errorf("client: no reply to %s: %w: %w", req.Op.Op, &zk.Error{Code: zk.ConnectionLoss, Path: req.Path}, ctx.Err())
		case <-l.lost:
			forget()
			return nil, l, fmt.Errorf("client: %s: connection to node %d lost: %w", req.Op.Op, l.node, &zk.Error{Code: zk.ConnectionLoss, Path: req.Path})
		case <-c.done:
			forget()
			return nil, l, c.termErr()
		}
	}
}

// requestData is how many bytes of znode data op carries, its multi's
// ops included.
func requestData(op *msg.Op) int {
	n := len(op.Data)
	for i := range op.Ops {
		n += requestData(&op.Ops[i])
	}
	return n
}

// waitLink returns the session's link, waiting for a re-attach while
// disconnected.
func (c *Conn) waitLink(ctx context.Context, req msg.Request) (*link, error) {
	for {
		c.mu.Lock()
		l, ready, st := c.link, c.ready, c.state
		c.mu.Unlock()
		switch {
		case st == StateExpired:
			return nil, fmt.Errorf("client: session 0x%x: %w", c.session, ErrSessionExpired)
		case st == StateClosed:
			return nil, ErrClosed
		case l != nil:
			return l, nil
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("client: %s while disconnected: %w: %w", req.Op.Op, &zk.Error{Code: zk.ConnectionLoss, Path: req.Path}, ctx.Err())
		case <-c.done:
			return nil, c.termErr()
		}
	}
}

// mono is the time since the Conn was made, on the monotonic clock.
func (c *Conn) mono() int64 { return int64(time.Since(c.born)) }

// since is how long ago mono read t.
func (c *Conn) since(t int64) time.Duration { return time.Duration(c.mono() - t) }

// at is the time mono read as t, with a monotonic reading.
func (c *Conn) at(t int64) time.Time { return c.born.Add(time.Duration(t)) }

func isLost(l *link) bool {
	select {
	case <-l.lost:
		return true
	default:
		return false
	}
}

func (c *Conn) isLink(l *link) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.link == l
}

// pinger keeps an idle session alive (a ping when nothing was sent for a
// third of the session timeout) and notices a node that stopped answering:
// nothing received for two thirds of the timeout although something was
// sent, or pings refused twice in a row, moves the session.
func (c *Conn) pinger() {
	defer c.wg.Done()
	every := c.timeout / 3
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every / 4)
	defer t.Stop()
	refused := 0
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		c.mu.Lock()
		l := c.link
		c.mu.Unlock()
		if l == nil {
			refused = 0
			continue
		}
		lastSend, lastRecv := c.lastSend.Load(), c.lastRecv.Load()
		if lastSend > lastRecv && c.since(lastRecv) > 2*every {
			c.suspect(l, "no reply for two thirds of the session timeout", true)
			continue
		}
		if c.since(lastSend) < every {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), every)
		rep, l, err := c.send(ctx, msg.Request{Op: msg.Op{Op: zk.OpPing}}, nil)
		cancel()
		switch {
		case err != nil:
			c.log.Debug("ping failed", "err", err)
		case rep.Err == zk.ConnectionLoss:
			if refused++; refused >= 2 {
				c.suspect(l, "pings refused with ConnectionLoss", true)
				refused = 0
			}
		case rep.Err == zk.SessionExpired:
			c.expire(fmt.Sprintf("node %d answered a ping with SessionExpired", l.node))
		default:
			refused = 0
		}
	}
}
