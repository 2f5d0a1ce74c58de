package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	zkgo "github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/testkit"
)

// BenchmarkFirstLeader measures, at the default tickTime (2000 ms), the time
// from starting three fresh node processes at once to the ensemble serving
// with one leader and two followers.
func BenchmarkFirstLeader(b *testing.B) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		e := benchEnsemble(b)
		start := time.Now()
		for _, id := range e.IDs() {
			e.Up(b, id)
		}
		waitSettledFast(b, e, e.IDs()...)
		total += time.Since(start)
		e.KillAll()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/leader")
}

// BenchmarkLeaderFailover measures, at the default tickTime, the time from
// kill -9 of the leader to the two survivors serving under a new leader.
func BenchmarkLeaderFailover(b *testing.B) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		e, old := failoverEnsemble(b)
		start := time.Now()
		e.Kill9(old)
		waitSettledFast(b, e, testkit.Without(e.IDs(), old)...)
		total += time.Since(start)
		e.KillAll()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/failover")
}

var benchTrials = flag.Bool("bench.trials", false, "BenchmarkLeaderFailoverWrite: log every trial (go test keeps only the first lines of a benchmark's log)")

var benchNodeBin = flag.String("bench.nodebin", "", "BenchmarkFirstLeader, BenchmarkLeaderFailover*: the node binary to measure (default: this tree's, built once)")

// failoverEnsemble is benchEnsemble started at once and settled; it
// returns the leader.
func failoverEnsemble(b *testing.B) (*testkit.Ensemble, int) {
	b.Helper()
	e := benchEnsemble(b)
	for _, id := range e.IDs() {
		e.Up(b, id)
	}
	return e, waitSettledFast(b, e, e.IDs()...)
}

// benchEnsemble is three node processes of -bench.nodebin (or this
// tree's binary) at the default tickTime, not started.
func benchEnsemble(b *testing.B) *testkit.Ensemble {
	b.Helper()
	if *benchNodeBin == "" {
		return testkit.Processes(b, 3, testkit.Options{})
	}
	e, err := testkit.NewEnsemble(*benchNodeBin, b.TempDir(), 3, testkit.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e.Close)
	return e
}

// BenchmarkLeaderFailoverWrite measures, at the default tickTime, the time
// from kill -9 of the leader to the next acknowledged write through a
// surviving follower. Two go-zookeeper clients connected to that follower
// write in a loop, each to its own znode; a figure ends at the first
// setData sent after the kill that is acknowledged. One client knows all
// three servers (in the order follower, other survivor, old leader, as
// fixedHosts keeps them), the other only the follower: go-zookeeper waits
// a second before it tries again a server list it has been through, so
// the second figure shows that client's back-off rather than the
// ensemble's. It also reports when the survivors serve again per srvr.
// The sorted figures of all trials are logged (each trial with
// -bench.trials), and the median and the slowest reported, since one
// figure hides a bimodal distribution.
func BenchmarkLeaderFailoverWrite(b *testing.B) {
	var writes, writes1, serving []time.Duration
	for i := 0; i < b.N; i++ {
		e, old := failoverEnsemble(b)
		survivors := testkit.Without(e.IDs(), old)
		f := survivors[0]
		all, err := failoverWriter(b, []string{e.ClientAddr(f), e.ClientAddr(survivors[1]), e.ClientAddr(old)}, "/all")
		if err != nil {
			b.Fatal(err)
		}
		one, err := failoverWriter(b, []string{e.ClientAddr(f)}, "/one")
		if err != nil {
			b.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond) // the writers under way
		start := time.Now()
		all.killed.Store(start.UnixNano())
		one.killed.Store(start.UnixNano())
		e.Kill9(old)
		servingCh := make(chan time.Duration, 1)
		go func() {
			// Not waitSettledFast: a benchmark fails only from its own
			// goroutine; a 0 here shows as a trial that never settled.
			for deadline := start.Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
				if e.Leader(survivors...) != 0 {
					servingCh <- time.Since(start)
					return
				}
			}
			servingCh <- 0
		}()
		w, w1 := all.wait(b, start), one.wait(b, start)
		s := <-servingCh
		all.stop()
		one.stop()
		writes, writes1, serving = append(writes, w), append(writes1, w1), append(serving, s)
		if *benchTrials {
			b.Logf("trial %d: leader %d killed, writing through %d: write %s (the follower alone: %s), serving %s",
				i, old, f, w.Round(time.Millisecond), w1.Round(time.Millisecond), s.Round(time.Millisecond))
		}
		e.KillAll()
	}
	b.Logf("%d trials, sorted: write %s; the follower alone %s; serving %s",
		len(writes), sortedMs(writes), sortedMs(writes1), sortedMs(serving))
	p50, slowest := medianMax(writes)
	b.ReportMetric(float64(p50.Milliseconds()), "ms-write-p50")
	b.ReportMetric(float64(slowest.Milliseconds()), "ms-write-max")
	p50, slowest = medianMax(writes1)
	b.ReportMetric(float64(p50.Milliseconds()), "ms-write1-p50")
	b.ReportMetric(float64(slowest.Milliseconds()), "ms-write1-max")
	p50, slowest = medianMax(serving)
	b.ReportMetric(float64(p50.Milliseconds()), "ms-serving-p50")
	b.ReportMetric(float64(slowest.Milliseconds()), "ms-serving-max")
}

