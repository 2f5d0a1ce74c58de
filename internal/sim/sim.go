package sim

import (
	"fmt"
	"log/slog"
	"math/rand"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/paddock-zk/paddock/actors"
	"github.com/paddock-zk/paddock/actors/membus"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/internal/memfs"
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/replica/wal"
	"github.com/paddock-zk/paddock/sessions"
	"github.com/paddock-zk/paddock/store"
	"github.com/paddock-zk/paddock/voter"
)

// TB is what the simulator needs of a test: a failing check ends the run.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// TickMs is the wall time one simulated tick stands for.
const TickMs = 100

// dataDir is every node's data and log directory, on its own memfs.
const dataDir = "/data"

// maxBatch bounds the envelopes an actor takes before Flush, as
// actors.Runner's drain does.
const maxBatch = 1024

// role indexes a node's actors, in the order a step handles their
// mailboxes.
type role int

const (
	roleStore role = iota
	roleVoter
	roleSessions
	numRoles
)

var roleAddr = [numRoles]msg.Role{msg.RoleStore, msg.RoleVoter, msg.RoleSessions}

// tickOrder is the order in which a step ticks a node's actors.
var tickOrder = []role{roleVoter, roleStore, roleSessions}

// Options shape an ensemble. The zero value (with Nodes set) is the
// configuration of the seeded simulations.
type Options struct {
	Seed  int64
	Nodes int
	// Observers are added after the voters: ids Nodes+1..Nodes+Observers
	// learn commits and serve clients but never vote.
	Observers int
	// StoreConfig and VoterConfig, if set, adjust a node's configuration
	// before each start.
	StoreConfig func(id msg.NodeID, c *store.Config)
	VoterConfig func(id msg.NodeID, c *voter.Config)
	// SegmentBytes is the wal's segment size; 0: 8 KiB, so that purges
	// after snapshots drop whole segments (and followers need SNAP).
	SegmentBytes int64
	// Verbose logs every event through TB.Logf as it happens.
	Verbose bool
}

// Ensemble is a simulated ensemble: every node runs the production voter,
// store and sessions actors over its wal on an in-memory file system, and
// the simulator plays their runners over a seeded membus.
type Ensemble struct {
	T    TB
	Seed int64
	Bus  *membus.Bus
	Rand *rand.Rand
	IDs  []msg.NodeID // voters, then observers
	// Voters and Observers split IDs by role.
	Voters, Observers []msg.NodeID
	Nodes             map[msg.NodeID]*Node
	// History checks what every node applies against one canonical
	// history and a reference tree.
	History *History

	opts   Options
	log    *slog.Logger
	events []string
}

// Node is one simulated node. Its fields are nil while it is down.
type Node struct {
	ID       msg.NodeID
	FS       *memfs.FS // survives crashes, keeping what was durable
	Disk     *wal.Store
	Voter    *voter.Actor
	Store    *store.Actor
	Sessions *sessions.Actor
	// Inc counts the node's starts.
	Inc int
	// ClockOff is added (in ms) to the node's clock from its next start.
	ClockOff int64

	e        *Ensemble
	alive    bool
	armed    string        // the crash point to crash at
	jitter   time.Duration // this incarnation's clock offset below a ms
	machines [numRoles]actors.Machine
	ctxs     [numRoles]*actors.Context
	mail     [numRoles][]msg.Envelope
	unsub    []func()
	spawned  []func() // work the store handed to ActorOptions.Go
}

// Alive reports whether the node is up.
func (n *Node) Alive() bool { return n.alive }

