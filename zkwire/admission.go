package zkwire

import (
	"sync"
	"time"
)

// Admission shares the node's request path fairly between client
// connections. Every request a connection sends on waits in the node's
// request queue (the database actor's mailbox) and then in a group
// commit, whose fsync the next request waits for; a connection that
// pipelines a thousand writes would put a thousand requests ahead of
// every other client's next one, and keep the log busy with its fsyncs.
// So a request goes on only with a ticket:
//
//   - a fresh ticket, for a request read while its connection had none in
//     flight (the client waited for its answers, as most do): given at
//     once, up to DefaultMaxFresh over the node;
//   - a pipelined ticket, for a request read while its connection had
//     some in flight: at most MaxPipelined over the node at once, handed
//     out round-robin to the connections waiting for one, so however many
//     requests one connection pipelines, it has its share of these few
//     places and a request from anyone else finds at most that many ahead
//     of it.
//
// Pipelined tickets are also paced while clients that wait for their
// answers are active (a fresh request other than a ping within
// busyWindow): each fresh request earns pipelinedPerFresh of a credit,
// one more comes every pipelinedFloor, and a pipelined ticket takes a
// whole one. Requests nobody waits for are not the ones to keep the log
// busy for those who do; on a node with no such clients, pipelined
// requests go as fast as MaxPipelined lets them.
//
// A ticket is given back when its reply leaves the connection; for a
// connection that ended, when the reply comes anyway (settle), since the
// request holds its place in the node's queue until then. A connection
// waiting for a ticket is not read further, so its requests back up in
// TCP as at the outstanding limit: nothing is dropped, and order is kept
// since a connection waits with one request at a time.

// DefaultMaxFresh bounds the fresh tickets over the node: connections
// each with one request in flight (ZooKeeper's globalOutstandingLimit).
const DefaultMaxFresh = 1000

// DefaultMaxPipelined bounds the pipelined tickets over the node: about
// what one group commit takes while the next request waits for it.
const DefaultMaxPipelined = 16

// The pace of pipelined tickets while clients that wait are active.
const (
	busyWindow        = 50 * time.Millisecond
	pipelinedPerFresh = 0.25
	pipelinedFloor    = 20 * time.Millisecond
)

type ticket uint8

const (
	noTicket ticket = iota
	freshTicket
	pipedTicket
)

type admission struct {
	mu                 sync.Mutex
	maxFresh, maxPiped int
	fresh, piped       int
	// queue holds the connections waiting for a ticket, oldest first;
	// a connection is in it at most once (its reader waits), which is what
	// makes it round-robin. Entries from head on are live unless
	// cancelled.
	queue []*waiter
	head  int

	// The pace: credits for pipelined tickets, the last fresh request
	// that counts (lastFresh), when the floor's credits were last added,
	// and whether a timer will hand out tickets when credits come due.
	perFresh  float64
	floor     time.Duration
	busy      time.Duration
	credits   float64
	lastFresh time.Time
	refilled  time.Time
	armed     bool
	now       func() time.Time
	afterFunc func(time.Duration, func()) *time.Timer
}

// admitter is one connection's part of the admission, guarded by its mu.
type admitter struct {
	fresh, piped int // tickets held
	closed       bool
	w            *waiter
}

type waiter struct {
	a         *admitter
	grant     chan ticket // buffered: a grant never blocks
	cancelled bool
}

func newAdmission(maxFresh, maxPiped int) *admission {
	if maxFresh <= 0 {
		maxFresh = DefaultMaxFresh
	}
	if maxPiped <= 0 {
		maxPiped = DefaultMaxPipelined
	}
	return &admission{maxFresh: maxFresh, maxPiped: maxPiped, perFresh: pipelinedPerFresh, floor: pipelinedFloor,
		busy: busyWindow, now: time.Now, afterFunc: time.AfterFunc}
}

// admit waits for a ticket for c's next request; false if done closes
// first. interactive is false for a request that says nothing about a
// client waiting for answers (a ping): it earns no credit.
func (ad *admission) admit(c *admitter, done <-chan struct{}, interactive bool) (ticket, bool) {
	ad.mu.Lock()
	if t := ad.takeLocked(c, true, ad.head == len(ad.queue), interactive); t != noTicket {
		if t == freshTicket && interactive {
			ad.grantLocked() // it earned a credit
		}
		ad.mu.Unlock()
		return t, true
	}
	w := &waiter{a: c, grant: make(chan ticket, 1)}
	c.w = w
	ad.queue = append(ad.queue, w)
	ad.mu.Unlock()
	select {
	case t := <-w.grant:
		return t, true
	case <-done:
	}
	ad.mu.Lock()
	defer ad.mu.Unlock()
	select {
	case t := <-w.grant: // granted meanwhile: give it back
		ad.returnLocked(c, t)
		ad.grantLocked()
	default:
		w.cancelled = true
		c.w = nil
	}
	return noTicket, false
}

