package store

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/watcher"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// Config configures a Store.
type Config struct {
	// Replica configures the atomic broadcast core; its ID is this node.
	Replica replica.Config
	// SnapCount: a snapshot is due after about this many applied txns
	// (randomly between half and all of it, so replicas do not all
	// snapshot at once, as ZooKeeper does). Default 100,000.
	SnapCount int
	// Session timeout bounds in ms (ZooKeeper: 2 and 20 tickTimes).
	MinSessionTimeout, MaxSessionTimeout int32
	// ResendTicks: an unanswered forward is sent again after this many
	// ticks. Default 10.
	ResendTicks int
	// HoldTicks: a session handshake (createSession, new or re-attach)
	// that arrives while the node is not serving waits this many ticks
	// for it to serve again before it is refused; 0 refuses at once.
	HoldTicks int
	// ContainerCheckTicks: every so many ticks the leader deletes empty
	// containers and expired TTL nodes (ZooKeeper's ContainerManager); 0
	// never. ContainerMaxNeverUsedMs, if positive, also deletes containers
	// that never had a child for that long.
	ContainerCheckTicks     int
	ContainerMaxNeverUsedMs int64
	// SessionSecret keys session passwords (SessionPasswd); every node of
	// an ensemble must have the same. Nil: passwords follow from the id.
	SessionSecret []byte
	// SuperDigest is ZooKeeper's superDigest (user:base64(sha1)), or "".
	SuperDigest string
	// EnforceQuota refuses writes past a quota's hard limit
	// (zookeeper.enforceQuota).
	EnforceQuota bool
	// MaxBuffer is jute.maxbuffer: the most znode data one request may
	// carry, on any path (0: no bound).
	MaxBuffer int
	// ZKConfig is the data of /zookeeper/config (config.Config.ZKConfig),
	// from this node's own server lines; it stays out of the digest.
	ZKConfig []byte
	// Logger already names the node and the actor, and so may
	// Replica.Logger (the store's when nil): the store adds neither.
	Logger *slog.Logger
}

// Reply is an answer for a client's reply subject.
type Reply struct {
	To    string
	Reply *msg.Reply
	Event *msg.WatchEvent // instead of Reply: a watch notification
}

// Ready is the work the shell must carry out, then report with Advance:
// first the storage part of the embedded replica.Ready, in the order its
// doc gives (its Committed entries are already applied to the tree), then
// send Messages and Replies. When SnapshotDue, the shell should write a
// snapshot of Tree() as it is now.
type Ready struct {
	replica.Ready
	Replies     []Reply
	SnapshotDue bool
}

// Store is a node's database and request path. Not safe for concurrent use.
type Store struct {
	cfg  Config
	log  *slog.Logger
	id   msg.NodeID
	self msg.Addr
	r    *replica.Replica
	tree *znode.Tree

	now  int64 // ms, the shell's wall clock
	tick int64

	// What the node was doing when last observed, to notice changes.
	epoch   uint64
	role    replica.Role
	serving bool

	// Leader: Prep exists once the tree holds the whole initial history.
	prep     *znode.Prep
	prepWait bool // leading and serving, Prep not yet made
	prepFrom uint64
	held     []*msg.Forward
	seen     map[seenKey]*seenSession
	// owners: the node serving each session, as the leader knows it
	// (msg.Forward.Attach; else the first origin it takes a forward of the
	// session from in this term). Forwards from any other are refused
	// with SessionMoved (TestSessionMovedKeepsOrder).
	owners map[int64]msg.NodeID

	// Serving node: sessions connected here.
	sessions map[int64]*session
	// awaiting: sessions with a leader's answer (a refusal or a sync)
	// waiting for the tree to reach its zxid. They are flushed after
	// every apply, not only after their own session's txns, or such an
	// answer would wait until the session's next write
	// (TestRefusalAnsweredWhenOtherSessionsCatchUp).
	awaiting map[int64]struct{}
	// seqBase: every session's Forward.Seq starts here in each serving
	// period, so the first forward of a (session, origin) is seqBase+1.
	// It is the period's number from the leader (replica.Status.Period,
	// increasing through the leader's term) shifted past the counter, so
	// that a restarted origin's forwards (still in the same epoch) count
	// from above its previous incarnation's: the leader takes a "first"
	// forward that is above what it has seen as a new start, and still
	// ignores delayed duplicates from the old incarnation
	// (TestOriginRestartSameEpoch). It used to be the start time in ms,
	// which a restart with the clock set back turned into a base below
	// the old one: every forward looked like an old duplicate until the
	// next epoch (TestOriginRestartClockBehind).
	seqBase     uint64
	nextSession int64
	// handshakes held (Config.HoldTicks) in arrival order, with the tick
	// each came in; heldSince is that tick while one is taken up again.
	handshakes []heldHandshake
	heldSince  *int64

	watches *watcher.Registry // of the sessions served here (watches.go)

	// Session tracking (sessions.go).
	touched  map[int64]struct{}
	tracking bool
	sessUpd  *msg.SessionsUpdate

	msgs      []msg.Envelope
	replies   []Reply
	sinceSnap int
	snapAt    int
	snapDue   bool
	pending   *replica.Ready // handed out by Ready, not yet advanced
}

