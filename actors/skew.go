package actors

import "time"

// SkewedClock is a Clock that is off and drifts, for tests of what a
// node's bad clock may break: from its creation its time runs Rate times
// as fast as real time, starting Offset away from the real clock, and its
// tickers fire every d/Rate of real time, so every timeout counted in
// ticks (elections, heartbeats, session expiry) runs Rate times as fast.
// Its readings carry a monotonic part, so it is still monotonic.
type SkewedClock struct {
	rate   float64
	offset time.Duration
	start  time.Time
	since  func(time.Time) time.Duration // the real time since a reading; time.Since but in tests
}

var _ Clock = (*SkewedClock)(nil)

// NewSkewedClock returns a clock running rate times real time (rate > 0;
// anything else is taken as 1) from now+offset.
func NewSkewedClock(rate float64, offset time.Duration) *SkewedClock {
	if !(rate > 0) {
		rate = 1
	}
	return &SkewedClock{rate: rate, offset: offset, start: time.Now(), since: time.Since}
}

// Rate is how many seconds pass on the clock per real second.
func (c *SkewedClock) Rate() float64 { return c.rate }

// Now is the clock's time.
func (c *SkewedClock) Now() time.Time {
	return c.start.Add(c.offset + time.Duration(float64(c.since(c.start))*c.rate))
}

// NewTicker returns a ticker that fires every d of the clock's time.
func (c *SkewedClock) NewTicker(d time.Duration) Ticker {
	return sysTicker{time.NewTicker(c.interval(d))}
}

// interval is the real time in which d passes on the clock.
func (c *SkewedClock) interval(d time.Duration) time.Duration {
	return max(time.Duration(float64(d)/c.rate), 1)
}