// New builds an ensemble of opts.Nodes nodes, all down.
func New(t TB, opts Options) *Ensemble {
	e := &Ensemble{T: t, Seed: opts.Seed, Bus: membus.New(opts.Seed), Nodes: map[msg.NodeID]*Node{}, opts: opts}
	e.Rand = e.Bus.Rand()
	e.log = slog.New(slog.DiscardHandler)
	if os.Getenv("SIM_LOG") != "" {
		e.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	for i := 1; i <= opts.Nodes+opts.Observers; i++ {
		id := msg.NodeID(i)
		e.IDs = append(e.IDs, id)
		if i <= opts.Nodes {
			e.Voters = append(e.Voters, id)
		} else {
			e.Observers = append(e.Observers, id)
		}
		e.Nodes[id] = &Node{ID: id, FS: memfs.New(), e: e}
	}
	e.History = newHistory(e)
	return e
}

// Logf records an event; Fatalf prints the last ones.
func (e *Ensemble) Logf(format string, args ...any) {
	line := fmt.Sprintf("[%d] ", e.Bus.Now()) + fmt.Sprintf(format, args...)
	e.events = append(e.events, line)
	if e.opts.Verbose {
		e.T.Logf("%s", line)
	}
}

// Events is the event log so far.
func (e *Ensemble) Events() []string { return e.events }

// Fatalf fails the run, with the seed, the last events and every node's
// state.
func (e *Ensemble) Fatalf(format string, args ...any) {
	e.T.Helper()
	tail := e.events
	if len(tail) > 60 {
		tail = tail[len(tail)-60:]
	}
	e.T.Fatalf("seed %d: %s\nlast events:\n  %s\nstate:\n%s", e.Seed, fmt.Sprintf(format, args...),
		strings.Join(tail, "\n  "), e.Describe())
}

// Describe is every node's state, one line each.
func (e *Ensemble) Describe() string {
	var b strings.Builder
	for _, id := range e.IDs {
		n := e.Nodes[id]
		if !n.alive {
			fmt.Fprintf(&b, "  %d: down\n", id)
			continue
		}
		st, vs := n.Store.Status(), n.Voter.Status()
		fmt.Fprintf(&b, "  %d: %s epoch=%d leader=%d ce=%d last=%x commit=%x applied=%x serving=%v sessions=%d voter=%s/%d est=%v\n",
			id, st.Role, st.Epoch, st.Leader, st.CurrentEpoch, st.LastZxid, st.CommittedZxid, st.AppliedZxid,
			st.Serving, st.Sessions, vs.State, vs.Leader, vs.Established)
	}
	fmt.Fprintf(&b, "  canon last %x (%d txns), bus %+v", e.History.LastZxid(), len(e.History.canon), e.Bus.Stats())
	return b.String()
}

func (e *Ensemble) storeConfig(id msg.NodeID) store.Config {
	c := store.Config{
		Replica: replica.Config{ID: id, Voters: e.Voters, Observers: e.Observers, InitTicks: 25, SyncTicks: 6, ResendTicks: 2,
			MaxBatchBytes: 512, SnapshotChunk: 256, MaxInflight: 8},
		SnapCount:   8 + e.Rand.Intn(12),
		ResendTicks: 3,
		HoldTicks:   3,
		Logger:      e.log.With("node", uint64(id)),
	}
	if e.opts.StoreConfig != nil {
		e.opts.StoreConfig(id, &c)
	}
	return c
}

func (e *Ensemble) voterConfig(id msg.NodeID) voter.Config {
	c := voter.Config{ID: id, Voters: e.Voters, Observers: e.Observers, HeartbeatTicks: 2, SyncTicks: 10, InitTicks: 30,
		FinalizeTicks: 2, ResendTicks: 2, MaxResendTicks: 5, AwaitHistory: true}
	if e.opts.VoterConfig != nil {
		e.opts.VoterConfig(id, &c)
	}
	return c
}

// Start starts a node that is down, as a node process starts: it opens
// its wal and inits its actors, which recover from what is durable.
func (e *Ensemble) Start(id msg.NodeID) {
	n := e.Nodes[id]
	if n.alive {
		return
	}
	n.Inc++
	n.armed = ""
	n.jitter = time.Duration(e.Rand.Int63n(int64(time.Millisecond)))
	seg := e.opts.SegmentBytes
	if seg == 0 {
		seg = 8 << 10
	}
	disk, err := wal.OpenStore(dataDir, dataDir, wal.Options{FS: n.FS, SegmentBytes: seg,
		Logger: e.log.With("node", uint64(id)), CrashHook: n.crashPoint})
	if err != nil {
		e.Fatalf("node %d: open wal: %v", id, err)
	}
	n.Disk = disk
	n.Store = store.NewActor(e.storeConfig(id), disk, store.ActorOptions{CrashHook: n.crashPoint,
		Retain: 3, Go: n.spawn})
	n.Voter = voter.NewActor(e.voterConfig(id), disk)
	n.Sessions = sessions.NewActor(sessions.Config{ID: id, TickMs: TickMs, BucketTicks: 2})
	n.machines = [numRoles]actors.Machine{n.Store, n.Voter, n.Sessions}
	n.alive = true
	for r := range numRoles {
		addr := msg.Addr{Node: id, Role: roleAddr[r]}
		n.ctxs[r] = &actors.Context{Self: addr, Bus: e.Bus, Clock: clock{n}, Log: e.log.With("actor", addr.String())}
		unsub, _ := e.Bus.Subscribe(addr, func(env msg.Envelope) { n.mail[r] = append(n.mail[r], env) })
		n.unsub = append(n.unsub, unsub)
	}
	e.Logf("start %d (log %x, ce %d)", id, disk.LastZxid(), disk.CurrentEpoch())
	for r := range numRoles {
		var initErr error
		if !e.call(n, func() { initErr = n.machines[r].Init(n.ctxs[r]) }) {
			return
		}
		if initErr != nil {
			e.Fatalf("node %d: init %s: %v", id, roleAddr[r], initErr)
		}
		if r == roleStore {
			e.History.started(n)
		} else {
			e.observe(n, r)
		}
	}
}

// Crash stops a node as a power loss would: what it had in flight is
// gone, and so is everything its disk had not made durable.
func (e *Ensemble) Crash(id msg.NodeID) {
	n := e.Nodes[id]
	if !n.alive {
		return
	}
	n.alive = false
	for _, u := range n.unsub {
		u()
	}
	e.Bus.Crash(id)
	n.FS.Crash()
	n.unsub, n.spawned, n.mail = nil, nil, [numRoles][]msg.Envelope{}
	n.Disk, n.Store, n.Voter, n.Sessions, n.machines = nil, nil, nil, nil, [numRoles]actors.Machine{}
	e.Logf("crash %d", id)
}

// Arm makes the node crash when it next reaches the named crash point (a
// wal.Crash* or store.Crash* constant); a restart disarms it.
func (e *Ensemble) Arm(id msg.NodeID, point string) {
	if n := e.Nodes[id]; n.alive {
		n.armed = point
		e.Logf("arm crash %d at %s", id, point)
	}
}

// CrashPoints are the crash points the store actor and its wal reach
// while handling a Ready, a snapshot or an epoch.
var CrashPoints = []string{
	wal.CrashBeforeFsync, wal.CrashAfterFsync, wal.CrashSyncAfterTruncate,
	wal.CrashSnapInstallBefore, wal.CrashSnapInstallMid, wal.CrashSnapInstallAfter,
	wal.CrashEpochBeforeAccepted, wal.CrashEpochAfterAccepted,
	wal.CrashEpochBeforeCurrent, wal.CrashEpochAfterCurrent,
	store.CrashAckAfterSend, store.CrashSyncBeforeAck, store.CrashSyncAfterAck,
	store.CrashSnapSend, store.CrashSnapReceive,
}

// crashed is the panic a crash point raises to unwind the node's actor
// out of the middle of its work, where the process would have died.
type crashed struct{ point string }

// crashPoint is the node's CrashHook for the wal and the store.
func (n *Node) crashPoint(point string) {
	if n.armed == point {
		n.armed = ""
		panic(crashed{point})
	}
}

// spawn is the store's ActorOptions.Go: the work runs at the end of the
// step, unless the node crashes first.
func (n *Node) spawn(f func()) { n.spawned = append(n.spawned, f) }

// call runs f, one piece of the node's actors' work, and reports whether
// the node survived it: a crash point reached inside crashes the node.
// Any other panic fails the run.
func (e *Ensemble) call(n *Node, f func()) (ok bool) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		c, isCrash := r.(crashed)
		if !isCrash {
			e.Fatalf("node %d panicked: %v\n%s", n.ID, r, debug.Stack())
			return
		}
		e.Logf("node %d reached crash point %s", n.ID, c.point)
		e.Crash(n.ID)
		ok = false
	}()
	f()
	return true
}