// session is a session served by this node: its requests in order.
type session struct {
	id      int64
	replyTo string // where the client gets replies, hence events
	auth    []zk.ACL
	queue   []*call
	fwdSeq  uint64 // last Forward.Seq assigned; starts at Store.seqBase
}

// call is one request of a session, answered when it reaches the head of
// the queue and is done.
type call struct {
	req       msg.Request
	replyTo   string
	reply     *msg.Reply // set when the answer is known
	forwarded bool
	sent      int64  // tick of the last forward
	seq       uint64 // its Forward.Seq
	answer    *msg.ForwardReply
	// revalidate: the store's own sync ahead of the first request of a
	// session this node does not know (see onRequest); never answered to
	// a client.
	revalidate bool
	attach     bool // the revalidation of a re-attach: msg.Forward.Attach
}

// revalidateXid is the xid of a revalidating sync: below every client xid
// and every special one ZooKeeper clients use.
const revalidateXid = -100

// seenSession is the leader's memory of one session's forwards from one
// origin, for taking them in order and recognising duplicates.
type seenSession struct {
	lastSeq uint64
	refused []refusal // recent answers, to answer a duplicate again
}

type seenKey struct {
	session int64
	origin  msg.NodeID
}

type refusal struct {
	seq uint64
	fr  *msg.ForwardReply
}

const keepRefused = 16

// seqCounterBits: the low bits of Forward.Seq count a session's forwards
// from one origin incarnation in one epoch; the high bits are seqBase.
const seqCounterBits = 20

// firstSeq reports whether seq is the first forward of a sequence.
func firstSeq(seq uint64) bool { return seq&(1<<seqCounterBits-1) == 1 }

