package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/paddock-zk/paddock/actors"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/actors/natsbus"
	"github.com/paddock-zk/paddock/admin"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/logging"
	"github.com/paddock-zk/paddock/internal/pemtls"
	"github.com/paddock-zk/paddock/metrics"
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/replica/wal"
	"github.com/paddock-zk/paddock/sessions"
	"github.com/paddock-zk/paddock/store"
	"github.com/paddock-zk/paddock/voter"
	"github.com/paddock-zk/paddock/zkwire"
)

// Version is reported by the four-letter words.
const Version = "3.8.4-paddock-0.1 (Paddock, ZooKeeper-compatible)"

// TickUnit is how often the actors' pure cores are ticked. ZooKeeper's
// settings (tickTime, initLimit, syncLimit) are converted into these ticks;
// a unit much finer than tickTime lets the 200 ms finalize wait and fast
// failure detection work without waiting for a whole tickTime.
const TickUnit = 50 * time.Millisecond

// ErrLocked means another process holds the data directory.
var ErrLocked = errors.New("server: data directory is in use by another node")

// Node is one running Paddock node.
type Node struct {
	cfg  *config.Config
	log  *slog.Logger
	id   msg.NodeID
	lock *os.File
	wal  *wal.Store
	bus  *natsbus.Node
	vote *voter.Actor
	// store runs the node's database and request path; storeRn is asked
	// for its dumps.
	store   *store.Actor
	storeRn *actors.Runner
	// sessRn runs the sessions actor, asked for the leader's expiry queue.
	sessRn *actors.Runner
	sess   *sessions.Actor
	zk     *zkwire.Server
	// admin is the AdminServer, nil when off or not bound.
	admin *admin.Server

	// metrics are the node's; metricsSrv serves them (nil: not served).
	metrics    *metrics.Metrics
	metricsSrv *metrics.Server

	// clock is every actor's time: the system clock, or a skewed one a
	// test asked for (WithClock).
	clock actors.Clock

	unserve func()
	unsnap  func() // stops answering node snapshot save
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	errc    chan error
	once    sync.Once
	failed  sync.Once
	// started is closed when Start returns; startOK says whether it
	// succeeded (then the node is the caller's to Close).
	started chan struct{}
	startOK bool
}

// Option tunes Start.
type Option func(*options)

type options struct {
	fs    wal.FS
	crash func(point string)
	clock actors.Clock
}

// WithFS makes the node's storage go through fsys (nil: the host's file
// system), e.g. a faultfs.FS (internal/faultfs) that a crash test cuts
// back to what was fsynced.
func WithFS(fsys wal.FS) Option { return func(o *options) { o.fs = fsys } }

// WithCrashHook makes the node call fn at each crash point, with its name
// (the store's and the storage's Crash* constants), on the goroutine
// that reaches it. A crash test kills the process there; otherwise fn must
// return at once: it runs on the write path.
func WithCrashHook(fn func(point string)) Option { return func(o *options) { o.crash = fn } }

// WithClock makes clock every actor's time (nil: the system clock). Tests
// pass an actors.SkewedClock to run a node fast, slow or off (the
// gauntlet's clock-skew fault, through cmd/node's environment).
func WithClock(clock actors.Clock) Option { return func(o *options) { o.clock = clock } }

