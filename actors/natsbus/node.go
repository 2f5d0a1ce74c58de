package natsbus

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/paddock-zk/paddock/actors"
	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
)

// Peer is another node's route endpoint.
type Peer struct {
	ID          msg.NodeID
	Host        string
	ClusterPort int
}

// Config describes one node's bus.
type Config struct {
	Ensemble    string
	ID          msg.NodeID
	Host        string
	BusPort     int // 0 or -1: a random port
	ClusterPort int // 0 or -1 with peers: a random port
	Peers       []Peer
	// ClusterAdvertise, when set, is the host:port other servers are told
	// to use for routes they learn by gossip. nats-server cannot disable
	// route gossip, so partition tests point it at a dead address to keep
	// every route on its configured (proxied) path.
	ClusterAdvertise string
	// Peer is the peer credential: the node's in-process connection uses
	// it, and so do routes (both ways). Empty: see Auth in the package doc.
	Peer Credentials
	// Clients are the client credentials, fenced to the request subjects
	// and their own reply prefix.
	Clients []Credentials
	// AllowAnonymous lets connections without credentials in, with the
	// rights of a client whose replies come on _INBOX.>.
	AllowAnonymous bool
	// Closed admits no connection to the bus port but the node's own
	// (and what knows its OwnCredentials), whatever Peer says of the
	// routes: with an empty Peer they are unauthenticated, as ZooKeeper's
	// quorum ports are by default. Clients and AllowAnonymous must be
	// unset.
	Closed bool
	// RouteTLS, when set, secures every route, accepted and dialed, with
	// this one config: it must present the node's certificate and verify
	// the peer's on both sides (internal/pemtls's MutualConfig). The peer
	// credential still travels in the route's CONNECT, now inside TLS.
	RouteTLS *tls.Config
	// BusTLS, when set, makes TLS mandatory on the bus port. The node's
	// own in-process connection is not TLS: nats-server exempts it.
	BusTLS *tls.Config
	// TLSTimeout bounds a TLS handshake on either port (default
	// DefaultTLSTimeout).
	TLSTimeout time.Duration
	Logger     *slog.Logger
}

// DefaultTLSTimeout is longer than nats-server's 2 s: a route whose
// handshake times out on a loaded machine waits a reconnect interval
// before it tries again.
const DefaultTLSTimeout = 5 * time.Second

// Credentials are a NATS user name and password.
type Credentials struct{ User, Password string }

// LivenessPoll is how often the routes are checked for lost peers.
const LivenessPoll = 50 * time.Millisecond

// Node is a running embedded NATS server with the bus over it.
type Node struct {
	cfg  Config
	srv  *server.Server
	nc   *nats.Conn
	bus  *Bus
	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
	// peers is what the liveness poller last saw: the nodes with a route.
	peers atomic.Pointer[[]msg.NodeID]
	own   Credentials
}

// OwnCredentials are the node's own connection's credentials (empty on an
// open bus): the peer credential, or on a closed bus without one a random
// secret of this process, which a local operator tool (node trace) can be
// given to attach.
func (n *Node) OwnCredentials() Credentials { return n.own }

// Peers returns the nodes this node had a route to at the liveness
// poller's last look (PeerUp/PeerDown report its changes).
func (n *Node) Peers() []msg.NodeID {
	if p := n.peers.Load(); p != nil {
		return slices.Clone(*p)
	}
	return nil
}

