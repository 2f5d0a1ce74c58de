package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// report gathers the figures of a run and renders them.
type report struct {
	opts              options
	started, finished time.Time
	fsync             float64 // writes/s with one fdatasync each
	zkHeap            string
	versions          []string
	runs              map[string]map[string][]loadResult // workload → system → runs
	failover          map[string][]time.Duration
	cold              map[string]coldResult
	load              loadStats
}

// medianOf is the median of f over a system's runs of a workload, those
// where f could be measured (NaN when none).
func (r *report) medianOf(workload, system string, f func(loadResult) float64) float64 {
	var xs []float64
	for _, lr := range r.runs[workload][system] {
		if v := f(lr); !math.IsNaN(v) {
			xs = append(xs, v)
		}
	}
	return median(xs)
}

// rows is the table: one line per figure.
func (r *report) rows() []row {
	var rows []row
	for _, w := range workloads {
		if r.runs[w.name] == nil {
			continue
		}
		tp := func(s string) float64 {
			return r.medianOf(w.name, s, func(l loadResult) float64 { return l.opsPerSec })
		}
		pv, zv := tp(paddockName), tp(zookeeperName)
		cellTP := func(v float64) string {
			if math.IsNaN(v) {
				return ""
			}
			s := thousands(v) + "/s"
			if w.write && r.fsync > 0 {
				s += fmt.Sprintf(" (%s× fsync)", short(v/r.fsync))
			}
			return s
		}
		rows = append(rows, row{figure: fmt.Sprintf("%s, %d sessions: %s/s (higher is better)", w.name, r.opts.sessions, w.unit),
			paddock: cellTP(pv), zk: cellTP(zv), pv: pv, zv: zv, higherBetter: true})
		for _, q := range []struct {
			name string
			f    func(loadResult) float64
		}{
			{"p50", func(l loadResult) float64 { return ms(l.p50) }},
			{"p99", func(l loadResult) float64 { return ms(l.p99) }},
			{"p999", func(l loadResult) float64 { return ms(l.p999) }},
		} {
			pv, zv := r.medianOf(w.name, paddockName, q.f), r.medianOf(w.name, zookeeperName, q.f)
			rows = append(rows, row{figure: fmt.Sprintf("%s latency %s, ms", w.name, q.name),
				paddock: msCell(pv), zk: msCell(zv), pv: pv, zv: zv})
		}
		cpu := func(l loadResult) float64 { return l.cpuPerOp }
		pv, zv = r.medianOf(w.name, paddockName, cpu), r.medianOf(w.name, zookeeperName, cpu)
		rows = append(rows, row{figure: fmt.Sprintf("%s: CPU of the three servers per %s, µs", w.name, w.unit),
			paddock: usCell(pv), zk: usCell(zv), pv: pv, zv: zv})
	}
	if r.failover != nil {
		cellF := func(ds []time.Duration) (string, float64) {
			if len(ds) == 0 {
				return "", math.NaN()
			}
			var xs []float64
			for _, d := range ds {
				xs = append(xs, ms(d))
			}
			m := median(xs)
			return fmt.Sprintf("%s (%s–%s)", short(m), short(slices.Min(xs)), short(slices.Max(xs))), m
		}
		pc, pv := cellF(r.failover[paddockName])
		zc, zv := cellF(r.failover[zookeeperName])
		rows = append(rows, row{figure: fmt.Sprintf("kill -9 of the leader to the next acknowledged write, ms: median (min–max) of %d", r.opts.trials),
			paddock: pc, zk: zc, pv: pv, zv: zv})
	}
	if r.cold != nil {
		p, pok := r.cold[paddockName]
		z, zok := r.cold[zookeeperName]
		get := func(ok bool, f func() float64) float64 {
			if !ok {
				return math.NaN()
			}
			return f()
		}
		n := r.opts.znodes
		pv := get(pok, func() float64 { return float64(n) / p.populate.Seconds() })
		zv := get(zok, func() float64 { return float64(n) / z.populate.Seconds() })
		rows = append(rows, row{figure: fmt.Sprintf("populate %s znodes: creates/s (%d sessions × %d pipelined)", thousands(float64(n)), r.opts.populateConns, r.opts.populateDepth),
			paddock: tpCell(pv), zk: tpCell(zv), pv: pv, zv: zv, higherBetter: true})
		marks := []int{n}
		if n > rssMarkAt {
			marks = []int{rssMarkAt, n}
		}
		for i, m := range marks {
			pc, pv := rssCell(pok, p, i)
			zc, zv := rssCell(zok, z, i)
			rows = append(rows, row{figure: fmt.Sprintf("RSS per node at %s znodes, MiB: mean (min–max)", thousands(float64(m))),
				paddock: pc, zk: zc, pv: pv, zv: zv})
		}
		pv = get(pok, func() float64 { return p.start.Seconds() })
		zv = get(zok, func() float64 { return z.start.Seconds() })
		rows = append(rows, row{figure: fmt.Sprintf("cold start with %s znodes: start of all three to every node serving getData, s", thousands(float64(n))),
			paddock: secCell(pv), zk: secCell(zv), pv: pv, zv: zv})
	}
	return rows
}

func usCell(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return thousands(v)
}

func msCell(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return short(v)
}

func secCell(v float64) string { return msCell(v) }

func tpCell(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return thousands(v) + "/s"
}

