package voter

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/paddock-zk/paddock/actors"
	"github.com/paddock-zk/paddock/actors/msg"
)

// EpochStore keeps the accepted epoch durably.
type EpochStore interface {
	LoadAcceptedEpoch() (uint64, error)
	SaveAcceptedEpoch(uint64) error
}

// MemEpochStore is an in-memory EpochStore for tests.
type MemEpochStore struct{ v atomic.Uint64 }

// LoadAcceptedEpoch returns the stored epoch.
func (m *MemEpochStore) LoadAcceptedEpoch() (uint64, error) { return m.v.Load(), nil }

// SaveAcceptedEpoch stores e.
func (m *MemEpochStore) SaveAcceptedEpoch(e uint64) error { m.v.Store(e); return nil }

// Actor runs a Voter as an actor: it persists the accepted epoch before any
// message that depends on it leaves.
type Actor struct {
	cfg    Config
	store  EpochStore
	faults StorageFaults
	core   *Voter
	status atomic.Pointer[Status]
	last   Status

	held    *Ready // a Ready whose epoch save found the disk full
	stopped bool   // the store failed for good

	obs Observer
	// lookingSince is when the current election began (zero when none
	// is going on), for Observer.Elected.
	lookingSince time.Time
}

// Observer hears of elections, for the node's metrics. Nil fields are
// skipped; the others run on the actor's goroutine and must return at
// once.
type Observer struct {
	// Looking: the node began an election (ZooKeeper's looking_count).
	Looking func()
	// Elected: the election that began d ago decided, this node leading
	// or following (ZooKeeper's election_time).
	Elected func(d time.Duration)
}

// SetObserver installs o; call it before the actor runs.
func (a *Actor) SetObserver(o Observer) { a.obs = o }

// StorageFaults says what a failed SaveAcceptedEpoch means. With the zero
// value every failure panics, and the runner restarts the actor from disk.
type StorageFaults struct {
	// Transient reports a failure after which the same save may simply be
	// retried (a full disk). The actor then holds the Ready — sends
	// nothing of it, drops incoming messages, leaves the core alone — and
	// retries on every tick. Election messages may be lost anyway.
	Transient func(error) bool
	// Fatal gets any other failure, once; the actor then does nothing
	// more, and the node is expected to stop.
	Fatal func(error)
}

// SetStorageFaults installs f; call it before the actor runs.
func (a *Actor) SetStorageFaults(f StorageFaults) { a.faults = f }

var (
	_ actors.Machine = (*Actor)(nil)
	_ actors.Flusher = (*Actor)(nil)
)

// NewActor prepares the voter actor; the core is built in Init.
func NewActor(cfg Config, store EpochStore) *Actor {
	a := &Actor{cfg: cfg, store: store}
	a.status.Store(&Status{State: msg.StateLooking})
	return a
}

// Init loads the accepted epoch and starts a new election.
func (a *Actor) Init(ctx *actors.Context) error {
	e, err := a.store.LoadAcceptedEpoch()
	if err != nil {
		return fmt.Errorf("voter: load accepted epoch: %w", err)
	}
	if a.stopped {
		return errors.New("voter: stopped after a storage failure")
	}
	a.core = New(a.cfg, e)
	a.held = nil
	a.Flush(ctx)
	return nil
}

// Receive steps the core; Flush carries out the result. While a Ready is
// held or the actor stopped, messages are dropped.
func (a *Actor) Receive(_ *actors.Context, env msg.Envelope) {
	if a.held == nil && !a.stopped {
		a.core.Step(env)
	}
}

// Tick advances the core's clock, or retries a held Ready.
func (a *Actor) Tick(ctx *actors.Context) {
	switch {
	case a.stopped:
	case a.held != nil:
		rd := *a.held
		if a.save(ctx, rd) {
			a.held = nil
			ctx.Log.Info("accepted epoch saved; disk space is back", "epoch", rd.AcceptedEpoch)
			a.send(ctx, rd)
		}
	default:
		a.core.Tick()
	}
}