// Start brings a node up. It returns once every listener is bound and every
// actor runs; election goes on in the background.
func Start(cfg *config.Config, log *slog.Logger, opts ...Option) (n *Node, err error) {
	if log == nil {
		log = slog.Default()
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	id := cfg.MyID
	if id == 0 {
		id = 1 // standalone without a server line
	}
	if err := cfg.CheckBus(); err != nil {
		return nil, fmt.Errorf("server: refusing to start: %w", err)
	}
	clock := o.clock
	if clock == nil {
		clock = actors.SystemClock{}
	}
	n = &Node{cfg: cfg, id: id, log: log.With("node", uint64(id)), errc: make(chan error, 8), started: make(chan struct{}), clock: clock}
	if sk, ok := clock.(*actors.SkewedClock); ok {
		n.log.Warn("running on a skewed clock (test only)", "rate", sk.Rate(), "now", sk.Now().Format(time.RFC3339Nano))
	}
	// Every failure below returns nil for n, so undo through a copy.
	partial := n
	defer func() {
		if err != nil {
			partial.closeParts()
		}
		partial.startOK = err == nil
		close(partial.started)
	}()

	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("server: data dir: %w", err)
	}
	if n.lock, err = lockDir(cfg.DataDir); err != nil {
		return nil, err
	}
	n.metrics = n.newMetrics()
	if n.wal, err = wal.OpenStore(cfg.DataDir, cfg.DataLogDir, wal.Options{Logger: n.actorLog("wal"), FS: o.fs, CrashHook: o.crash,
		OnFsync: n.metrics.Fsync}); err != nil {
		return nil, fmt.Errorf("server: open storage: %w", err)
	}

	peers := make([]natsbus.Peer, 0, len(cfg.Servers))
	for _, s := range cfg.Peers() {
		peers = append(peers, natsbus.Peer{ID: s.ID, Host: s.Host, ClusterPort: s.ClusterPort})
	}
	clients := make([]natsbus.Credentials, 0, len(cfg.ClientUsers))
	for _, u := range cfg.ClientUsers {
		clients = append(clients, natsbus.Credentials{User: u.User, Password: u.Password})
	}
	if w := cfg.BusWarning(); w != "" {
		n.log.Warn(w, "bus", net.JoinHostPort(cfg.BusHost, strconv.Itoa(cfg.BusPort)))
	}
	clientTLS, routeTLS, err := tlsConfigs(cfg)
	if err != nil {
		return nil, err
	}
	var busTLS *tls.Config
	if cfg.SSLBus {
		busTLS = clientTLS
	}
	n.bus, err = natsbus.Start(natsbus.Config{
		Ensemble:    cfg.Ensemble,
		ID:          id,
		Host:        cfg.BusHost,
		BusPort:     cfg.BusPort,
		ClusterPort: cfg.ClusterPort,
		Peers:       peers,
		Logger:      n.actorLog("bus"),

		ClusterAdvertise: cfg.ClusterAdvertise,
		Peer:             natsbus.Credentials{User: cfg.PeerUser, Password: cfg.PeerPassword},
		Clients:          clients,
		AllowAnonymous:   cfg.AllowAnonymousClients,
		Closed:           cfg.ClosedBus(),
		RouteTLS:         routeTLS,
		BusTLS:           busTLS,
	})
	if err != nil {
		return nil, fmt.Errorf("server: start bus: %w", err)
	}
	if err := writeBusCredential(cfg, n.bus.OwnCredentials()); err != nil {
		return nil, err
	}

	voters := cfg.Voters()
	if len(voters) == 0 {
		voters = []msg.NodeID{id}
	}
	vcfg := voter.ConfigFor(id, voters, cfg.TickTime, cfg.InitLimit, cfg.SyncLimit, TickUnit)
	vcfg.Observers = cfg.Observers()
	vcfg.AwaitHistory = true // vote with the replica's history, never a stale one
	n.vote = voter.NewActor(vcfg, n.wal)
	n.vote.SetStorageFaults(voter.StorageFaults{Transient: diskFull, Fatal: n.fail})
	n.vote.SetObserver(voter.Observer{Looking: n.metrics.Looking, Elected: n.metrics.Elected})

	secret, err := sessionSecret(cfg)
	if err != nil {
		return nil, err
	}
	ticks := func(limit int) int { return max(1, int(time.Duration(limit)*cfg.TickTime/TickUnit)) }
	sopts := store.ActorOptions{
		Faults:    store.StorageFaults{Transient: diskFull, Fatal: n.fail},
		CrashHook: o.crash,
		Observer:  n.storeObserver(),
	}
	if cfg.PurgeInterval > 0 {
		sopts.Retain = cfg.SnapRetainCount
	}
	n.store = store.NewActor(store.Config{
		Replica: replica.Config{
			ID: id, Voters: voters, Observers: cfg.Observers(),
			InitTicks: ticks(cfg.InitLimit), SyncTicks: ticks(cfg.SyncLimit),
			ResendTicks: max(2, int(cfg.TickTime/TickUnit)),
			Logger:      n.actorLog("replica"),
		},
		SnapCount:               cfg.SnapCount,
		MinSessionTimeout:       int32(cfg.MinSessionTimeout.Milliseconds()),
		MaxSessionTimeout:       int32(cfg.MaxSessionTimeout.Milliseconds()),
		ContainerCheckTicks:     max(1, int(cfg.ContainerCheck/TickUnit)),
		ContainerMaxNeverUsedMs: cfg.ContainerMaxNeverUsed.Milliseconds(),
		SessionSecret:           secret,
		SuperDigest:             cfg.SuperDigest,
		EnforceQuota:            cfg.EnforceQuota,
		MaxBuffer:               cfg.JuteMaxBuffer,
		ZKConfig:                cfg.ZKConfig(),
		ResendTicks:             max(4, int(cfg.TickTime/TickUnit)*2),
		// A quarter tick covers a leader change with room to spare, and
		// keeps a client whose node cannot serve (cut off from the
		// quorum) from waiting long before it tries another.
		HoldTicks: max(1, int(cfg.TickTime/4/TickUnit)),
		Logger:    n.actorLog("store"),
	}, n.wal, sopts)

	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.storeRn = n.run(ctx, msg.Addr{Node: id, Role: msg.RoleStore}, n.store, 1<<16)
	n.run(ctx, msg.Addr{Node: id, Role: msg.RoleVoter}, n.vote, 0)
	n.sess = sessions.NewActor(sessions.Config{
		ID: id, TickMs: TickUnit.Milliseconds(),
		BucketTicks: max(1, int64(cfg.TickTime/TickUnit)),
		ResendTicks: max(4, int64(cfg.TickTime/TickUnit)*2),
	})
	n.sessRn = n.run(ctx, msg.Addr{Node: id, Role: msg.RoleSessions}, n.sess, 1<<14)
	if n.unserve, err = n.bus.Bus().ServeRequests(msg.Addr{Node: id, Role: msg.RoleStore}, n.storeRn.Deliver); err != nil {
		return nil, err
	}
	if n.unsnap, err = n.bus.Bus().ServeSnapshots(n.takeBackup); err != nil {
		return nil, err
	}

	zcfg := zkwire.Config{
		Addr:     cfg.ClientAddr(),
		Allowed:  zkwire.NewAllowed(cfg.FourLetterWords),
		Status:   n.zkStatus,
		Dump:     n.dumpSessions,
		Expiries: n.sessionExpiries,
		Watches:  n.dumpWatches,
		Conf:     n.conf,
		Log:      n.actorLog("zkwire"),

		Bus:            zkBus{n.bus.Bus()},
		MaxBuffer:      cfg.JuteMaxBuffer,
		MaxClientCnxns: cfg.MaxClientCnxns,
		Latency:        n.metrics.Request,
	}
	if cfg.SecureClientPort != 0 {
		zcfg.TLS, zcfg.SecureAddr = clientTLS, cfg.SecureClientAddr()
	}
	if n.zk, err = zkwire.Listen(zcfg); err != nil {
		return nil, err
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.zk.Serve(); err != nil {
			n.errc <- err
		}
	}()
	n.serveMetrics()
	n.startAdmin()
	n.log.Info("node started", "clientPort", n.zk.Addr().String(), "bus", n.bus.ClientURL(),
		"ensemble", cfg.Ensemble, "servers", len(cfg.Servers), "routeTLS", routeTLS != nil, "busTLS", busTLS != nil)
	return n, nil
}

