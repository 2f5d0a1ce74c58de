package gauntlet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/crashpoint"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/zk"
)

// CrashConfig configures a crash-point campaign: every point of package
// crashpoint hit Hits times on a 3-node ensemble of real processes whose
// storage is a faultfs.FS, so each crash also drops what was not fsynced.
type CrashConfig struct {
	Bin    string
	Dir    string   // where a failing campaign is kept ("": the temp dir)
	Points []string // default: crashpoint.Points and PowerLossAll
	Hits   int      // crashes per point; default 1
	Seed   int64    // the fault file systems' tears and the choice of nodes
	Tick   int      // tickTime in ms; default 200
	// Tries bounds the attempts at one hit; a point not reached in one
	// counts as a miss. Default 3.
	Tries int
	Logf  func(string, ...any)

	// fakeAck, in tests of the campaign itself, adds names to the first
	// check as if their creates had been acknowledged.
	fakeAck []string
}

// PointResult is what the campaign saw of one crash point.
type PointResult struct {
	Point  string
	Hits   int // processes that crashed at the point
	Misses int // attempts in which it was not reached in time
	Acked  int // writes acknowledged while the point was worked
	Lost   int // acknowledged writes missing from a node afterwards
	// What the crashed processes' fault file systems dropped: unsynced
	// bytes, and how many crashes left a file with a torn tail.
	Dropped  int64
	Torn     int
	Failures []string
}

// CrashResult is a whole campaign's outcome.
type CrashResult struct {
	Seed    int64
	Dir     string // kept when Failed
	Points  []PointResult
	Elapsed time.Duration
}

// Failed reports whether a write was lost, replicas diverged, a node did not come back,
// or a point was hit fewer times than asked.
func (r *CrashResult) Failed() bool {
	for _, p := range r.Points {
		if p.Lost > 0 || len(p.Failures) > 0 {
			return true
		}
	}
	return false
}

// Short lists the points hit fewer than want times.
func (r *CrashResult) Short(want int) []string {
	var out []string
	for _, p := range r.Points {
		if p.Hits < want {
			out = append(out, fmt.Sprintf("%s: %d of %d hits (%d misses)", p.Point, p.Hits, want, p.Misses))
		}
	}
	return out
}

// Table prints one line per point.
func (r *CrashResult) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %5s %6s %7s %5s %9s %5s %s\n", "point", "hits", "misses", "acked", "lost", "dropped", "torn", "failures")
	hits, acked, lost, torn := 0, 0, 0, 0
	var dropped int64
	for _, p := range r.Points {
		fmt.Fprintf(&b, "%-22s %5d %6d %7d %5d %9d %5d %d\n", p.Point, p.Hits, p.Misses, p.Acked, p.Lost, p.Dropped, p.Torn, len(p.Failures))
		hits, acked, lost, dropped, torn = hits+p.Hits, acked+p.Acked, lost+p.Lost, dropped+p.Dropped, torn+p.Torn
	}
	fmt.Fprintf(&b, "%-22s %5d %6s %7d %5d %9d %5d   (seed %d, %s)\n", "total", hits, "", acked, lost, dropped, torn, r.Seed, r.Elapsed.Round(time.Second))
	return b.String()
}

// campaign is one crash-point campaign's state.
type campaign struct {
	cfg CrashConfig
	e   *testkit.Ensemble
	rng *rand.Rand
	tl  *Timeline

	mu     sync.Mutex
	acked  []string // names of every acknowledged create under /c: each check checks them all
	all    int      // acknowledged creates, counted
	next   atomic.Int64
	conns  []*client.Conn
	writer *writers
}

const crashRoot = "/c"

// snapCount is the campaign's zoo.cfg snapCount, and snapBurst the writes
// that make a follower down meanwhile need a SNAP: a snapshot comes every
// snapCount/2..snapCount txns, and after three newer ones (the retain
// count) the leader's log no longer holds the follower's last zxid. Much
// smaller would make a TRUNC rare: the leader sends a SNAP to any
// follower whose last zxid is below its latest snapshot (replica's
// floor), so a snapshot soon after the old leader's fork turns the
// sync.after-truncate scenario into a SNAP.
const (
	snapCount = 50
	snapBurst = 5 * snapCount
)

