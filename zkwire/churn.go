package zkwire

import (
	"sync"
	"time"
)

// DefaultSessionRate is how many sessions per second one client address
// may open over time, past its burst (Config.SessionRate).
const DefaultSessionRate = 10

// churn paces the new sessions of each client address with a token
// bucket. A session is a handler and a bus stream, and its handshake a
// createSession: a replicated write whose session the leader then tracks
// until it expires. A client that connects, sends a few frames and hangs
// up, again and again, costs the whole ensemble far more than its
// requests. Each address may open a burst of sessions at once (as many as
// maxClientCnxns lets it hold) and then rate per second; the connection
// of one past that is closed when its handshake comes, as one past
// maxClientCnxns is, and the client tries again later or elsewhere.
// Four-letter words, which open no session, are not paced: monitoring
// polls them.
type churn struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newChurn(rate, burst int) *churn {
	if rate <= 0 {
		rate = DefaultSessionRate
	}
	return &churn{rate: float64(rate), burst: float64(burst), buckets: map[string]*bucket{}}
}

// allow takes a token of addr's bucket at now; false if it has none.
func (c *churn) allow(addr string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweepLocked(now)
	b, ok := c.buckets[addr]
	if !ok {
		b = &bucket{tokens: c.burst, at: now}
		c.buckets[addr] = b
	}
	b.tokens = min(c.burst, b.tokens+now.Sub(b.at).Seconds()*c.rate)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweepLocked drops, now and then, the buckets that have filled up again:
// they are what a new one would be, and an attacker cycling through
// addresses must not grow the map without bound.
func (c *churn) sweepLocked(now time.Time) {
	full := time.Duration(c.burst / c.rate * float64(time.Second))
	if now.Sub(c.sweep) < full {
		return
	}
	c.sweep = now
	for addr, b := range c.buckets {
		if now.Sub(b.at) >= full {
			delete(c.buckets, addr)
		}
	}
}
