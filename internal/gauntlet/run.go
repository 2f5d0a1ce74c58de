package gauntlet

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/paddock-zk/paddock/internal/linz"
	"github.com/paddock-zk/paddock/internal/testkit"
)

// Config is one history's settings.
type Config struct {
	Bin      string        // the node binary (testkit.BuildNode)
	Seed     int64         // the fault schedule's and the workload's seed
	Duration time.Duration // how long faults are injected
	Faults   []Fault       // the kinds to draw from (nil: AllFaults)
	Nodes    int           // default 3
	Tick     int           // tickTime in ms, default 500
	Clients  int           // register clients, default 4
	Sessions int           // session-workload clients, default 3
	Keys     int           // register znodes, default 5
	Watchers int           // recursive-watch clients, default 2 (and one one-shot client)
	Writers  int           // writers under the watched subtree, default 2
	Double   float64       // the share of faults overlapped by a second one (0: none)
	Session  time.Duration // the clients' session timeout, default 4s
	Dir      string        // where runs are kept ("" : os.TempDir())
	Logf     func(string, ...any)

	tamper func(*linz.History) // tests: spoil the history before it is checked
}

// Result is what one history found.
type Result struct {
	Seed       int64
	Dir        string // kept on failure, removed otherwise
	Ops        int    // register operations recorded
	Unknown    int    // of which with an unknown outcome
	Errors     int64  // register calls that failed (ConnectionLoss, timeouts, …)
	Sessions   int    // sessions of the session workload
	Expired    int    // of which expired (and were replaced)
	RegExpired int    // register clients' sessions that expired
	Faults     map[Fault]int
	Overlaps   int // of the faults, those injected over another
	Linz       porcupine.CheckResult
	Anomalies  []string
	Elapsed    time.Duration
	FinalState string // every node's state/zxid/digest at the end
	Watch      WatchStats
}

// WatchStats is what the watch workload did.
type WatchStats struct {
	Streams, Events, OneShots int // watcher sessions, events they got, one-shot watches fired or still armed
	Reattached                int // of the streams, those that saw a Disconnected
}

// Failed reports whether the history showed any anomaly.
func (r *Result) Failed() bool { return len(r.Anomalies) > 0 }

func (r *Result) String() string {
	var fs []string
	for f, n := range r.Faults {
		fs = append(fs, fmt.Sprintf("%s=%d", f, n))
	}
	sort.Strings(fs)
	return fmt.Sprintf("seed %d: %d ops (%d unknown, %d errors), %d sessions (%d expired; %d register sessions expired), watches: %d events in %d streams (%d disconnected), %d one-shots, faults [%s] (%d overlapping), linearizability %s, %d anomalies, %s",
		r.Seed, r.Ops, r.Unknown, r.Errors, r.Sessions, r.Expired, r.RegExpired, r.Watch.Events, r.Watch.Streams, r.Watch.Reattached, r.Watch.OneShots,
		strings.Join(fs, " "), r.Overlaps, linzName(r.Linz), len(r.Anomalies), r.Elapsed.Round(time.Second))
}

func linzName(r porcupine.CheckResult) string {
	switch r {
	case porcupine.Ok:
		return "ok"
	case porcupine.Illegal:
		return "VIOLATED"
	}
	return "unknown (checker timed out)"
}

