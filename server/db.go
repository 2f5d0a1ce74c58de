package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"math/rand"
	"sync"
	"sync/atomic"

	"github.com/paddock-zk/paddock/actors"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/actors/natsbus"
	"github.com/paddock-zk/paddock/internal/crashpoint"
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/store"
	"github.com/paddock-zk/paddock/watcher"
	"github.com/paddock-zk/paddock/zkwire"
	"github.com/paddock-zk/paddock/znode"
)

// disk is what the database actor needs from durable storage
// (wal.Store): the replica's read side, Persist for a Ready, snapshots.
type disk interface {
	replica.Storage
	Persist(rd replica.Ready) error
	SaveSnapshot(zxid uint64, data []byte) error
	Purge(retain int) error
	Latest() (zxid uint64, data []byte, err error)
	Roll()
}

// dbActor runs a store.Store as the node's replica actor: it restores the
// tree from the newest snapshot, persists each Ready before anything it
// implies leaves (the runner's Flush after a mailbox drain makes that a
// group commit), answers clients, and writes snapshots in the background.
type dbActor struct {
	cfg    store.Config
	disk   disk
	bus    *natsbus.Bus
	log    *slog.Logger
	retain int // snapshots kept by purge; 0: never purge

	st     *store.Store
	status atomic.Pointer[DBStatus]

	snapping atomic.Bool
	freezer  *znode.Freezer // a snapshot view being built, a slice per Flush
	snapWG   sync.WaitGroup
}

// DBStatus is what other goroutines may read of the database.
type DBStatus struct {
	replica.Status
	Nodes    int
	Digest   uint64
	Sessions int
	Watches  watcher.Counts // of the sessions served here
}

var (
	_ actors.Machine = (*dbActor)(nil)
	_ actors.Flusher = (*dbActor)(nil)
)

func (a *dbActor) Init(ctx *actors.Context) error {
	tree := znode.New()
	zxid, data, err := a.disk.Latest()
	if err != nil {
		return fmt.Errorf("server: load snapshot: %w", err)
	}
	if zxid != 0 {
		if tree, err = znode.ReadSnapshot(bytes.NewReader(data)); err != nil {
			return fmt.Errorf("server: snapshot %s: %w", msg.FormatZxid(zxid), err)
		}
	}
	cfg := a.cfg
	// A fresh incarnation on every start, so a restarted follower's sync
	// sessions are never mistaken for its old ones.
	cfg.Replica.Rand = rand.New(rand.NewSource(ctx.Clock.Now().UnixNano()))
	a.st = store.New(cfg, a.disk, tree, ctx.Clock.Now().UnixMilli())
	a.log.Info("database loaded", "zxid", msg.FormatZxid(uint64(tree.LastZxid())), "znodes", tree.NodeCount(),
		"log_last", msg.FormatZxid(a.disk.LastZxid()))
	a.Flush(ctx)
	return nil
}

func (a *dbActor) Receive(ctx *actors.Context, env msg.Envelope) {
	a.st.SetNow(ctx.Clock.Now().UnixMilli())
	if env.Kind == msg.KindSnapChunk {
		crashpoint.Hit(crashpoint.SnapReceive)
	}
	if err := a.st.Step(env); err != nil {
		ctx.Log.Warn("replica step", "kind", env.Kind, "from", env.From, "err", err)
	}
}

func (a *dbActor) Tick(ctx *actors.Context) {
	a.st.SetNow(ctx.Clock.Now().UnixMilli())
	a.st.Tick()
}

