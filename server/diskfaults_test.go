package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/memfs"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// faultEnsemble is an in-process ensemble whose nodes keep their storage
// in a memfs.FS each, so a test can fill a node's disk or fail its
// fsyncs, and restart it on what its disk holds.
type faultEnsemble struct {
	*testkit.Local[*Node]
	t  *testing.T
	fs []*memfs.FS
}

func startFaultEnsemble(t *testing.T) *faultEnsemble {
	t.Helper()
	e := &faultEnsemble{t: t, fs: []*memfs.FS{memfs.New(), memfs.New(), memfs.New()}}
	e.Local = testkit.NewLocal(t, testkit.Configs(t, 3, ""), func(i int, c *config.Config, log *slog.Logger) (*Node, error) {
		return Start(c, log, WithFS(e.fs[i]))
	}, testkit.CaptureLogs(slog.LevelInfo))
	return e
}

// roles returns the leader's index and the two others'.
func (e *faultEnsemble) roles() (leader int, others []int) {
	leader = -1
	for i, n := range e.Nodes {
		if n.Mode() == zkwire.ModeLeader {
			leader = i
		} else {
			others = append(others, i)
		}
	}
	if leader < 0 {
		e.t.Fatal("no leader")
	}
	return leader, others
}

func (e *faultEnsemble) connect(ctx context.Context, idx ...int) *client.Conn {
	e.t.Helper()
	var urls []string
	for _, i := range idx {
		urls = append(urls, e.Nodes[i].BusURL())
	}
	c, err := client.Connect(ctx, urls)
	if err != nil {
		e.t.Fatalf("connect to %v: %v", idx, err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// create makes path and returns once it is acked. A ConnectionLoss that
// was not a refusal leaves the outcome open (the leader may have changed
// under it), so the create is tried again, and NodeExists then means an
// earlier try made it.
func create(ctx context.Context, t *testing.T, c *client.Conn, path string) {
	t.Helper()
	for retried := false; ; retried = true {
		_, err := c.Create(ctx, path, []byte(path), zk.Persistent, nil)
		switch {
		case err == nil, retried && isCode(err, zk.NodeExists):
			return
		case isCode(err, zk.ConnectionLoss) && ctx.Err() == nil:
			time.Sleep(50 * time.Millisecond)
		default:
			t.Fatalf("create %s: %v", path, err)
		}
	}
}

// checkHas reads every path through a fresh session on node i.
func (e *faultEnsemble) checkHas(ctx context.Context, i int, paths []string) {
	e.t.Helper()
	c := e.connect(ctx, i)
	if err := c.Sync(ctx, "/"); err != nil {
		e.t.Fatalf("sync on node %d: %v", i+1, err)
	}
	for _, p := range paths {
		if data, _, err := c.Get(ctx, p); err != nil || string(data) != p {
			e.t.Fatalf("node %d lost acked %s: %q %v", i+1, p, data, err)
		}
	}
	c.Close()
}

// refusedOnWire checks that a ZooKeeper wire client of node i gets
// ConnectionLoss for a read: the disk-full refusal.
func refusedOnWire(t *testing.T, raw *rawZK) {
	t.Helper()
	var resp jute.GetDataResponse
	if code := raw.call(zk.OpGetData, &jute.GetDataRequest{Path: "/"}, &resp); code != zk.ConnectionLoss {
		t.Fatalf("getData on a node with a full disk: error %d, want ConnectionLoss (%d)", code, zk.ConnectionLoss)
	}
}

// A follower's disk fills: writes go on through the others, the follower
// refuses its clients with ConnectionLoss and reports itself not serving
// (mntr: paddock_disk_full 1); when space returns it catches up by
// itself, with no acked write lost, and a restart from its disk (after a
// power loss) reproduces the same state.
func TestFollowerDiskFull(t *testing.T) {
	testutil.SkipShort(t, "disk-fault ensemble")
	e := startFaultEnsemble(t)
	_, others := e.roles()
	f, o := others[0], others[1]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := e.connect(ctx, o)
	raw := dialRaw(t, e.Nodes[f].ClientAddr())
	cf := e.connect(ctx, f)
	var acked []string
	for i := range 5 {
		p := fmt.Sprintf("/before-%d", i)
		create(ctx, t, c, p)
		acked = append(acked, p)
	}

	e.fs[f].NoSpace(0)
	for i := range 20 {
		p := fmt.Sprintf("/full-%d", i)
		create(ctx, t, c, p)
		acked = append(acked, p)
	}
	testkit.WaitFor(t, "the follower to find its disk full", 10*time.Second, func() bool { return e.Nodes[f].StoreStatus().DiskFull })
	if m := e.Nodes[f].Mode(); m != zkwire.ModeLooking {
		t.Errorf("node with a full disk reports mode %s, want it not serving", m)
	}
	var mntr strings.Builder
	zkwire.AnswerFourLetter(&mntr, "mntr", zkwire.Allowed{"mntr": true}, e.Nodes[f].zkStatus())
	if !strings.Contains(mntr.String(), "paddock_disk_full\t1") {
		t.Errorf("mntr of a node with a full disk:\n%s", mntr.String())
	}
	refusedOnWire(t, raw)
	rctx, rcancel := context.WithTimeout(ctx, time.Second)
	if _, _, err := cf.Get(rctx, "/before-0"); !isCode(err, zk.ConnectionLoss) {
		t.Errorf("native read on a node with a full disk: %v, want ConnectionLoss", err)
	}
	rcancel()
	if got := strings.Count(e.Logs[f].String(), "disk full: refusing requests until space returns"); got != 1 {
		t.Errorf("%d disk-full errors logged, want 1:\n%s", got, e.Logs[f].String())
	}

	e.fs[f].ClearNoSpace()
	for i := range 5 {
		p := fmt.Sprintf("/after-%d", i)
		create(ctx, t, c, p)
		acked = append(acked, p)
	}
	e.WaitServing()
	testkit.WaitFor(t, "equal digests", 20*time.Second, func() bool { return sameDigests(e.Nodes...) })
	if !strings.Contains(e.Logs[f].String(), "disk space back") {
		t.Errorf("no recovery logged:\n%s", e.Logs[f].String())
	}
	e.checkHas(ctx, f, acked)

	// What the full disk left on it is intact: a power loss and a restart
	// come back to the same state.
	want := e.Nodes[o].StoreStatus()
	e.Stop(f)
	e.fs[f].Crash()
	e.Start(f)
	e.WaitServing(f)
	testkit.WaitFor(t, "equal digests after the restart", 20*time.Second, func() bool { return sameDigests(e.Nodes...) })
	if got := e.Nodes[f].StoreStatus(); got.Nodes != want.Nodes {
		t.Fatalf("restarted node has %d znodes, want %d", got.Nodes, want.Nodes)
	}
}

// The leader's disk fills: it abdicates, the others elect a new leader
// and writes go on; when space returns the old leader rejoins as a
// follower, with equal digests and no acked write lost.
func TestLeaderDiskFull(t *testing.T) {
	testutil.SkipShort(t, "disk-fault ensemble")
	e := startFaultEnsemble(t)
	l, others := e.roles()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := e.connect(ctx, others...)
	var acked []string
	for i := range 5 {
		p := fmt.Sprintf("/before-%d", i)
		create(ctx, t, c, p)
		acked = append(acked, p)
	}

	e.fs[l].NoSpace(0)
	for i := range 20 {
		p := fmt.Sprintf("/full-%d", i)
		create(ctx, t, c, p)
		acked = append(acked, p)
	}
	testkit.WaitFor(t, "a new leader", 20*time.Second, func() bool {
		for _, i := range others {
			if e.Nodes[i].Mode() == zkwire.ModeLeader {
				return true
			}
		}
		return false
	})
	if !e.Nodes[l].StoreStatus().DiskFull {
		t.Fatal("the old leader never found its disk full")
	}

	e.fs[l].ClearNoSpace()
	for i := range 5 {
		p := fmt.Sprintf("/after-%d", i)
		create(ctx, t, c, p)
		acked = append(acked, p)
	}
	e.WaitServing()
	testkit.WaitFor(t, "equal digests", 20*time.Second, func() bool { return sameDigests(e.Nodes...) })
	e.checkHas(ctx, l, acked)
}

// An fsync fails with EIO on a follower or on the leader: it stops through Done without
// acking (no panic loop), the others go on, and a restart recovers from
// its disk and catches up.
func TestFsyncEIOStopsNode(t *testing.T) {
	testutil.SkipShort(t, "disk-fault ensemble")
	t.Run("follower", func(t *testing.T) { testFsyncEIOStops(t, false) })
	// A leader that stops is a leader gone: the others elect a new one,
	// and writes in flight come back with an outcome left open.
	t.Run("leader", func(t *testing.T) { testFsyncEIOStops(t, true) })
}

func testFsyncEIOStops(t *testing.T, leader bool) {
	e := startFaultEnsemble(t)
	l, others := e.roles()
	f, via := others[0], others[1:]
	if leader {
		f, via = l, others
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := e.connect(ctx, via...)
	var acked []string
	for i := range 5 {
		p := fmt.Sprintf("/before-%d", i)
		create(ctx, t, c, p)
		acked = append(acked, p)
	}

	e.fs[f].FailSyncs(syscall.EIO)
	for i := range 10 {
		p := fmt.Sprintf("/eio-%d", i)
		create(ctx, t, c, p)
		acked = append(acked, p)
	}
	select {
	case err := <-e.Nodes[f].Done():
		if !errors.Is(err, syscall.EIO) {
			t.Fatalf("node stopped with %v, want EIO", err)
		}
	case <-ctx.Done():
		t.Fatal("the node did not stop after a failed fsync")
	}
	e.Stop(f) // waits for the node's own shutdown
	logs := e.Logs[f].String()
	if strings.Contains(logs, "panicked") {
		t.Errorf("the store actor panicked:\n%s", logs)
	}
	if got := strings.Count(logs, "storage failed; stopping the node"); got != 1 {
		t.Errorf("%d storage-failure errors logged, want 1:\n%s", got, logs)
	}

	// The power goes too: unsynced data is lost. A restart recovers.
	e.fs[f].FailSyncs(nil)
	e.fs[f].Crash()
	e.Start(f)
	for i := range 5 {
		p := fmt.Sprintf("/after-%d", i)
		create(ctx, t, c, p)
		acked = append(acked, p)
	}
	e.WaitServing()
	testkit.WaitFor(t, "equal digests", 20*time.Second, func() bool { return sameDigests(e.Nodes...) })
	e.checkHas(ctx, f, acked)
}
