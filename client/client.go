package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/actors/natsbus"
	"github.com/paddock-zk/paddock/znode"
)

// Sentinels of the common ZooKeeper errors; compare with errors.Is.
var (
	ErrNoNode                  = znode.ErrNoNode
	ErrNodeExists              = znode.ErrNodeExists
	ErrBadVersion              = znode.ErrBadVersion
	ErrNotEmpty                = znode.ErrNotEmpty
	ErrNoChildrenForEphemerals = znode.ErrNoChildrenForEphemerals
	ErrSessionExpired          = znode.ErrSessionExpired
	ErrConnectionLoss          = znode.ErrConnectionLoss
	ErrNoAuth                  = znode.ErrNoAuth
	ErrInvalidACL              = znode.ErrInvalidACL
	ErrBadArguments            = znode.ErrBadArguments
)

// ErrClosed is returned by calls on a closed Conn.
var ErrClosed = errors.New("client: connection closed")

// DefaultSessionTimeout is the session timeout asked for unless
// WithSessionTimeout says otherwise.
const DefaultSessionTimeout = 10 * time.Second

// Option configures Connect.
type Option func(*options)

type options struct {
	sessionTimeout time.Duration
	log            *slog.Logger
	retry          retryPolicy
	// natsOpts are extra NATS connection options (credentials); inbox is
	// the reply-subject prefix ("" for NATS's default).
	natsOpts    []nats.Option
	inboxPrefix string
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

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// withRetry is for tests.
func withRetry(attempts int, base, max time.Duration) Option {
	return func(o *options) { o.retry = retryPolicy{attempts, base, max} }
}

// Conn is one session with the ensemble. It is safe for concurrent use.
type Conn struct {
	nc    *nats.Conn
	sub   *nats.Subscription
	inbox string
	log   *slog.Logger
	retry retryPolicy

	// The session and the node serving it. Failover (later) replaces the
	// node fields and re-establishes the session from these.
	ensemble string
	node     msg.NodeID
	subject  string
	session  int64
	passwd   []byte
	timeout  time.Duration // negotiated

	sendMu   sync.Mutex // orders xid assignment with publishing
	xid      int32
	lastSend atomic.Int64 // unix nanos of the last publish, for pings

	pendMu  sync.Mutex
	pending map[int32]chan *msg.Reply

	lastZxid atomic.Int64
	closed   atomic.Bool
	done     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// Connect connects to one of servers (NATS URLs of nodes' bus ports, with
// or without nats://) and opens a session. ctx bounds the whole set-up.
func Connect(ctx context.Context, servers []string, opts ...Option) (*Conn, error) {
	o := options{
		sessionTimeout: DefaultSessionTimeout,
		log:            slog.Default(),
		retry:          retryPolicy{attempts: 6, base: 50 * time.Millisecond, max: time.Second},
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
		urls = append(urls, s)
	}
	connTimeout := 5 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		connTimeout = time.Until(dl)
		if connTimeout <= 0 {
			return nil, fmt.Errorf("client: connect: %w", context.DeadlineExceeded)
		}
	}
	// Reconnection is left to NATS: the servers are clustered, so the
	// node's request subject stays reachable from any of them.
	nopts := append([]nats.Option{nats.Name("paddock-client"),
		nats.Timeout(connTimeout), nats.NoCallbacksAfterClientClose()}, o.natsOpts...)
	nc, err := nats.Connect(strings.Join(urls, ","), nopts...)
	if err != nil {
		return nil, fmt.Errorf("client: connect to %s: %w", strings.Join(urls, ","), err)
	}
	ens, node, err := parseServerName(nc.ConnectedServerName())
	if err != nil {
		nc.Close()
		return nil, err
	}
	c := &Conn{
		nc:       nc,
		inbox:    newInbox(o.inboxPrefix),
		log:      o.log,
		retry:    o.retry,
		ensemble: ens,
		node:     node,
		subject:  natsbus.RequestSubject(ens, node),
		pending:  make(map[int32]chan *msg.Reply),
		done:     make(chan struct{}),
		timeout:  o.sessionTimeout, // bounds createSession without a ctx deadline
	}
	c.sub, err = nc.Subscribe(c.inbox, c.onReply)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("client: subscribe to replies: %w", err)
	}
	_ = c.sub.SetPendingLimits(-1, -1)
	rep, err := c.do(ctx, msg.Request{Timeout: int32(o.sessionTimeout / time.Millisecond),
		Op: msg.Op{Op: int32(znode.OpCreateSession)}}, true)
	if err != nil {
		c.shutdown()
		return nil, fmt.Errorf("client: create session on node %d of %q: %w", node, ens, err)
	}
	c.session, c.passwd = rep.Session, rep.Passwd
	c.timeout = time.Duration(rep.Timeout) * time.Millisecond
	if c.timeout <= 0 {
		c.timeout = o.sessionTimeout
	}
	c.log.Debug("session established", "session", fmt.Sprintf("0x%x", c.session),
		"node", node, "ensemble", ens, "timeout", c.timeout)
	c.wg.Add(1)
	go c.pinger()
	return c, nil
}

// newInbox is a fresh reply subject under prefix (NATS's _INBOX when "").
func newInbox(prefix string) string {
	if prefix == "" {
		return nats.NewInbox()
	}
	return prefix + "." + nuid.Next()
}

// parseServerName reads "pdk-<ensemble>-<id>".
func parseServerName(name string) (string, msg.NodeID, error) {
	rest, ok := strings.CutPrefix(name, "pdk-")
	i := strings.LastIndexByte(rest, '-')
	if !ok || i <= 0 {
		return "", 0, fmt.Errorf("client: connected NATS server %q is not a Paddock node (want pdk-<ensemble>-<id>)", name)
	}
	id, err := strconv.ParseUint(rest[i+1:], 10, 64)
	if err != nil || id == 0 {
		return "", 0, fmt.Errorf("client: connected NATS server %q is not a Paddock node (bad id)", name)
	}
	return rest[:i], msg.NodeID(id), nil
}

