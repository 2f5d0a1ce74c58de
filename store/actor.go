package store

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paddock-zk/paddock/actors"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/watcher"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// Disk is what the actor needs from durable storage (wal.Store): the
// replica's read side, Persist for a Ready, snapshots.
type Disk interface {
	replica.Storage
	Persist(rd replica.Ready) error
	SaveSnapshot(zxid uint64, data []byte) error
	Purge(retain int) error
	Latest() (zxid uint64, data []byte, err error)
	Roll()
}

// ActorOptions are what the node gives the actor besides its Config and
// Disk: how to treat storage failures, the crash-point hook, and the
// purge policy. The zero value never purges and panics on any failure.
type ActorOptions struct {
	Faults StorageFaults
	// CrashHook is called at each crash point (the Crash* constants), on
	// the actor's goroutine; nil: none. The fault machinery comes in only
	// through it, so this package imports none.
	CrashHook func(point string)
	// Retain is how many snapshots a purge after each snapshot keeps; 0:
	// never purge.
	Retain int
	// Go runs f concurrently with the actor: the writing of a snapshot,
	// which must not hold up writes. Nil: a goroutine. A deterministic
	// simulation runs f itself, at a point of its choosing.
	Go func(f func())
	// Observer hears of the store's work, for the node's metrics.
	Observer Observer
}

// Observer hears of the store's work, for the node's metrics. Nil fields
// are skipped. They run on the actor's goroutine (Snapshot on the one
// that wrote it) and must return at once.
type Observer struct {
	// Proposed: a leader logged n proposals (ZooKeeper's proposal_count).
	Proposed func(n int)
	// Committed: a leader committed a txn it proposed d before
	// (ZooKeeper's commit_count; Paddock's proposal-to-commit latency).
	Committed func(d time.Duration)
	// FromLeader: a follower received a Proposal or a Commit from its
	// leader (learner_proposal_received_count and
	// learner_commit_received_count).
	FromLeader func(k msg.Kind)
	// Synced: a follower serves, d after it began to follow its leader
	// (ZooKeeper's follower_sync_time).
	Synced func(d time.Duration)
	// Snapshot: a snapshot was serialized and written in d (ZooKeeper's
	// snapshottime).
	Snapshot func(d time.Duration)
}

// StorageFaults says what a failed Persist means, as voter.StorageFaults
// does for the voter's epoch file.
type StorageFaults struct {
	// Transient reports a failure that damaged nothing and after which
	// the same Persist may be retried: a full disk (wal.ErrNoSpace). Nil:
	// none is.
	Transient func(error) bool
	// Fatal gets any other failure, once, and is expected to stop the
	// node. Nil: the actor panics.
	Fatal func(error)
}

// Actor is the shell that runs a Store as the node's store actor: it
// restores the tree from the newest snapshot, persists each Ready before
// anything it implies leaves (the runner's Flush after a mailbox drain
// makes that a group commit), answers clients, and writes snapshots in the
// background.
//
// Storage faults. A Persist that finds the disk full
// (StorageFaults.Transient) damages nothing, so the Ready is held: nothing
// of it is acked or replied, the store is neither stepped nor ticked (its contract:
// Advance before the next Step or Tick), client requests are refused at
// once (ConnectionLoss marked Refused: safe to send elsewhere; ZooKeeper
// wire clients get ConnectionLoss and their connection closes, as when a
// ZooKeeper server loses its quorum), peer messages are dropped (the
// protocols tolerate loss), and the Persist is retried every tick. The
// replica also abdicates its epoch: its voter would otherwise go on
// heartbeating for a leader that cannot act, and keep the others from
// electing a new one. The voter then waits for the replica's history
// before voting, so the node sits out elections until the disk takes the
// held Ready; the voter's messages are kept meanwhile and stepped after
// it. The node then carries on: the held acks and replies go out, and it
// rejoins (as a follower of whoever leads now) by the ordinary election
// and sync.
// Any other storage failure (a failed fsync above all, fsyncgate) stops
// the node through StorageFaults.Fatal, having acked nothing of the
// failed Ready; a restart recovers from what is on disk.
type Actor struct {
	cfg  Config
	disk Disk
	log  *slog.Logger
	opts ActorOptions

	st     *Store
	status atomic.Pointer[Status]

	held    *heldReady // a Ready waiting for disk space
	stopped error      // the storage failure that stopped the actor

	// proposals are the sizes of the entries of the newest epoch this
	// node logged: on a leader, its proposals of this term (ZooKeeper's
	// Leader.getProposalStats), for srvr and mntr.
	proposals proposalSizes

	snapping atomic.Bool
	freezer  *znode.Freezer // a snapshot view being built, a slice per Flush
	// onView are what wait for the view being built: the background
	// snapshot's writer, backups (Backup). A tree builds one view at a
	// time, so they share it.
	onView []func(view *znode.Tree)
	snapWG sync.WaitGroup

	// For the Observer and the status: the proposals of this term not
	// yet committed, with when they were logged, oldest first; when the
	// node began to follow its leader (zero once it serves, or when it
	// does not follow); since when it leads (zero when it does not).
	proposed     []proposedAt
	followSince  time.Time
	leadingSince time.Time
}