func (c *Config) defaults() {
	if c.Nodes == 0 {
		c.Nodes = 3
	}
	if c.Tick == 0 {
		c.Tick = 500
	}
	if c.Clients == 0 {
		c.Clients = 4
	}
	if c.Sessions == 0 {
		c.Sessions = 3
	}
	if c.Keys == 0 {
		c.Keys = 5
	}
	if c.Watchers == 0 {
		c.Watchers = 2
	}
	if c.Writers == 0 {
		c.Writers = 2
	}

	if c.Session == 0 {
		c.Session = 4 * time.Second
	}
	if len(c.Faults) == 0 {
		c.Faults = AllFaults
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

// Run runs one history: start the ensemble, run the workloads while the
// scheduler injects faults for cfg.Duration, heal everything, then check.
// The error is for a harness that could not run (no binary, no ports); what
// the history shows is in the Result.
func Run(cfg Config) (*Result, error) {
	cfg.defaults()
	began := time.Now()
	dir, err := os.MkdirTemp(cfg.Dir, fmt.Sprintf("paddock-gauntlet-seed%d-", cfg.Seed))
	if err != nil {
		return nil, err
	}
	res := &Result{Seed: cfg.Seed, Dir: dir}
	tl := &Timeline{start: began, logf: cfg.Logf}
	tl.add("seed %d, duration %s, faults %v, dir %s", cfg.Seed, cfg.Duration, cfg.Faults, dir)
	e, err := testkit.NewEnsemble(cfg.Bin, filepath.Join(dir, "ensemble"), cfg.Nodes, testkit.Options{Tick: cfg.Tick, Proxied: true, Faults: true})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	for _, id := range e.IDs() {
		if err := e.Start(id); err != nil {
			return nil, err
		}
	}
	fail := func(format string, args ...any) {
		a := fmt.Sprintf(format, args...)
		tl.add("ANOMALY: %s", a)
		res.Anomalies = append(res.Anomalies, a)
	}
	finish := func() (*Result, error) {
		res.Elapsed = time.Since(began)
		tl.add("%s", res)
		if !res.Failed() {
			e.Close()
			_ = os.RemoveAll(dir)
			return res, nil
		}
		_ = tl.save(filepath.Join(dir, "timeline.txt"))
		_ = os.WriteFile(filepath.Join(dir, "seed"), []byte(fmt.Sprintf("%d\n", cfg.Seed)), 0o644)
		_ = os.WriteFile(filepath.Join(dir, "anomalies.txt"), []byte(strings.Join(res.Anomalies, "\n")+"\n"), 0o644)
		cfg.Logf("FAILED: seed %d kept in %s", cfg.Seed, dir)
		return res, nil
	}
	if l := e.WaitSettled(60*time.Second, e.IDs()...); l == 0 {
		fail("the ensemble did not settle at start: %v", e.Modes())
		return finish()
	}

	ctx, cancel := context.WithTimeout(context.Background(), cfg.Duration+10*time.Minute)
	defer cancel()
	hist := linz.NewHistory()
	keys := make([]string, cfg.Keys)
	for i := range keys {
		keys[i] = fmt.Sprintf("/gauntlet-reg-%d", i)
	}
	regs := &registers{e: e, hist: hist, keys: keys, timeout: cfg.Session, seed: cfg.Seed, tl: tl}
	if err := regs.setup(ctx); err != nil {
		fail("%v", err)
		return finish()
	}
	wat := &watches{e: e, timeout: cfg.Session, seed: cfg.Seed, tl: tl, writers: cfg.Writers, paths: 3, rezxids: map[string][]int64{}, acks: map[int]int{}}
	c := connect(ctx, e, 1, cfg.Session, nil)
	if c == nil {
		fail("no session to set up the watch workload")
		return finish()
	}
	setupErr := wat.setup(ctx, c)
	_ = c.Close()
	if err := setupErr; err != nil {
		fail("%v", err)
		return finish()
	}
	sess := &sessions{e: e, timeout: cfg.Session, tl: tl, current: map[int]*session{}}
	stop := make(chan struct{})
	final := make(chan struct{}) // the writers are done: watchers fence and finish
	var wg sync.WaitGroup
	for w := 1; w <= cfg.Clients; w++ {
		wg.Add(1)
		go func() { defer wg.Done(); regs.worker(ctx, w, stop) }()
	}
	var swg sync.WaitGroup
	for w := 1; w <= cfg.Sessions; w++ {
		swg.Add(1)
		go func() { defer swg.Done(); sess.worker(ctx, w, stop) }()
	}
	var wwg, vwg sync.WaitGroup // writers, watchers
	for w := 1; w <= cfg.Writers; w++ {
		wwg.Add(1)
		go func() { defer wwg.Done(); wat.writer(ctx, w, stop) }()
	}
	for w := 1; w <= cfg.Watchers; w++ {
		vwg.Add(1)
		go func() { defer vwg.Done(); wat.watcher(ctx, w, stop, final) }()
	}
	vwg.Add(1)
	go func() { defer vwg.Done(); wat.oneshot(ctx, cfg.Watchers+1, stop, final) }()

	sch := &scheduler{e: e, rng: newRand(cfg.Seed), faults: cfg.Faults, tl: tl, session: cfg.Session, injected: map[Fault]int{}, double: cfg.Double}
	if err := sch.run(time.Now().Add(cfg.Duration)); err != nil {
		close(stop)
		return nil, err
	}
	res.Faults, res.Overlaps = sch.injected, sch.overlaps
	for _, s := range sch.stuck {
		fail("%s", s)
	}
	tl.add("faults over: heal everything")
	if err := e.HealAll(); err != nil {
		close(stop)
		return nil, err
	}
	if l := e.WaitSettled(60*time.Second, e.IDs()...); l == 0 {
		fail("no leader 60s after the final heal: %v", e.Modes())
	}
	// A calm stretch: the workload must make progress. Every writer of
	// the watch workload must get a write acknowledged (a node whose
	// forwards the leader ignores would stall its sessions for good).
	healed := wat.ackCounts()
	time.Sleep(2 * time.Second)
	for _, v := range wat.progress(healed, 30*time.Second) {
		fail("liveness: %s", v)
	}
	close(stop)
	wg.Wait()
	swg.Wait()
	wwg.Wait()
	close(final)
	vwg.Wait()
	tl.add("workloads stopped: %d register operations", hist.Len())

	// Sessions: checked with a fresh session of the checker's own.
	if c := connect(ctx, e, 1, cfg.Session, nil); c == nil {
		fail("no session for the checks")
	} else {
		for _, v := range sess.check(ctx, c) {
			fail("session: %s", v)
		}
		if scan, err := wat.scan(ctx, c); err != nil {
			fail("watches: final scan: %v", err)
		} else {
			problems := wat.check(scan)
			for _, v := range problems {
				fail("watches: %s", v)
			}
			if len(problems) > 0 {
				if err := wat.save(filepath.Join(dir, "watches.txt")); err != nil {
					cfg.Logf("saving the watch streams: %v", err)
				}
			}
		}
		res.Watch = wat.stats()
		_ = c.Close()
	}
	sess.mu.Lock()
	res.Sessions, res.Expired, res.RegExpired = sess.opened, sess.expired, int(regs.expired.Load())
	sess.mu.Unlock()

	// Digests: every replica at the same zxid with the same digest.
	var state string
	same := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if state, same = e.States(); same {
			break
		}
	}
	res.FinalState = state
	tl.add("replicas: %s", state)
	if !same {
		fail("replicas differ 30s after healing: %s", state)
	}

	// Linearizability.
	if cfg.tamper != nil {
		cfg.tamper(hist)
	}
	res.Ops, res.Errors = hist.Len(), regs.errs.Load()
	res.Unknown = countUnknown(hist)
	viz := filepath.Join(dir, "history.html")
	r, err := hist.Check(3*time.Minute, viz)
	if err != nil {
		fail("writing the visualisation: %v", err)
	}
	res.Linz = r
	switch r {
	case porcupine.Illegal:
		fail("history of %d operations is NOT linearizable; see %s", res.Ops, viz)
	case porcupine.Unknown:
		fail("the linearizability checker timed out on %d operations; see %s", res.Ops, viz)
	}
	if res.Failed() {
		if err := hist.Save(filepath.Join(dir, "history.txt")); err != nil {
			cfg.Logf("saving the history: %v", err)
		}
	}
	return finish()
}

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }

func countUnknown(h *linz.History) int {
	n := 0
	for _, op := range h.Operations() {
		if op.Output.(linz.Output).Unknown {
			n++
		}
	}
	return n
}