// New builds a store over storage s whose snapshot tree has been restored
// by the shell, at wall time now (ms).
func New(cfg Config, s replica.Storage, tree *znode.Tree, now int64) *Store {
	if cfg.SnapCount <= 0 {
		cfg.SnapCount = 100_000
	}
	if cfg.ResendTicks <= 0 {
		cfg.ResendTicks = 10
	}
	if cfg.MinSessionTimeout <= 0 {
		cfg.MinSessionTimeout = 4000
	}
	if cfg.MaxSessionTimeout < cfg.MinSessionTimeout {
		cfg.MaxSessionTimeout = max(40000, cfg.MinSessionTimeout)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Replica.Logger == nil {
		cfg.Replica.Logger = cfg.Logger
	}
	configureTree(tree, cfg)
	id := cfg.Replica.ID
	st := &Store{
		cfg:      cfg,
		log:      cfg.Logger,
		id:       id,
		self:     msg.Addr{Node: id, Role: msg.RoleStore},
		r:        replica.New(cfg.Replica, s),
		tree:     tree,
		now:      now,
		seen:     map[seenKey]*seenSession{},
		owners:   map[int64]msg.NodeID{},
		sessions: map[int64]*session{},
		awaiting: map[int64]struct{}{},
		touched:  map[int64]struct{}{},
		watches:  watcher.New(),
		// ZooKeeper's SessionTrackerImpl.initializeNextSessionId: the
		// server id in the top byte, the start time below, so ids are
		// unique across the ensemble and across restarts.
		nextSession: int64(uint64(now<<24)>>8) | int64(id)<<56,
	}
	st.snapAt = st.snapThreshold()
	return st
}

// configureTree gives a loaded tree the node's local configuration, and
// /zookeeper/config its data, as ZooKeeper does on every database load.
func configureTree(t *znode.Tree, cfg Config) {
	t.SetSuperDigest(cfg.SuperDigest)
	t.SetQuotaEnforced(cfg.EnforceQuota)
	t.SetMaxBuffer(cfg.MaxBuffer)
	t.InitConfig(cfg.ZKConfig)
}

func (s *Store) snapThreshold() int {
	half := s.cfg.SnapCount / 2
	return half + s.cfg.Replica.Rand.Intn(s.cfg.SnapCount-half+1)
}

// SetNow sets the wall time (ms) the leader stamps into txns.
func (s *Store) SetNow(ms int64) { s.now = ms }

// Tree is the applied tree. The caller must not modify it, and may read
// it only between calls on the Store.
func (s *Store) Tree() *znode.Tree { return s.tree }

// Status is the replica's status.
func (s *Store) Status() replica.Status { return s.r.Status() }

// Role is the replica's role in the current epoch.
func (s *Store) Role() replica.Role { return s.r.Role() }

// Serving reports whether the replica serves clients.
func (s *Store) Serving() bool { return s.r.Serving() }

// WatchCounts are the watches of the sessions served here (mntr).
func (s *Store) WatchCounts() watcher.Counts { return s.watches.Counts() }

// Watches lists the watches of the sessions served here (wchs, wchc, wchp).
func (s *Store) Watches() []watcher.Watch { return s.watches.Dump() }

// Sessions is the number of sessions served by this node.
func (s *Store) Sessions() int { return len(s.sessions) }

// Step handles one envelope: a client request, a forward or its answer,
// or a replica message.
func (s *Store) Step(env msg.Envelope) error {
	switch b := env.Body.(type) {
	case *msg.Request:
		s.onRequest(b)
		return nil
	case *msg.Forward:
		s.onForward(b)
		return nil
	case *msg.ForwardReply:
		if b.Epoch == s.epoch && env.From.Node == s.r.Leader() {
			s.onForwardReply(b)
		}
		return nil
	case *msg.Expire:
		if env.From.Node == s.id {
			s.onExpire(b)
		}
		return nil
	}
	err := s.r.Step(env)
	s.observe()
	return err
}

// Tick advances time by one core tick.
func (s *Store) Tick() {
	s.tick++
	s.r.Tick()
	s.observe()
	if len(s.handshakes) > 0 {
		s.releaseHandshakes()
	}
	s.resend()
	s.sendTouches()
	if n := s.cfg.ContainerCheckTicks; n > 0 && s.tick%int64(n) == 0 {
		s.reap()
	}
}

// reap proposes the deletion of every empty container and expired TTL
// node, as ZooKeeper's ContainerManager does on the leader. Prep checks
// each against the pending state, so one that gained a child meanwhile
// stays.
func (s *Store) reap() {
	if s.prep == nil {
		return
	}
	for _, path := range s.tree.ExpiredContainersAndTTLs(s.now, s.cfg.ContainerMaxNeverUsedMs) {
		next, ok := s.r.NextZxid()
		if !ok {
			return
		}
		hdr := znode.TxnHeader{Cxid: expiryCxid, Zxid: int64(next), Time: s.now, Type: zk.OpDeleteContainer}
		txn, err := s.prep.Prepare(hdr, znode.DeleteContainer{Path: path}, nil)
		if err != nil {
			continue // it changed since it was applied: not expired any more
		}
		if z, err := s.r.Propose(znode.EncodeRecord(hdr, txn)); err != nil || z != next {
			panic("store: propose after NextZxid said yes: " + errString(err))
		}
	}
}

// heldHandshake is a createSession waiting for the node to serve.
type heldHandshake struct {
	req  msg.Request
	tick int64
}

// maxHeldHandshakes bounds the handshakes held while not serving; more
// are refused at once.
const maxHeldHandshakes = 4096

// holdHandshake keeps a createSession that came while the node is not
// serving, or a re-attach of a session that has seen more than this node
// applied, and reports whether it did; after HoldTicks it does not, and
// the caller refuses as before. A client whose node stops serving (its
// leader died) reconnects at once, often to a node still electing or
// still applying the new leader's history; refusing it made the client
// back off (go-zookeeper sleeps a second once it has tried every server)
// although a new leader serves within tens of milliseconds. A handshake
// changes nothing before it is answered, so taking it up later is the
// same as its delayed delivery.
func (s *Store) holdHandshake(req *msg.Request) bool {
	since := s.tick
	if s.heldSince != nil {
		since = *s.heldSince
	}
	if req.Op.Op != zk.OpCreateSession || s.tick-since >= int64(s.cfg.HoldTicks) || len(s.handshakes) >= maxHeldHandshakes {
		return false
	}
	s.handshakes = append(s.handshakes, heldHandshake{req: *req, tick: since})
	return true
}

// releaseHandshakes takes up the held handshakes again: once the node
// serves (and after every apply, for re-attaches waiting for the tree),
// or when they have waited HoldTicks, so that they are refused.
func (s *Store) releaseHandshakes() {
	held := s.handshakes
	s.handshakes = nil
	for i := range held {
		h := &held[i]
		if !s.serving && s.tick-h.tick < int64(s.cfg.HoldTicks) {
			s.handshakes = append(s.handshakes, *h)
			continue
		}
		s.heldSince = &h.tick
		s.onRequest(&h.req)
		s.heldSince = nil
	}
}

// observe notices a change of epoch, role or serving and drops what
// belonged to the old one.
func (s *Store) observe() {
	epoch, role, serving := s.r.Epoch(), s.r.Role(), s.r.Serving()
	if epoch == s.epoch && role == s.role && serving == s.serving {
		return
	}
	if s.serving && (!serving || epoch != s.epoch) {
		s.failAll(zk.ConnectionLoss)
	}
	if epoch != s.epoch || (serving && !s.serving) {
		// A new leader knows no sequence numbers yet: start again, or
		// every later forward of a session would look like one after a
		// lost one and wait forever (TestForwardsAfterNewEpoch). The same
		// leader, serving us again, has seen our earlier ones: count
		// from above them.
		s.seqBase = s.r.Period() << seqCounterBits
		for _, ss := range s.sessions {
			ss.fwdSeq = s.seqBase
		}
	}
	if epoch != s.epoch || role != replica.RoleLeader || !serving {
		s.prep, s.held, s.prepWait = nil, nil, false
		clear(s.seen)
		clear(s.owners)
		s.setTracking(false)
	}
	s.epoch, s.role, s.serving = epoch, role, serving
	if role == replica.RoleLeader && serving && s.prep == nil && !s.prepWait {
		// Nothing is proposed before Prep exists, so once the tree has
		// applied this, it holds every txn of the log.
		s.prepWait, s.prepFrom = true, s.r.LastZxid()
		s.maybePrep()
	}
	if serving && len(s.handshakes) > 0 {
		s.releaseHandshakes()
	}
}

func (s *Store) maybePrep() {
	if !s.prepWait || uint64(s.tree.LastZxid()) < s.prepFrom {
		return
	}
	s.prepWait = false
	s.prep = znode.NewPrep(s.tree)
	s.setTracking(true)
	held := s.held
	s.held = nil
	for _, f := range held {
		s.onForward(f)
	}
}

// failAll answers every unanswered request of every session with code:
// the node stopped serving, so their fate is unknown to it.
func (s *Store) failAll(code zk.Code) {
	for _, ss := range s.sortedSessions() {
		for _, c := range ss.queue {
			if c.reply == nil {
				c.reply = &msg.Reply{Err: code}
			}
		}
		s.flush(ss)
	}
}

// sortedSessions is the served sessions by id. Walking the map itself
// would make the order of replies and forwards, hence a whole simulation
// run, depend on Go's random map order (TestSimulationIsDeterministic).
func (s *Store) sortedSessions() []*session {
	out := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		out = append(out, ss)
	}
	slices.SortFunc(out, func(a, b *session) int { return cmp.Compare(a.id, b.id) })
	return out
}