// proposedAt is a leader's proposal and when it logged it.
type proposedAt struct {
	zxid uint64
	at   time.Time
}

// maxProposed bounds the proposals timed at once; a leader that goes
// without commits that long is losing its term anyway.
const maxProposed = 1 << 16

// Status is what other goroutines may read of the store.
type Status struct {
	replica.Status
	Nodes    int
	Digest   uint64
	Sessions int
	Watches  watcher.Counts // of the sessions served here
	// DiskFull: a write found the disk full; the node refuses requests
	// (and reports itself not serving) until space returns.
	DiskFull bool
	// ProposalSizes are the last, smallest and largest entry of the
	// newest epoch logged here, in bytes, -1 each before the first: a
	// leader's proposals of its term.
	ProposalSizes [3]int64
	// The tree's ephemeral nodes, live sessions (ZooKeeper's global
	// sessions) and bytes of paths and data (approximate_data_size).
	Ephemerals, GlobalSessions int
	DataSize                   int64
	// LeadingSince is when this node began to lead and serve; zero when
	// it does not.
	LeadingSince time.Time
}

// NewActor prepares the store actor over disk; the Store is built in
// Init, from the newest snapshot and the log. cfg.Logger (default
// slog.Default) is the actor's log too.
func NewActor(cfg Config, disk Disk, opts ActorOptions) *Actor {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &Actor{cfg: cfg, disk: disk, log: cfg.Logger, opts: opts}
	a.status.Store(&Status{})
	return a
}

// proposalSizes keeps last/min/max of the entry sizes of one epoch, as
// ZooKeeper's BufferStats; a newer epoch starts over, as its new Leader
// does.
type proposalSizes struct {
	epoch          uint64
	last, min, max int64
	seen           bool
}

func (p *proposalSizes) add(es []msg.Entry) {
	for _, e := range es {
		ep, n := msg.ZxidEpoch(e.Zxid), int64(len(e.Data))
		if ep < p.epoch {
			continue
		}
		if ep > p.epoch || !p.seen {
			*p = proposalSizes{epoch: ep, last: n, min: n, max: n, seen: true}
			continue
		}
		p.last, p.min, p.max = n, min(p.min, n), max(p.max, n)
	}
}

// sizes are the figures for a node in epoch: none before its first entry
// of that epoch.
func (p *proposalSizes) sizes(epoch uint64) [3]int64 {
	if !p.seen || p.epoch < epoch {
		return [3]int64{-1, -1, -1}
	}
	return [3]int64{p.last, p.min, p.max}
}

// heldReady is a Ready whose Persist found the disk full, with the
// messages that must wait for it.
type heldReady struct {
	rd      Ready
	late    []msg.Envelope
	local   []msg.Envelope // from this node's voter, to step afterwards
	refused int            // client requests refused meanwhile
}

// maxHeldLocal bounds the voter messages kept while the disk is full;
// the voter sends a handful per election.
const maxHeldLocal = 256

var (
	_ actors.Machine = (*Actor)(nil)
	_ actors.Flusher = (*Actor)(nil)
)

