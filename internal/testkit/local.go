package testkit

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zkwire"
)

// Node is what the kit needs of an in-process node; *server.Node is one.
// The kit takes it as a type parameter rather than importing package
// server, so that server's own tests can use the kit.
type Node interface {
	Mode() zkwire.Mode
	Close()
}

// StartFunc starts node i (0-based) on cfg, logging to log (nil unless
// the Local captures logs): usually a line around server.Start.
type StartFunc[N Node] func(i int, cfg *config.Config, log *slog.Logger) (N, error)

// ServeTimeout bounds how long an ensemble may take to have every node
// serving: elections on a loaded 2-core machine take seconds, not tens.
const ServeTimeout = 30 * time.Second

// Local is an in-process ensemble. Nodes[i] is node i+1 while it runs;
// Running says which do. Everything still running is closed when the test
// ends.
type Local[N Node] struct {
	t       testing.TB
	Cfgs    []*config.Config
	Nodes   []N
	running []bool
	// Logs[i] is node i's log since its last start when logs are captured
	// (CaptureLogs), nil otherwise.
	Logs  []*testutil.SyncBuffer
	level *slog.Level
	start StartFunc[N]
}

// LocalOption changes how a Local starts its nodes.
type LocalOption func(*localOptions)

type localOptions struct{ level *slog.Level }

// CaptureLogs gives every start of a node a fresh log at level, kept in
// Local.Logs, for tests that look for a line or show the logs on failure.
func CaptureLogs(level slog.Level) LocalOption {
	return func(o *localOptions) { o.level = &level }
}

// NewLocal starts a node on every config and waits until each serves as
// leader or follower.
func NewLocal[N Node](t testing.TB, cfgs []*config.Config, start StartFunc[N], opts ...LocalOption) *Local[N] {
	t.Helper()
	var o localOptions
	for _, opt := range opts {
		opt(&o)
	}
	l := &Local[N]{t: t, Cfgs: cfgs, Nodes: make([]N, len(cfgs)), running: make([]bool, len(cfgs)),
		Logs: make([]*testutil.SyncBuffer, len(cfgs)), level: o.level, start: start}
	t.Cleanup(l.StopAll)
	for i := range cfgs {
		l.Start(i)
	}
	l.WaitServing()
	return l
}

// StartAll starts a node on every config, waits until each serves, and
// returns them in id order; they are closed when the test ends.
func StartAll[N Node](t testing.TB, cfgs []*config.Config, start StartFunc[N]) []N {
	t.Helper()
	return NewLocal(t, cfgs, start).Nodes
}

// Start starts node i (0-based) again on its config (a no-op when it
// runs), without waiting for it to serve.
func (l *Local[N]) Start(i int) {
	l.t.Helper()
	if l.running[i] {
		return
	}
	var log *slog.Logger
	if l.level != nil {
		l.Logs[i] = &testutil.SyncBuffer{}
		log = slog.New(slog.NewTextHandler(l.Logs[i], &slog.HandlerOptions{Level: *l.level}))
	}
	n, err := l.start(i, l.Cfgs[i], log)
	if err != nil {
		l.t.Fatalf("start node %d: %v", i+1, err)
	}
	l.Nodes[i], l.running[i] = n, true
}

// Stop closes node i; Start brings it back on what its disk holds.
func (l *Local[N]) Stop(i int) {
	if l.running[i] {
		l.Nodes[i].Close()
		l.running[i] = false
	}
}

// StopAll closes every running node.
func (l *Local[N]) StopAll() {
	for i := range l.Nodes {
		l.Stop(i)
	}
}

// StartStopped starts every stopped node and waits until every node
// serves: the second half of a whole-ensemble restart.
func (l *Local[N]) StartStopped() {
	l.t.Helper()
	for i := range l.Nodes {
		l.Start(i)
	}
	l.WaitServing()
}

// Running reports whether node i runs.
func (l *Local[N]) Running(i int) bool { return l.running[i] }

// WaitServing waits until nodes idx (every running node when none are
// named) serve as leader or follower.
func (l *Local[N]) WaitServing(idx ...int) {
	l.t.Helper()
	if len(idx) == 0 {
		for i, r := range l.running {
			if r {
				idx = append(idx, i)
			}
		}
	}
	nodes := make([]N, 0, len(idx))
	for _, i := range idx {
		nodes = append(nodes, l.Nodes[i])
	}
	WaitFor(l.t, fmt.Sprintf("nodes %v serving", idx), ServeTimeout, func() bool { return Serving(nodes...) })
}

// Leader is the index of the running node that says it leads, or -1.
func (l *Local[N]) Leader() int {
	var skip []int
	for i, r := range l.running {
		if !r {
			skip = append(skip, i)
		}
	}
	return Leader(l.Nodes, skip...)
}

// Serving reports whether every node serves as leader or follower.
func Serving[N Node](nodes ...N) bool {
	for _, n := range nodes {
		if m := n.Mode(); m != zkwire.ModeLeader && m != zkwire.ModeFollower {
			return false
		}
	}
	return true
}

// Leader is the index of the node that says it leads, or -1; the nodes
// at skip (closed ones, whose mode is stale) are not asked.
func Leader[N Node](nodes []N, skip ...int) int {
	for i, n := range nodes {
		skipped := false
		for _, s := range skip {
			skipped = skipped || s == i
		}
		if !skipped && n.Mode() == zkwire.ModeLeader {
			return i
		}
	}
	return -1
}

// WaitFor polls cond every 10 ms until it holds, and fails the test
// naming what it waited for when d passes first.
func WaitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