// flushAwaiting flushes the sessions whose leader's answer may now be due.
func (s *Store) flushAwaiting() {
	if len(s.awaiting) == 0 {
		return
	}
	ids := make([]int64, 0, len(s.awaiting))
	for id := range s.awaiting {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		ss := s.sessions[id]
		if ss != nil {
			s.flush(ss)
		}
		if ss == nil || !ss.awaits() {
			delete(s.awaiting, id)
		}
	}
}

// awaits reports whether a call has the leader's answer but no reply yet.
func (ss *session) awaits() bool {
	for _, c := range ss.queue {
		if c.answer != nil && c.reply == nil {
			return true
		}
	}
	return false
}

// HasReady reports whether Ready has work.
func (s *Store) HasReady() bool {
	return len(s.msgs) > 0 || len(s.replies) > 0 || s.snapDue || s.r.HasReady()
}

// Ready returns the pending work; Committed entries are applied to the
// tree before it returns. The shell must carry it out and call Advance
// before the next Step, Tick or Ready.
func (s *Store) Ready() Ready {
	var rd Ready
	if s.r.HasReady() {
		rd.Ready = s.r.Ready()
		if rd.Snapshot != nil {
			s.installSnapshot(rd.Snapshot)
		}
		for _, e := range rd.Committed {
			s.apply(e)
		}
		if len(rd.Committed) > 0 && len(s.handshakes) > 0 {
			s.releaseHandshakes()
		}
		s.maybePrep()
		s.flushAwaiting()
		s.flushSessionsUpdate()
		// A copy: the Messages appended below are not the replica's.
		pend := rd.Ready
		s.pending = &pend
	}
	rd.Messages = append(rd.Messages, s.msgs...)
	rd.Replies = s.replies
	rd.SnapshotDue = s.snapDue
	s.msgs, s.replies, s.snapDue = nil, nil, false
	return rd
}

