package natsbus

import (
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
)

// BenchmarkRouteMessage sends proposals of one 150-byte entry from one
// node's bus to another's over their route, as fast as they go, and
// reports the process's CPU time per message: sending and receiving,
// encoding and decoding, both NATS servers and the route between them.
// The simulation's scale model (internal/sim, -sim.msg-us) takes half of
// it as a node's cost per message sent or received.
func BenchmarkRouteMessage(b *testing.B) {
	nodes := cluster(b, 2)
	var got atomic.Int64
	to := msg.Addr{Node: 2, Role: msg.RoleStore}
	if _, err := nodes[1].Bus().Subscribe(to, func(msg.Envelope) { got.Add(1) }); err != nil {
		b.Fatal(err)
	}
	from := msg.Addr{Node: 1, Role: msg.RoleStore}
	body := &msg.Proposal{Epoch: 1, Entries: []msg.Entry{{Zxid: 1, Data: make([]byte, 150)}}}
	waitFor(b, "the subscription to reach node 1", func() bool {
		_ = nodes[0].Bus().Send(msg.New(from, to, body))
		return got.Load() > 0
	})
	got.Store(0)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := nodes[0].Bus().Send(msg.New(from, to, body)); err != nil {
			b.Fatal(err)
		}
		// A window, so that neither side's buffers overflow.
		for int64(i)-got.Load() > 1000 {
			time.Sleep(50 * time.Microsecond)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for got.Load() < int64(b.N) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/msg")
	b.ReportMetric(float64(max(0, int64(b.N)-got.Load())), "lost")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