// zkWriter is a go-zookeeper client setting one znode in a loop.
type zkWriter struct {
	conn     *zkgo.Conn
	killed   atomic.Int64 // UnixNano of the kill, 0 before
	firstAck chan time.Time
	quit     chan struct{}
	done     chan struct{}
}

func failoverWriter(b *testing.B, servers []string, path string) (*zkWriter, error) {
	b.Helper()
	conn, _, err := zkgo.Connect(servers, 10*time.Second, zkgo.WithLogger(zkQuiet{}), zkgo.WithHostProvider(&fixedHosts{}))
	if err != nil {
		return nil, err
	}
	if _, err := conn.Create(path, nil, 0, zkgo.WorldACL(zkgo.PermAll)); err != nil && err != zkgo.ErrNodeExists {
		conn.Close()
		return nil, err
	}
	w := &zkWriter{conn: conn, firstAck: make(chan time.Time, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.quit:
				return
			default:
			}
			sent := time.Now()
			if _, err := conn.Set(path, []byte("x"), -1); err != nil {
				continue
			}
			if k := w.killed.Load(); k != 0 && sent.UnixNano() >= k {
				select {
				case w.firstAck <- time.Now():
				default:
				}
			}
		}
	}()
	return w, nil
}

// wait returns the time from start to the first write acknowledged after it.
func (w *zkWriter) wait(b *testing.B, start time.Time) time.Duration {
	select {
	case at := <-w.firstAck:
		return at.Sub(start)
	case <-time.After(60 * time.Second):
		b.Fatalf("no write acknowledged within 60s of the kill")
		return 0
	}
}

func (w *zkWriter) stop() {
	close(w.quit)
	w.conn.Close()
	<-w.done
}

// fixedHosts is go-zookeeper's host provider without the shuffle: the
// client connects to the servers in the order given, so it starts on the
// follower and tries the other survivor next.
type fixedHosts struct {
	servers    []string
	curr, last int
}

func (h *fixedHosts) Init(servers []string) error {
	h.servers, h.curr, h.last = servers, -1, -1
	return nil
}

func (h *fixedHosts) Len() int { return len(h.servers) }

func (h *fixedHosts) Next() (string, bool) {
	h.curr = (h.curr + 1) % len(h.servers)
	retryStart := h.curr == h.last
	if h.last == -1 {
		h.last = 0
	}
	return h.servers[h.curr], retryStart
}

func (h *fixedHosts) Connected() { h.last = h.curr }

// sortedMs lists d sorted, in whole ms.
func sortedMs(d []time.Duration) string {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	var b strings.Builder
	for i, x := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, x.Milliseconds())
	}
	return b.String()
}

func medianMax(d []time.Duration) (median, slowest time.Duration) {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2], s[len(s)-1]
}

// zkQuiet silences go-zookeeper's logger.
type zkQuiet struct{}

func (zkQuiet) Printf(string, ...any) {}

// waitSettledFast polls without sleeping between rounds, so the figure is
// not rounded up to the poll period.
// (testkit's WaitSettled polls every 50 ms).
func waitSettledFast(b *testing.B, e *testkit.Ensemble, ids ...int) int {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if l := e.Leader(ids...); l != 0 {
			return l
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.Fatalf("no leader among %v within 60s", ids)
	return 0
}

var benchWindow = flag.Duration("bench.window", 30*time.Second, "BenchmarkIdleSessions: length of each measured window")

// procUsage is a snapshot of the three node processes' CPU time (utime+stime
// from /proc/<pid>/stat) and their bus counters (mntr's paddock_bus_sent
// and paddock_bus_received), and of this process's CPU time (the clients).
type procUsage struct {
	at             time.Time
	nodeCPU, self  time.Duration
	sent, received uint64
}

func nodeUsage(tb testing.TB, e *testkit.Ensemble) procUsage {
	tb.Helper()
	u := procUsage{at: time.Now(), self: procCPU(tb, os.Getpid())}
	for _, id := range e.IDs() {
		u.nodeCPU += procCPU(tb, e.Pid(id))
		kv := e.Mntr(id)
		s, err1 := strconv.ParseUint(kv["paddock_bus_sent"], 10, 64)
		r, err2 := strconv.ParseUint(kv["paddock_bus_received"], 10, 64)
		if err1 != nil || err2 != nil {
			tb.Fatalf("node %d mntr without bus counters: %v", id, kv)
		}
		u.sent += s
		u.received += r
	}
	return u
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on Linux.
const clockTicks = 100

// procCPU is the user plus system CPU time pid has used.
func procCPU(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Skipf("no /proc: %v", err)
	}
	// Fields after the parenthesized command name start at field 3 (state);
	// utime and stime are fields 14 and 15.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		tb.Fatalf("parsing /proc/%d/stat: %q", pid, b)
	}
	return time.Duration(ut+st) * time.Second / clockTicks
}