// Start runs the embedded server and connects the bus to it in-process.
func Start(cfg Config) (*Node, error) {
	// NATS's own chatter is silenced unless the caller asked for logs.
	serverLog := cfg.Logger
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	port := cfg.BusPort
	if port == 0 {
		port = -1
	}
	opts := &server.Options{
		ServerName: buswire.ServerName(cfg.Ensemble, cfg.ID),
		Host:       cfg.Host,
		Port:       port,
		NoSigs:     true,
		NoLog:      true,
		MaxPayload: 8 << 20,
	}
	peer, route, err := authorize(opts, cfg)
	if err != nil {
		return nil, err
	}
	tlsTimeout := cfg.TLSTimeout
	if tlsTimeout <= 0 {
		tlsTimeout = DefaultTLSTimeout
	}
	if cfg.BusTLS != nil {
		opts.TLSConfig, opts.TLSTimeout = cfg.BusTLS, tlsTimeout.Seconds()
	}
	if len(cfg.Peers) > 0 {
		cport := cfg.ClusterPort
		if cport == 0 {
			cport = -1
		}
		opts.Cluster = server.ClusterOpts{
			Name:           "pdk-" + cfg.Ensemble,
			Host:           cfg.Host,
			Port:           cport,
			NoAdvertise:    true,
			ConnectRetries: -1,
		}
		if cfg.ClusterAdvertise != "" {
			opts.Cluster.Advertise = cfg.ClusterAdvertise
		}
		if cfg.RouteTLS != nil {
			opts.Cluster.TLSConfig, opts.Cluster.TLSTimeout = cfg.RouteTLS, tlsTimeout.Seconds()
		}
		if route.User != "" {
			opts.Cluster.Username, opts.Cluster.Password = route.User, route.Password
		}
		for _, p := range cfg.Peers {
			u, err := url.Parse("nats-route://" + net.JoinHostPort(p.Host, strconv.Itoa(p.ClusterPort)))
			if err != nil {
				return nil, fmt.Errorf("natsbus: route to node %d: %w", p.ID, err)
			}
			if route.User != "" {
				u.User = url.UserPassword(route.User, route.Password)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsbus: configure server: %w", err)
	}
	if serverLog != nil {
		srv.SetLoggerV2(natsLogger{serverLog.With("component", "nats-server")}, true, false, false)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("natsbus: server for node %d did not start listening on %s:%d (port in use?)", cfg.ID, cfg.Host, cfg.BusPort)
	}
	copts := []nats.Option{nats.InProcessServer(srv), nats.Name(fmt.Sprintf("paddock-node-%d", cfg.ID)),
		nats.MaxReconnects(-1), nats.NoCallbacksAfterClientClose()}
	if peer.User != "" {
		copts = append(copts, nats.UserInfo(peer.User, peer.Password))
	}
	nc, err := nats.Connect("", copts...)
	if err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("natsbus: connect in-process: %w", err)
	}
	n := &Node{cfg: cfg, srv: srv, nc: nc, stop: make(chan struct{}), own: peer}
	n.bus = &Bus{ens: cfg.Ensemble, self: cfg.ID, nc: nc, log: cfg.Logger}
	if len(cfg.Peers) > 0 {
		n.wg.Add(1)
		go n.watchRoutes()
	}
	return n, nil
}

// Bus is the node's actors.Bus.
func (n *Node) Bus() *Bus { return n.bus }

// Server is the embedded server, for tests.
func (n *Node) Server() *server.Server { return n.srv }

// ClientURL is the nats:// URL of the bus listener.
func (n *Node) ClientURL() string { return n.srv.ClientURL() }

// Close drains the bus connection and shuts the server down.
func (n *Node) Close() {
	n.once.Do(func() {
		close(n.stop)
		n.wg.Wait()
		_ = n.nc.Drain()
		n.nc.Close()
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	})
}

// watchRoutes turns route changes into PeerDown/PeerUp for the voter.
func (n *Node) watchRoutes() {
	defer n.wg.Done()
	t := time.NewTicker(LivenessPoll)
	defer t.Stop()
	up := map[msg.NodeID]bool{}
	prefix := "pdk-" + n.cfg.Ensemble + "-"
	self := msg.Addr{Node: n.cfg.ID, Role: msg.RoleNone}
	voter := msg.Addr{Node: n.cfg.ID, Role: msg.RoleVoter}
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
		rz, err := n.srv.Routez(&server.RoutezOptions{})
		if err != nil {
			continue
		}
		now := map[msg.NodeID]bool{}
		for _, r := range rz.Routes {
			id, err := strconv.ParseUint(strings.TrimPrefix(r.RemoteName, prefix), 10, 64)
			if err == nil && strings.HasPrefix(r.RemoteName, prefix) {
				now[msg.NodeID(id)] = true
			}
		}
		for id := range up {
			if !now[id] {
				n.cfg.Logger.Info("route to peer lost", "peer", uint64(id))
				_ = n.bus.Send(msg.New(self, voter, &msg.PeerDown{Node: id}))
			}
		}
		for id := range now {
			if !up[id] {
				n.cfg.Logger.Debug("route to peer up", "peer", uint64(id))
				_ = n.bus.Send(msg.New(self, voter, &msg.PeerUp{Node: id}))
			}
		}
		up = now
		ids := slices.Sorted(maps.Keys(now))
		n.peers.Store(&ids)
	}
}

