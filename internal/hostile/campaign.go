package hostile

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"time"
)

// Plan is a campaign: every attack at once against one node.
type Plan struct {
	Addr   string // the node's client port
	BusURL string // the node's bus port; "" leaves out the native attacks
	// NativePath is an existing empty znode open to anyone, the target of
	// the native attacks.
	NativePath string
	// MaxBuffer is the node's jute.maxbuffer.
	MaxBuffer int
	// MaxClientCnxns is the node's per-address limit; the campaign opens
	// more sessions than that from one address.
	MaxClientCnxns int
	// Flooders pipeline writes on long-lived sessions; Fuzzers send
	// mutated frames on one short connection after another.
	Flooders, Fuzzers int
	// IdleConns connections are held open doing nothing, spread over
	// addresses at most MaxClientCnxns each.
	IdleConns int
	// FirstFrame is the node's first-frame timeout: half-open and
	// dribbled handshakes must be closed within it (plus slack).
	FirstFrame time.Duration
	// Net is the loopback block the attackers connect from (127.Net.x.y),
	// so none shares an address with a well-behaved client on 127.0.0.1.
	Net  int
	Seed int64
	// Ready, if set, is called once the flooders have their sessions and
	// the connection flood has started.
	Ready func() `json:"-"`
}

// Report is what a campaign did, and what the node did that it must not
// (Violations).
type Report struct {
	FloodSessions, FloodSent, FloodReplies int64
	FuzzConns, FuzzFrames, FuzzDialErrors  int64
	IdleOpened                             int64
	// OneAddressSessions is how many of MaxClientCnxns+extra sessions
	// from one address the node gave.
	OneAddressSessions             int
	HalfOpenClosed, DribbleClosed  time.Duration
	OverSizeFrames, OverSizeWrites int
	NativeChecked                  bool
	Violations                     []string
}

// oneAddressExtra is how many sessions past MaxClientCnxns the campaign
// asks of one address.
const oneAddressExtra = 10

// Run carries out p until ctx ends and returns what happened. The
// flooders start first, so their sessions exist before the connection
// flood; the probes (half-open, dribble, over-size, one address, native)
// run once each, while everything else goes on.
func Run(ctx context.Context, p Plan) *Report {
	rep := &Report{}
	var mu sync.Mutex
	violate := func(format string, args ...any) {
		mu.Lock()
		rep.Violations = append(rep.Violations, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	var addrs atomic.Int64
	next := func() Dialer { return Dialer{From: Loopback(p.Net, int(addrs.Add(1)))} }
	var wg sync.WaitGroup
	spawn := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}

	var fl FloodStats
	for i := 0; i < p.Flooders; i++ {
		d := next()
		path := fmt.Sprintf("/flood-%d", i)
		spawn(func() { Flood(ctx, d, p.Addr, path, &fl) })
	}
	var fuzzConns, fuzzFrames, dialErrs atomic.Int64
	seeds := rand.New(rand.NewSource(p.Seed))
	for i := 0; i < p.Fuzzers; i++ {
		d, seed := next(), seeds.Int63()
		spawn(func() {
			r := rand.New(rand.NewSource(seed))
			for ctx.Err() == nil {
				writes := NewFuzzer(r.Int63()).Conn(1100)
				fuzzConns.Add(1)
				fuzzFrames.Add(int64(len(writes)))
				if err := Send(d, p.Addr, writes); err != nil {
					dialErrs.Add(1)
					pause(ctx, 50*time.Millisecond)
				}
			}
		})
	}
	// More sessions from one address than maxClientCnxns, opened before
	// the connection flood fills the node.
	if p.MaxClientCnxns > 0 {
		held := Sessions(next(), p.Addr, p.MaxClientCnxns+oneAddressExtra)
		spawn(func() {
			n := Hold(ctx, held)
			rep.OneAddressSessions = n
			if n > p.MaxClientCnxns {
				violate("hostile: %d sessions from one address, past maxClientCnxns %d", n, p.MaxClientCnxns)
			}
		})
	}
	// Give the flooders their sessions before the connection flood.
	for end := time.Now().Add(2 * time.Second); fl.Conns.Load() < int64(p.Flooders) && time.Now().Before(end); {
		pause(ctx, 10*time.Millisecond)
	}
	var idle atomic.Int64
	if p.IdleConns > 0 {
		per := max(1, p.MaxClientCnxns-1)
		if p.MaxClientCnxns <= 0 {
			per = p.IdleConns
		}
		var ds []Dialer
		for n := 0; n < p.IdleConns; n += per {
			ds = append(ds, next())
		}
		spawn(func() { ConnFlood(ctx, ds, p.Addr, p.IdleConns, &idle) })
	}
	if p.Ready != nil {
		p.Ready()
	}

	// The probes. A probe that cannot get a session (the node is full)
	// tries again; only what the node does wrong is a violation.
	slack := p.FirstFrame + 5*time.Second
	spawn(func() {
		took, err := retry(ctx, func() (time.Duration, error) { return HalfOpen(next(), p.Addr, slack) })
		if err != nil {
			violate("%v", err)
		}
		rep.HalfOpenClosed = took
	})
	spawn(func() {
		took, err := retry(ctx, func() (time.Duration, error) {
			return Dribble(ctx, next(), p.Addr, 100*time.Millisecond, slack)
		})
		if err != nil {
			violate("%v", err)
		}
		rep.DribbleClosed = took
	})
	if p.MaxBuffer > 0 {
		spawn(func() {
			for i := 0; i < 3 && ctx.Err() == nil; i++ {
				if _, err := retry(ctx, func() (time.Duration, error) {
					return 0, OverSizeFrame(next(), p.Addr, p.MaxBuffer)
				}); err != nil {
					violate("%v", err)
				} else {
					rep.OverSizeFrames++
				}
				if _, err := retry(ctx, func() (time.Duration, error) {
					return 0, OverSizeWrite(next(), p.Addr, "/flood-0", p.MaxBuffer)
				}); err != nil {
					violate("%v", err)
				} else {
					rep.OverSizeWrites++
				}
			}
		})
	}
	if p.BusURL != "" && p.NativePath != "" && p.MaxBuffer > 0 {
		spawn(func() {
			var err error
			for ctx.Err() == nil {
				cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				err = NativeOverSize(cctx, p.BusURL, p.NativePath, p.MaxBuffer)
				cancel()
				if err == nil {
					rep.NativeChecked = true
					return
				}
				pause(ctx, 100*time.Millisecond)
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				violate("%v", err)
			}
		})
	}
	wg.Wait()
	rep.FloodSessions, rep.FloodSent, rep.FloodReplies = fl.Conns.Load(), fl.Sent.Load(), fl.Replies.Load()
	rep.FuzzConns, rep.FuzzFrames, rep.FuzzDialErrors = fuzzConns.Load(), fuzzFrames.Load(), dialErrs.Load()
	rep.IdleOpened = idle.Load()
	return rep
}

// retry runs probe until it gets past the node's door: a probe that
// could not dial or get a session is tried again until ctx ends.
func retry(ctx context.Context, probe func() (time.Duration, error)) (time.Duration, error) {
	for {
		took, err := probe()
		if err == nil || !refused(err) || ctx.Err() != nil {
			if ctx.Err() != nil && refused(err) {
				return took, nil // never got in; nothing wrong seen
			}
			return took, err
		}
		pause(ctx, 100*time.Millisecond)
	}
}

// refused reports whether err is the node not letting a probe in (a
// failed dial or handshake), not the node misbehaving.
func refused(err error) bool { return errors.Is(err, errDoor) }