// rates over the window from u to v: node CPU seconds per second (all three
// nodes together), bus messages sent and received per second (summed over
// the nodes), and this process's CPU seconds per second.
func rates(u, v procUsage) (cpu, sent, received, self float64) {
	d := v.at.Sub(u.at).Seconds()
	return (v.nodeCPU - u.nodeCPU).Seconds() / d, float64(v.sent-u.sent) / d,
		float64(v.received-u.received) / d, (v.self - u.self).Seconds() / d
}

// BenchmarkIdleSessions: a 3-node ensemble of real processes at the
// default tickTime, measured for -bench.window twice: idle (no sessions:
// elections settled, heartbeats only), then holding 1,000 idle sessions of
// the native client (one client.Connect each, spread over the nodes, the
// default 10 s session timeout). An idle client pings once nothing was
// sent for a third of its session timeout (checking every twelfth): every
// 3.3 s, so 1,000 sessions send 300 pings/s to the ensemble. They connect
// within a few seconds, so their pings come in bursts, and a window of only
// two or three ping periods (10 s) over- or undercounts them by up to a
// tenth depending on where it falls; hence the 30 s default.
// Reported per window: node CPU seconds per second (the three processes
// together), bus messages sent and received per second (mntr's counters
// summed over the nodes), and the benchmark process's own CPU (the
// clients) for the sessions window.
func BenchmarkIdleSessions(b *testing.B) {
	const sessions = 1000
	for i := 0; i < b.N; i++ {
		e := testkit.Processes(b, 3, testkit.Options{})
		for _, id := range e.IDs() {
			e.Up(b, id)
			e.WaitAnswering(b, id)
		}
		e.Settle(b, e.IDs()...)
		// Let the election's aftermath (syncs, first heartbeats) pass.
		time.Sleep(2 * time.Second)
		u := nodeUsage(b, e)
		time.Sleep(*benchWindow)
		cpu0, sent0, recv0, _ := rates(u, nodeUsage(b, e))

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		conns := make([]*client.Conn, sessions)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 32)
		var failed atomic.Pointer[error]
		connectStart := time.Now()
		for j := range conns {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				c, err := client.Connect(ctx, []string{e.BusURL(j%3 + 1)}, client.WithLogger(quiet))
				if err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				conns[j] = c
			}()
		}
		wg.Wait()
		connected := time.Since(connectStart)
		if p := failed.Load(); p != nil {
			b.Fatalf("connect: %v", *p)
		}
		if d := conns[0].SessionTimeout(); d != client.DefaultSessionTimeout {
			b.Logf("negotiated session timeout %s", d)
		}
		// Skip the burst of creates: start the window a full ping
		// period after the last connect, when every client is pinging.
		time.Sleep(client.DefaultSessionTimeout / 3)
		u = nodeUsage(b, e)
		time.Sleep(*benchWindow)
		cpu1, sent1, recv1, self1 := rates(u, nodeUsage(b, e))
		for _, c := range conns {
			c.Close()
		}
		cancel()
		e.KillAll()

		b.Logf("%d sessions connected in %s (%.0f/s); window %s", sessions, connected.Round(time.Millisecond),
			sessions/connected.Seconds(), *benchWindow)
		b.ReportMetric(cpu0, "idle-cpu-s/s")
		b.ReportMetric(sent0, "idle-bus-sent/s")
		b.ReportMetric(recv0, "idle-bus-recv/s")
		b.ReportMetric(cpu1, "1k-cpu-s/s")
		b.ReportMetric(sent1, "1k-bus-sent/s")
		b.ReportMetric(recv1, "1k-bus-recv/s")
		b.ReportMetric(self1, "1k-client-cpu-s/s")
	}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
