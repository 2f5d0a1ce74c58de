package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
)

// Bus carries envelopes between actors, within a node and across nodes. It
// is at-most-once: an envelope may be lost, delayed or (on some buses)
// duplicated, and every protocol must survive that.
type Bus interface {
	// Send delivers env to env.To. A broadcast address reaches that role on
	// every other node. An error means the bus is closed or the envelope
	// could not be encoded; a nil error does not mean it arrived.
	Send(env msg.Envelope) error
	// Subscribe registers deliver for envelopes addressed to addr (and for
	// broadcasts to addr.Role from other nodes). deliver must only enqueue.
	Subscribe(addr msg.Addr, deliver func(msg.Envelope)) (unsubscribe func(), err error)
	// ToClient delivers body, a *msg.Reply or *msg.WatchEvent, from the
	// actor at from to the client whose request carried replyTo
	// (msg.Request.ReplyTo). Clients are not actors and have no Addr:
	// replyTo is what the bus put in the request when it took it in, not
	// what the client asked for, and an actor passes it back unchanged.
	// As with Send, a nil error does not mean it arrived.
	ToClient(from msg.Addr, replyTo string, body msg.Body) error
}

// Clock is the only source of time for actors. Implementations must be
// monotonic; tests inject a clock that runs fast, slow or by hand.
type Clock interface {
	Now() time.Time
	NewTicker(d time.Duration) Ticker
}

// Ticker is a Clock's periodic tick.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// SystemClock is the real clock (Go's time carries a monotonic reading).
type SystemClock struct{}

