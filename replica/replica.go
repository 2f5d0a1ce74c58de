package replica

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand"
	"sort"

	"github.com/paddock-zk/paddock/actors/msg"
)

// Errors Propose returns.
var (
	ErrNotLeader   = errors.New("replica: not leader")
	ErrNotServing  = errors.New("replica: leader not serving yet")
	ErrEpochIsFull = errors.New("replica: zxid counter exhausted in this epoch")
)

// Role is what the replica does in the current epoch.
type Role uint8

// Roles.
const (
	RoleNone Role = iota // between epochs
	RoleLeader
	RoleFollower
)

func (r Role) String() string {
	switch r {
	case RoleLeader:
		return "leader"
	case RoleFollower:
		return "follower"
	}
	return "none"
}

// Config configures a Replica. Durations are in core ticks.
type Config struct {
	ID     msg.NodeID
	Voters []msg.NodeID
	// Observers learn the history as followers do, but their acks count
	// neither towards NEWLEADER's quorum nor towards commits.
	Observers []msg.NodeID
	// InitTicks bounds synchronization: a leader not serving, or a follower
	// not up to date, this long after the epoch began asks its voter to
	// abdicate (ZooKeeper's initLimit). Default 10.
	InitTicks int
	// SyncTicks: a sync attempt, or a lagging follower, without progress
	// for this long starts a new sync session. Default 5.
	SyncTicks int
	// ResendTicks is the retransmission period for unanswered requests and
	// unacknowledged proposals. Default 2.
	ResendTicks int
	// MaxBatchBytes bounds the entry data of one Proposal. Default 256 KiB.
	MaxBatchBytes int
	// SnapshotChunk is the data size of one SnapChunk. Default 256 KiB.
	SnapshotChunk int
	// MaxInflight bounds unacknowledged Proposals per follower. Default 64.
	MaxInflight int
	// MaxApplyBytes bounds Ready.Committed. Default 4 MiB.
	MaxApplyBytes int
	// Rand is required: it names this process's incarnation, so a restarted
	// follower's sync sessions are never mistaken for its old ones.
	Rand *rand.Rand
	// Logger already names the node and the actor (the caller's With);
	// the replica adds neither, so no line holds a key twice.
	Logger *slog.Logger
}

func (c *Config) defaults() {
	set := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&c.InitTicks, 10)
	set(&c.SyncTicks, 5)
	set(&c.ResendTicks, 2)
	set(&c.MaxBatchBytes, 256<<10)
	set(&c.SnapshotChunk, 256<<10)
	set(&c.MaxInflight, 64)
	set(&c.MaxApplyBytes, 4<<20)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// SnapshotData is a whole snapshot received from the leader.
type SnapshotData struct {
	Zxid uint64
	Data []byte
}

// Ready is the work the shell must carry out, in this order, then report
// with Advance:
//
//  1. Truncate: drop log entries with zxid > *Truncate.
//  2. Snapshot: replace the state machine and the log with it (the log
//     continues after Snapshot.Zxid); durable before anything is acked
//     (ZOOKEEPER-3911).
//  3. Entries: append, then fsync (1–3 must be durable before 4).
//  4. CurrentEpoch: when non-zero, write the currentEpoch file — only after
//     the history above is durable (ZOOKEEPER-4785).
//  5. Committed: apply to the state machine, in order.
//  6. Messages: send (acks imply that 1–4 are durable).
//  7. Serving: when non-nil, the node may now (true) or may no longer
//     (false) serve clients.
type Ready struct {
	Truncate     *uint64
	Snapshot     *SnapshotData
	Entries      []Entry
	CurrentEpoch uint64
	Committed    []Entry
	Messages     []msg.Envelope
	Serving      *bool
}

// PeerStatus is the leader's view of one follower.
type PeerStatus struct {
	ID       msg.NodeID
	Session  uint64
	Mode     msg.SyncMode
	Synced   bool // acknowledged NEWLEADER: its acks count
	UpToDate bool // sent UPTODATE
	Match    uint64
	Next     uint64
}

// Status is a snapshot of the replica for status reports and tests.
type Status struct {
	ID            msg.NodeID
	Role          Role
	Epoch         uint64
	Leader        msg.NodeID
	CurrentEpoch  uint64
	LastZxid      uint64
	DurableZxid   uint64
	CommittedZxid uint64
	AppliedZxid   uint64
	Serving       bool
	// Period numbers a follower's serving periods in its leader's term,
	// increasing (msg.UpToDate.Serving); 0 on a leader, which serves once
	// per term.
	Period uint64
	Peers  []PeerStatus // leader only, by ID
}

