package actors

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
)

// syncBus delivers synchronously to the one subscriber, for runner tests.
type syncBus struct {
	mu      sync.Mutex
	deliver func(msg.Envelope)
}

func (b *syncBus) Send(env msg.Envelope) error {
	b.mu.Lock()
	d := b.deliver
	b.mu.Unlock()
	if d != nil {
		d(env)
	}
	return nil
}

func (b *syncBus) Subscribe(_ msg.Addr, d func(msg.Envelope)) (func(), error) {
	b.mu.Lock()
	b.deliver = d
	b.mu.Unlock()
	return func() {}, nil
}

func (b *syncBus) ToClient(msg.Addr, string, msg.Body) error { return nil }

func (b *syncBus) ready() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.deliver != nil }

// handClock ticks only when the test says so.
type handClock struct{ c chan time.Time }

func (h handClock) Now() time.Time                 { return time.Now() }
func (h handClock) NewTicker(time.Duration) Ticker { return h }
func (h handClock) C() <-chan time.Time            { return h.c }
func (h handClock) Stop()                          {}

type recorder struct {
	inits, ticks, flushes int
	got                   []uint64
	panicOn               uint64
}

func (r *recorder) Init(*Context) error { r.inits++; return nil }
func (r *recorder) Tick(*Context)       { r.ticks++ }
func (r *recorder) Flush(*Context)      { r.flushes++ }
func (r *recorder) Receive(_ *Context, env msg.Envelope) {
	e := env.Body.(*msg.Ping).Epoch
	if e == r.panicOn {
		panic("boom")
	}
	r.got = append(r.got, e)
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
	}
}

func TestRunnerOrderTickFlushRestart(t *testing.T) {
	bus := &syncBus{}
	clock := handClock{c: make(chan time.Time)}
	rec := &recorder{panicOn: 99}
	r := NewRunner(msg.Addr{Node: 1, Role: msg.RoleVoter}, bus, clock, nil, rec, Options{Tick: time.Millisecond, MaxRestarts: 2})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitUntil(t, bus.ready)

	to := msg.Addr{Node: 1, Role: msg.RoleVoter}
	for i := uint64(1); i <= 5; i++ {
		bus.Send(msg.New(to, to, &msg.Ping{Epoch: i}))
	}
	clock.c <- time.Now()
	read := func() (got []uint64, ticks, flushes, inits int) {
		r.Do(context.Background(), func() {
			got, ticks, flushes, inits = append([]uint64(nil), rec.got...), rec.ticks, rec.flushes, rec.inits
		})
		return
	}
	waitUntil(t, func() bool { g, ticks, _, _ := read(); return len(g) == 5 && ticks == 1 })
	got, _, flushes, _ := read()
	for i, e := range got {
		if e != uint64(i+1) {
			t.Fatalf("out of order: %v", got)
		}
	}
	if flushes == 0 {
		t.Fatal("Flush never called")
	}

	// A panic restarts the machine (Init again); too many stop the runner.
	bus.Send(msg.New(to, to, &msg.Ping{Epoch: 99}))
	waitUntil(t, func() bool { _, _, _, inits := read(); return inits == 2 })
	bus.Send(msg.New(to, to, &msg.Ping{Epoch: 99}))
	bus.Send(msg.New(to, to, &msg.Ping{Epoch: 99}))
	select {
	case err := <-done:
		if !errors.Is(err, ErrTooManyRestarts) {
			t.Fatalf("Run = %v, want ErrTooManyRestarts", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("runner survived more panics than MaxRestarts")
	}
	cancel()
}

func TestRunnerStopsOnCancelAndCountsDrops(t *testing.T) {
	bus := &syncBus{}
	rec := &recorder{}
	r := NewRunner(msg.Addr{Node: 1}, bus, handClock{c: make(chan time.Time)}, nil, rec, Options{Tick: time.Millisecond, Mailbox: 2})
	// Not running yet: the mailbox fills and the rest are dropped.
	for i := 0; i < 5; i++ {
		r.deliver(msg.New(msg.Addr{}, msg.Addr{}, &msg.Ping{}))
	}
	if r.Dropped() != 3 {
		t.Fatalf("dropped %d, want 3", r.Dropped())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel = %v", err)
	}
}