// tlsConfigs loads the PEM stores: the ssl.* ones, which the secure
// client port and the bus port share (one reloader for both), and the
// routes' ssl.quorum.* ones. Either is nil when not configured.
func tlsConfigs(cfg *config.Config) (client, route *tls.Config, err error) {
	if cfg.SecureClientPort != 0 || cfg.SSLBus {
		auth := map[string]tls.ClientAuthType{"none": tls.NoClientCert, "want": tls.VerifyClientCertIfGiven,
			"need": tls.RequireAndVerifyClientCert}[cfg.SSLClientAuth]
		client, err = pemtls.ServerConfig(pemtls.Files{KeyStore: cfg.SSLKeyStore, TrustStore: cfg.SSLTrustStore}, auth)
		if err != nil {
			return nil, nil, fmt.Errorf("server: ssl.keyStore/ssl.trustStore: %w", err)
		}
	}
	if cfg.SSLQuorum && !cfg.Standalone() {
		var names []string
		if cfg.SSLQuorumHostnameVerification {
			for _, s := range cfg.Servers {
				names = append(names, s.Host)
			}
		}
		route, err = pemtls.MutualConfig(pemtls.Files{KeyStore: cfg.SSLQuorumKeyStore, TrustStore: cfg.SSLQuorumTrustStore}, names)
		if err != nil {
			return nil, nil, fmt.Errorf("server: sslQuorum: %w", err)
		}
	}
	return client, route, nil
}