// Deliver puts env in the mailbox of the node's actor it is addressed
// to, as a node's front end hands a client request to its store actor. It
// is handled by the next Process.
func (e *Ensemble) Deliver(id msg.NodeID, env msg.Envelope) {
	n := e.Nodes[id]
	if !n.alive {
		return
	}
	for r := range numRoles {
		if roleAddr[r] == env.To.Role {
			n.mail[r] = append(n.mail[r], env)
			return
		}
	}
	e.Fatalf("deliver to %s: no such actor", env.To)
}

// Request hands a client request to the node's store actor, as a front
// end does (a copy: the store may modify it, as a decoded one).
func (e *Ensemble) Request(id msg.NodeID, req *msg.Request) {
	r := *req
	e.Deliver(id, msg.New(msg.Addr{}, msg.Addr{Node: id, Role: msg.RoleStore}, &r))
}

// ReceiveNow hands env to its actor and flushes at once, outside any
// step: for a test that looks at the actor right after one message.
func (e *Ensemble) ReceiveNow(id msg.NodeID, env msg.Envelope) {
	e.Deliver(id, env)
	n := e.Nodes[id]
	for r := range numRoles {
		if n.alive && len(n.mail[r]) > 0 {
			e.runMail(n, r)
		}
	}
}

// Process delivers what is due and lets every actor handle its mailbox,
// a batch then Flush as actors.Runner does, until nothing is left.
func (e *Ensemble) Process() {
	for i := 0; ; i++ {
		delivered := e.Bus.DeliverAll()
		if !e.runMailboxes() && delivered == 0 {
			return
		}
		if i > 100_000 {
			e.Fatalf("the actors livelock: still busy after %d rounds", i)
		}
	}
}

