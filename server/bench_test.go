package server

// Benchmarks of the replicated store: an in-process 3-node ensemble on
// loopback, the native client over the bus, the wal fsyncing every group
// commit. Each figure is reported beside a baseline measured in the same
// process on the same disk (one append+fsync of 100 bytes per write), so
// results read as ratios rather than absolute claims.
//
//	go test -run '^$' -bench . -benchtime 5s -timeout 30m ./server
//	go test -run '^$' -bench Recovery -benchtime 1x ./server -bench.znodes=1000000

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/replica/wal"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire"
	"github.com/paddock-zk/paddock/znode"
)

var benchZnodes = flag.Int("bench.znodes", 0, "znodes in BenchmarkRecovery's snapshot (0: 1,000,000, or 100,000 with -short)")

// benchPeerPassword is the benchmark ensembles' peer password, hence their
// session secret.
const benchPeerPassword = "bench-peer"

// quiet keeps the nodes' logs out of the benchmark output.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// benchEnsemble starts an n-node ensemble on free loopback ports, with
// its own peer password and no client users (unlike testkit.Configs), and
// waits until every node serves.
func benchEnsemble(tb testing.TB, n int) []*Node {
	tb.Helper()
	dir := tb.TempDir()
	var servers strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&servers, "server.%d=127.0.0.1:%d:%d\n", i, testutil.FreePort(tb), testutil.FreePort(tb))
	}
	cfgs := make([]*config.Config, n)
	for i := 1; i <= n; i++ {
		data := filepath.Join(dir, fmt.Sprint(i))
		if err := os.MkdirAll(data, 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, "myid"), []byte(fmt.Sprintln(i)), 0o644); err != nil {
			tb.Fatal(err)
		}
		text := fmt.Sprintf("tickTime=200\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\npaddock.ensemble=b\nadmin.enableServer=false\npaddock.peerUser=peer\npaddock.peerPassword="+benchPeerPassword+"\npaddock.allowAnonymousClients=true\n%s",
			data, testutil.FreePort(tb), servers.String())
		path := filepath.Join(data, "zoo.cfg")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
		c, err := config.Load(path)
		if err != nil {
			tb.Fatal(err)
		}
		cfgs[i-1] = c
	}
	return testkit.StartAll(tb, cfgs, func(_ int, c *config.Config, _ *slog.Logger) (*Node, error) { return Start(c, quiet) })
}

// benchWait polls at 5 ms, finer than testkit.WaitFor, because some
// benchmarks time what it waits for.
func benchWait(tb testing.TB, what string, d time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// benchConns opens k client connections, connection i to nodes[i%len].
func benchConns(tb testing.TB, nodes []*Node, k int) []*client.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conns := make([]*client.Conn, k)
	for i := range conns {
		c, err := client.Connect(ctx, []string{nodes[i%len(nodes)].BusURL()}, client.WithLogger(quiet))
		if err != nil {
			tb.Fatalf("connect %d: %v", i, err)
		}
		conns[i] = c
		tb.Cleanup(func() { c.Close() })
	}
	return conns
}

// followers are the nodes of nodes that follow.
func followers(nodes []*Node) []*Node {
	var out []*Node
	for _, n := range nodes {
		if n.Mode() == zkwire.ModeFollower {
			out = append(out, n)
		}
	}
	return out
}

func skipUnlessBench(b *testing.B) {
	b.Helper()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		b.Skip("benchmark: run with -bench")
	}
}