func (a *dbActor) Flush(ctx *actors.Context) {
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
		if err := a.disk.Persist(rd.Ready); err != nil {
			// Nothing of rd may be acked; the storage refuses further
			// writes after a failed fsync, so a restart reloads from disk
			// or stops the node.
			panic(fmt.Sprintf("server: persist: %v", err))
		}
		for _, env := range late {
			switch env.Kind {
			case msg.KindNewLeaderAck:
				crashpoint.Hit(crashpoint.SyncBeforeAck)
			case msg.KindSnapChunk:
				crashpoint.Hit(crashpoint.SnapSend)
			}
			if err := ctx.Bus.Send(env); err != nil {
				ctx.Log.Debug("send failed", "to", env.To, "kind", env.Kind, "err", err)
			}
			switch env.Kind {
			case msg.KindNewLeaderAck:
				crashpoint.Hit(crashpoint.SyncAfterAck)
			case msg.KindAck:
				crashpoint.Hit(crashpoint.AckAfterSend)
			}
		}
		for _, r := range rd.Replies {
			var body msg.Body = r.Reply
			if r.Event != nil {
				body = r.Event
			}
			if err := a.bus.ToClient(r.To, body); err != nil {
				ctx.Log.Debug("reply failed", "err", err)
			}
		}
		if rd.SnapshotDue {
			a.snapshot(ctx)
		}
		a.st.Advance(rd)
	}
	a.stepSnapshot(ctx)
	t := a.st.Tree()
	a.status.Store(&DBStatus{Status: a.st.Status(), Nodes: t.NodeCount(), Digest: t.Digest(), Sessions: a.st.Sessions(),
		Watches: a.st.WatchCounts()})
}

// snapshot starts a snapshot of the tree as it is now. The view of it is
// built a slice per Flush (znode.Freezer) and written by a goroutine, so
// writes go on meanwhile and never wait for more than one slice.
func (a *dbActor) snapshot(ctx *actors.Context) {
	if !a.snapping.CompareAndSwap(false, true) {
		return // the previous one is still being built or written
	}
	// The next txn goes to a new log file, so the old ones become
	// purgeable once snapshots cover them.
	a.disk.Roll()
	a.freezer = a.st.Tree().StartFreeze()
	a.stepSnapshot(ctx)
}

// snapshotSlice is how many znodes one Flush adds to a view being built:
// a few milliseconds of work.
const snapshotSlice = 20_000

func (a *dbActor) stepSnapshot(ctx *actors.Context) {
	if a.freezer == nil {
		return
	}
	view, done := a.freezer.Step(snapshotSlice)
	if !done {
		return
	}
	a.freezer = nil
	zxid := uint64(view.LastZxid())
	a.snapWG.Add(1)
	go func() {
		defer a.snapWG.Done()
		defer a.snapping.Store(false)
		var buf bytes.Buffer
		if err := view.WriteSnapshot(&buf); err != nil {
			ctx.Log.Error("serialize snapshot", "err", err)
			return
		}
		if err := a.disk.SaveSnapshot(zxid, buf.Bytes()); err != nil {
			a.log.Error("write snapshot", "zxid", msg.FormatZxid(zxid), "err", err)
			return
		}
		a.log.Info("snapshot written", "zxid", msg.FormatZxid(zxid), "bytes", buf.Len())
		if a.retain > 0 {
			if err := a.disk.Purge(a.retain); err != nil {
				a.log.Warn("purge", "err", err)
			}
		}
	}()
}

// dumpSessions lists the live sessions of the applied tree (replicated:
// a follower knows the same ones as the leader, up to its applied zxid)
// with their ephemerals, for the dump word. It reads the tree: call it on
// the actor's goroutine (Runner.Do), it is too costly to publish with
// every status.
func (a *dbActor) dumpSessions() []zkwire.SessionDump {
	if a.st == nil {
		return nil
	}
	t := a.st.Tree()
	ss := t.Sessions()
	out := make([]zkwire.SessionDump, len(ss))
	for i, s := range ss {
		out[i] = zkwire.SessionDump{ID: s.ID, Timeout: s.Timeout, Ephemerals: t.GetEphemerals(s.ID)}
	}
	return out
}

// Status is the last published status (nil before Init).
func (a *dbActor) Status() *DBStatus { return a.status.Load() }