func (e *Ensemble) runMail(n *Node, r role) {
	batch := n.mail[r]
	if len(batch) > maxBatch {
		batch, n.mail[r] = batch[:maxBatch], batch[maxBatch:]
	} else {
		n.mail[r] = nil
	}
	m, ctx := n.machines[r], n.ctxs[r]
	if !e.call(n, func() {
		for _, env := range batch {
			m.Receive(ctx, env)
		}
		if f, ok := m.(actors.Flusher); ok {
			f.Flush(ctx)
		}
	}) {
		return
	}
	e.observe(n, r)
}

// observe runs the History's checks after an actor's Flush.
func (e *Ensemble) observe(n *Node, r role) {
	switch r {
	case roleStore:
		e.History.observe(n)
	case roleVoter:
		e.History.observeVoter(n)
	}
}

// Tick ticks every live node's actors once, each followed by Flush.
func (e *Ensemble) Tick() {
	for _, id := range e.IDs {
		n := e.Nodes[id]
		for _, r := range tickOrder {
			if !n.alive {
				break
			}
			m, ctx := n.machines[r], n.ctxs[r]
			if !e.call(n, func() {
				m.Tick(ctx)
				if f, ok := m.(actors.Flusher); ok {
					f.Flush(ctx)
				}
			}) {
				break
			}
			e.observe(n, r)
		}
	}
}

// Step is one tick of simulated time: what falls due is delivered and
// handled, every node ticks, and background work (snapshot writing)
// handed off during the step runs.
func (e *Ensemble) Step() {
	e.Bus.Advance(1)
	e.Process()
	e.Tick()
	e.Process()
	for _, id := range e.IDs {
		n := e.Nodes[id]
		for len(n.spawned) > 0 && n.alive {
			f := n.spawned[0]
			n.spawned = n.spawned[1:]
			e.call(n, f)
		}
	}
}

// Run takes steps.
func (e *Ensemble) Run(steps int) {
	for range steps {
		e.Step()
	}
}

// clock is a node's actors.Clock: the bus's steps as ticks of TickMs,
// plus the node's offset and a per-incarnation jitter below a ms, so that
// what an actor seeds from its start time differs between nodes and
// incarnations.
type clock struct{ n *Node }

var simEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func (c clock) Now() time.Time {
	ms := c.n.e.Bus.Now()*TickMs + c.n.ClockOff
	return simEpoch.Add(time.Duration(ms)*time.Millisecond + c.n.jitter)
}

// NewTicker is never read: the simulator calls Tick itself.
func (clock) NewTicker(time.Duration) actors.Ticker { return noTicker{} }

type noTicker struct{}

func (noTicker) C() <-chan time.Time { return nil }
func (noTicker) Stop()               {}

// DeliverOne delivers the next due envelope, if any, and lets the actors
// handle their mailboxes once; it reports whether anything happened.
func (e *Ensemble) DeliverOne() bool {
	delivered := e.Bus.DeliverOne()
	return e.runMailboxes() || delivered
}

// runMailboxes lets every actor with mail handle it once, in node and
// role order; it reports whether any had mail.
func (e *Ensemble) runMailboxes() bool {
	busy := false
	for _, id := range e.IDs {
		n := e.Nodes[id]
		for r := range numRoles {
			if n.alive && len(n.mail[r]) > 0 {
				busy = true
				e.runMail(n, r)
			}
		}
	}
	return busy
}