// peer is the leader's state for one follower.
type peer struct {
	id       msg.NodeID
	session  uint64
	mode     msg.SyncMode
	start    uint64 // where the session's entries begin
	next     uint64 // last zxid sent
	match    uint64 // last zxid acked durable
	inflight []uint64
	nlSent   bool
	synced   bool
	uptodate bool
	idle     int  // ticks without ack progress
	stalled  bool // entries to send are compacted; wait for a new session
	// serving is the number of its serving period, given with UpToDate
	// (msg.UpToDate.Serving); 0 until then.
	serving uint64
}

// Replica is ZAB's synchronization and broadcast phases as a pure state
// machine. It is not safe for concurrent use.
type Replica struct {
	cfg       Config
	s         Storage
	log       *slog.Logger
	self      msg.Addr
	voter     msg.Addr
	voters    map[msg.NodeID]bool
	observers map[msg.NodeID]bool
	quorum    int
	inc       uint64 // incarnation, upper half of session ids

	role      Role
	epoch     uint64
	leader    msg.NodeID
	ticks     int
	abdicated bool

	// Pending writes (the view's overlay) and outputs.
	unstable   []Entry
	trunc      *uint64
	snap       *SnapshotData
	pendEpoch  uint64
	msgs       []msg.Envelope
	servingOut *bool
	applyErr   bool

	durable uint64
	commit  uint64
	applied uint64
	serving bool

	// Leader.
	peers         map[msg.NodeID]*peer
	members       map[msg.NodeID]msg.Member
	histEnd       uint64
	selfAcked     bool
	counter       uint32
	commitChanged bool
	servings      uint64 // serving periods numbered so far (UpToDate.Serving); never reset
	// earlySync: the newest SyncReq per voter for an epoch above ours,
	// kept until our voter makes us lead it. A follower's voter learns the
	// new epoch before ours tells us (AckEpoch races Lead), and dropping
	// its request left the follower waiting a whole ResendTicks, a
	// tickTime, before it asked again.
	earlySync map[msg.NodeID]*msg.SyncReq

	// Follower.
	seq        uint32
	sess       uint64
	noTrunc    bool
	sessTicks  int
	idle       int
	started    bool
	aligned    bool
	recvSnap   *msg.SyncStart
	snapBuf    []byte
	snapParts  map[int64][]byte         // chunks that arrived ahead of their turn
	early      map[uint64]*msg.Proposal // proposals that arrived ahead of their turn, by PrevZxid
	nlAcked    bool
	uptodate   bool
	period     uint64 // UpToDate.Serving of this serving period
	needAck    bool
	resendFrom uint64
	resendTick int
}

// New builds a replica over s, between epochs. It sends its History to
// its voter at once. The shell must have restored its state machine from
// s's snapshot: the replica starts with applied = committed = that zxid.
func New(cfg Config, s Storage) *Replica {
	cfg.defaults()
	if cfg.Rand == nil {
		panic("replica: Config.Rand is required")
	}
	r := &Replica{
		cfg:       cfg,
		s:         s,
		log:       cfg.Logger,
		self:      msg.Addr{Node: cfg.ID, Role: msg.RoleStore},
		voter:     msg.Addr{Node: cfg.ID, Role: msg.RoleVoter},
		voters:    map[msg.NodeID]bool{},
		observers: map[msg.NodeID]bool{},
		inc:       uint64(cfg.Rand.Uint32()|1) << 32,
	}
	for _, id := range cfg.Voters {
		r.voters[id] = true
	}
	for _, id := range cfg.Observers {
		r.observers[id] = true
	}
	if !r.voters[cfg.ID] && !r.observers[cfg.ID] {
		panic(fmt.Sprintf("replica: own id %d is not among the voters %v or observers %v", cfg.ID, cfg.Voters, cfg.Observers))
	}
	r.quorum = len(r.voters)/2 + 1
	r.durable = s.LastZxid()
	if z, _, err := s.Snapshot(); err == nil {
		r.applied, r.commit = z, z
	} else {
		r.log.Error("read snapshot info at start", "err", err)
	}
	r.sendHistory()
	return r
}

// member reports whether id is a voter or an observer.
func (r *Replica) member(id msg.NodeID) bool { return r.voters[id] || r.observers[id] }

func (r *Replica) send(to msg.NodeID, body msg.Body) {
	r.msgs = append(r.msgs, msg.New(r.self, msg.Addr{Node: to, Role: msg.RoleStore}, body))
}

func (r *Replica) sendHistory() {
	r.msgs = append(r.msgs, msg.New(r.self, r.voter, &msg.History{CurrentEpoch: r.currentEpoch(), LastZxid: r.last()}))
}

