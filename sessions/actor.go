package sessions

import (
	"sync/atomic"

	"github.com/paddock-zk/paddock/actors"
	"github.com/paddock-zk/paddock/actors/msg"
)

// Actor runs a Tracker as the node's sessions actor.
type Actor struct {
	cfg    Config
	t      *Tracker
	status atomic.Pointer[Status]
}

var (
	_ actors.Machine = (*Actor)(nil)
	_ actors.Flusher = (*Actor)(nil)
)

// NewActor prepares the sessions actor; the tracker is built in Init.
func NewActor(cfg Config) *Actor {
	a := &Actor{cfg: cfg}
	a.status.Store(&Status{})
	return a
}

// Init starts a tracker that does not lead; the store tells it otherwise.
func (a *Actor) Init(ctx *actors.Context) error {
	a.cfg.Logger = ctx.Log
	a.t = New(a.cfg)
	return nil
}

// Receive steps the tracker.
func (a *Actor) Receive(_ *actors.Context, env msg.Envelope) { a.t.Step(env) }

// Tick advances the tracker's clock.
func (a *Actor) Tick(_ *actors.Context) { a.t.Tick() }

// Flush sends what the tracker produced.
func (a *Actor) Flush(ctx *actors.Context) {
	for _, env := range a.t.Messages() {
		if err := ctx.Bus.Send(env); err != nil {
			ctx.Log.Debug("send failed", "to", env.To, "kind", env.Kind, "err", err)
		}
	}
	st := a.t.Status()
	a.status.Store(&st)
}

// Expiries is Tracker.Expiries; call it on the actor's goroutine
// (actors.Runner.Do).
func (a *Actor) Expiries() []Expiry {
	if a.t == nil {
		return nil
	}
	return a.t.Expiries()
}

// Status is the tracker's last published status.
func (a *Actor) Status() Status { return *a.status.Load() }