// takeLocked gives c a ticket if one is free: fresh if fresh is allowed
// (a request just read, not one that waited in the queue) and c has
// nothing in flight, else pipelined if piped is allowed and the pace has
// a credit for it.
func (ad *admission) takeLocked(c *admitter, fresh, piped, interactive bool) ticket {
	switch {
	case c.closed:
		return noTicket
	case fresh && c.fresh+c.piped == 0 && ad.fresh < ad.maxFresh:
		ad.fresh++
		c.fresh++
		if interactive {
			now := ad.now()
			ad.refillLocked(now)
			ad.lastFresh = now
			ad.credits = min(ad.credits+ad.perFresh, float64(ad.maxPiped))
		}
		return freshTicket
	case piped && ad.piped < ad.maxPiped:
		if now := ad.now(); now.Sub(ad.lastFresh) < ad.busy {
			ad.refillLocked(now)
			if ad.credits < 1 {
				ad.armLocked(now)
				return noTicket
			}
			ad.credits--
		}
		ad.piped++
		c.piped++
		return pipedTicket
	}
	return noTicket
}

// refillLocked adds the floor's credits since the last time.
func (ad *admission) refillLocked(now time.Time) {
	if d := now.Sub(ad.refilled); d > 0 {
		ad.credits = min(ad.credits+float64(d)/float64(ad.floor), float64(ad.maxPiped))
		ad.refilled = now
	}
}

// armLocked sets the timer for when the next credit is due, or the pace
// ends, whichever comes first.
func (ad *admission) armLocked(now time.Time) {
	if ad.armed {
		return
	}
	ad.armed = true
	due := time.Duration((1 - ad.credits) * float64(ad.floor))
	wait := max(min(due, ad.lastFresh.Add(ad.busy).Sub(now)), time.Millisecond)
	ad.afterFunc(wait, func() {
		ad.mu.Lock()
		defer ad.mu.Unlock()
		ad.armed = false
		ad.grantLocked()
	})
}

// release gives back the ticket of a request whose reply left c.
func (ad *admission) release(c *admitter, t ticket) {
	if t == noTicket {
		return
	}
	ad.mu.Lock()
	defer ad.mu.Unlock()
	if c.closed {
		return // given back when it closed
	}
	ad.returnLocked(c, t)
	ad.grantLocked()
}

func (ad *admission) returnLocked(c *admitter, t ticket) {
	switch t {
	case freshTicket:
		ad.fresh--
		c.fresh--
	case pipedTicket:
		ad.piped--
		c.piped--
	}
}

// grantLocked hands free tickets to the waiting connections in turn.
// A waiting request stays pipelined even if its connection's requests
// have all been answered meanwhile: it was sent without waiting.
func (ad *admission) grantLocked() {
	for ad.head < len(ad.queue) {
		w := ad.queue[ad.head]
		if !w.cancelled {
			t := ad.takeLocked(w.a, false, true, false)
			if t == noTicket {
				break
			}
			w.a.w = nil
			w.grant <- t
		}
		ad.queue[ad.head] = nil
		ad.head++
	}
	if ad.head == len(ad.queue) {
		ad.queue, ad.head = ad.queue[:0], 0
	} else if ad.head > 64 && ad.head > len(ad.queue)/2 {
		n := copy(ad.queue, ad.queue[ad.head:])
		clear(ad.queue[n:])
		ad.queue, ad.head = ad.queue[:n], 0
	}
}

// close gives back every ticket c holds.
func (ad *admission) close(c *admitter) {
	ad.mu.Lock()
	defer ad.mu.Unlock()
	if c.closed {
		return
	}
	ad.fresh -= c.fresh
	ad.piped -= c.piped
	c.fresh, c.piped, c.closed = 0, 0, true
	if c.w != nil {
		c.w.cancelled = true
		c.w = nil
	}
	ad.grantLocked()
}

// inFlight is the tickets held over the node, fresh and pipelined.
func (ad *admission) inFlight() (fresh, piped int) {
	ad.mu.Lock()
	defer ad.mu.Unlock()
	return ad.fresh, ad.piped
}