// run spreads b.N operations over the workers (worker i calls op(i, seq)
// until b.N are taken), timing each one, and reports ops/s under unit,
// the p50 and p99 latency and the CPU time per op; for writes also
// x-fsync, the rate as a multiple of the single-fsync ceiling
// (fsyncCeiling).
func run(b *testing.B, workers int, unit string, op func(ctx context.Context, w int, seq int64) error) {
	b.Helper()
	ctx := context.Background()
	lat := make([][]time.Duration, workers)
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, b.N/workers+1)
			for {
				seq := next.Add(1)
				if seq > int64(b.N) || failed.Load() != nil {
					break
				}
				t0 := time.Now()
				if err := op(ctx, w, seq); err != nil {
					failed.CompareAndSwap(nil, &err)
					break
				}
				mine = append(mine, time.Since(t0))
			}
			lat[w] = mine
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	if p := failed.Load(); p != nil {
		b.Fatal(*p)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(float64(len(all))*p))]) / float64(time.Millisecond)
	}
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, unit)
	// CPU per op, the whole process's (every node, the bus, the clients):
	// steadier than rates on a shared machine, where other work takes
	// the cores but not this process's CPU time.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	if strings.HasPrefix(unit, "reads") {
		return
	}
	if ceil := fsyncCeiling(b); ceil > 0 {
		b.ReportMetric(rate/ceil, "x-fsync")
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var (
	ceilingOnce sync.Once
	ceiling     float64
)

// fsyncCeiling is the baseline: writes/s of one writer appending 100
// bytes to a file and fsyncing it per write, in a directory on the same
// file system as the benchmark's data directories, measured once for 2 s.
func fsyncCeiling(b *testing.B) float64 {
	ceilingOnce.Do(func() {
		dir, err := os.MkdirTemp("", "paddock-fsync-")
		if err != nil {
			return
		}
		defer os.RemoveAll(dir)
		ceiling = fsyncRate(filepath.Join(dir, "f"), 2*time.Second)
		b.Logf("baseline: %.0f append+fsync/s of 100 bytes (%.0f µs each)", ceiling, 1e6/ceiling)
	})
	return ceiling
}

func fsyncRate(path string, d time.Duration) float64 {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, 100)
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if _, err := f.Write(buf); err != nil {
			return 0
		}
		if err := f.Sync(); err != nil {
			return 0
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkFsync is the baseline on its own: one append of 100 bytes and
// one fsync per op, in the temp directory.
func BenchmarkFsync(b *testing.B) {
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "f"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 100)
	for b.Loop() {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fsyncs/s")
}

// BenchmarkWrite: setData of 100 bytes, version -1, each writer on its own
// znode over its own connection, connections spread over the three nodes.
// One ensemble serves every sub-benchmark.
func BenchmarkWrite(b *testing.B) {
	skipUnlessBench(b)
	nodes := benchEnsemble(b, 3)
	conns := benchConns(b, nodes, 32)
	value := bytes.Repeat([]byte("v"), 100)
	for i, c := range conns {
		if _, err := c.Create(context.Background(), fmt.Sprintf("/w%02d", i), value, zk.Persistent, nil); err != nil {
			b.Fatal(err)
		}
	}
	for _, writers := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			run(b, writers, "writes/s", func(ctx context.Context, w int, _ int64) error {
				_, err := conns[w].Set(ctx, fmt.Sprintf("/w%02d", w), value, -1)
				return err
			})
		})
	}
}

// BenchmarkCreate: 32 writers creating 100-byte persistent znodes under
// one parent, connections spread over the three nodes.
func BenchmarkCreate(b *testing.B) {
	skipUnlessBench(b)
	nodes := benchEnsemble(b, 3)
	conns := benchConns(b, nodes, 32)
	value := bytes.Repeat([]byte("v"), 100)
	if _, err := conns[0].Create(context.Background(), "/c", nil, zk.Persistent, nil); err != nil {
		b.Fatal(err)
	}
	var round atomic.Int64
	b.Run("writers=32", func(b *testing.B) {
		r := round.Add(1)
		run(b, 32, "creates/s", func(ctx context.Context, w int, seq int64) error {
			_, err := conns[w].Create(ctx, fmt.Sprintf("/c/n-%d-%010d", r, seq), value, zk.Persistent, nil)
			return err
		})
	})
}

