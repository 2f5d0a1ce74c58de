package store

import (
	"bytes"
	"flag"
	"fmt"
	"log/slog"
	"math/rand"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/paddock-zk/paddock/actors/membus"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/sessions"
	"github.com/paddock-zk/paddock/voter"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// The whole-ensemble simulation: voter + Store (over replica.MemStorage)
// on every node, over a seeded membus with partitions, loss, duplication,
// delay, crash-restarts that lose unsynced data, whole-ensemble crashes and
// snapshots (hence SNAP syncs); simulated clients with sessions that move
// between nodes on ConnectionLoss. A failing seed is printed and replayable
// with -store.seed=N -v, which also prints the event log.

var (
	flagSeeds = flag.Int("store.seeds", 1000, "seeded runs of the store simulation (100 with -short)")
	flagSeed  = flag.Int64("store.seed", -1, "replay only this seed, with a verbose log")
	flagFirst = flag.Int64("store.first", 1, "first seed of the run (for long hunts)")
)

func discardLogger() *slog.Logger {
	if os.Getenv("STORE_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// Crash points inside the shell's handling of one Ready.
const (
	crashNone        = iota
	crashBeforeFsync // log written, not synced: lost
	crashBeforeEpoch // log synced, currentEpoch not written
	crashBeforeSend  // durable, nothing sent
	crashMidSend     // some messages sent
	numCrashPoints
)

const (
	tickMs        = 100 // wall ms per simulated tick
	clientTimeout = 40  // ticks a client waits for a reply before moving on
)

type simNode struct {
	id       msg.NodeID
	s        *replica.MemStorage
	st       *Store
	v        *voter.Voter
	tr       *sessions.Tracker // session expiry (the leader's does the work)
	accepted uint64            // the voter's durable acceptedEpoch
	alive    bool
	inc      int   // incarnation, bumped on every start
	clockOff int64 // ms added to the shared time as this node reads it
	unsub    []func()
	crashAt  int
}

// refState is a znode's state right after a canonical txn.
type refState struct {
	zxid    int64
	exists  bool
	data    []byte
	version int32
}

type txnKey struct {
	session int64
	cxid    int32
}

type sim struct {
	t       testing.TB
	seed    int64
	bus     *membus.Bus
	rng     *rand.Rand
	ids     []msg.NodeID
	nodes   map[msg.NodeID]*simNode
	clients []*simClient
	// abandoned: sessions clients walked away from without closing.
	abandoned []int64
	finishing bool
	byName    map[string]*simClient
	// captured: replies to "t:..." for focused tests (store_test.go).
	captured map[string][]*msg.Reply
	watched  map[string][]*msg.WatchEvent // the events for captured clients
	inbox    []clientMsg                  // client requests due for delivery next step
	verbose  bool
	// lyingFsync: the shell skips fsync (TestSimulationDetectsLoss).
	lyingFsync bool

	// The canonical applied history: every node's applied txns must be a
	// prefix of it. ref is a tree that applied exactly canon.
	canon   []replica.Entry
	index   map[uint64]int   // zxid -> index in canon
	digests map[int64]uint64 // zxid -> ref digest after it
	txns    map[txnKey]int64 // (session, cxid) -> zxid of its txn
	hist    map[string][]refState
	ref     *znode.Tree
	pos     map[msg.NodeID]int // index in canon of the node's last applied txn, -1 for none
	leaders map[uint64]msg.NodeID

	isClose  map[int64]bool
	errs     map[int64]zk.Code  // zxid -> the client-visible code its txn applied with
	refused  map[txnKey]zk.Code // writes answered with a definite error
	maxAcked int64              // highest zxid of an acknowledged write
	acked    int
	events   []string
}

type clientMsg struct {
	node msg.NodeID
	req  *msg.Request
}

func newSim(t testing.TB, seed int64, n, clients int) *sim {
	s := &sim{t: t, seed: seed, bus: membus.New(seed), nodes: map[msg.NodeID]*simNode{},
		byName: map[string]*simClient{}, index: map[uint64]int{}, digests: map[int64]uint64{0: znode.New().Digest()},
		txns: map[txnKey]int64{}, hist: map[string][]refState{}, ref: znode.New(), pos: map[msg.NodeID]int{},
		leaders: map[uint64]msg.NodeID{}, refused: map[txnKey]zk.Code{}, errs: map[int64]zk.Code{}, isClose: map[int64]bool{}}
	s.verbose = *flagSeed >= 0
	s.rng = s.bus.Rand()
	for i := 1; i <= n; i++ {
		id := msg.NodeID(i)
		s.ids = append(s.ids, id)
		s.nodes[id] = &simNode{id: id, s: replica.NewMemStorage()}
	}
	for i := range clients {
		c := &simClient{s: s, name: fmt.Sprintf("c%d", i), lastXid: map[[2]int64]int32{}, versions: map[string]int32{}, sent: map[txnKey]sentReq{}}
		s.clients = append(s.clients, c)
		s.byName[c.name] = c
	}
	for _, id := range s.ids {
		s.start(id)
	}
	return s
}

func (s *sim) logf(format string, args ...any) {
	line := fmt.Sprintf("[%d] ", s.bus.Now()) + fmt.Sprintf(format, args...)
	s.events = append(s.events, line)
	if s.verbose {
		s.t.Log(line)
	}
}

func (s *sim) fatalf(format string, args ...any) {
	s.t.Helper()
	tail := s.events
	if len(tail) > 60 {
		tail = tail[len(tail)-60:]
	}
	s.t.Fatalf("seed %d: %s\nlast events:\n  %s\nstate:\n%s", s.seed, fmt.Sprintf(format, args...), strings.Join(tail, "\n  "), s.describe())
}

func (s *sim) describe() string {
	var b strings.Builder
	for _, id := range s.ids {
		n := s.nodes[id]
		if !n.alive {
			fmt.Fprintf(&b, "  %d: down, log last %x\n", id, n.s.LastZxid())
			continue
		}
		st := n.st.Status()
		fmt.Fprintf(&b, "  %d: %s epoch=%d leader=%d ce=%d last=%x commit=%x applied=%x tree=%x serving=%v sessions=%d\n",
			id, st.Role, st.Epoch, st.Leader, st.CurrentEpoch, st.LastZxid, st.CommittedZxid, st.AppliedZxid,
			n.st.Tree().LastZxid(), st.Serving, n.st.Sessions())
		for _, ss := range n.st.sortedSessions() {
			if len(ss.queue) > 0 {
				c := ss.queue[0]
				fmt.Fprintf(&b, "     session %x: %d queued, head xid %d op %d forwarded=%v seq %d answer %+v\n",
					ss.id, len(ss.queue), c.req.Xid, c.req.Op.Op, c.forwarded, c.seq, c.answer)
			}
		}
		for k, v := range n.st.seen {
			fmt.Fprintf(&b, "     seen session %x from %d: last seq %d\n", k.session, k.origin, v.lastSeq)
		}
	}
	for _, c := range s.clients {
		fmt.Fprintf(&b, "  client %s: node=%d session=%x xid=%d waiting=%v\n", c.name, c.node, c.session, c.xid, c.out != nil)
	}
	fmt.Fprintf(&b, "  canon last %x (%d txns), acked %d, bus %+v", s.lastCanon(), len(s.canon), s.acked, s.bus.Stats())
	return b.String()
}

func (s *sim) lastCanon() uint64 {
	if len(s.canon) == 0 {
		return 0
	}
	return s.canon[len(s.canon)-1].Zxid
}

func (s *sim) storeConfig(id msg.NodeID) Config {
	return Config{
		Replica: replica.Config{ID: id, Voters: s.ids, InitTicks: 25, SyncTicks: 6, ResendTicks: 2,
			MaxBatchBytes: 512, SnapshotChunk: 256, MaxInflight: 8,
			Rand: rand.New(rand.NewSource(s.rng.Int63()))},
		SnapCount:   20 + s.rng.Intn(30),
		ResendTicks: 3,
		Logger:      discardLogger(),
	}
}

func (s *sim) voterConfig(id msg.NodeID) voter.Config {
	return voter.Config{ID: id, Voters: s.ids, HeartbeatTicks: 2, SyncTicks: 10, InitTicks: 30,
		FinalizeTicks: 2, ResendTicks: 2, MaxResendTicks: 5, AwaitHistory: true}
}

// start restores a node from its storage as a shell would: the tree from
// the snapshot, then a new Store and voter.
func (s *sim) start(id msg.NodeID) {
	n := s.nodes[id]
	if n.alive {
		return
	}
	n.alive, n.crashAt = true, crashNone
	n.inc++
	z, size, _ := n.s.Snapshot()
	tree := znode.New()
	if size > 0 {
		data, err := n.s.ReadSnapshot(z, 0, int(size))
		if err != nil {
			s.fatalf("node %d: %v", id, err)
		}
		if tree, err = znode.ReadSnapshot(bytes.NewReader(data)); err != nil {
			s.fatalf("node %d: snapshot at %x: %v", id, z, err)
		}
	}
	if uint64(tree.LastZxid()) != z {
		s.fatalf("node %d: snapshot at %x holds a tree at %x", id, z, tree.LastZxid())
	}
	s.pos[id] = -1
	s.checkTree(n, tree)
	n.st = New(s.storeConfig(id), n.s, tree, s.bus.Now()*tickMs+n.clockOff)
	u1, _ := s.bus.Subscribe(msg.Addr{Node: id, Role: msg.RoleStore}, func(e msg.Envelope) {
		if n.alive {
			if err := n.st.Step(e); err != nil {
				s.fatalf("node %d step %s: %v", id, e, err)
			}
			s.drain(n)
		}
	})
	u2, _ := s.bus.Subscribe(msg.Addr{Node: id, Role: msg.RoleVoter}, func(e msg.Envelope) {
		if n.alive {
			n.v.Step(e)
			s.drainVoter(n)
		}
	})
	u3, _ := s.bus.Subscribe(msg.Addr{Node: id, Role: msg.RoleSessions}, func(e msg.Envelope) {
		if n.alive {
			n.tr.Step(e)
			s.drainTracker(n)
		}
	})
	n.unsub = []func(){u1, u2, u3}
	n.tr = sessions.New(sessions.Config{ID: id, TickMs: tickMs, BucketTicks: 2, Logger: discardLogger()})
	n.v = voter.New(s.voterConfig(id), n.accepted)
	s.logf("start %d (snap %x, log %x, ce %d)", id, z, n.s.LastZxid(), n.s.CurrentEpoch())
	s.drainVoter(n)
	s.drain(n)
}

func (s *sim) crash(id msg.NodeID) {
	n := s.nodes[id]
	if !n.alive {
		return
	}
	n.alive = false
	for _, u := range n.unsub {
		u()
	}
	s.bus.Crash(id)
	n.s.Crash()
	n.st, n.v, n.tr = nil, nil, nil
	s.logf("crash %d", id)
}

func (s *sim) drainTracker(n *simNode) {
	for _, e := range n.tr.Messages() {
		s.bus.Send(e)
	}
}

func (s *sim) drainVoter(n *simNode) {
	for n.alive && n.v.HasReady() {
		rd := n.v.Ready()
		if rd.AcceptedEpoch != 0 {
			n.accepted = rd.AcceptedEpoch
		}
		for _, e := range rd.Messages {
			s.bus.Send(e)
		}
		n.v.Advance(rd)
	}
}

// drain is the store's shell: persist, snapshot when due, send, reply,
// advance; it may crash the node at the armed point.
func (s *sim) drain(n *simNode) {
	for n.alive && n.st.HasReady() {
		rd := n.st.Ready()
		s.checkReady(n, rd)
		// As server's shell does: a leader's proposals and commits leave
		// before its fsync, so a crash point below may lose on the leader
		// what its followers already hold.
		late := rd.Messages[:0:0]
		for _, e := range rd.Messages {
			if e.Kind == msg.KindProposal || e.Kind == msg.KindCommit {
				s.bus.Send(e)
			} else {
				late = append(late, e)
			}
		}
		rd.Messages = late
		if rd.Truncate != nil {
			if err := n.s.TruncateAfter(*rd.Truncate); err != nil {
				s.fatalf("node %d: %v", n.id, err)
			}
		}
		if rd.Snapshot != nil {
			n.s.InstallSnapshot(rd.Snapshot.Zxid, rd.Snapshot.Data)
		}
		if err := n.s.Append(rd.Entries); err != nil {
			s.fatalf("node %d: %v", n.id, err)
		}
		if n.crashAt == crashBeforeFsync {
			s.crash(n.id)
			return
		}
		if !s.lyingFsync {
			n.s.Sync()
		}
		if n.crashAt == crashBeforeEpoch && rd.CurrentEpoch != 0 {
			s.crash(n.id)
			return
		}
		if rd.CurrentEpoch != 0 {
			if err := n.s.SetCurrentEpoch(rd.CurrentEpoch); err != nil {
				s.fatalf("node %d: %v", n.id, err)
			}
		}
		if rd.SnapshotDue {
			tree := n.st.Tree()
			if z := uint64(tree.LastZxid()); z > 0 {
				var buf bytes.Buffer
				if err := tree.WriteSnapshot(&buf); err != nil {
					s.fatalf("node %d: write snapshot: %v", n.id, err)
				}
				if err := n.s.Compact(z, buf.Bytes()); err != nil {
					s.fatalf("node %d: compact at %x: %v", n.id, z, err)
				}
				s.logf("snapshot %d at %x", n.id, z)
			}
		}
		if n.crashAt == crashBeforeSend {
			s.crash(n.id)
			return
		}
		for i, e := range rd.Messages {
			if n.crashAt == crashMidSend && i == len(rd.Messages)/2 {
				s.crash(n.id)
				return
			}
			s.bus.Send(e)
		}
		for _, r := range rd.Replies {
			s.deliverReply(n, r)
		}
		n.st.Advance(rd)
	}
}

// checkReady checks what the node applied in this Ready (the store has
// already applied rd.Snapshot and rd.Committed to its tree) against the
// canonical history, and at most one leader per epoch.
func (s *sim) checkReady(n *simNode, rd Ready) {
	if rd.Snapshot != nil {
		i, ok := s.index[rd.Snapshot.Zxid]
		if rd.Snapshot.Zxid != 0 && !ok {
			s.fatalf("node %d installed a snapshot at %x, not a committed zxid", n.id, rd.Snapshot.Zxid)
		}
		if rd.Snapshot.Zxid == 0 {
			i = -1
		}
		s.pos[n.id] = i
		s.logf("node %d installs snapshot at %x", n.id, rd.Snapshot.Zxid)
	}
	st := n.st.Status()
	for _, e := range rd.Committed {
		p := s.pos[n.id] + 1
		if p < len(s.canon) {
			if c := s.canon[p]; c.Zxid != e.Zxid || !bytes.Equal(c.Data, e.Data) {
				s.fatalf("node %d applied %x at index %d where another applied %x", n.id, e.Zxid, p, c.Zxid)
			}
		} else {
			if p > 0 && s.canon[p-1].Zxid >= e.Zxid {
				s.fatalf("node %d applied %x after %x", n.id, e.Zxid, s.canon[p-1].Zxid)
			}
			s.extend(e)
		}
		s.pos[n.id] = p
		if st.Role == replica.RoleLeader && msg.ZxidEpoch(e.Zxid) == st.Epoch {
			if other, ok := s.leaders[st.Epoch]; ok && other != n.id {
				s.fatalf("epoch %d committed by two leaders: %d and %d", st.Epoch, other, n.id)
			}
			s.leaders[st.Epoch] = n.id
		}
	}
	if rd.Snapshot != nil || len(rd.Committed) > 0 {
		s.checkTree(n, n.st.Tree())
	}
}

// checkTree compares a node's tree with the reference at its zxid.
func (s *sim) checkTree(n *simNode, t *znode.Tree) {
	z := t.LastZxid()
	want, ok := s.digests[z]
	if !ok {
		s.fatalf("node %d: tree at %x, not a committed zxid", n.id, z)
	}
	if t.Digest() != want {
		s.fatalf("node %d: tree digest %x at %x, the reference has %x", n.id, t.Digest(), z, want)
	}
	if z == 0 {
		s.pos[n.id] = -1
	} else {
		s.pos[n.id] = s.index[uint64(z)]
	}
}

// extend adds a newly committed txn to the canonical history.
func (s *sim) extend(e replica.Entry) {
	hdr, txn, err := znode.DecodeRecord(e.Data)
	if err != nil {
		s.fatalf("committed %x does not decode: %v", e.Zxid, err)
	}
	res := s.ref.Apply(hdr, txn)
	if res.Fault != nil {
		s.fatalf("committed %x does not apply to the reference: %v", e.Zxid, res.Fault)
	}
	k := txnKey{hdr.Session, hdr.Cxid}
	if hdr.Session == 0 && hdr.Cxid == expiryCxid {
		// The leader's own deletes of containers and TTL nodes: no
		// client request, no key.
		k = txnKey{0, int32(-1 - len(s.canon))}
	}
	if z, dup := s.txns[k]; dup {
		s.fatalf("request (session %x, xid %d) committed twice: %x and %x", hdr.Session, hdr.Cxid, z, e.Zxid)
	}
	s.txns[k] = hdr.Zxid
	s.errs[hdr.Zxid] = res.Err
	if hdr.Type == zk.OpCloseSession {
		s.isClose[hdr.Zxid] = true
	}
	s.index[e.Zxid] = len(s.canon)
	s.canon = append(s.canon, e)
	s.digests[hdr.Zxid] = s.ref.Digest()
	for _, ch := range res.Changes {
		if ch.Type == znode.ChildrenChanged {
			continue
		}
		rs := refState{zxid: hdr.Zxid}
		if data, st, err := s.ref.Get(ch.Path); err == nil {
			rs.exists, rs.data, rs.version = true, data, st.Version
		}
		s.hist[ch.Path] = append(s.hist[ch.Path], rs)
	}
}

// closedAt is the zxid of the session's closeSession, or 0.
func (s *sim) closedAt(session int64) int64 {
	for k, z := range s.txns {
		if k.session == session && k.cxid != 0 && s.isClose[z] {
			return z
		}
	}
	return 0
}

// stateAt is the reference state of path right after zxid.
func (s *sim) stateAt(path string, zxid int64) refState {
	h := s.hist[path]
	i := sort.Search(len(h), func(i int) bool { return h[i].zxid > zxid })
	if i == 0 {
		return refState{}
	}
	return h[i-1]
}

// step advances the bus, the clients and every live node by one tick.
func (s *sim) step() {
	s.bus.Advance(1)
	s.bus.DeliverAll()
	inbox := s.inbox
	s.inbox = nil
	for _, m := range inbox {
		n := s.nodes[m.node]
		if n.alive {
			// A copy, as a bus would decode: the store may modify it.
			req := *m.req
			if err := n.st.Step(msg.New(msg.Addr{}, msg.Addr{Node: m.node, Role: msg.RoleStore}, &req)); err != nil {
				s.fatalf("node %d: request: %v", m.node, err)
			}
			s.drain(n)
		}
	}
	for _, id := range s.ids {
		n := s.nodes[id]
		if !n.alive {
			continue
		}
		n.v.Tick()
		s.drainVoter(n)
		if n.alive {
			n.st.SetNow(s.bus.Now()*tickMs + n.clockOff)
			n.st.Tick()
			s.drain(n)
		}
		if n.alive {
			n.tr.Tick()
			s.drainTracker(n)
		}
	}
	s.bus.DeliverAll()
	for _, c := range s.clients {
		c.act()
	}
}

func (s *sim) deliverReply(n *simNode, r Reply) {
	if s.captured != nil && strings.HasPrefix(r.To, "t:") {
		if r.Event != nil {
			if s.watched == nil {
				s.watched = map[string][]*msg.WatchEvent{}
			}
			s.watched[r.To] = append(s.watched[r.To], r.Event)
			return
		}
		s.captured[r.To] = append(s.captured[r.To], r.Reply)
		return
	}
	c := s.byName[r.To]
	if c == nil {
		s.fatalf("node %d replied to unknown %q", n.id, r.To)
	}
	c.onReply(n, r.Reply)
}

func (s *sim) faults() {
	switch s.rng.Intn(4) {
	case 0:
	case 1:
		s.bus.Drop(0, 0, 0.05+0.15*s.rng.Float64())
	case 2:
		s.bus.SetDuplicate(0.2)
		s.bus.SetDelay(0, 3)
	case 3:
		s.bus.Drop(0, 0, 0.1)
		s.bus.SetDuplicate(0.1)
		s.bus.SetDelay(0, 2)
	}
}

// chaos injects at most one node-level fault per step.
func (s *sim) chaos() {
	id := s.ids[s.rng.Intn(len(s.ids))]
	n := s.nodes[id]
	// Disjoint ranges: a case whose node condition fails must not fall
	// into the next range.
	switch x := s.rng.Intn(1000); {
	case x < 6:
		if n.alive {
			n.crashAt = 1 + s.rng.Intn(numCrashPoints-1)
			s.logf("arm crash %d at point %d", id, n.crashAt)
		}
	case x < 10:
		s.crash(id)
	case x < 40:
		s.start(id)
	case x < 41:
		for _, id := range s.ids {
			s.crash(id)
		}
		s.logf("crash all")
	case x < 45:
		minority := []msg.NodeID{id}
		var rest []msg.NodeID
		for _, o := range s.ids {
			if o != id {
				rest = append(rest, o)
			}
		}
		s.bus.Partition(minority, rest)
		s.logf("partition %v | %v", minority, rest)
	case x < 52:
		s.bus.Heal()
		s.logf("heal")
	}
}

// converged: every node up and serving under one leader, every tree at the
// leader's commit point with the reference digest.
func (s *sim) converged() bool {
	var leader *simNode
	for _, id := range s.ids {
		n := s.nodes[id]
		if !n.alive || !n.st.Status().Serving {
			return false
		}
		if n.st.Status().Role == replica.RoleLeader {
			if leader != nil {
				return false
			}
			leader = n
		}
	}
	if leader == nil {
		return false
	}
	commit := leader.st.Status().CommittedZxid
	for _, id := range s.ids {
		if uint64(s.nodes[id].st.Tree().LastZxid()) != commit {
			return false
		}
	}
	return commit == s.lastCanon()
}

// finish heals every fault and restarts every node; the ensemble must then
// converge and every client must get a write acknowledged (progress).
func (s *sim) finish(maxTicks int) {
	s.bus.Heal()
	s.bus.Drop(0, 0, 0)
	s.bus.SetDuplicate(0)
	s.logf("finish: heal all")
	s.finishing = true
	for _, id := range s.ids {
		s.nodes[id].crashAt = crashNone
		s.start(id)
	}
	for _, c := range s.clients {
		c.mustWrite = true
	}
	for i := 0; ; i++ {
		if i > maxTicks {
			s.fatalf("no convergence within %d ticks after healing", maxTicks)
		}
		done := s.converged()
		for _, c := range s.clients {
			done = done && !c.mustWrite
		}
		for _, id := range s.abandoned {
			// The leader's tracker must expire it (timeout 10 s = 100
			// ticks after the new leader's start at the latest).
			_, live := s.ref.Session(id)
			done = done && !live
		}
		if done {
			break
		}
		s.step()
	}
	s.checkFinal()
}

// checkFinal checks the end state: equal trees everywhere, refused writes
// never committed, ephemerals owned by live sessions.
func (s *sim) checkFinal() {
	for _, id := range s.ids {
		n := s.nodes[id]
		t := n.st.Tree()
		if t.Digest() != s.ref.Digest() || t.LastZxid() != s.ref.LastZxid() {
			s.fatalf("node %d ends at %x digest %x, the reference at %x digest %x", id, t.LastZxid(), t.Digest(), s.ref.LastZxid(), s.ref.Digest())
		}
		if t.DigestSlow() != t.Digest() {
			s.fatalf("node %d: incremental digest %x, recomputed %x", id, t.Digest(), t.DigestSlow())
		}
	}
	for k, code := range s.refused {
		if z, ok := s.txns[k]; ok {
			s.fatalf("request (session %x, xid %d) was answered %d but committed at %x", k.session, k.cxid, code, z)
		}
	}
	for _, c := range s.clients {
		for _, id := range c.closed {
			if _, live := s.ref.Session(id); live || len(s.ref.GetEphemerals(id)) > 0 {
				s.fatalf("client %s closed session %x, still live or owning ephemerals", c.name, id)
			}
		}
	}
	for _, id := range s.abandoned {
		if len(s.ref.GetEphemerals(id)) > 0 {
			s.fatalf("abandoned session %x expired but still owns %v", id, s.ref.GetEphemerals(id))
		}
	}
	for _, si := range s.ref.Sessions() {
		if slices.Contains(s.abandoned, si.ID) {
			s.fatalf("abandoned session %x still live", si.ID)
		}
	}
}

func seeds() (first int64, n int) {
	n = *flagSeeds
	if testing.Short() && n > 100 {
		n = 100
	}
	if *flagSeed >= 0 {
		return *flagSeed, 1
	}
	return *flagFirst, n
}

func runSeeds(t *testing.T, name string, f func(t *testing.T, seed int64)) {
	first, n := seeds()
	for seed := first; seed < first+int64(n); seed++ {
		ok := t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { f(t, seed) })
		if !ok {
			t.Logf("replay: go test ./store -run '%s/seed=%d$' -store.seed=%d -v", name, seed, seed)
			return
		}
	}
}

// runSim is one seeded run: an ensemble of 3 (or 5) nodes, a few clients,
// `steps` ticks of faults and requests, then healing and the final checks.
func runSim(t testing.TB, seed int64, steps int) *sim {
	size := 3
	if seed%4 == 0 {
		size = 5
	}
	s := newSim(t, seed, size, 2+int(seed%3))
	s.faults()
	for range steps {
		s.chaos()
		s.step()
	}
	s.finish(1500)
	return s
}

// TestEnsembleSimulation runs voter and Store on every node with clients
// issuing creates (persistent, sequential, ephemeral), compare-and-set
// setData, deletes, multi, reads, sync and session close/move, under
// partitions, loss, duplication, delay, crash-restarts, whole-ensemble
// crashes and snapshots. Invariants: every node's applied txns are a prefix
// of one history with equal tree digests at equal zxids; a request commits
// at most once; an acknowledged write is committed (with the zxid, version
// and path its reply names); a refused one never is; reads return the
// committed state at the reply's zxid; sync returns a zxid at or past every
// write acknowledged before it was sent; at most one leader commits per
// epoch; a session's replies from one node come in xid order; a healed
// ensemble converges and serves writes.
func TestEnsembleSimulation(t *testing.T) {
	txns, runs := 0, 0
	runSeeds(t, "TestEnsembleSimulation", func(t *testing.T, seed int64) {
		s := runSim(t, seed, 250)
		txns, runs = txns+len(s.canon), runs+1
		if s.verbose {
			t.Logf("canon %d txns, acked %d, bus %+v", len(s.canon), s.acked, s.bus.Stats())
		}
	})
	// A guard on the harness itself: a workload that quietly stopped
	// writing would pass every check.
	if runs >= 50 && txns < 20*runs {
		t.Fatalf("only %d committed txns in %d runs: the simulated clients hardly write", txns, runs)
	}
}

// simClient is a client with one outstanding request at a time. It moves
// to another node, keeping its session, when it gets ConnectionLoss or no
// answer within clientTimeout ticks.
type simClient struct {
	s         *sim
	name      string
	node      msg.NodeID
	session   int64
	xid       int32
	out       *msg.Request
	sentAt    int64
	sent      map[txnKey]sentReq
	lastXid   map[[2]int64]int32 // (session, node incarnation) -> last reply's xid
	versions  map[string]int32   // last version seen per path, for CAS
	closed    []int64            // sessions this client closed
	mustWrite bool               // finish: a write must succeed
	detached  bool               // moved: reattach before the next request
	seenZxid  int64              // highest reply zxid (ZooKeeper's lastZxidSeen)
	n         int
}

type sentReq struct {
	req       *msg.Request
	syncFloor int64
}

func (c *simClient) act() {
	s := c.s
	if c.out != nil {
		if s.bus.Now()-c.sentAt > clientTimeout {
			s.logf("client %s: no answer to xid %d from %d, moving", c.name, c.out.Xid, c.node)
			c.out = nil
			c.move()
		}
		return
	}
	if c.node == 0 {
		c.move()
	}
	if c.session == 0 {
		c.send(&msg.Request{Op: msg.Op{Op: zk.OpCreateSession}, Timeout: 10000})
		return
	}
	if !s.finishing && s.rng.Intn(150) == 0 {
		// As a client killed -9: the session is left to expire (about 100
		// ticks), taking its ephemerals with it.
		s.logf("client %s: abandons session %x", c.name, c.session)
		s.abandoned = append(s.abandoned, c.session)
		c.session = 0
		return
	}
	if s.rng.Intn(25) == 0 {
		c.move() // as after a lost connection: the session moves, maybe to a node behind
	}
	if c.detached {
		c.detached = false
		if s.rng.Intn(2) == 0 {
			// As the native client does: reattach with the last zxid
			// seen. Otherwise the next request goes there directly.
			c.send(&msg.Request{Session: c.session, Passwd: Passwd(c.session), Timeout: 10000,
				LastZxid: c.seenZxid, Op: msg.Op{Op: zk.OpCreateSession}})
			return
		}
	}
	c.send(c.nextOp())
}

func (c *simClient) move() {
	c.node = c.s.ids[c.s.rng.Intn(len(c.s.ids))]
	c.detached = true
}

func (c *simClient) version(path string) int32 {
	if v, ok := c.versions[path]; ok && c.s.rng.Intn(10) < 7 {
		return v
	}
	return -1
}

// nextOp picks the client's next request.
func (c *simClient) nextOp() *msg.Request {
	rng := c.s.rng
	c.n++
	data := []byte(fmt.Sprintf("%s-%d", c.name, c.n))
	kpath := func() string { return fmt.Sprintf("/k%d", rng.Intn(4)) }
	if c.mustWrite {
		return &msg.Request{Op: msg.Op{Op: zk.OpCreate2, Path: "/q-", Data: data, ACL: openACL, Mode: int32(zk.PersistentSequential)}}
	}
	var o msg.Op
	switch x := rng.Intn(100); {
	case x < 14:
		o = msg.Op{Op: zk.OpCreate, Path: kpath(), Data: data, ACL: openACL}
	case x < 20:
		o = msg.Op{Op: zk.OpCreate2, Path: "/q-", Data: data, ACL: openACL, Mode: int32(zk.PersistentSequential)}
	case x < 25:
		o = msg.Op{Op: zk.OpCreate, Path: fmt.Sprintf("/e-%s-%d", c.name, c.n), Data: data, ACL: openACL, Mode: int32(zk.Ephemeral)}
	case x < 45:
		p := kpath()
		o = msg.Op{Op: zk.OpSetData, Path: p, Data: data, Version: c.version(p)}
	case x < 52:
		p := kpath()
		o = msg.Op{Op: zk.OpDelete, Path: p, Version: c.version(p)}
	case x < 60:
		a, b := kpath(), kpath()
		o = msg.Op{Op: zk.OpMulti, Ops: []msg.Op{
			{Op: zk.OpCheck, Path: a, Version: c.version(a)},
			{Op: zk.OpSetData, Path: b, Data: data, Version: -1},
			{Op: zk.OpCreate, Path: "/q-", Data: data, ACL: openACL, Mode: int32(zk.PersistentSequential)},
		}}
	case x < 82:
		o = msg.Op{Op: zk.OpGetData, Path: kpath()}
	case x < 88:
		o = msg.Op{Op: zk.OpExists, Path: kpath()}
	case x < 96:
		o = msg.Op{Op: zk.OpSync, Path: "/"}
	case x < 98:
		o = msg.Op{Op: zk.OpPing}
	default:
		o = msg.Op{Op: zk.OpCloseSession}
	}
	return &msg.Request{Op: o}
}

func (c *simClient) send(req *msg.Request) {
	s := c.s
	if req.Op.Op != zk.OpCreateSession {
		c.xid++
		req.Session, req.Xid, req.Passwd = c.session, c.xid, Passwd(c.session)
		c.sent[txnKey{c.session, c.xid}] = sentReq{req: req, syncFloor: s.maxAcked}
	}
	req.ReplyTo = c.name
	c.out, c.sentAt = req, s.bus.Now()
	s.inbox = append(s.inbox, clientMsg{node: c.node, req: req})
}

var openACL = zk.OpenACLUnsafe

func isWriteOp(op zk.OpCode) bool { return isWrite(op) && op != zk.OpSync }

// onReply checks a reply against the reference history, then moves the
// client on.
func (c *simClient) onReply(n *simNode, rp *msg.Reply) {
	s := c.s
	fk := [2]int64{rp.Session, int64(n.id)<<32 | int64(n.inc)}
	if last, ok := c.lastXid[fk]; ok && rp.Xid <= last && rp.Session != 0 && rp.Xid != 0 {
		s.fatalf("client %s: node %d replied xid %d after xid %d (session %x)", c.name, n.id, rp.Xid, last, rp.Session)
	}
	if rp.Xid != 0 {
		c.lastXid[fk] = rp.Xid
	}
	if rp.Zxid > s.ref.LastZxid() {
		s.fatalf("client %s: reply zxid %x past the committed %x", c.name, rp.Zxid, s.ref.LastZxid())
	}
	var req *msg.Request
	var floor int64
	if rp.Xid == 0 {
		if c.out == nil || c.out.Op.Op != zk.OpCreateSession || n.id != c.node {
			return // an abandoned createSession
		}
		req = c.out
	} else {
		sr, ok := c.sent[txnKey{rp.Session, rp.Xid}]
		if !ok {
			s.fatalf("client %s: reply to a request never sent: session %x xid %d", c.name, rp.Session, rp.Xid)
		}
		req, floor = sr.req, sr.syncFloor
	}
	c.check(n, req, rp, floor)
	if c.out == nil || req != c.out {
		return // an answer to an abandoned request: checked, nothing more
	}
	c.out = nil
	if rp.Session == c.session || c.session == 0 {
		c.seenZxid = max(c.seenZxid, rp.Zxid)
	}
	if rp.Err != 0 {
		s.logf("client %s: %s xid %d at node %d: %s", c.name, req.Op.Op, rp.Xid, n.id, rp.Err)
	}
	switch rp.Err {
	case zk.ConnectionLoss:
		c.move()
		return
	case zk.SessionExpired:
		s.logf("client %s: session %x expired at node %d", c.name, c.session, n.id)
		c.session = 0
		return
	}
	op := req.Op.Op
	if rp.Err == 0 && isWriteOp(req.Op.Op) && op != zk.OpCreateSession && op != zk.OpCloseSession {
		c.mustWrite = false
	}
	switch {
	case op == zk.OpCreateSession && rp.Err == 0 && req.Session != 0:
		// ZooKeeper's rule: a node behind what the client has seen
		// must not take the session, or its reads could go back.
		if rp.Zxid < req.LastZxid {
			s.fatalf("client %s: node %d at %x took session %x, the client had seen %x", c.name, n.id, rp.Zxid, c.session, req.LastZxid)
		}
		s.logf("client %s: session %x reattached at node %d", c.name, c.session, n.id)
	case op == zk.OpCreateSession && rp.Err == 0:
		c.session, c.xid = rp.Session, 0
		s.logf("client %s: session %x at node %d", c.name, c.session, n.id)
	case op == zk.OpCloseSession && rp.Err == 0:
		c.closed = append(c.closed, c.session)
		c.session = 0
	case op == zk.OpSetData && rp.Err == 0, op == zk.OpGetData && rp.Err == 0, op == zk.OpExists && rp.Err == 0:
		c.versions[req.Path] = rp.Stat.Version
	case rp.Err == zk.NoNode && req.Path != "":
		delete(c.versions, req.Path)
	}
}

// check checks one reply against the reference history.
func (c *simClient) check(n *simNode, req *msg.Request, rp *msg.Reply, floor int64) {
	s := c.s
	op := req.Op.Op
	code := rp.Err
	session := rp.Session
	switch code {
	case zk.ConnectionLoss:
		return
	case zk.SessionExpired:
		// Right only if the session was closed by the zxid of the reply.
		// A node that had not applied the session's creation must not
		// say so (TestSessionMovesToBehindNode); clients use only
		// sessions whose creation was acknowledged.
		created, ok := s.txns[txnKey{session, 0}]
		if !ok || created > rp.Zxid {
			s.fatalf("client %s: node %d at %x says session %x expired, created at %x", c.name, n.id, rp.Zxid, session, created)
		}
		if _, live := s.ref.Session(session); live {
			s.fatalf("client %s: node %d at %x says session %x expired, live since %x", c.name, n.id, rp.Zxid, session, created)
		}
		if closed := s.closedAt(session); closed > rp.Zxid {
			s.fatalf("client %s: node %d at %x says session %x expired, closed only at %x", c.name, n.id, rp.Zxid, session, closed)
		}
		return
	}
	if isWriteOp(req.Op.Op) {
		k := txnKey{session, rp.Xid}
		zxid, committed := s.txns[k]
		if code != 0 {
			if committed {
				if got := s.errs[zxid]; got != code {
					s.fatalf("client %s: %s xid %d answered %s, its txn %x applied with %s", c.name, op, rp.Xid, code, zxid, got)
				}
			} else {
				s.refused[k] = rp.Err
			}
			return
		}
		if !committed {
			s.fatalf("client %s: %s (session %x xid %d) acknowledged at %x but not committed", c.name, op, session, rp.Xid, rp.Zxid)
		}
		if zxid > rp.Zxid {
			s.fatalf("client %s: %s committed at %x acknowledged with zxid %x", c.name, op, zxid, rp.Zxid)
		}
		s.acked++
		s.maxAcked = max(s.maxAcked, zxid)
		switch op {
		case zk.OpSetData:
			want := s.stateAt(req.Path, zxid)
			if rp.Stat == nil || rp.Stat.Mzxid != zxid || rp.Stat.Version != want.version || !want.exists {
				s.fatalf("client %s: setData %s acked with %+v, committed at %x as %+v", c.name, req.Path, rp.Stat, zxid, want)
			}
		case zk.OpCreate, zk.OpCreate2:
			if !strings.HasPrefix(rp.Path, req.Path) || !s.stateAt(rp.Path, zxid).exists {
				s.fatalf("client %s: create %s acked as %q, not created at %x", c.name, req.Path, rp.Path, zxid)
			}
			if op == zk.OpCreate2 && (rp.Stat == nil || rp.Stat.Czxid != zxid) {
				s.fatalf("client %s: create2 %s acked with %+v, committed at %x", c.name, rp.Path, rp.Stat, zxid)
			}
		case zk.OpDelete:
			if s.stateAt(req.Path, zxid).exists {
				s.fatalf("client %s: delete %s acked, still there at %x", c.name, req.Path, zxid)
			}
		case zk.OpMulti:
			if len(rp.Results) != len(req.Ops) {
				s.fatalf("client %s: multi acked with %d results for %d ops", c.name, len(rp.Results), len(req.Ops))
			}
		}
		return
	}
	switch op {
	case zk.OpGetData, zk.OpExists:
		want := s.stateAt(req.Path, rp.Zxid)
		switch {
		case code == zk.NoNode && !want.exists:
		case code == 0 && want.exists && rp.Stat != nil && rp.Stat.Version == want.version &&
			(op == zk.OpExists || bytes.Equal(rp.Data, want.data)):
		default:
			s.fatalf("client %s: %s %s at node %d answered %s %+v %q, the state at %x is %+v", c.name, op, req.Path, n.id, code, rp.Stat, rp.Data, rp.Zxid, want)
		}
	case zk.OpSync:
		if code == 0 && rp.Zxid < floor {
			s.fatalf("client %s: sync answered at %x, before the write acknowledged at %x before it was sent", c.name, rp.Zxid, floor)
		}
	}
}

// TestSimulationIsDeterministic: a seed must replay exactly, or a failing
// seed could not be debugged. It found the Store walking its sessions map
// (Go's random order) when failing and resending requests.
func TestSimulationIsDeterministic(t *testing.T) {
	for seed := int64(1); seed <= 5; seed++ {
		a, b := runSim(t, seed, 300), runSim(t, seed, 300)
		if a.bus.Stats() != b.bus.Stats() || strings.Join(a.events, "\n") != strings.Join(b.events, "\n") {
			t.Fatalf("seed %d ran differently twice: %+v vs %+v", seed, a.bus.Stats(), b.bus.Stats())
		}
	}
}

// TestSimulationDetectsLoss makes sure the checks can fail: with a shell
// that never fsyncs, crashes lose acknowledged writes, and some seed must
// be caught.
func TestSimulationDetectsLoss(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		ft := &fakeT{TB: t}
		func() {
			defer func() {
				if r := recover(); r != nil && r != fakeFatal {
					panic(r)
				}
			}()
			s := newSim(ft, seed, 3, 3)
			s.lyingFsync = true
			for i := range 250 {
				if i%60 == 50 {
					for _, id := range s.ids {
						s.crash(id)
					}
				}
				if i%60 == 55 {
					for _, id := range s.ids {
						s.start(id)
					}
				}
				s.step()
			}
			s.finish(1500)
		}()
		if ft.failed {
			t.Logf("caught: %.200s", ft.msg)
			return
		}
	}
	t.Fatal("the simulation never noticed lost acknowledged writes")
}

var fakeFatal = new(int)

type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	panic(fakeFatal)
}
func (f *fakeT) Helper()    {}
func (f *fakeT) Log(...any) {}