// actorLog is the log of the node's part name (one of logging.Actors);
// the actors' own come from actors.NewRunner, which names them alike.
func (n *Node) actorLog(name string) *slog.Logger { return n.log.With(logging.ActorKey, name) }

func (n *Node) run(ctx context.Context, self msg.Addr, m actors.Machine, mailbox int) *actors.Runner {
	r := actors.NewRunner(self, n.bus.Bus(), n.clock, n.log, m, actors.Options{Tick: TickUnit, Mailbox: mailbox})
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := r.Run(ctx); err != nil {
			n.errc <- fmt.Errorf("server: actor %s stopped: %w", self, err)
		}
	}()
	return r
}

// ID is the node's myid.
func (n *Node) ID() msg.NodeID { return n.id }

// ClientAddr is the bound client port address.
func (n *Node) ClientAddr() string { return n.zk.Addr().String() }

// BusURL is the node's NATS URL.
func (n *Node) BusURL() string { return n.bus.ClientURL() }

// Done delivers the first fatal error of a running node.
func (n *Node) Done() <-chan error { return n.errc }

// fail stops the node after a storage failure that cannot be retried (a
// failed fsync: the kernel may have dropped the data, and only a restart,
// which recovers from what is on disk, knows what is durable). The caller
// has acked nothing of the failed write and does no more work; fail logs
// it, reports it on Done and shuts the node down, so its peers see it
// gone and go on without it.
func (n *Node) fail(err error) {
	n.failed.Do(func() {
		n.log.Error("storage failed; stopping the node (restart it to recover from its disk)", "err", err)
		select {
		case n.errc <- err:
		default:
		}
		// Not on the caller's goroutine: Close waits for every actor,
		// the caller's included. A Start that fails closes the parts
		// itself.
		go func() {
			if <-n.started; n.startOK {
				n.Close()
			}
		}()
	})
}

// diskFull reports a storage failure that damaged nothing and may be
// retried once space returns; the voter and the store hold their work
// meanwhile.
func diskFull(err error) bool { return errors.Is(err, wal.ErrNoSpace) }