// Flush persists, then sends, everything the core has ready.
func (a *Actor) Flush(ctx *actors.Context) {
	for a.held == nil && !a.stopped && a.core.HasReady() {
		rd := a.core.Ready()
		if !a.save(ctx, rd) {
			break
		}
		a.send(ctx, rd)
	}
	st := a.core.Status()
	a.observe(ctx, st)
	if st.State != a.last.State || st.Established != a.last.Established || st.Leader != a.last.Leader || st.Epoch != a.last.Epoch {
		switch {
		case st.State == msg.StateLeading && st.Established:
			ctx.Log.Info("elected leader", "epoch", st.Epoch, "members", st.Members)
		case st.State == msg.StateFollowing && st.Established:
			ctx.Log.Info("following", "leader", uint64(st.Leader), "epoch", st.Epoch)
		case st.State == msg.StateLooking:
			ctx.Log.Info("looking for a leader", "round", st.Round)
		default:
			ctx.Log.Debug("election decided; establishing epoch", "state", st.State, "leader", uint64(st.Leader))
		}
	}
	a.last = st
	a.status.Store(&st)
}

// observe tells the Observer of an election beginning (st LOOKING, the
// last status not, or the first status) and of its decision.
func (a *Actor) observe(ctx *actors.Context, st Status) {
	if a.obs.Looking == nil && a.obs.Elected == nil || ctx.Clock == nil {
		return
	}
	switch {
	case st.State == msg.StateLooking && a.lookingSince.IsZero():
		a.lookingSince = ctx.Clock.Now()
		if a.obs.Looking != nil {
			a.obs.Looking()
		}
	case st.State != msg.StateLooking && !a.lookingSince.IsZero():
		if a.obs.Elected != nil {
			a.obs.Elected(ctx.Clock.Now().Sub(a.lookingSince))
		}
		a.lookingSince = time.Time{}
	}
}

// save makes rd's accepted epoch durable. On failure it holds rd (a full
// disk) or stops the actor, and returns false.
func (a *Actor) save(ctx *actors.Context, rd Ready) bool {
	if rd.AcceptedEpoch == 0 {
		return true
	}
	err := a.store.SaveAcceptedEpoch(rd.AcceptedEpoch)
	switch {
	case err == nil:
		return true
	case a.faults.Transient != nil && a.faults.Transient(err):
		if a.held == nil {
			ctx.Log.Error("cannot save the accepted epoch; the disk is full; holding the election until space returns",
				"epoch", rd.AcceptedEpoch, "err", err)
			a.held = &rd
		}
		return false
	case a.faults.Fatal != nil:
		a.stopped = true
		a.faults.Fatal(fmt.Errorf("voter: cannot persist accepted epoch %d: %w", rd.AcceptedEpoch, err))
		return false
	}
	// Acking an epoch that is not durable could establish two leaders
	// for it after a crash; restart from disk instead.
	panic(fmt.Sprintf("voter: cannot persist accepted epoch %d: %v", rd.AcceptedEpoch, err))
}

// send sends rd's messages and advances the core past rd.
func (a *Actor) send(ctx *actors.Context, rd Ready) {
	for _, env := range rd.Messages {
		if err := ctx.Bus.Send(env); err != nil {
			ctx.Log.Debug("send failed", "to", env.To, "kind", env.Kind, "err", err)
		}
	}
	a.core.Advance(rd)
}

// Status is safe to call from any goroutine.
func (a *Actor) Status() Status { return *a.status.Load() }

// ConfigFor converts ZooKeeper's settings into core ticks of tickUnit.
func ConfigFor(id msg.NodeID, voters []msg.NodeID, tickTime time.Duration, initLimit, syncLimit int, tickUnit time.Duration) Config {
	ticks := func(d time.Duration) int {
		n := int((d + tickUnit - 1) / tickUnit)
		if n < 1 {
			n = 1
		}
		return n
	}
	return Config{
		ID:             id,
		Voters:         voters,
		HeartbeatTicks: ticks(tickTime / 2),
		SyncTicks:      ticks(time.Duration(syncLimit) * tickTime),
		InitTicks:      ticks(time.Duration(initLimit) * tickTime),
		FinalizeTicks:  ticks(200 * time.Millisecond),
		ResendTicks:    ticks(200 * time.Millisecond),
		MaxResendTicks: ticks(tickTime),
	}
}