var _ Clock = SystemClock{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// NewTicker returns a real ticker.
func (SystemClock) NewTicker(d time.Duration) Ticker { return sysTicker{time.NewTicker(d)} }

type sysTicker struct{ t *time.Ticker }

func (s sysTicker) C() <-chan time.Time { return s.t.C }
func (s sysTicker) Stop()               { s.t.Stop() }

// Context is what a Machine gets from Run: its address and the seams.
type Context struct {
	Self  msg.Addr
	Bus   Bus
	Clock Clock
	Log   *slog.Logger
}

// Send sends body from this actor to to. Errors are logged, not returned:
// the bus is at-most-once anyway, and the protocols recover from loss.
func (c *Context) Send(to msg.Addr, body msg.Body) {
	if err := c.Bus.Send(msg.New(c.Self, to, body)); err != nil {
		c.Log.Debug("send failed", "to", to, "kind", body.Kind(), "err", err)
	}
}

// ToClient sends body (a reply or a watch event) from this actor to the
// client whose request carried replyTo. Errors are logged, as Send's: a
// client that misses an answer times out and asks again elsewhere.
func (c *Context) ToClient(replyTo string, body msg.Body) {
	if err := c.Bus.ToClient(c.Self, replyTo, body); err != nil {
		c.Log.Debug("reply failed", "kind", body.Kind(), "err", err)
	}
}

// Machine is an actor's shell around its pure core.
type Machine interface {
	// Init (re)builds the machine's state, from durable storage where it has
	// any. Run calls it at start and again after a panic. An error stops the
	// actor.
	Init(ctx *Context) error
	// Receive handles one envelope from the mailbox.
	Receive(ctx *Context, env msg.Envelope)
	// Tick is called every Options.Tick.
	Tick(ctx *Context)
}

// Flusher is implemented by machines that batch work across messages: Run
// calls Flush after it has handed Receive every envelope already waiting in
// the mailbox (and after each Tick). A machine that persists in Flush gets
// group commit for free: everything that arrived during one fsync goes into
// the next one.
type Flusher interface {
	Flush(ctx *Context)
}

// maxBatch bounds how many queued envelopes Receive sees before Flush, so a
// flood of messages cannot postpone persistence (and acks) indefinitely.
const maxBatch = 1024

// Options tunes Run.
type Options struct {
	Tick time.Duration // period of Machine.Tick; required
	// Mailbox is the inbox capacity; envelopes beyond it are dropped (and
	// counted), which the protocols treat as message loss. Default 4096.
	Mailbox int
	// MaxRestarts bounds restarts after panics within RestartWindow before
	// Run gives up with ErrTooManyRestarts. Defaults 5 in a minute.
	MaxRestarts   int
	RestartWindow time.Duration
}

// ErrTooManyRestarts is returned by Run when a machine keeps panicking.
var ErrTooManyRestarts = errors.New("actors: too many restarts")

// Runner is a running actor.
type Runner struct {
	ctx     Context
	m       Machine
	opts    Options
	inbox   chan msg.Envelope
	calls   chan func()
	dropped atomic.Uint64
}

// NewRunner prepares m to run at self. Subscribe happens in Run. The
// actor's log is log with actor=<role> (internal/logging's ActorKey, whose
// per-actor levels key on it); log names the node, once.
func NewRunner(self msg.Addr, bus Bus, clock Clock, log *slog.Logger, m Machine, opts Options) *Runner {
	if opts.Mailbox <= 0 {
		opts.Mailbox = 4096
	}
	if opts.MaxRestarts <= 0 {
		opts.MaxRestarts = 5
	}
	if opts.RestartWindow <= 0 {
		opts.RestartWindow = time.Minute
	}
	if opts.Tick <= 0 {
		panic("actors: Options.Tick must be positive")
	}
	if log == nil {
		log = slog.Default()
	}
	return &Runner{
		ctx:   Context{Self: self, Bus: bus, Clock: clock, Log: log.With("actor", self.Role.String())},
		m:     m,
		opts:  opts,
		inbox: make(chan msg.Envelope, opts.Mailbox),
		calls: make(chan func(), 16),
	}
}

// Dropped is the number of envelopes dropped because the mailbox was full.
func (r *Runner) Dropped() uint64 { return r.dropped.Load() }

// Do runs f on the actor's goroutine and waits for it, so f may read the
// machine's state. It returns ctx's error if the actor is not running.
func (r *Runner) Do(ctx context.Context, f func()) error {
	done := make(chan struct{})
	select {
	case r.calls <- func() { f(); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Deliver puts env in the actor's mailbox, as the bus does; for inputs
// that do not come from the bus subscription (client requests).
func (r *Runner) Deliver(env msg.Envelope) { r.deliver(env) }

func (r *Runner) deliver(env msg.Envelope) {
	select {
	case r.inbox <- env:
	default:
		r.dropped.Add(1)
	}
}

// Run subscribes the actor and runs it until ctx ends (returning nil), Init
// fails, or it panics more than MaxRestarts times within RestartWindow.
func (r *Runner) Run(ctx context.Context) error {
	unsub, err := r.ctx.Bus.Subscribe(r.ctx.Self, r.deliver)
	if err != nil {
		return fmt.Errorf("actors: subscribe %s: %w", r.ctx.Self, err)
	}
	defer unsub()

	var restarts []time.Time
	for {
		panicked, err := r.runOnce(ctx)
		if err != nil {
			return err
		}
		if !panicked {
			return nil
		}
		now := r.ctx.Clock.Now()
		restarts = append(restarts, now)
		for len(restarts) > 0 && now.Sub(restarts[0]) > r.opts.RestartWindow {
			restarts = restarts[1:]
		}
		if len(restarts) > r.opts.MaxRestarts {
			return fmt.Errorf("%w: %s panicked %d times in %s", ErrTooManyRestarts, r.ctx.Self, len(restarts), r.opts.RestartWindow)
		}
	}
}

// runOnce runs Init and the loop; it turns a panic into panicked=true.
func (r *Runner) runOnce(ctx context.Context) (panicked bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.ctx.Log.Error("actor panicked; restarting", "panic", p, "stack", string(debug.Stack()))
			panicked = true
		}
	}()
	if err := r.m.Init(&r.ctx); err != nil {
		return false, fmt.Errorf("actors: init %s: %w", r.ctx.Self, err)
	}
	t := r.ctx.Clock.NewTicker(r.opts.Tick)
	defer t.Stop()
	flusher, _ := r.m.(Flusher)
	for {
		select {
		case <-ctx.Done():
			return false, nil
		case env := <-r.inbox:
			r.m.Receive(&r.ctx, env)
			r.drain()
			if flusher != nil {
				flusher.Flush(&r.ctx)
			}
		case f := <-r.calls:
			f()
		case <-t.C():
			r.m.Tick(&r.ctx)
			if flusher != nil {
				flusher.Flush(&r.ctx)
			}
		}
	}
}

// drain hands Receive the envelopes already queued, up to maxBatch.
func (r *Runner) drain() {
	for i := 0; i < maxBatch; i++ {
		select {
		case env := <-r.inbox:
			r.m.Receive(&r.ctx, env)
		default:
			return
		}
	}
}