// Stats counts the bus's traffic.
type Stats struct{ Sent, Received, DecodeErrors uint64 }

// Bus is an actors.Bus over NATS.
type Bus struct {
	ens                      string
	self                     msg.NodeID
	nc                       *nats.Conn
	log                      *slog.Logger
	sent, recv, decodeErrors atomic.Uint64
	// traffic is indexed by msg.Kind, a byte: counting is two atomic
	// adds, with no lookup or allocation.
	traffic [256]kindTraffic
}

// kindTraffic counts one message kind's messages and encoded bytes.
type kindTraffic struct {
	sentMsgs, sentBytes, recvMsgs, recvBytes atomic.Uint64
}

func (b *Bus) countSent(k msg.Kind, n int) {
	t := &b.traffic[k]
	t.sentMsgs.Add(1)
	t.sentBytes.Add(uint64(n))
}

func (b *Bus) countReceived(k msg.Kind, n int) {
	t := &b.traffic[k]
	t.recvMsgs.Add(1)
	t.recvBytes.Add(uint64(n))
}

// KindTraffic is the traffic of one message kind through this node's
// bus: messages and their encoded bytes (without NATS's framing), sent
// and received. Actor-to-actor messages within the node count both ways.
type KindTraffic struct {
	Kind                            msg.Kind
	SentMessages, SentBytes         uint64
	ReceivedMessages, ReceivedBytes uint64
}

// Traffic returns the traffic of every kind seen so far, by kind.
func (b *Bus) Traffic() []KindTraffic {
	var out []KindTraffic
	for k := range b.traffic {
		t := &b.traffic[k]
		kt := KindTraffic{Kind: msg.Kind(k), SentMessages: t.sentMsgs.Load(), SentBytes: t.sentBytes.Load(),
			ReceivedMessages: t.recvMsgs.Load(), ReceivedBytes: t.recvBytes.Load()}
		if kt.SentMessages != 0 || kt.ReceivedMessages != 0 {
			out = append(out, kt)
		}
	}
	return out
}

var _ actors.Bus = (*Bus)(nil)

// Send publishes env on its destination's subject.
func (b *Bus) Send(env msg.Envelope) error {
	data, err := buswire.Encode(env)
	if err != nil {
		return err
	}
	if err := b.nc.Publish(buswire.Subject(b.ens, env.To), data); err != nil {
		return fmt.Errorf("natsbus: publish %s: %w", env.Kind, err)
	}
	b.sent.Add(1)
	b.countSent(env.Kind, len(data))
	return nil
}

// Subscribe delivers envelopes for addr and broadcasts to addr.Role from
// other nodes.
func (b *Bus) Subscribe(addr msg.Addr, deliver func(msg.Envelope)) (func(), error) {
	handler := func(broadcast bool) nats.MsgHandler {
		return func(m *nats.Msg) {
			env, err := buswire.Decode(m.Data)
			if err != nil {
				b.decodeErrors.Add(1)
				b.log.Debug("undecodable bus message dropped", "subject", m.Subject, "err", err)
				return
			}
			if broadcast && env.From.Node == b.self {
				return
			}
			b.recv.Add(1)
			b.countReceived(env.Kind, len(m.Data))
			deliver(env)
		}
	}
	direct, err := b.nc.Subscribe(buswire.Subject(b.ens, addr), handler(false))
	if err != nil {
		return nil, fmt.Errorf("natsbus: subscribe %s: %w", addr, err)
	}
	bcast, err := b.nc.Subscribe(buswire.Subject(b.ens, msg.Addr{Role: addr.Role}), handler(true))
	if err != nil {
		direct.Unsubscribe()
		return nil, fmt.Errorf("natsbus: subscribe broadcast %s: %w", addr.Role, err)
	}
	for _, s := range []*nats.Subscription{direct, bcast} {
		_ = s.SetPendingLimits(1<<20, 256<<20)
	}
	return func() { direct.Unsubscribe(); bcast.Unsubscribe() }, nil
}