// rssCell is the i-th RSS mark of a cold run: mean (min–max) in MiB.
func rssCell(ok bool, c coldResult, i int) (string, float64) {
	if !ok || i >= len(c.marks) {
		return "", math.NaN()
	}
	var xs []float64
	for _, b := range c.marks[i].bytes {
		xs = append(xs, float64(b)/(1<<20))
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	return fmt.Sprintf("%s (%s–%s)", thousands(mean), thousands(slices.Min(xs)), thousands(slices.Max(xs))), mean
}

// markdown is the whole report: the table and what it was measured on.
func (r *report) markdown() string {
	var b strings.Builder
	o := r.opts
	fmt.Fprintf(&b, "Paddock and Apache ZooKeeper, 3-node ensembles on this machine, fsync on for both; %s.\n\n", r.started.UTC().Format("2006-01-02 15:04 UTC"))
	b.WriteString("Paddock's advantage is Paddock ÷ ZooKeeper for rates and ZooKeeper ÷ Paddock for latencies, times and memory: above 1× Paddock does better.\n\n")
	b.WriteString(markdown(r.rows()))
	b.WriteString("\n")
	fmt.Fprintf(&b, "- fsync ceiling on this disk: %s writes/s (one 100-byte append + fdatasync per write, 2 s); write rates show their multiple of it.\n", thousands(r.fsync))
	if r.runs != nil {
		fmt.Fprintf(&b, "- load: %d sessions spread over the three nodes (one go-zookeeper connection each), 100-byte values; setData on each session's own znode (version -1), getData of it, mix = 90%% getData / 10%% setData; %s per run, median of %d runs per system, order alternating per round, after %s of unreported warm-up per system.\n",
			o.sessions, o.d, o.repeats, o.warmup)
	}
	if r.failover != nil {
		b.WriteString("- failover: a writer on a follower loops setData; time from SIGKILL of the leader to the acknowledgement of the first write issued after it; the node is restarted and the ensemble settled between trials, systems alternating.\n")
	}
	if r.cold != nil {
		fmt.Fprintf(&b, "- cold start: /cold/pNNNN parents with 1,000 children of 100 bytes each; RSS is VmRSS 3 s after populating; then all three nodes stopped with SIGTERM and started together.\n")
		for _, name := range []string{paddockName, zookeeperName} {
			if c, ok := r.cold[name]; ok && c.stopWarning != "" {
				fmt.Fprintf(&b, "- %s's stop was not clean: %s\n", name, c.stopWarning)
			}
		}
	}
	if r.zkHeap != "" {
		fmt.Fprintf(&b, "- ZooKeeper JVM: %s; G1 (the JVM's default here); -XX:+HeapDumpOnOutOfMemoryError as Debian's zkServer.sh.\n", r.zkHeap)
	}
	if len(r.versions) > 0 {
		fmt.Fprintf(&b, "- versions (srvr): %s; client github.com/go-zookeeper/zk v1.0.4.\n", strings.Join(r.versions, "; "))
	}
	fmt.Fprintf(&b, "- machine: %d CPUs, %s; 1-minute load average during the run %s; the run took %s.\n",
		runtime.NumCPU(), memTotal(), r.load, r.finished.Sub(r.started).Round(time.Second))
	return b.String()
}

// memTotal is the machine's RAM as /proc/meminfo tells.
func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "RAM unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			if f := strings.Fields(v); len(f) == 2 {
				if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
					return fmt.Sprintf("%.0f GiB RAM", kb/(1<<20))
				}
			}
		}
	}
	return "RAM unknown"
}

// fsyncCeiling appends 100 bytes and fdatasyncs, over and over for d, in
// a file in dir, and returns the writes per second: what a store that
// syncs every write alone could do on this disk.
func fsyncCeiling(dir string, d time.Duration) (float64, error) {
	path := filepath.Join(dir, "fsync-ceiling")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("fsync ceiling: %w", err)
	}
	defer func() { _ = os.Remove(path) }()
	defer f.Close()
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if _, err := f.Write(value); err != nil {
			return 0, fmt.Errorf("fsync ceiling: %w", err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return 0, fmt.Errorf("fsync ceiling: fdatasync %s: %w", path, err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// loadStats summarizes the 1-minute load average over a run.
type loadStats struct {
	samples []float64
}

func (l loadStats) String() string {
	if len(l.samples) == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f–%.1f (median %.1f, %d samples)", slices.Min(l.samples), slices.Max(l.samples), median(l.samples), len(l.samples))
}

// loadSampler reads /proc/loadavg every 10 s until stopped.
type loadSampler struct {
	mu      sync.Mutex
	samples []float64
	done    chan struct{}
	once    sync.Once
}

func startLoadSampler() *loadSampler {
	s := &loadSampler{done: make(chan struct{})}
	s.sample()
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.sample()
			case <-s.done:
				return
			}
		}
	}()
	return s
}

func (s *loadSampler) sample() {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return
	}
	if v, err := strconv.ParseFloat(f[0], 64); err == nil {
		s.mu.Lock()
		s.samples = append(s.samples, v)
		s.mu.Unlock()
	}
}

// stop ends the sampling (once; later calls return the same figures).
func (s *loadSampler) stop() loadStats {
	s.once.Do(func() {
		s.sample()
		close(s.done)
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	return loadStats{samples: slices.Clone(s.samples)}
}