// BenchmarkRead: 32 readers doing getData of one 100-byte znode, their
// connections spread over the two followers (reads stay off the leader).
func BenchmarkRead(b *testing.B) {
	skipUnlessBench(b)
	conns := benchConns(b, followers(benchEnsemble(b, 3)), 32)
	value := bytes.Repeat([]byte("r"), 100)
	ctx := context.Background()
	if _, err := conns[0].Create(ctx, "/r", value, zk.Persistent, nil); err != nil {
		b.Fatal(err)
	}
	for _, c := range conns {
		if err := c.Sync(ctx, "/r"); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("readers=32", func(b *testing.B) {
		run(b, 32, "reads/s", func(ctx context.Context, w int, _ int64) error {
			data, _, err := conns[w].Get(ctx, "/r")
			if err == nil && len(data) != 100 {
				err = fmt.Errorf("read %d bytes", len(data))
			}
			return err
		})
	})
}

// snapshotDir writes a data directory whose newest snapshot holds n
// znodes (plus /app, its parents and the built-ins): /app/svc-%04d parents
// with 1,000 children /app/svc-%04d/node-%08d of 100 bytes each, built
// directly with Tree.Apply and saved through the wal with no log after it.
func snapshotDir(b *testing.B, n int) (dir string, znodes int, bytes int64) {
	b.Helper()
	dir = filepath.Join(b.TempDir(), "data")
	tr := znode.New()
	z := int64(1) << 32 // epoch 1
	apply := func(path string, data []byte) {
		z++
		txn := znode.CreateTxn{Path: path, Data: data, ACL: zk.OpenACLUnsafe, ParentCVersion: -1}
		if r := tr.Apply(znode.TxnHeader{Zxid: z, Time: z & 0xffffffff, Type: zk.OpCreate}, txn); r.Fault != nil {
			b.Fatal(r.Fault)
		}
	}
	apply("/app", nil)
	for i := 0; i < n; i++ {
		if i%1000 == 0 {
			apply(fmt.Sprintf("/app/svc-%04d", i/1000), nil)
		}
		data := make([]byte, 100)
		copy(data, fmt.Sprintf("host-%08d.example.internal:2181", i))
		apply(fmt.Sprintf("/app/svc-%04d/node-%08d", i/1000, i), data)
	}
	st, err := wal.OpenStore(dir, dir, wal.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var cw countWriter
	if err := st.Log().SaveSnapshot(uint64(z), func(w io.Writer) error {
		return tr.WriteSnapshot(io.MultiWriter(w, &cw))
	}); err != nil {
		b.Fatal(err)
	}
	return dir, tr.NodeCount(), int64(cw)
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// BenchmarkRecovery: a data directory whose snapshot holds -bench.znodes
// znodes, loaded two ways. load: the database's load path alone
// (wal.OpenStore, which verifies the snapshot's checksum, then Latest and
// znode.ReadSnapshot), with the live heap of the loaded tree per znode.
// start: server.Start of a standalone node on it until it serves.
func BenchmarkRecovery(b *testing.B) {
	skipUnlessBench(b)
	n := *benchZnodes
	if n == 0 {
		n = 1_000_000
		if testing.Short() {
			n = 100_000
		}
	}
	t0 := time.Now()
	dir, znodes, size := snapshotDir(b, n)
	b.Logf("snapshot of %d znodes, %.1f MiB, built in %v", znodes, float64(size)/(1<<20), time.Since(t0).Round(time.Millisecond))

	b.Run(fmt.Sprintf("load/znodes=%d", n), func(b *testing.B) {
		var heap float64
		for b.Loop() {
			var before, after runtime.MemStats
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.StartTimer()
			st, err := wal.OpenStore(dir, dir, wal.Options{Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			_, data, err := st.Latest()
			if err != nil {
				b.Fatal(err)
			}
			tr, err := znode.ReadSnapshot(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			st.Close()
			b.StopTimer()
			if tr.NodeCount() != znodes {
				b.Fatalf("loaded %d znodes, want %d", tr.NodeCount(), znodes)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			heap = float64(after.HeapAlloc-before.HeapAlloc) / float64(znodes)
			runtime.KeepAlive(tr)
			b.StartTimer()
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/load")
		b.ReportMetric(float64(znodes), "znodes")
		b.ReportMetric(heap, "heap-bytes/znode")
	})

	b.Run(fmt.Sprintf("start/znodes=%d", n), func(b *testing.B) {
		for b.Loop() {
			text := fmt.Sprintf("dataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\npaddock.busPort=%d\nadmin.enableServer=false\n",
				dir, testutil.FreePort(b), testutil.FreePort(b))
			cfg, err := config.Parse(strings.NewReader(text), "zoo.cfg")
			if err != nil {
				b.Fatal(err)
			}
			node, err := Start(cfg, quiet)
			if err != nil {
				b.Fatal(err)
			}
			benchWait(b, "the restarted node serving", 5*time.Minute, func() bool {
				return node.Mode() == zkwire.ModeStandalone && node.StoreStatus().Nodes >= znodes
			})
			b.StopTimer()
			node.Close()
			b.StartTimer()
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/start")
		b.ReportMetric(float64(znodes), "znodes")
	})
}