// Init loads the newest snapshot and builds the Store over the disk's log.
// A restart after a panic reloads from the disk; one after a storage
// failure is refused.
func (a *Actor) Init(ctx *actors.Context) error {
	if a.stopped != nil {
		return fmt.Errorf("store: stopped after a storage failure: %w", a.stopped)
	}
	a.held = nil // a restart after a panic reloads from the disk
	tree := znode.New()
	zxid, data, err := a.disk.Latest()
	if err != nil {
		return fmt.Errorf("store: load snapshot: %w", err)
	}
	if zxid != 0 {
		if tree, err = znode.ReadSnapshot(bytes.NewReader(data)); err != nil {
			return fmt.Errorf("store: snapshot %s: %w", msg.FormatZxid(zxid), err)
		}
	}
	cfg := a.cfg
	// A fresh incarnation on every start, so a restarted follower's sync
	// sessions are never mistaken for its old ones.
	cfg.Replica.Rand = rand.New(rand.NewSource(ctx.Clock.Now().UnixNano()))
	a.st = New(cfg, a.disk, tree, ctx.Clock.Now().UnixMilli())
	a.log.Info("database loaded", "zxid", msg.FormatZxid(uint64(tree.LastZxid())), "znodes", tree.NodeCount(),
		"log_last", msg.FormatZxid(a.disk.LastZxid()))
	a.Flush(ctx)
	return nil
}

// Receive steps the Store; Flush carries out the result. While a Ready
// is held, a client request is refused at once instead (see refuse).
func (a *Actor) Receive(ctx *actors.Context, env msg.Envelope) {
	if a.stopped != nil {
		return
	}
	if a.held != nil {
		a.refuse(ctx, env)
		return
	}
	a.st.SetNow(ctx.Clock.Now().UnixMilli())
	switch env.Kind {
	case msg.KindSnapChunk:
		a.crashPoint(CrashSnapReceive)
	case msg.KindProposal, msg.KindCommit:
		if f := a.opts.Observer.FromLeader; f != nil && env.From.Node != ctx.Self.Node {
			f(env.Kind)
		}
	}
	if err := a.st.Step(env); err != nil {
		ctx.Log.Warn("replica step", "kind", env.Kind, "from", env.From, "err", err)
	}
}

// Tick advances the Store's clock, or retries a held Ready.
func (a *Actor) Tick(ctx *actors.Context) {
	switch {
	case a.stopped != nil:
	case a.held != nil:
		a.retryHeld(ctx)
	default:
		a.st.SetNow(ctx.Clock.Now().UnixMilli())
		a.st.Tick()
	}
}

// refuse answers a client request at once while the disk is full, keeps
// the voter's messages, and drops peer messages.
func (a *Actor) refuse(ctx *actors.Context, env msg.Envelope) {
	req, ok := env.Body.(*msg.Request)
	if !ok {
		if env.From.Node == ctx.Self.Node && env.From.Role == msg.RoleVoter && len(a.held.local) < maxHeldLocal {
			a.held.local = append(a.held.local, env)
		}
		return
	}
	a.held.refused++
	rp := &msg.Reply{Session: req.Session, Xid: req.Xid, Zxid: a.st.Tree().LastZxid(),
		Err: zk.ConnectionLoss, Refused: true}
	ctx.ToClient(req.ReplyTo, rp)
}

// retryHeld persists the held Ready again and, if the disk took it,
// carries it out.
func (a *Actor) retryHeld(ctx *actors.Context) {
	h := a.held
	if err := a.disk.Persist(h.rd.Ready); err != nil {
		if !a.transient(err) {
			a.stop(err)
		}
		return
	}
	a.held = nil
	a.log.Info("disk space back; rejoining", "refused_requests", h.refused)
	a.carryOut(ctx, h.rd, h.late)
	for _, env := range h.local {
		a.st.SetNow(ctx.Clock.Now().UnixMilli())
		if err := a.st.Step(env); err != nil {
			ctx.Log.Warn("replica step", "kind", env.Kind, "from", env.From, "err", err)
		}
	}
}

// persistFailed holds rd if the disk is full, or stops the actor.
func (a *Actor) persistFailed(ctx *actors.Context, rd Ready, late []msg.Envelope, err error) {
	if !a.transient(err) {
		a.stop(err)
		return
	}
	a.held = &heldReady{rd: rd, late: late}
	a.log.Error("disk full: refusing requests until space returns", "err", err)
	if e := a.st.Status().Epoch; e != 0 {
		ctx.Send(msg.Addr{Node: ctx.Self.Node, Role: msg.RoleVoter}, &msg.Abdicate{Epoch: e, Reason: "disk full"})
	}
}

// transient reports whether a failed Persist may be retried.
func (a *Actor) transient(err error) bool {
	return a.opts.Faults.Transient != nil && a.opts.Faults.Transient(err)
}

