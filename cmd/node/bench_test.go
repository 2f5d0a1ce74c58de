package main

import (
	"testing"
	"time"
)

// BenchmarkFirstLeader measures, at the default tickTime (2000 ms), the time
// from starting three fresh node processes at once to the ensemble serving
// with one leader and two followers.
func BenchmarkFirstLeader(b *testing.B) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		e := newEnsemble(b, 3, false)
		start := time.Now()
		for _, id := range e.all() {
			e.start(id)
		}
		e.waitSettledFast(e.all()...)
		total += time.Since(start)
		e.killAll()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/leader")
}

// BenchmarkLeaderFailover measures, at the default tickTime, the time from
// kill -9 of the leader to the two survivors serving under a new leader.
func BenchmarkLeaderFailover(b *testing.B) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		e := newEnsemble(b, 3, false)
		for _, id := range e.all() {
			e.start(id)
		}
		old := e.waitSettledFast(e.all()...)
		start := time.Now()
		e.kill9(old)
		e.waitSettledFast(without(e.all(), old)...)
		total += time.Since(start)
		e.killAll()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/failover")
}

// waitSettledFast polls without sleeping between rounds, so the figure is
// not rounded up to the poll period.
func (e *ensemble) waitSettledFast(ids ...int) int {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if l, ok := e.settled(ids...); ok {
			return l
		}
		time.Sleep(2 * time.Millisecond)
	}
	e.t.Fatalf("no leader among %v within 60s\n%s", ids, e.logs())
	return 0
}
