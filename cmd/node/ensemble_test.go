package main

// Tier-3 tests: real node processes on 127.0.0.1, started, killed -9 and
// partitioned (a fault proxy on every route) as an operator would see them.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// nodeCmd runs the node binary with args and returns its output and exit code.
func nodeCmd(t testing.TB, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(testkit.NodeBin(t), args...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// The classic ZooKeeper walkthrough: 1, 2, 3 started in order, each once the
// previous is up, elect 2; 1 and 3 follow; `node status` says so.
func TestClassicStartOrder(t *testing.T) {
	e := testkit.Processes(t, 3, testkit.Options{})
	e.Up(t, 1)
	e.WaitAnswering(t, 1)
	if m := e.Mode(1); m != "looking" {
		t.Fatalf("node 1 alone: mode %q, want looking (not serving)", m)
	}
	// Watch the election on the bus: votes must be visible in `node trace`.
	trace := exec.Command(testkit.NodeBin(t), "trace", "--config", e.ConfigPath(1), "--kind", "Vote,NewEpoch", "--duration", "4s")
	traced := &testutil.SyncBuffer{}
	trace.Stdout = traced
	if err := trace.Start(); err != nil {
		t.Fatal(err)
	}
	// A lone node keeps re-broadcasting its vote: once the trace shows one,
	// it is subscribed and will see the election.
	e.WaitFor(t, "the trace to show node 1's vote", 20*time.Second, func() bool {
		return strings.Contains(traced.String(), "1.voter -> *.voter Vote")
	})
	e.Up(t, 2)
	e.WaitAnswering(t, 2)
	if leader := e.Settle(t, 1, 2); leader != 2 {
		t.Fatalf("leader of {1,2} = %d, want 2", leader)
	}
	e.Up(t, 3)
	e.WaitAnswering(t, 3)
	if leader := e.Settle(t, 1, 2, 3); leader != 2 {
		t.Fatalf("leader of {1,2,3} = %d, want 2", leader)
	}
	trace.Wait()
	if out := traced.String(); !strings.Contains(out, "Vote epoch=0 zxid=0x0 leader=2") || !strings.Contains(out, "2.voter -> 1.voter NewEpoch epoch=1") {
		t.Errorf("trace does not show the election:\n%s", out)
	}
	want := map[int]string{1: "Mode: follower", 2: "Mode: leader", 3: "Mode: follower"}
	for id, w := range want {
		out, code := nodeCmd(t, "status", "--config", e.ConfigPath(id))
		if code != 0 || !strings.Contains(out, w) {
			t.Errorf("node %d status: exit %d, output %q, want %q", id, code, out, w)
		}
	}
}

// A config with one server line runs standalone; `node stop` stops it
// gracefully and removes its pid file.
func TestStandaloneAndStop(t *testing.T) {
	testutil.SkipShort(t, "multi-process ensemble test")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	port := testutil.FreePort(t)
	text := fmt.Sprintf("dataDir=%s\nclientPort=%d\npaddock.busPort=%d\nadmin.enableServer=false\n", filepath.Join(dir, "data"), port, testutil.FreePort(t))
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := nodeCmd(t, "start", "--config", cfg, "--background")
	if code != 0 {
		t.Fatalf("start --background: exit %d\n%s", code, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, code = nodeCmd(t, "status", "--config", cfg)
		if code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("standalone node never served: %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(out, "Mode: standalone") {
		t.Fatalf("status: %q", out)
	}
	if out, code = nodeCmd(t, "stop", "--config", cfg); code != 0 || !strings.Contains(out, "STOPPED") {
		t.Fatalf("stop: exit %d %q", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "paddock.pid")); !os.IsNotExist(err) {
		t.Fatalf("pid file left after a graceful stop: %v", err)
	}
	if out, code = nodeCmd(t, "status", "--config", cfg); code == 0 || !strings.Contains(out, "not running") {
		t.Fatalf("status of a stopped node: exit %d %q", code, out)
	}
	if out, code = nodeCmd(t, "stop", "--config", cfg); code == 0 || !strings.Contains(out, "not running") {
		t.Fatalf("stop of a stopped node: exit %d %q", code, out)
	}
}

// Bad configuration is refused with the key and line named.
func TestBadConfigRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	os.WriteFile(cfg, []byte("dataDir="+dir+"\nclientPort=2181\ntickTime=soon\n"), 0o644)
	out, code := nodeCmd(t, "start", "--config", cfg)
	if code == 0 || !strings.Contains(out, "zoo.cfg:3: tickTime") {
		t.Fatalf("start with a bad tickTime: exit %d %q", code, out)
	}
}

// kill -9 of the leader: the survivors elect a new one, and the old leader,
// restarted, follows. With two of three down the last one never leads.
func TestLeaderKillAndQuorumLoss(t *testing.T) {
	e := testkit.Processes(t, 3, testkit.Options{})
	for _, id := range e.IDs() {
		e.Up(t, id)
	}
	old := e.Settle(t, 1, 2, 3)
	e.Kill9(old)
	rest := testkit.Without(e.IDs(), old)
	next := e.Settle(t, rest...)
	if next == old {
		t.Fatalf("dead node %d still leader", old)
	}
	e.Up(t, old)
	if l := e.Settle(t, 1, 2, 3); l != next {
		t.Fatalf("after restarting %d the leader is %d, want %d to stay", old, l, next)
	}
	if m := e.Mode(old); m != "follower" {
		t.Fatalf("restarted old leader is %q, want follower", m)
	}

	// Stop two of three: the last one must stop serving and never lead.
	last := rest[0]
	if last == next {
		last = rest[1]
	}
	for _, id := range e.IDs() {
		if id != last {
			e.Kill9(id)
		}
	}
	e.WaitFor(t, "the last node to stop serving", 30*time.Second, func() bool { return e.Mode(last) == "looking" })
	out, code := nodeCmd(t, "status", "--config", e.ConfigPath(last))
	if code == 0 || !strings.Contains(out, "not serving") {
		t.Errorf("status of a lone node: exit %d, %q", code, out)
	}
	// Watch it for a few election rounds: it must never claim to lead.
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if m := e.Mode(last); m != "looking" {
			t.Fatalf("lone node %d reports %q", last, m)
		}
	}
}

// Five nodes, two cut off from three: the three have exactly one leader, the
// two none; after healing, one leader for all five.
func TestFiveNodePartition(t *testing.T) {
	e := testkit.Processes(t, 5, testkit.Options{Proxied: true})
	for _, id := range e.IDs() {
		e.Up(t, id)
	}
	leader := e.Settle(t, e.IDs()...)
	// Put the current leader in the minority so the majority must re-elect.
	minority := []int{leader, 1 + leader%5}
	majority := testkit.Without(e.IDs(), minority...)
	start := time.Now()
	e.Cut(minority, majority)

	newLeader := e.Settle(t, majority...)
	t.Logf("majority settled on %d %s after the cut", newLeader, time.Since(start))
	e.WaitFor(t, "the minority to stop serving", 30*time.Second, func() bool {
		m := e.Modes(minority...)
		return m[minority[0]] == "looking" && m[minority[1]] == "looking"
	})
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if l := e.Leader(majority...); l != newLeader {
			t.Fatalf("majority unsettled during partition: %v", e.Modes(majority...))
		}
		for id, m := range e.Modes(minority...) {
			if m != "looking" {
				t.Fatalf("minority node %d is %q during partition", id, m)
			}
		}
	}
	e.HealRoutes()
	start = time.Now()
	e.Settle(t, e.IDs()...)
	t.Logf("all five settled %s after healing", time.Since(start))
}