// stop ends the actor's work for good and stops the node.
func (a *Actor) stop(err error) {
	a.stopped, a.held = err, nil
	if a.opts.Faults.Fatal == nil {
		panic(fmt.Sprintf("store: persist: %v", err))
	}
	a.opts.Faults.Fatal(fmt.Errorf("store: storage failed; nothing of the failed write was acknowledged: %w", err))
}

// Flush persists, then sends, everything the Store has ready, steps a
// snapshot being built, and publishes the status.
func (a *Actor) Flush(ctx *actors.Context) {
	if a.stopped != nil || a.held != nil {
		a.publishStatus()
		return
	}
	for a.st.HasReady() {
		rd := a.st.Ready()
		// A leader's proposals and commits go out before its own fsync,
		// so the followers' disks work in parallel with the leader's
		// (as etcd's raft allows): a Proposal claims nothing about the
		// leader's disk, and the commit point counts the leader only once
		// its entries are durable. Everything else, acks above all, waits
		// for the fsync.
		late := rd.Messages[:0:0]
		for _, env := range rd.Messages {
			switch env.Kind {
			case msg.KindProposal, msg.KindCommit:
				if err := ctx.Bus.Send(env); err != nil {
					ctx.Log.Debug("send failed", "to", env.To, "kind", env.Kind, "err", err)
				}
			default:
				late = append(late, env)
			}
		}
		a.proposals.add(rd.Entries)
		a.timeProposals(ctx, rd)
		if err := a.disk.Persist(rd.Ready); err != nil {
			// Nothing of rd may be acked: hold it (disk full) or stop.
			a.persistFailed(ctx, rd, late, err)
			a.publishStatus()
			return
		}
		a.carryOut(ctx, rd, late)
	}
	a.stepSnapshot()
	a.observeRole(ctx)
	a.publishStatus()
}

// timeProposals notes when a leader logs its proposals and tells the
// Observer of the commits of those it timed. Without an Observer it
// does nothing.
func (a *Actor) timeProposals(ctx *actors.Context, rd Ready) {
	o := a.opts.Observer
	if o.Proposed == nil && o.Committed == nil || ctx.Clock == nil {
		return
	}
	if a.st.Role() != replica.RoleLeader {
		a.proposed = a.proposed[:0]
		return
	}
	if len(rd.Entries) == 0 && len(rd.Committed) == 0 {
		return
	}
	now := ctx.Clock.Now()
	if len(rd.Entries) > 0 && o.Proposed != nil {
		o.Proposed(len(rd.Entries))
	}
	for _, e := range rd.Entries {
		if len(a.proposed) == maxProposed {
			a.proposed = append(a.proposed[:0], a.proposed[1:]...)
		}
		a.proposed = append(a.proposed, proposedAt{e.Zxid, now})
	}
	i := 0
	for _, e := range rd.Committed {
		for i < len(a.proposed) && a.proposed[i].zxid < e.Zxid {
			i++ // committed without being timed here: not counted
		}
		if i < len(a.proposed) && a.proposed[i].zxid == e.Zxid {
			if o.Committed != nil {
				o.Committed(now.Sub(a.proposed[i].at))
			}
			i++
		}
	}
	if i > 0 {
		// Shift in place: the slice's array is reused, so timing
		// allocates nothing once it has grown to the pipeline's depth.
		n := copy(a.proposed, a.proposed[i:])
		a.proposed = a.proposed[:n]
	}
}

// observeRole follows the replica's role: when a follower begins to
// follow and when it serves (Observer.Synced), and since when a leader
// leads (Status.LeadingSince).
func (a *Actor) observeRole(ctx *actors.Context) {
	if ctx.Clock == nil {
		return // a test's bare context: nothing to time
	}
	role, serving := a.st.Role(), a.st.Serving()
	if role != replica.RoleLeader || !serving {
		a.leadingSince = time.Time{}
	} else if a.leadingSince.IsZero() {
		a.leadingSince = ctx.Clock.Now()
	}
	switch {
	case role != replica.RoleFollower:
		a.followSince = time.Time{}
	case !serving && a.followSince.IsZero():
		a.followSince = ctx.Clock.Now()
	case serving && !a.followSince.IsZero():
		if f := a.opts.Observer.Synced; f != nil {
			f(ctx.Clock.Now().Sub(a.followSince))
		}
		a.followSince = time.Time{}
	}
}