// SessionID is the session's id.
func (c *Conn) SessionID() int64 { return c.session }

// SessionTimeout is the negotiated session timeout.
func (c *Conn) SessionTimeout() time.Duration { return c.timeout }

// LastZxid is the highest zxid seen in a reply.
func (c *Conn) LastZxid() int64 { return c.lastZxid.Load() }

// Node is the ensemble and id of the node serving the session.
func (c *Conn) Node() (ensemble string, id msg.NodeID) { return c.ensemble, c.node }

// Close ends the session (closeSession, waiting up to 3s for its reply),
// then closes the NATS connection. Ephemeral nodes go with the session.
func (c *Conn) Close() error {
	if c.closed.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := c.do(ctx, msg.Request{Op: msg.Op{Op: int32(znode.OpCloseSession)}}, true)
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	c.shutdown()
	if err != nil {
		return fmt.Errorf("client: close session 0x%x: %w", c.session, err)
	}
	return nil
}

func (c *Conn) shutdown() {
	c.stopOnce.Do(func() {
		c.closed.Store(true)
		close(c.done)
		c.wg.Wait()
		if c.sub != nil {
			_ = c.sub.Unsubscribe()
		}
		c.nc.Close()
	})
}

// onReply runs on the NATS subscription goroutine: it only hands the reply
// to its waiting caller.
func (c *Conn) onReply(m *nats.Msg) {
	env, err := natsbus.Decode(m.Data)
	if err != nil {
		c.log.Debug("undecodable reply dropped", "err", err)
		return
	}
	rep, ok := env.Body.(*msg.Reply)
	if !ok {
		c.log.Debug("unexpected message on reply inbox", "kind", env.Kind)
		return
	}
	for {
		z := c.lastZxid.Load()
		if rep.Zxid <= z || c.lastZxid.CompareAndSwap(z, rep.Zxid) {
			break
		}
	}
	c.pendMu.Lock()
	ch, ok := c.pending[rep.Xid]
	delete(c.pending, rep.Xid)
	c.pendMu.Unlock()
	if !ok {
		c.log.Debug("reply for no pending request", "xid", rep.Xid)
		return
	}
	ch <- rep
}

// do sends req and waits for its reply, retrying refusals with
// ConnectionLoss. A reply with an error code is returned with a
// *znode.Error for req's path.
func (c *Conn) do(ctx context.Context, req msg.Request, setup bool) (*msg.Reply, error) {
	if !setup && c.closed.Load() {
		return nil, ErrClosed
	}
	if _, ok := ctx.Deadline(); !ok && c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	backoff := c.retry.base
	for attempt := 0; ; attempt++ {
		rep, err := c.roundTrip(ctx, req, setup)
		if err != nil {
			return nil, err
		}
		code := znode.Code(rep.Err)
		if code == znode.ConnectionLoss && attempt < c.retry.attempts {
			dl, ok := ctx.Deadline()
			if !ok || time.Until(dl) > backoff {
				c.log.Debug("node not serving; retrying", "op", znode.OpCode(req.Op.Op), "path", req.Path, "backoff", backoff)
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
		if code != znode.Ok {
			return rep, &znode.Error{Code: code, Path: req.Path}
		}
		return rep, nil
	}
}

// roundTrip publishes one request under a fresh xid and waits for the reply.
func (c *Conn) roundTrip(ctx context.Context, req msg.Request, setup bool) (*msg.Reply, error) {
	ch := make(chan *msg.Reply, 1)
	c.sendMu.Lock()
	if op := znode.OpCode(req.Op.Op); op != znode.OpCreateSession {
		c.xid++
		req.Xid = c.xid
		req.Session = c.session
	}
	c.pendMu.Lock()
	c.pending[req.Xid] = ch
	c.pendMu.Unlock()
	data, err := natsbus.Encode(msg.New(msg.Addr{}, msg.Addr{Node: c.node, Role: msg.RoleReplica}, &req))
	if err == nil {
		err = c.nc.PublishRequest(c.subject, c.inbox, data)
	}
	c.lastSend.Store(time.Now().UnixNano())
	c.sendMu.Unlock()
	forget := func() {
		c.pendMu.Lock()
		delete(c.pending, req.Xid)
		c.pendMu.Unlock()
	}
	if err != nil {
		forget()
		return nil, fmt.Errorf("client: send %s: %w: %w", znode.OpCode(req.Op.Op), &znode.Error{Code: znode.ConnectionLoss, Path: req.Path}, err)
	}
	done := c.done
	if setup {
		done = nil
	}
	select {
	case rep := <-ch:
		return rep, nil
	case <-ctx.Done():
		forget()
		return nil, fmt.Errorf("client: no reply to %s: %w: %w", znode.OpCode(req.Op.Op), &znode.Error{Code: znode.ConnectionLoss, Path: req.Path}, ctx.Err())
	case <-done:
		forget()
		return nil, ErrClosed
	}
}

// pinger keeps an idle session alive: a ping when nothing was sent for a
// third of the session timeout.
func (c *Conn) pinger() {
	defer c.wg.Done()
	every := c.timeout / 3
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every / 2)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		if time.Since(time.Unix(0, c.lastSend.Load())) < every {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), every)
		_, err := c.roundTrip(ctx, msg.Request{Op: msg.Op{Op: int32(znode.OpPing)}}, false)
		cancel()
		if err != nil && !errors.Is(err, ErrClosed) {
			c.log.Debug("ping failed", "err", err)
		}
	}
}