// Mode is the node's role as `srvr` reports it.
func (n *Node) Mode() zkwire.Mode {
	st := n.vote.Status()
	switch {
	case !st.Established || !n.StoreStatus().Serving:
		// ZooKeeper reports a role only once the node is synced and serves.
		return zkwire.ModeLooking
	case st.State == msg.StateLeading && n.cfg.Standalone():
		return zkwire.ModeStandalone
	case st.State == msg.StateLeading:
		return zkwire.ModeLeader
	case st.State == msg.StateFollowing && n.cfg.IsObserver():
		return zkwire.ModeObserver
	case st.State == msg.StateFollowing:
		return zkwire.ModeFollower
	}
	return zkwire.ModeLooking
}

// StoreStatus is the store's last published status (zero before start).
func (n *Node) StoreStatus() store.Status { return n.store.Status() }

// SessionsStatus is the session tracker's view (a table only on the leader).
func (n *Node) SessionsStatus() sessions.Status { return n.sess.Status() }

// VoterStatus is the election core's view.
func (n *Node) VoterStatus() voter.Status { return n.vote.Status() }

func (n *Node) zkStatus() zkwire.Status {
	st := n.vote.Status()
	ss := n.StoreStatus()
	bus := n.bus.Bus().Stats()
	conns := 0
	if n.zk != nil {
		conns = n.zk.Connections()
	}
	// A leader's learners: connected, and synced and serving, the
	// followers and the observers apart as ZooKeeper counts them.
	learners, synced, syncedObs := len(ss.Peers), 0, 0
	var obsIDs []uint64
	for _, p := range ss.Peers {
		switch {
		case !p.UpToDate:
		case slices.Contains(n.cfg.Observers(), p.ID):
			syncedObs++
			obsIDs = append(obsIDs, uint64(p.ID))
		default:
			synced++
		}
	}
	zst := zkwire.Status{
		Connections: conns,
		Version:     Version,
		Mode:        n.Mode(),
		Zxid:        ss.AppliedZxid,
		NodeCount:   ss.Nodes,
		Digest:      ss.Digest,
		Epoch:       st.Epoch,
		Leader:      uint64(st.Leader),
		MyID:        uint64(n.id),
		BusSent:     bus.Sent,
		BusReceived: bus.Received,
		DiskFull:    ss.DiskFull,

		Learners:        learners,
		SyncedFollowers: synced,
		SyncedObservers: syncedObs,
		ObserverIDs:     obsIDs,
		PendingSyncs:    learners - synced,
		ProposalSizes:   ss.ProposalSizes,

		Watches: ss.Watches.Watches,
	}
	n.fillMetrics(&zst, ss)
	return zst
}

// dumpSessions is the dump word's session list, read on the store
// actor's goroutine; nil if the actor does not answer within a second.
func (n *Node) dumpSessions() []zkwire.SessionDump {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var ss []store.SessionDump
	if err := n.storeRn.Do(ctx, func() { ss = n.store.DumpSessions() }); err != nil {
		return nil
	}
	out := make([]zkwire.SessionDump, len(ss))
	for i, s := range ss {
		out[i] = zkwire.SessionDump(s)
	}
	return out
}

// sessionExpiries is the leader's expiry queue for the dump word, read
// on the sessions actor's goroutine; nil if it does not answer within a
// second.
func (n *Node) sessionExpiries() []zkwire.SessionExpiry {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var es []sessions.Expiry
	if err := n.sessRn.Do(ctx, func() { es = n.sess.Expiries() }); err != nil {
		return nil
	}
	now := time.Now()
	out := make([]zkwire.SessionExpiry, len(es))
	for i, e := range es {
		out[i] = zkwire.SessionExpiry{ID: e.Session, At: now.Add(time.Duration(e.In) * TickUnit)}
	}
	return out
}

// dumpWatches is the watches of the sessions served here for wchs, wchc
// and wchp, read on the store actor's goroutine; nil if the actor does
// not answer within a second.
func (n *Node) dumpWatches() []zkwire.WatchDump {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var ws []store.WatchDump
	if err := n.storeRn.Do(ctx, func() { ws = n.store.DumpWatches() }); err != nil {
		return nil
	}
	out := make([]zkwire.WatchDump, len(ws))
	for i, w := range ws {
		out[i] = zkwire.WatchDump(w)
	}
	return out
}