// ServeRequests delivers the client requests published to this node as
// envelopes to the local `to` actor, with ReplyTo set: for a client
// connection's requests (RequestSubject) its Inbox, named by the token
// the subject ends in (or the NATS reply subject if that lies under the
// Inbox), so no client can have a node publish anywhere else; for the node's own front end's (WireSubject) the NATS reply
// subject. Anything that is not a Request is counted as a decode error
// and dropped.
func (b *Bus) ServeRequests(to msg.Addr, deliver func(msg.Envelope)) (func(), error) {
	handler := func(wire bool) nats.MsgHandler {
		return func(m *nats.Msg) {
			env, err := buswire.Decode(m.Data)
			req, ok := env.Body.(*msg.Request)
			replyTo := m.Reply
			if !wire {
				replyTo = ""
				if tok := buswire.TokenOf(m.Subject); buswire.ValidConnToken(tok) {
					replyTo = buswire.Inbox(tok)
					if strings.HasPrefix(m.Reply, replyTo+".") {
						// A subject in the connection's own inbox (NATS's
						// request-reply with ClientOptions) is its own
						// business.
						replyTo = m.Reply
					}
				}
			}
			if err != nil || !ok || replyTo == "" {
				b.decodeErrors.Add(1)
				b.log.Debug("bad client request dropped", "subject", m.Subject, "kind", env.Kind, "err", err)
				return
			}
			req.ReplyTo = replyTo
			if !wire {
				// Only the node's own front end knows a client's
				// address; a native client must not claim one.
				req.ClientAddr = ""
			}
			b.recv.Add(1)
			b.countReceived(msg.KindRequest, len(m.Data))
			deliver(msg.Envelope{From: msg.Addr{}, To: to, Kind: msg.KindRequest, Body: req})
		}
	}
	sub, err := b.nc.Subscribe(buswire.NodeRequestSubjects(b.ens, b.self), handler(false))
	if err != nil {
		return nil, fmt.Errorf("natsbus: subscribe requests: %w", err)
	}
	_ = sub.SetPendingLimits(1<<20, 256<<20)
	wire, err := b.nc.Subscribe(buswire.WireSubject(b.ens, b.self), handler(true))
	if err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("natsbus: subscribe front-end requests: %w", err)
	}
	_ = wire.SetPendingLimits(1<<20, 256<<20)
	// The subscriptions reach the server asynchronously; wait until it has
	// them, so a client that connects once the node is up finds someone to
	// answer (else "no responders").
	if err := b.nc.FlushTimeout(5 * time.Second); err != nil {
		_ = sub.Unsubscribe()
		_ = wire.Unsubscribe()
		return nil, fmt.Errorf("natsbus: register request subscriptions: %w", err)
	}
	return func() { _ = sub.Unsubscribe(); _ = wire.Unsubscribe() }, nil
}

// ToClient publishes a reply or a watch event from the actor at from to
// a client's reply subject: the ReplyTo that ServeRequests gave its
// request.
func (b *Bus) ToClient(from msg.Addr, replyTo string, body msg.Body) error {
	data, err := buswire.Encode(msg.New(from, msg.Addr{}, body))
	if err != nil {
		return err
	}
	b.sent.Add(1)
	b.countSent(body.Kind(), len(data))
	if err := b.nc.Publish(replyTo, data); err != nil {
		return fmt.Errorf("natsbus: reply to %s: %w", replyTo, err)
	}
	return nil
}

// Stats returns the counters.
func (b *Bus) Stats() Stats {
	return Stats{Sent: b.sent.Load(), Received: b.recv.Load(), DecodeErrors: b.decodeErrors.Load()}
}

// Flush waits until the server has processed everything published so far.
func (b *Bus) Flush(ctx context.Context) error { return b.nc.FlushWithContext(ctx) }

// natsLogger routes the embedded server's log to slog at debug level: it
// is useful when diagnosing routes, noise otherwise. Its own level goes
// in natsLevel: a second "level" key would clash with the line's.
type natsLogger struct{ l *slog.Logger }

func (n natsLogger) Noticef(f string, v ...any) { n.l.Debug(fmt.Sprintf(f, v...)) }
func (n natsLogger) Warnf(f string, v ...any)   { n.l.Debug(fmt.Sprintf(f, v...), "natsLevel", "warn") }
func (n natsLogger) Fatalf(f string, v ...any)  { n.l.Error(fmt.Sprintf(f, v...)) }
func (n natsLogger) Errorf(f string, v ...any)  { n.l.Debug(fmt.Sprintf(f, v...), "natsLevel", "error") }
func (n natsLogger) Debugf(f string, v ...any)  { n.l.Debug(fmt.Sprintf(f, v...)) }
func (n natsLogger) Tracef(f string, v ...any)  { n.l.Debug(fmt.Sprintf(f, v...)) }