// RunCrash runs a crash-point campaign. The error is for a harness that
// could not run; what the campaign saw is in the result.
func RunCrash(cfg CrashConfig) (*CrashResult, error) {
	if cfg.Hits <= 0 {
		cfg.Hits = 1
	}
	if cfg.Tick == 0 {
		cfg.Tick = 200
	}
	if cfg.Tries <= 0 {
		cfg.Tries = 3
	}
	if len(cfg.Points) == 0 {
		cfg.Points = append(slices.Clone(crashpoint.Points), PowerLossAll)
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	began := time.Now()
	dir, err := os.MkdirTemp(cfg.Dir, fmt.Sprintf("paddock-crash-seed%d-", cfg.Seed))
	if err != nil {
		return nil, err
	}
	res := &CrashResult{Seed: cfg.Seed, Dir: dir}
	e, err := testkit.NewEnsemble(cfg.Bin, filepath.Join(dir, "ensemble"), 3, testkit.Options{Tick: cfg.Tick, Proxied: true, Faults: true})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	e.SetSeed(cfg.Seed)
	// Small snapshots, purged: a follower down for a few hundred writes
	// needs a SNAP, so the snapshot-transfer points are reachable cheaply.
	if err := e.SetConfig(fmt.Sprintf("snapCount=%d\nautopurge.purgeInterval=1\nautopurge.snapRetainCount=3\n", snapCount)); err != nil {
		return nil, err
	}
	c := &campaign{cfg: cfg, e: e, rng: newRand(cfg.Seed), tl: &Timeline{start: began, logf: cfg.Logf}}
	defer c.closeConns()
	defer c.haltWriters() // first: the writers use the sessions
	c.tl.add("crash campaign: seed %d, %d hits of %d points, dir %s", cfg.Seed, cfg.Hits, len(cfg.Points), dir)
	for _, id := range e.IDs() {
		if err := e.Start(id); err != nil {
			return nil, err
		}
	}
	finish := func() (*CrashResult, error) {
		res.Elapsed = time.Since(began)
		c.tl.add("\n%s", res.Table())
		missed := false
		for _, p := range res.Points {
			missed = missed || p.Misses > 0
		}
		if !res.Failed() && !missed {
			e.Close()
			_ = os.RemoveAll(dir)
			return res, nil
		}
		e.Close()
		_ = c.tl.save(filepath.Join(dir, "timeline.txt"))
		what := "FAILED"
		if !res.Failed() {
			what = "points missed"
		}
		cfg.Logf("%s: crash campaign seed %d kept in %s", what, cfg.Seed, dir)
		return res, nil
	}
	if e.WaitSettled(60*time.Second, e.IDs()...) == 0 {
		res.Points = append(res.Points, PointResult{Point: "start", Failures: []string{fmt.Sprintf("the ensemble did not settle: %v", e.Modes())}})
		return finish()
	}
	if err := c.setup(); err != nil {
		res.Points = append(res.Points, PointResult{Point: "start", Failures: []string{err.Error()}})
		return finish()
	}
	for _, p := range cfg.Points {
		pr := PointResult{Point: p}
		for pr.Hits < cfg.Hits && pr.Misses < cfg.Tries*cfg.Hits && len(pr.Failures) == 0 {
			before := c.ackedCount()
			hits, err := c.attempt(p)
			if err != nil {
				return nil, err
			}
			pr.Hits += len(hits)
			for _, a := range hits {
				d, t := c.dropped(a)
				pr.Dropped += d
				pr.Torn += t
			}
			if len(hits) == 0 {
				pr.Misses++
				c.tl.add("%s: MISS (not reached)", p)
			}
			lost, fails := c.recoverAndCheck(p)
			pr.Acked += c.ackedCount() - before
			pr.Lost += lost
			pr.Failures = append(pr.Failures, fails...)
		}
		c.tl.add("%s: %d hits, %d misses, %d acked, %d lost", p, pr.Hits, pr.Misses, pr.Acked, pr.Lost)
		res.Points = append(res.Points, pr)
	}
	return finish()
}

func (c *campaign) setup() error {
	c.conns = make([]*client.Conn, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn := c.conn(ctx, 0)
	if conn == nil {
		return errors.New("gauntlet: no session for the crash campaign")
	}
	if _, err := conn.Create(ctx, crashRoot, nil, zk.Persistent, nil); err != nil {
		return fmt.Errorf("gauntlet: create %s: %w", crashRoot, err)
	}
	return nil
}

// conn is writer i's session, opened again if it expired.
func (c *campaign) conn(ctx context.Context, i int) *client.Conn {
	c.mu.Lock()
	conn := c.conns[i]
	c.mu.Unlock()
	if conn != nil && conn.State() != client.StateExpired {
		return conn
	}
	if conn != nil {
		_ = conn.Close()
	}
	ids := c.e.IDs()
	conn = connect(ctx, c.e, ids[i%len(ids)], 6*time.Second, nil)
	c.mu.Lock()
	c.conns[i] = conn
	c.mu.Unlock()
	return conn
}

func (c *campaign) closeConns() {
	for _, conn := range c.conns {
		if conn != nil {
			_ = conn.Close()
		}
	}
}

func (c *campaign) ackedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.all
}

// writers create znodes under /c, one at a time each, until halted, and
// remember every create that was acknowledged. An unanswered create is
// not remembered: it may or may not have happened.
type writers struct {
	stop chan struct{}
	wg   sync.WaitGroup
}

func (c *campaign) startWriters() {
	if c.writer != nil {
		return
	}
	w := &writers{stop: make(chan struct{})}
	for i := range c.conns {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { <-w.stop; cancel() }()
			for !stopped(w.stop) {
				conn := c.conn(ctx, i)
				if conn == nil {
					return
				}
				name := fmt.Sprintf("n%08d", c.next.Add(1))
				octx, ocancel := context.WithTimeout(ctx, 3*time.Second)
				_, err := conn.Create(octx, crashRoot+"/"+name, []byte(name), zk.Persistent, nil)
				ocancel()
				if err == nil {
					c.mu.Lock()
					c.acked = append(c.acked, name)
					c.all++
					c.mu.Unlock()
					continue
				}
				select { // no quorum or no node: don't spin
				case <-w.stop:
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
	}
	c.writer = w
}

func (c *campaign) haltWriters() {
	if c.writer == nil {
		return
	}
	close(c.writer.stop)
	c.writer.wg.Wait()
	c.writer = nil
}

// burst has n more writes acknowledged (or gives up after d).
func (c *campaign) burst(n int, d time.Duration) {
	want := c.ackedCount() + n
	c.startWriters()
	for deadline := time.Now().Add(d); c.ackedCount() < want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

// leaderAndFollowers waits for a settled ensemble.
func (c *campaign) leaderAndFollowers() (int, []int) {
	l := c.e.WaitSettled(30*time.Second, c.e.IDs()...)
	if l == 0 {
		return 0, nil
	}
	var fs []int
	for _, id := range c.e.IDs() {
		if id != l {
			fs = append(fs, id)
		}
	}
	return l, fs
}

// armed is a node armed for this attempt and where its log stood.
type armed struct {
	id  int
	off int64
}

func (c *campaign) arm(id int, spec string) (armed, error) {
	var off int64
	if st, err := os.Stat(c.e.LogPath(id)); err == nil {
		off = st.Size()
	}
	return armed{id, off}, c.e.ArmCrash(id, spec)
}

// hitIn reports whether node a.id's log shows point p firing since armed.
func (c *campaign) hitIn(a armed, p string) bool {
	b, err := os.ReadFile(c.e.LogPath(a.id))
	if err != nil || int64(len(b)) < a.off {
		return false
	}
	return bytes.Contains(b[a.off:], []byte(crashpoint.HitLine+p+" hit"))
}

// faultFSLine is how cmd/node reports a simulated power loss.
var faultFSLine = regexp.MustCompile(`paddock: faultfs: simulated power loss: .* dropping (\d+) unsynced bytes, (\d+) left torn`)

// dropped reads what the crash of a.id's process dropped from its log.
func (c *campaign) dropped(a armed) (int64, int) {
	b, err := os.ReadFile(c.e.LogPath(a.id))
	if err != nil || int64(len(b)) < a.off {
		return 0, 0
	}
	m := faultFSLine.FindSubmatch(b[a.off:])
	if m == nil {
		return 0, 0
	}
	d, _ := strconv.ParseInt(string(m[1]), 10, 64)
	t, _ := strconv.Atoi(string(m[2]))
	return d, t
}

// awaitCrash waits up to d for any of the armed nodes to exit. It gives
// up early when node syncing (0: none) serves as a follower: its sync is
// over, so the points it was to pass are behind it.
func (c *campaign) awaitCrash(as []armed, d time.Duration, syncing int) {
	deadline := time.Now().Add(d)
	for i := 0; time.Now().Before(deadline); i++ {
		if syncing != 0 && i%10 == 9 && c.e.Mode(syncing) == "follower" {
			return
		}
		for _, a := range as {
			if ch := c.e.Exited(a.id); ch != nil {
				select {
				case <-ch:
					return
				default:
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// attempt works point p once and returns the processes that crashed at
// it. Writes run throughout; nodes are left armed or stopped for
// recoverAndCheck to restore.
func (c *campaign) attempt(p string) ([]armed, error) {
	l, fs := c.leaderAndFollowers()
	if l == 0 {
		return nil, nil // recoverAndCheck reports it
	}
	f := fs[c.rng.Intn(len(fs))]
	var as []armed
	arm := func(id int) error {
		a, err := c.arm(id, p)
		as = append(as, a)
		return err
	}
	wait, syncing := 15*time.Second, 0
	switch p {
	case crashpoint.WALBeforeFsync, crashpoint.WALAfterFsync:
		target := f
		if c.rng.Intn(2) == 0 {
			target = l
		}
		c.tl.add("%s: arm node %d (%s), write", p, target, roleOf(target, l))
		if err := arm(target); err != nil {
			return nil, err
		}
		c.startWriters()
	case crashpoint.AckAfterSend:
		c.tl.add("%s: arm follower %d, write", p, f)
		if err := arm(f); err != nil {
			return nil, err
		}
		c.startWriters()
	case crashpoint.EpochBeforeAccepted, crashpoint.EpochAfterAccepted, crashpoint.EpochBeforeCurrent, crashpoint.EpochAfterCurrent:
		// A new epoch: both followers armed, the leader killed; whichever
		// writes the epoch file first crashes there.
		c.tl.add("%s: arm followers %v, kill -9 leader %d", p, fs, l)
		for _, id := range fs {
			if err := arm(id); err != nil {
				return nil, err
			}
		}
		c.burst(10, 10*time.Second) // acknowledged right before the epoch ends
		c.e.Kill9(l)
	case crashpoint.SyncBeforeAck, crashpoint.SyncAfterAck:
		// A follower restarted after missing writes syncs by DIFF.
		c.tl.add("%s: kill -9 follower %d, write, restart it armed", p, f)
		c.e.Kill9(f)
		c.burst(20, 10*time.Second)
		if err := arm(f); err != nil {
			return nil, err
		}
		if err := c.e.Start(f); err != nil {
			return nil, err
		}
		syncing = f
	case crashpoint.SyncAfterTruncate:
		if err := c.makeTruncTail(l); err != nil {
			return nil, err
		}
		c.tl.add("%s: restart old leader %d armed: it holds a tail the new leader lacks (TRUNC)", p, l)
		if err := arm(l); err != nil {
			return nil, err
		}
		if err := c.e.Start(l); err != nil {
			return nil, err
		}
		syncing = l
	case crashpoint.SnapSend, crashpoint.SnapReceive, crashpoint.SnapInstallBefore, crashpoint.SnapInstallMid, crashpoint.SnapInstallAfter:
		// A follower down while the leader snapshots and purges past it
		// needs a SNAP when it returns.
		c.tl.add("%s: kill -9 follower %d, write past several purged snapshots, restart it", p, f)
		c.e.Kill9(f)
		c.burst(snapBurst, 30*time.Second)
		target := f
		if p == crashpoint.SnapSend {
			target = l
		}
		if err := arm(target); err != nil {
			return nil, err
		}
		if target == l {
			time.Sleep(100 * time.Millisecond) // the leader polls its control file
		}
		if err := c.e.Start(f); err != nil {
			return nil, err
		}
		syncing = f
	case PowerLossAll:
		return c.powerLossAll()
	default:
		return nil, fmt.Errorf("gauntlet: no scenario for crash point %q", p)
	}
	c.awaitCrash(as, wait, syncing)
	time.Sleep(200 * time.Millisecond) // a second armed node may be about to fire too
	var hits []armed
	for _, a := range as {
		if err := c.e.ArmCrash(a.id, ""); err != nil {
			return nil, err
		}
		if c.hitIn(a, p) {
			hits = append(hits, a)
			c.tl.add("%s: node %d crashed there", p, a.id)
		}
	}
	return hits, nil
}

// PowerLossAll is a campaign step beside the crash points: every node
// loses power at once while writes go on (each one's fault file system
// drops what it had not fsynced), as a whole rack would. Every write
// acknowledged before must survive: a follower acks only what it fsynced,
// and the leader counts itself only once its own fsync returned.
const PowerLossAll = "ensemble.power-loss"

// powerLossLine is what cmd/node prints when its control file says crash.
const powerLossLine = crashpoint.HitLine + "faultfs.power-loss hit"

func (c *campaign) powerLossAll() ([]armed, error) {
	c.tl.add("%s: write, then every node loses power", PowerLossAll)
	c.burst(20, 10*time.Second) // the writers go on during the crash
	var as []armed
	for _, id := range c.e.IDs() {
		var off int64
		if st, err := os.Stat(c.e.LogPath(id)); err == nil {
			off = st.Size()
		}
		as = append(as, armed{id, off})
	}
	for _, id := range c.e.IDs() {
		if err := c.e.SetStorageFault(id, "crash"); err != nil {
			return nil, err
		}
	}
	for _, id := range c.e.IDs() {
		select {
		case <-c.e.Exited(id):
		case <-time.After(5 * time.Second):
		}
	}
	var hits []armed
	for _, a := range as {
		// Before the restart: a new process reads the file at once.
		if err := c.e.SetStorageFault(a.id, "none"); err != nil {
			return nil, err
		}
		b, err := os.ReadFile(c.e.LogPath(a.id))
		if err == nil && int64(len(b)) >= a.off && bytes.Contains(b[a.off:], []byte(powerLossLine)) {
			hits = append(hits, a)
		}
	}
	c.tl.add("%s: %d of %d nodes crashed", PowerLossAll, len(hits), len(as))
	return hits, nil
}

func roleOf(id, leader int) string {
	if id == leader {
		return "leader"
	}
	return "follower"
}

// makeTruncTail leaves leader l stopped with log entries no quorum has:
// its routes are slowed so its proposals sit in the proxies while it
// appends and fsyncs them itself, it is killed, the routes are closed
// (losing the proposals in flight), and the others elect a new leader and
// go on. (Cutting it off instead does not work: the bus tells it at once
// and it stops taking writes.)
func (c *campaign) makeTruncTail(l int) error {
	c.haltWriters()
	others := slices.DeleteFunc(c.e.IDs(), func(id int) bool { return id == l })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := client.Connect(ctx, c.e.BusURLs(l)[:1], client.WithSessionTimeout(6*time.Second), client.WithLogger(c.e.ClientLog()))
	if err != nil {
		c.tl.add("no session on leader %d: %v", l, err)
	} else {
		c.tl.add("%s: slow leader %d's routes, write to it", crashpoint.SyncAfterTruncate, l)
		c.e.Delay(l, 5*time.Second)
		for i := range 5 {
			go func() {
				octx, ocancel := context.WithTimeout(ctx, 2*time.Second)
				defer ocancel()
				// Never acknowledged (its proposals do not get out); only
				// the leader's own append matters.
				_, _ = conn.Create(octx, fmt.Sprintf("%s/tail-%d-%d", crashRoot, c.next.Add(1), i), nil, zk.Persistent, nil)
			}()
		}
		time.Sleep(300 * time.Millisecond) // the leader appends and fsyncs them
	}
	c.tl.add("kill -9 leader %d, drop what its routes hold", l)
	c.e.Kill9(l)
	c.e.Cut([]int{l}, others)
	c.e.HealRoutes()
	if conn != nil {
		_ = conn.Close()
	}
	// The new epoch has entries of its own, but few: with the campaign's
	// small snapCount, more would let the new leader purge the old
	// epoch's log and send a SNAP instead of the TRUNC.
	c.burst(3, 15*time.Second)
	c.haltWriters()
	return nil
}

// recoverAndCheck disarms and restarts every node, waits for them to
// settle, and checks that every acknowledged write is on every node and
// that the replicas agree. It returns the lost writes and other failures.
func (c *campaign) recoverAndCheck(p string) (int, []string) {
	c.haltWriters()
	var fails []string
	for _, id := range c.e.IDs() {
		if err := c.e.ArmCrash(id, ""); err != nil {
			fails = append(fails, err.Error())
		}
		if ch := c.e.Exited(id); ch != nil {
			select {
			case <-ch:
				c.e.Kill9(id) // collect the crashed process
			default:
			}
		}
	}
	time.Sleep(50 * time.Millisecond) // running nodes see the disarm first
	for _, id := range c.e.IDs() {
		if !c.e.Running(id) {
			if err := c.e.Start(id); err != nil {
				return 0, append(fails, err.Error())
			}
		}
	}
	if c.e.WaitSettled(60*time.Second, c.e.IDs()...) == 0 {
		modes := c.e.Modes()
		c.tl.add("%s: NOT SETTLED 60s after the restart: %v", p, modes)
		return 0, append(fails, fmt.Sprintf("no leader 60s after restarting: %v", modes))
	}
	c.mu.Lock()
	c.acked = append(c.acked, c.cfg.fakeAck...)
	c.cfg.fakeAck = nil
	want := c.acked
	c.mu.Unlock()
	lost := map[string]bool{}
	for _, id := range c.e.IDs() {
		missing, err := c.missingOn(id, want)
		if err != nil {
			fails = append(fails, fmt.Sprintf("node %d: %v", id, err))
			continue
		}
		for _, m := range missing {
			lost[m] = true
		}
		if len(missing) > 0 {
			c.tl.add("%s: LOST on node %d: %d acknowledged writes, e.g. %v", p, id, len(missing), missing[:min(5, len(missing))])
		}
	}
	var state string
	same := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if state, same = c.e.States(); same {
			break
		}
	}
	if !same {
		c.tl.add("%s: replicas differ: %s", p, state)
		fails = append(fails, "replicas differ: "+state)
	}
	return len(lost), fails
}

// missingOn lists the names of want that node id lacks once it caught up
// with the leader (sync).
func (c *campaign) missingOn(id int, want []string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := client.Connect(ctx, c.e.BusURLs(id)[:1], client.WithSessionTimeout(6*time.Second), client.WithLogger(c.e.ClientLog()))
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if _, on := conn.Node(); int(on) != id {
		return nil, fmt.Errorf("asked node %d, the session is on node %d", id, on)
	}
	if err := conn.Sync(ctx, crashRoot); err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	names, _, err := conn.Children(ctx, crashRoot)
	if err != nil {
		return nil, fmt.Errorf("children of %s: %w", crashRoot, err)
	}
	have := make(map[string]bool, len(names))
	for _, n := range names {
		have[n] = true
	}
	var missing []string
	for _, n := range want {
		if !have[n] {
			missing = append(missing, n)
		}
	}
	return missing, nil
}

// schedulerPoints are the crash points the randomized scheduler arms: those
// the ongoing workload reaches. The snapshot-transfer points and the TRUNC
// need the campaign's small snapCount and its staged forks (RunCrash).
var schedulerPoints = []string{
	crashpoint.WALBeforeFsync, crashpoint.WALAfterFsync, crashpoint.AckAfterSend,
	crashpoint.SyncBeforeAck, crashpoint.SyncAfterAck,
	crashpoint.EpochBeforeAccepted, crashpoint.EpochAfterAccepted, crashpoint.EpochBeforeCurrent, crashpoint.EpochAfterCurrent,
}

// crashPoint is the crash-point fault of the randomized scheduler: a
// random point armed where the ongoing workload can reach it (a node
// taking writes; a follower restarted into a sync; the followers of a
// leader that is killed, for the epoch files), a wait for the crash, and
// every node restarted unarmed. A point not reached within the wait is
// disarmed and noted. The workloads' checks and the final digest
// comparison judge the outcome.
func (s *scheduler) crashPoint() error {
	p := schedulerPoints[s.rng.Intn(len(schedulerPoints))]
	l := s.leader()
	fs := s.others(l)
	f := fs[s.rng.Intn(len(fs))]
	var armedIDs []int
	arm := func(id int) error {
		armedIDs = append(armedIDs, id)
		return s.e.ArmCrash(id, p)
	}
	switch p {
	case crashpoint.WALBeforeFsync, crashpoint.WALAfterFsync:
		id := s.random()
		s.tl.add("%s: arm %s on node %d", CrashPoint, p, id)
		if err := arm(id); err != nil {
			return err
		}
	case crashpoint.AckAfterSend:
		s.tl.add("%s: arm %s on follower %d", CrashPoint, p, f)
		if err := arm(f); err != nil {
			return err
		}
	case crashpoint.EpochBeforeAccepted, crashpoint.EpochAfterAccepted, crashpoint.EpochBeforeCurrent, crashpoint.EpochAfterCurrent:
		s.tl.add("%s: arm %s on followers %v, kill -9 leader %d", CrashPoint, p, fs, l)
		for _, id := range fs {
			if err := arm(id); err != nil {
				return err
			}
		}
		s.e.Kill9(l)
	case crashpoint.SyncBeforeAck, crashpoint.SyncAfterAck:
		s.tl.add("%s: kill -9 follower %d, restart it with %s armed", CrashPoint, f, p)
		s.e.Kill9(f)
		time.Sleep(s.between(500*time.Millisecond, 3*time.Second))
		if err := arm(f); err != nil {
			return err
		}
		if err := s.e.Start(f); err != nil {
			return err
		}
	default:
		return fmt.Errorf("gauntlet: no crash-point fault for %q", p)
	}
	crashed := 0
	for deadline := time.Now().Add(10 * time.Second); crashed == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, id := range armedIDs {
			if ch := s.e.Exited(id); ch != nil {
				select {
				case <-ch:
					crashed++
				default:
				}
			}
		}
	}
	time.Sleep(200 * time.Millisecond) // another armed node may be about to fire
	for _, id := range armedIDs {
		if err := s.e.ArmCrash(id, ""); err != nil {
			return err
		}
	}
	if crashed == 0 {
		s.tl.add("%s: %s not reached in 10s; disarmed", CrashPoint, p)
	}
	for _, id := range s.e.IDs() {
		if ch := s.e.Exited(id); ch != nil {
			select {
			case <-ch:
				s.tl.add("node %d crashed; restart it", id)
				s.e.Kill9(id) // collect it
			default:
			}
		}
		if err := s.e.Start(id); err != nil {
			return err
		}
	}
	return nil
}