// conf is the conf word's configuration. Ports and ids map onto
// ZooKeeper's: a server's cluster (route) port is its quorum port, its bus
// port its election port; the election is FastLeaderElection (3); the
// membership is the static server list (version 0).
func (n *Node) conf() zkwire.Conf {
	c := n.cfg
	abs := func(d string) string {
		if a, err := filepath.Abs(d); err == nil {
			return a
		}
		return d
	}
	conf := zkwire.Conf{
		ClientPort: c.ClientPort, SecureClientPort: secureClientPort(c),
		DataDir: abs(c.DataDir), DataDirSize: dirSize(c.DataDir),
		DataLogDir: abs(c.DataLogDir), DataLogSize: dirSize(c.DataLogDir),
		TickTime:          int(c.TickTime.Milliseconds()),
		MaxClientCnxns:    c.MaxClientCnxns,
		MinSessionTimeout: int(c.MinSessionTimeout.Milliseconds()),
		MaxSessionTimeout: int(c.MaxSessionTimeout.Milliseconds()),
		// Paddock listens with the system's backlog, which -1 means.
		ClientPortListenBacklog: -1,
		ServerID:                uint64(n.id),
	}
	if c.Standalone() {
		return conf
	}
	q := &zkwire.QuorumConf{InitLimit: c.InitLimit, SyncLimit: c.SyncLimit, ElectionAlg: 3}
	for _, s := range c.Servers {
		if s.ID == n.id {
			q.ElectionPort, q.QuorumPort = s.BusPort, s.ClusterPort
			if s.Observer {
				q.PeerType = 1
			}
		}
		cs := zkwire.ConfServer{ID: uint64(s.ID), Host: s.Host, QuorumPort: s.ClusterPort, ElectionPort: s.BusPort, Role: s.Role()}
		if s.ClientPort != 0 {
			cs.ClientAddr = net.JoinHostPort(cmp.Or(s.ClientHost, "0.0.0.0"), strconv.Itoa(s.ClientPort))
		}
		q.Servers = append(q.Servers, cs)
	}
	conf.Quorum = q
	return conf
}

// dirSize is the bytes of the regular files under dir, as conf's
// dataDirSize (0 if it cannot be read).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// Close shuts the node down gracefully: listeners first, then actors, then
// the bus, then storage. It is safe to call more than once.
func (n *Node) Close() {
	n.once.Do(func() {
		n.log.Info("node stopping")
		n.closeParts()
		n.log.Info("node stopped")
	})
}

func (n *Node) closeParts() {
	if n.admin != nil {
		if err := n.admin.Close(); err != nil {
			n.log.Warn("closing the AdminServer", "err", err)
		}
	}
	if n.metricsSrv != nil {
		if err := n.metricsSrv.Close(); err != nil {
			n.log.Warn("closing metrics endpoint", "err", err)
		}
	}
	if n.zk != nil {
		if err := n.zk.Close(); err != nil {
			n.log.Warn("closing client port", "err", err)
		}
	}
	if n.unserve != nil {
		n.unserve()
	}
	if n.unsnap != nil {
		n.unsnap()
	}
	if n.cancel != nil {
		n.cancel()
	}
	n.wg.Wait()
	if n.store != nil {
		n.store.Wait()
	}
	if n.bus != nil {
		n.bus.Close()
	}
	if n.wal != nil {
		if err := n.wal.Close(); err != nil {
			n.log.Error("closing storage", "err", err)
		}
	}
	if n.lock != nil {
		unlockDir(n.lock)
	}
}

// secureClientPort is what conf shows for it: -1 without one, as
// ZooKeeper prints.
func secureClientPort(c *config.Config) int {
	if c.SecureClientPort == 0 {
		return -1
	}
	return c.SecureClientPort
}