func (r *Replica) abdicate(why string) {
	if r.abdicated {
		return
	}
	r.abdicated = true
	r.log.Warn("abdicating", "epoch", r.epoch, "reason", why)
	r.msgs = append(r.msgs, msg.New(r.self, r.voter, &msg.Abdicate{Epoch: r.epoch, Reason: why}))
}

// currentEpoch is the currentEpoch as it will be once the pending Ready is
// carried out.
func (r *Replica) currentEpoch() uint64 {
	if r.pendEpoch != 0 {
		return r.pendEpoch
	}
	return r.s.CurrentEpoch()
}

func (r *Replica) setServing(v bool) {
	if r.serving == v {
		return
	}
	r.serving = v
	r.servingOut = &v
}

// Step handles one envelope addressed to this replica. Messages of another
// epoch or from an unexpected sender are ignored (nil error); the error is
// for storage failures the shell should log.
func (r *Replica) Step(env msg.Envelope) error {
	switch b := env.Body.(type) {
	case *msg.Lead:
		r.stepLead(b)
		return nil
	case *msg.Follow:
		r.stepFollow(b)
		return nil
	case *msg.Looking:
		r.stepLooking(b)
		return nil
	case *msg.Joined:
		if r.role == RoleLeader && b.Epoch == r.epoch {
			r.members[b.Member.Node] = b.Member
		}
		return nil
	}
	from := env.From.Node
	if req, ok := env.Body.(*msg.SyncReq); ok && req.Epoch > r.epoch && r.member(from) && from != r.cfg.ID {
		if r.earlySync == nil {
			r.earlySync = map[msg.NodeID]*msg.SyncReq{}
		}
		if old := r.earlySync[from]; old == nil || old.Epoch < req.Epoch || old.Epoch == req.Epoch && newerSession(req.Session, old.Session) {
			r.earlySync[from] = req
		}
		return nil
	}
	switch r.role {
	case RoleLeader:
		return r.stepLeader(from, env.Body)
	case RoleFollower:
		if from != r.leader {
			return nil
		}
		return r.stepFollower(env.Body)
	}
	return nil
}

// stepLooking ends the epoch: the replica stops serving and tells its
// voter where its history stands, so it can vote.
func (r *Replica) stepLooking(l *msg.Looking) {
	if l.Epoch == 0 || l.Epoch >= r.epoch {
		if r.role != RoleNone {
			r.log.Info("epoch over", "epoch", r.epoch, "role", r.role)
		}
		r.reset(RoleNone, 0, 0)
	}
	r.sendHistory()
}

// reset enters role in epoch, dropping all per-epoch state.
func (r *Replica) reset(role Role, epoch uint64, leader msg.NodeID) {
	r.role, r.epoch, r.leader = role, epoch, leader
	r.ticks, r.abdicated = 0, false
	r.setServing(false)
	r.peers, r.members, r.histEnd, r.selfAcked, r.counter, r.commitChanged = nil, nil, 0, false, 0, false
	r.sess, r.noTrunc, r.started, r.aligned, r.recvSnap, r.snapBuf = 0, false, false, false, nil, nil
	r.snapParts, r.early = nil, nil
	r.nlAcked, r.uptodate, r.needAck, r.resendFrom = false, false, false, 0
	r.period = 0
}

// Tick advances time by one core tick.
func (r *Replica) Tick() {
	switch r.role {
	case RoleLeader:
		r.tickLeader()
	case RoleFollower:
		r.tickFollower()
	}
}

// Propose appends data to the log as the next transaction of this epoch.
// Only a serving leader proposes. The caller must not modify data later.
func (r *Replica) Propose(data []byte) (uint64, error) {
	if r.role != RoleLeader {
		return 0, ErrNotLeader
	}
	if !r.serving {
		return 0, ErrNotServing
	}
	if r.counter == math.MaxUint32 {
		r.abdicate("zxid counter exhausted")
		return 0, ErrEpochIsFull
	}
	r.counter++
	z := msg.MakeZxid(r.epoch, r.counter)
	r.unstable = append(r.unstable, Entry{Zxid: z, Data: data})
	return z, nil
}

// HasReady reports whether Ready has work.
func (r *Replica) HasReady() bool {
	if len(r.msgs) > 0 || r.trunc != nil || r.snap != nil || len(r.unstable) > 0 || r.pendEpoch != 0 || r.servingOut != nil {
		return true
	}
	if !r.applyErr && r.applied < min(r.commit, r.last()) {
		return true
	}
	if r.role == RoleFollower && r.needAck && r.aligned {
		return true
	}
	if r.role == RoleLeader {
		if r.commitChanged {
			return true
		}
		last := r.last()
		for _, p := range r.peers {
			if r.wantsSend(p, last) {
				return true
			}
		}
	}
	return false
}

