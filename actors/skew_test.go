package actors

import (
	"testing"
	"time"
)

// The skewed clock runs rate times real time from its offset start, and
// its tickers' real interval shrinks or grows by the same factor. Real
// time is driven by hand.
func TestSkewedClock(t *testing.T) {
	for _, tt := range []struct {
		rate      float64
		offset    time.Duration
		real      time.Duration
		wantAhead time.Duration // Now minus (real start + real elapsed)
		tick      time.Duration // real interval of a 100ms ticker
	}{
		{rate: 2, real: 10 * time.Second, wantAhead: 10 * time.Second, tick: 50 * time.Millisecond},
		{rate: 0.5, real: 10 * time.Second, wantAhead: -5 * time.Second, tick: 200 * time.Millisecond},
		{rate: 1, offset: -30 * time.Second, real: time.Second, wantAhead: -30 * time.Second, tick: 100 * time.Millisecond},
		{rate: 0, real: time.Second, tick: 100 * time.Millisecond}, // invalid: real rate
	} {
		c := NewSkewedClock(tt.rate, tt.offset)
		var elapsed time.Duration
		c.since = func(time.Time) time.Duration { return elapsed }
		t0 := c.Now()
		if got := t0.Sub(c.start); got != tt.offset {
			t.Errorf("rate %v: starts %s from the real clock, want %s", tt.rate, got, tt.offset)
		}
		elapsed = tt.real
		t1 := c.Now()
		if got := t1.Sub(c.start) - tt.real; got != tt.wantAhead {
			t.Errorf("rate %v after %s: %s ahead of real time, want %s", tt.rate, tt.real, got, tt.wantAhead)
		}
		if !t1.After(t0) {
			t.Errorf("rate %v: time did not advance (%s then %s)", tt.rate, t0, t1)
		}
		if got := c.interval(100 * time.Millisecond); got != tt.tick {
			t.Errorf("rate %v: a 100ms ticker fires every %s of real time, want %s", tt.rate, got, tt.tick)
		}
	}
}