// SecureClientAddr is the bound secure client port address, "" without
// one.
func (n *Node) SecureClientAddr() string {
	if a := n.zk.SecureAddr(); a != nil {
		return a.String()
	}
	return ""
}

// writeBusCredential leaves a closed bus's own random credential in the
// data directory, readable by its owner only, for local operator tools
// (node trace); whoever can read the data directory owns the node anyway.
// With a peer credential in zoo.cfg there is nothing to leave, and a stale
// file from an earlier run is removed.
func writeBusCredential(cfg *config.Config, own natsbus.Credentials) error {
	path := cfg.BusCredentialFile()
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("server: remove stale bus credential: %w", err)
	}
	if cfg.PeerUser != "" || own.User == "" {
		return nil
	}
	if err := os.WriteFile(path, []byte(own.User+":"+own.Password+"\n"), 0o600); err != nil {
		return fmt.Errorf("server: write bus credential: %w", err)
	}
	return nil
}

// sessionSecret keys session passwords (store.SessionPasswd). It is the
// peer password where there is one: every node knows it and no client
// does, so a client that sees a session's id (every ephemeral's Stat shows
// it) cannot compute its password. A standalone node without one keeps a
// random secret of its own in dataDir/paddock.sessionkey, so its sessions
// keep their passwords across restarts. An ensemble without a peer
// password has no shared secret: its passwords follow from the session
// id, as ZooKeeper's do.
func sessionSecret(cfg *config.Config) ([]byte, error) {
	if cfg.PeerPassword != "" {
		return []byte(cfg.PeerPassword), nil
	}
	if !cfg.Standalone() {
		return nil, nil
	}
	path := filepath.Join(cfg.DataDir, "paddock.sessionkey")
	data, err := os.ReadFile(path)
	if err == nil {
		key, err := hex.DecodeString(strings.TrimSpace(string(data)))
		if err != nil || len(key) < 32 {
			return nil, fmt.Errorf("server: session key %s: want 64 hex digits; remove the file to make a new one (every session then expires)", path)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("server: session key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("server: session key: %w", err)
	}
	if err := writeFileSynced(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("server: session key: %w", err)
	}
	return key, nil
}

// writeFileSynced writes path whole or not at all: a temporary file,
// fsynced, renamed over it, and the directory fsynced.
func writeFileSynced(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// lockDir takes an exclusive flock on dataDir/paddock.lock so two processes
// never share a data directory.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "paddock.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("server: lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s (%v)", ErrLocked, dir, err)
	}
	return f, nil
}

// DataDirInUse reports whether a running node holds dir's lock. The lock
// is the flock, which the kernel drops with its holder's last descriptor:
// a pid file left by a kill -9, a zombie not yet reaped, a reused pid or
// a node that ran as PID 1 in a container never makes a dead node look
// alive.
func DataDirInUse(dir string) (bool, error) {
	f, err := os.Open(filepath.Join(dir, "paddock.lock"))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("server: lock file: %w", err)
	}
	defer f.Close()
	switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); {
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("server: lock file: %w", err)
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false, nil
}

func unlockDir(f *os.File) {
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	f.Close()
}

// DialAddr turns a listen address into one a local client can dial
// (0.0.0.0 and :: become loopback).
func DialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// AskMode asks the node at addr for its mode with `srvr`. running is false
// when nothing answered; ok is false when the node answered but does not
// serve (no quorum).
func AskMode(ctx context.Context, addr string) (mode zkwire.Mode, running, ok bool, err error) {
	reply, err := zkwire.Ask(ctx, DialAddr(addr), "srvr")
	if err != nil {
		return "", false, false, err
	}
	if strings.Contains(reply, "not in the whitelist") {
		return "", true, false, fmt.Errorf("server: srvr is not in 4lw.commands.whitelist on %s", addr)
	}
	m, ok := zkwire.ParseMode(reply)
	return m, true, ok, nil
}