// Advance reports that the last Ready has been carried out.
func (s *Store) Advance(Ready) {
	if s.pending != nil {
		s.r.Advance(*s.pending)
		s.pending = nil
	}
	s.observe()
}

func (s *Store) installSnapshot(sn *replica.SnapshotData) {
	t, err := znode.ReadSnapshot(bytesReader(sn.Data))
	if err != nil {
		// The leader's snapshot is checksummed; one that does not load
		// means the leader serves bad state.
		panic(fmt.Sprintf("store: snapshot at %s from the leader does not load: %v", msg.FormatZxid(sn.Zxid), err))
	}
	if uint64(t.LastZxid()) != sn.Zxid {
		panic(fmt.Sprintf("store: snapshot claims %s but holds %s", msg.FormatZxid(sn.Zxid), msg.FormatZxid(uint64(t.LastZxid()))))
	}
	configureTree(t, s.cfg)
	old := s.tree
	s.tree = t
	s.rewatch(old)
	if s.prep != nil {
		s.prep, s.prepWait = nil, true
	}
	s.failAll(zk.ConnectionLoss)
}

// apply applies one committed entry and answers the request it came from
// if that request is waiting here.
func (s *Store) apply(e replica.Entry) {
	hdr, txn, err := znode.DecodeRecord(e.Data)
	if err != nil {
		panic(fmt.Sprintf("store: committed entry %s does not decode: %v", msg.FormatZxid(e.Zxid), err))
	}
	if uint64(hdr.Zxid) != e.Zxid {
		panic(fmt.Sprintf("store: entry %s carries zxid %s", msg.FormatZxid(e.Zxid), msg.FormatZxid(uint64(hdr.Zxid))))
	}
	res := s.tree.Apply(hdr, txn)
	if res.Fault != nil {
		panic(fmt.Sprintf("store: committed txn %s does not apply: %v", msg.FormatZxid(e.Zxid), res.Fault))
	}
	s.fire(hdr.Zxid, res.Changes)
	if s.prep != nil {
		s.prep.Applied(hdr.Zxid)
	}
	switch txn.(type) {
	case znode.CreateSessionTxn, znode.CloseSessionTxn:
		defer s.noteSessionTxn(hdr, txn)
	}
	if s.sinceSnap++; s.sinceSnap >= s.snapAt {
		s.sinceSnap, s.snapDue = 0, true
		s.snapAt = s.snapThreshold()
	}
	ss := s.sessions[hdr.Session]
	if ss == nil {
		return
	}
	for _, c := range ss.queue {
		if c.forwarded && c.reply == nil && c.req.Xid == hdr.Cxid && hdr.Cxid != expiryCxid {
			c.reply = s.writeReply(c, hdr, res)
			break
		}
	}
	s.flush(ss)
}