// Ready returns the pending work. The shell must carry it out and call
// Advance before the next Step, Tick, Propose or Ready.
func (r *Replica) Ready() Ready {
	switch r.role {
	case RoleLeader:
		r.flushLeader()
	case RoleFollower:
		if r.needAck && r.aligned {
			r.send(r.leader, &msg.Ack{Epoch: r.epoch, Zxid: r.last()})
			r.needAck = false
		}
	}
	return Ready{
		Truncate:     r.trunc,
		Snapshot:     r.snap,
		Entries:      r.unstable,
		CurrentEpoch: r.pendEpoch,
		Committed:    r.nextCommitted(),
		Messages:     r.msgs,
		Serving:      r.servingOut,
	}
}

// nextCommitted hands out the committed entries not yet applied and counts
// them as applied.
func (r *Replica) nextCommitted() []Entry {
	upto := min(r.commit, r.last())
	if r.applyErr || r.applied >= upto {
		return nil
	}
	es, err := r.entries(r.applied, r.cfg.MaxApplyBytes)
	if err != nil {
		r.log.Error("read committed entries", "after", msg.FormatZxid(r.applied), "err", err)
		r.applyErr = true
		return nil
	}
	i := sort.Search(len(es), func(i int) bool { return es[i].Zxid > upto })
	es = es[:i]
	if len(es) > 0 {
		r.applied = es[len(es)-1].Zxid
	}
	return es
}

// Advance reports that rd has been carried out.
func (r *Replica) Advance(rd Ready) {
	if rd.Truncate != nil || rd.Snapshot != nil || len(rd.Entries) > 0 {
		r.trunc, r.snap = nil, nil
		r.unstable = r.unstable[len(rd.Entries):]
		if len(r.unstable) == 0 {
			r.unstable = nil
		}
		r.applyErr = false
	}
	r.durable = r.s.LastZxid()
	if rd.CurrentEpoch != 0 && rd.CurrentEpoch == r.pendEpoch {
		r.pendEpoch = 0
		if r.role == RoleLeader && rd.CurrentEpoch == r.epoch {
			r.selfAcked = true
			r.maybeServe()
		}
	}
	r.msgs = r.msgs[len(rd.Messages):]
	if len(r.msgs) == 0 {
		r.msgs = nil
	}
	if rd.Serving != nil && rd.Serving == r.servingOut {
		r.servingOut = nil
	}
	if r.role == RoleLeader {
		r.maybeCommit()
	}
}

// Status returns a snapshot of the replica.
func (r *Replica) Status() Status {
	st := Status{
		ID: r.cfg.ID, Role: r.role, Epoch: r.epoch, Leader: r.leader,
		CurrentEpoch: r.s.CurrentEpoch(), LastZxid: r.last(), DurableZxid: r.durable,
		CommittedZxid: r.commit, AppliedZxid: r.applied, Serving: r.serving, Period: r.period,
	}
	for _, id := range sortedPeers(r.peers) {
		p := r.peers[id]
		st.Peers = append(st.Peers, PeerStatus{ID: id, Session: p.session, Mode: p.mode, Synced: p.synced,
			UpToDate: p.uptodate, Match: p.match, Next: p.next})
	}
	return st
}

func sortedPeers[T any](m map[msg.NodeID]T) []msg.NodeID {
	ids := make([]msg.NodeID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// Role is the replica's role in the current epoch.
func (r *Replica) Role() Role { return r.role }

// Serving reports whether the node may serve clients (synced, and for a
// leader, a quorum synced).
func (r *Replica) Serving() bool { return r.serving }

// Epoch is the current epoch (0 between epochs).
func (r *Replica) Epoch() uint64 { return r.epoch }

// Period is Status().Period without building the whole Status.
func (r *Replica) Period() uint64 { return r.period }

// Leader is the current epoch's leader (0 between epochs).
func (r *Replica) Leader() msg.NodeID { return r.leader }

// LastZxid is the last zxid in the log, including entries not yet durable.
func (r *Replica) LastZxid() uint64 { return r.last() }

// NextZxid is the zxid the next Propose will assign, and whether Propose
// would succeed now, so a caller can stamp a txn with it before proposing.
func (r *Replica) NextZxid() (uint64, bool) {
	if r.role != RoleLeader || !r.serving || r.counter == math.MaxUint32 {
		return 0, false
	}
	return msg.MakeZxid(r.epoch, r.counter+1), true
}
