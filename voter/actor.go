package voter

import (
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
	core   *Voter
	status atomic.Pointer[Status]
	last   Status
}

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
	a.core = New(a.cfg, e)
	a.Flush(ctx)
	return nil
}

// Receive steps the core; Flush carries out the result.
func (a *Actor) Receive(_ *actors.Context, env msg.Envelope) { a.core.Step(env) }

// Tick advances the core's clock.
func (a *Actor) Tick(_ *actors.Context) { a.core.Tick() }

// Flush persists, then sends, everything the core has ready.
func (a *Actor) Flush(ctx *actors.Context) {
	for a.core.HasReady() {
		rd := a.core.Ready()
		if rd.AcceptedEpoch != 0 {
			if err := a.store.SaveAcceptedEpoch(rd.AcceptedEpoch); err != nil {
				// Acking an epoch that is not durable could establish two
				// leaders for it after a crash; restart from disk instead.
				panic(fmt.Sprintf("voter: cannot persist accepted epoch %d: %v", rd.AcceptedEpoch, err))
			}
		}
		for _, env := range rd.Messages {
			if err := ctx.Bus.Send(env); err != nil {
				ctx.Log.Debug("send failed", "to", env.To, "kind", env.Kind, "err", err)
			}
		}
		a.core.Advance(rd)
	}
	st := a.core.Status()
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