// flush sends the answers at the head of a session's queue, in order.
func (s *Store) flush(ss *session) {
	for len(ss.queue) > 0 {
		c := ss.queue[0]
		if c.revalidate {
			if c.reply == nil && (c.answer == nil || uint64(s.tree.LastZxid()) < c.answer.Zxid) {
				return
			}
			ss.queue[0] = nil
			ss.queue = ss.queue[1:]
			if _, live := s.tree.Session(ss.id); c.reply != nil || !live {
				// Failed (the node stopped serving: the next request
				// revalidates again), or caught up with the leader and
				// the session is indeed not live.
				for _, q := range ss.queue {
					// A re-attach whose claim on the session did not
					// reach the leader is refused too: the client tries
					// again, and claims it again.
					if q.reply == nil || c.attach && q.req.Op.Op == zk.OpCreateSession {
						q.reply = errReply(zk.SessionExpired)
						if c.reply != nil {
							q.reply = errReply(zk.ConnectionLoss)
						}
					}
				}
				if c.reply != nil && c.attach {
					// The node stopped serving while the re-attach
					// waited for the leader: it changed nothing, so it
					// waits for the next leader like any handshake.
					kept := ss.queue[:0]
					for _, q := range ss.queue {
						if q.req.Op.Op == zk.OpCreateSession {
							req := q.req
							req.ReplyTo = q.replyTo
							if s.holdHandshake(&req) {
								continue
							}
						}
						kept = append(kept, q)
					}
					ss.queue = kept
				}
				s.flush(ss)
				delete(s.sessions, ss.id)
				return
			}
			continue
		}
		if c.reply == nil {
			switch {
			case c.answer != nil && uint64(s.tree.LastZxid()) >= c.answer.Zxid:
				c.reply = answerReply(c)
			case !c.forwarded:
				c.reply = s.read(ss, &c.req)
			default:
				return
			}
		}
		ss.queue[0] = nil
		ss.queue = ss.queue[1:]
		rp := c.reply
		rp.Session, rp.Xid, rp.Zxid = ss.id, c.req.Xid, s.tree.LastZxid()
		s.replies = append(s.replies, Reply{To: c.replyTo, Reply: rp})
		if c.req.Op.Op == zk.OpCloseSession && rp.Err == 0 ||
			c.req.Op.Op == zk.OpCreateSession && rp.Err != 0 {
			delete(s.sessions, ss.id)
			return
		}
	}
}

// Passwd is the password of a session under an empty ensemble secret
// (SessionPasswd with nil). Like ZooKeeper's, it is derived from the
// session id, so every node can check it.
func Passwd(session int64) []byte { return SessionPasswd(nil, session) }

// SessionPasswd is the password of a session: an HMAC of its id under the
// ensemble's secret, so every node can check it but a client that only
// knows a session's id (every ephemeral's Stat shows it) cannot take the
// session over. ZooKeeper derives it from the id and a constant, which
// has exactly that weakness; with a nil secret Paddock does the same.
func SessionPasswd(secret []byte, session int64) []byte {
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], uint64(session))
	if len(secret) > 0 {
		m := hmac.New(sha256.New, secret)
		m.Write(id[:])
		return m.Sum(nil)[:16]
	}
	b := append(id[:], "paddock-session!"...)
	sum := sha256.Sum256(b)
	return sum[:16]
}

func (s *Store) passwd(session int64) []byte { return SessionPasswd(s.cfg.SessionSecret, session) }