// crashPoint passes a crash point to the hook, if there is one.
func (a *Actor) crashPoint(name string) {
	if a.opts.CrashHook != nil {
		a.opts.CrashHook(name)
	}
}

// carryOut sends what waited for rd's Persist, and advances the store.
func (a *Actor) carryOut(ctx *actors.Context, rd Ready, late []msg.Envelope) {
	for _, env := range late {
		switch env.Kind {
		case msg.KindNewLeaderAck:
			a.crashPoint(CrashSyncBeforeAck)
		case msg.KindSnapChunk:
			a.crashPoint(CrashSnapSend)
		}
		if err := ctx.Bus.Send(env); err != nil {
			ctx.Log.Debug("send failed", "to", env.To, "kind", env.Kind, "err", err)
		}
		switch env.Kind {
		case msg.KindNewLeaderAck:
			a.crashPoint(CrashSyncAfterAck)
		case msg.KindAck:
			a.crashPoint(CrashAckAfterSend)
		}
	}
	for _, r := range rd.Replies {
		var body msg.Body = r.Reply
		if r.Event != nil {
			body = r.Event
		}
		ctx.ToClient(r.To, body)
	}
	if rd.SnapshotDue {
		a.snapshot(ctx)
	}
	a.st.Advance(rd)
}

func (a *Actor) publishStatus() {
	t := a.st.Tree()
	st := &Status{Status: a.st.Status(), Nodes: t.NodeCount(), Digest: t.Digest(), Sessions: a.st.Sessions(),
		Watches: a.st.WatchCounts(), DiskFull: a.held != nil, Ephemerals: t.EphemeralCount(),
		GlobalSessions: t.SessionCount(), DataSize: t.DataSize(), LeadingSince: a.leadingSince}
	st.ProposalSizes = a.proposals.sizes(st.Epoch)
	if a.held != nil || a.stopped != nil {
		st.Serving = false
	}
	a.status.Store(st)
}

// snapshot starts a snapshot of the tree as it is now. The view of it is
// built a slice per Flush (znode.Freezer) and written by a goroutine, so
// writes go on meanwhile and never wait for more than one slice.
func (a *Actor) snapshot(ctx *actors.Context) {
	if !a.snapping.CompareAndSwap(false, true) {
		return // the previous one is still being built or written
	}
	// The next txn goes to a new log file, so the old ones become
	// purgeable once snapshots cover them.
	a.disk.Roll()
	a.freeze(func(view *znode.Tree) { a.writeSnapshot(ctx, view) })
	a.stepSnapshot()
}

// freeze has f called with a view of the tree once it is built: the one
// being built, if any (it is of a committed state no older than the
// request), else a new one.
func (a *Actor) freeze(f func(view *znode.Tree)) {
	a.onView = append(a.onView, f)
	if a.freezer == nil {
		a.freezer = a.st.Tree().StartFreeze()
	}
}

// snapshotSlice is how many znodes one Flush adds to a view being built:
// a few milliseconds of work.
const snapshotSlice = 20_000

func (a *Actor) stepSnapshot() {
	if a.freezer == nil {
		return
	}
	view, done := a.freezer.Step(snapshotSlice)
	if !done {
		return
	}
	a.freezer = nil
	waiting := a.onView
	a.onView = nil
	for _, f := range waiting {
		f(view)
	}
}

// writeSnapshot writes view to the disk on a goroutine of its own, and
// purges old snapshots after.
func (a *Actor) writeSnapshot(ctx *actors.Context, view *znode.Tree) {
	zxid := uint64(view.LastZxid())
	a.snapWG.Add(1)
	a.spawn(func() {
		defer a.snapWG.Done()
		defer a.snapping.Store(false)
		var start time.Time
		if a.opts.Observer.Snapshot != nil {
			start = ctx.Clock.Now()
		}
		var buf bytes.Buffer
		if err := view.WriteSnapshot(&buf); err != nil {
			ctx.Log.Error("serialize snapshot", "err", err)
			return
		}
		if err := a.disk.SaveSnapshot(zxid, buf.Bytes()); err != nil {
			a.log.Error("write snapshot", "zxid", msg.FormatZxid(zxid), "err", err)
			return
		}
		if f := a.opts.Observer.Snapshot; f != nil {
			f(ctx.Clock.Now().Sub(start))
		}
		a.log.Info("snapshot written", "zxid", msg.FormatZxid(zxid), "bytes", buf.Len())
		if a.opts.Retain > 0 {
			if err := a.disk.Purge(a.opts.Retain); err != nil {
				a.log.Warn("purge", "err", err)
			}
		}
	})
}

// ErrNotServing is Backup's answer on a node that serves no epoch: it is
// looking for a leader, its disk is full, or its storage failed. Its tree
// may lag the ensemble's by any amount, so it makes no backup.
var ErrNotServing = errors.New("store: node is not serving (no quorum, or a storage failure)")

// BackupView is a consistent view of the applied tree for a backup.
type BackupView struct {
	// Tree is a frozen view (znode.Freezer): it may be serialized on any
	// goroutine while the store goes on.
	Tree *znode.Tree
	// Epoch is the newest epoch this node knew of when the view was
	// complete: its accepted or current epoch, or the view's zxid's,
	// whichever is highest. A restore starts the ensemble above it.
	Epoch uint64
}

// Backup builds a view of the applied tree as it is now, as a background
// snapshot does (a slice per Flush, so writes are never held up for
// long), and calls done with it on the actor's goroutine once complete;
// done must not block, and serializes the view elsewhere. A node that
// does not serve gets ErrNotServing at once. Call it on the actor's
// goroutine (Runner.Do).
func (a *Actor) Backup(done func(BackupView, error)) {
	if a.st == nil || a.stopped != nil || a.held != nil || !a.st.Status().Serving {
		done(BackupView{}, ErrNotServing)
		return
	}
	a.freeze(func(view *znode.Tree) {
		e := max(a.disk.CurrentEpoch(), a.disk.AcceptedEpoch(), msg.ZxidEpoch(uint64(view.LastZxid())))
		done(BackupView{Tree: view, Epoch: e}, nil)
	})
	a.stepSnapshot()
}

// spawn runs f as ActorOptions.Go says.
func (a *Actor) spawn(f func()) {
	if a.opts.Go != nil {
		a.opts.Go(f)
		return
	}
	go f()
}

// SessionDump is one live session for the dump word: its id, its
// negotiated timeout (ms) and its ephemeral nodes.
type SessionDump struct {
	ID         int64
	Timeout    int32
	Ephemerals []string
}

// DumpSessions lists the live sessions of the applied tree (replicated:
// a follower knows the same ones as the leader, up to its applied zxid)
// with their ephemerals, for the dump word. It reads the tree: call it on
// the actor's goroutine (Runner.Do), it is too costly to publish with
// every status.
func (a *Actor) DumpSessions() []SessionDump {
	if a.st == nil {
		return nil
	}
	t := a.st.Tree()
	ss := t.Sessions()
	out := make([]SessionDump, len(ss))
	for i, s := range ss {
		out[i] = SessionDump{ID: s.ID, Timeout: s.Timeout, Ephemerals: t.GetEphemerals(s.ID)}
	}
	return out
}

// WatchDump is a session's watch on a path, for wchs, wchc and wchp.
type WatchDump struct {
	Session int64
	Path    string
}

// DumpWatches lists the watches of the sessions served here as
// ZooKeeper's data watch manager holds them, for wchs, wchc and wchp:
// data, exists and persistent ones, one per session and path; a child
// watch lives in its child watch manager, which those words do not show.
// Call it on the actor's goroutine (Runner.Do).
func (a *Actor) DumpWatches() []WatchDump {
	if a.st == nil {
		return nil
	}
	var out []WatchDump
	for _, w := range a.st.Watches() { // by path, then session
		if w.Mode == watcher.Child {
			continue
		}
		wd := WatchDump{Session: w.Session, Path: w.Path}
		if n := len(out); n == 0 || out[n-1] != wd {
			out = append(out, wd)
		}
	}
	return out
}

// Tree is the applied tree (nil before Init), for tests and simulations
// that check it. Call it on the actor's goroutine (Runner.Do).
func (a *Actor) Tree() *znode.Tree {
	if a.st == nil {
		return nil
	}
	return a.st.Tree()
}

// Status is the last published status (zero before Init). Any goroutine
// may call it.
func (a *Actor) Status() Status { return *a.status.Load() }

// Wait waits for a snapshot being written in the background; call it
// once the actor's runner has stopped, before the disk is closed.
func (a *Actor) Wait() { a.snapWG.Wait() }
