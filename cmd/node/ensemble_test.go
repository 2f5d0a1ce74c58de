package main

// Tier-3 tests: real node processes on 127.0.0.1, started, killed -9 and
// partitioned (a fault proxy on every route) as an operator would see them.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/internal/faultproxy"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/server"
)

var nodeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "paddock-node-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	nodeBin = filepath.Join(dir, "node")
	goBin, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "the go command is needed to build node for the process tests:", err)
		os.Exit(1)
	}
	build := exec.Command(goBin, "build", "-o", nodeBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building node:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type member struct {
	id                               int
	dir, cfg                         string
	clientPort, clusterPort, busPort int
	peerClusterPort                  map[int]int // as this node dials each peer (a proxy in partition tests)
	cmd                              *exec.Cmd
	out                              *testutil.SyncBuffer
	exited                           chan struct{}
}

type ensemble struct {
	t       testing.TB
	members map[int]*member
	proxies map[[2]int]*faultproxy.Proxy // route from→to
	tick    int
	// plain writes ZooKeeper's keys only: no Paddock credentials.
	plain bool
}

// newEnsemble lays out n nodes. With proxied, every node reaches every other
// node's cluster port through its own fault proxy, so routes can be cut.
func newEnsemble(t testing.TB, n int, proxied bool) *ensemble {
	t.Helper()
	e := &ensemble{t: t, members: map[int]*member{}, proxies: map[[2]int]*faultproxy.Proxy{}, tick: 2000}
	root := t.TempDir()
	for i := 1; i <= n; i++ {
		m := &member{id: i, dir: filepath.Join(root, fmt.Sprintf("node%d", i)),
			clientPort: testutil.FreePort(t), clusterPort: testutil.FreePort(t), busPort: testutil.FreePort(t), peerClusterPort: map[int]int{}}
		m.cfg = filepath.Join(m.dir, "zoo.cfg")
		e.members[i] = m
	}
	for i, m := range e.members {
		for j, p := range e.members {
			if i == j {
				continue
			}
			m.peerClusterPort[j] = p.clusterPort
			if proxied {
				px, err := faultproxy.Listen("127.0.0.1:0", fmt.Sprintf("127.0.0.1:%d", p.clusterPort))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(px.Close)
				e.proxies[[2]int{i, j}] = px
				m.peerClusterPort[j] = px.Port()
			}
		}
	}
	for _, m := range e.members {
		e.writeConfig(m, proxied)
	}
	t.Cleanup(e.killAll)
	return e
}

func (e *ensemble) writeConfig(m *member, proxied bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "tickTime=%d\ninitLimit=10\nsyncLimit=5\n", e.tick)
	fmt.Fprintf(&b, "dataDir=%s\nclientPort=%d\n4lw.commands.whitelist=*\n", filepath.Join(m.dir, "data"), m.clientPort)
	if !e.plain {
		// Real peer credentials; the tests' clients connect anonymously,
		// which the bus allows them (fenced like a client).
		b.WriteString("paddock.peerUser=peer\npaddock.peerPassword=peer-secret\npaddock.clientUsers=app:app-secret\npaddock.allowAnonymousClients=true\n")
	}
	if proxied {
		// Nodes must not learn each other's real cluster ports by route
		// gossip, or they would route around the proxies.
		b.WriteString("paddock.clusterAdvertise=127.0.0.1:1\n")
	}
	for id := 1; id <= len(e.members); id++ {
		p := e.members[id]
		cp := p.clusterPort
		if id != m.id {
			cp = m.peerClusterPort[id]
		}
		fmt.Fprintf(&b, "server.%d=127.0.0.1:%d:%d\n", id, cp, p.busPort)
	}
	if err := os.MkdirAll(filepath.Join(m.dir, "data"), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(m.cfg, []byte(b.String()), 0o644); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(m.dir, "data", "myid"), []byte(fmt.Sprintf("%d\n", m.id)), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *ensemble) start(id int) {
	e.t.Helper()
	m := e.members[id]
	m.out = &testutil.SyncBuffer{}
	m.cmd = exec.Command(nodeBin, "start", "--config", m.cfg, "--log-level", "debug")
	m.cmd.Stdout, m.cmd.Stderr = m.out, m.out
	if err := m.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	m.exited = make(chan struct{})
	go func() { m.cmd.Wait(); close(m.exited) }()
}

// startUp starts a node and waits until its client port answers.
func (e *ensemble) startUp(id int) {
	e.t.Helper()
	e.start(id)
	e.waitFor(fmt.Sprintf("node %d to answer", id), 20*time.Second, func() bool {
		return e.mode(id) != "not running"
	})
}

func (e *ensemble) kill9(id int) {
	m := e.members[id]
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.exited
	m.cmd = nil
}

func (e *ensemble) killAll() {
	for id := range e.members {
		e.kill9(id)
	}
}

// mode is "leader", "follower", "standalone", "looking" or "not running".
func (e *ensemble) mode(id int) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	mode, running, ok, _ := server.AskMode(ctx, fmt.Sprintf("127.0.0.1:%d", e.members[id].clientPort))
	switch {
	case !running:
		return "not running"
	case !ok:
		return "looking"
	}
	return string(mode)
}

func (e *ensemble) modes(ids ...int) map[int]string {
	out := map[int]string{}
	for _, id := range ids {
		out[id] = e.mode(id)
	}
	return out
}

func (e *ensemble) all() []int {
	ids := make([]int, 0, len(e.members))
	for id := 1; id <= len(e.members); id++ {
		ids = append(ids, id)
	}
	return ids
}

// waitFor polls cond until it holds or the deadline passes.
func (e *ensemble) waitFor(what string, d time.Duration, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out after %s waiting for %s; modes %v\n%s", d, what, e.modes(e.all()...), e.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settled reports whether ids have exactly one leader and the rest follow.
func (e *ensemble) settled(ids ...int) (leader int, ok bool) {
	for id, m := range e.modes(ids...) {
		switch m {
		case "leader":
			if leader != 0 {
				return 0, false
			}
			leader = id
		case "follower":
		default:
			return 0, false
		}
	}
	return leader, leader != 0
}

func (e *ensemble) waitSettled(ids ...int) int {
	e.t.Helper()
	var leader int
	e.waitFor(fmt.Sprintf("one leader among %v", ids), 30*time.Second, func() bool {
		var ok bool
		leader, ok = e.settled(ids...)
		return ok
	})
	return leader
}

func (e *ensemble) logs() string {
	var b strings.Builder
	for _, id := range e.all() {
		m := e.members[id]
		if m.out == nil {
			continue
		}
		s := m.out.String()
		if len(s) > 4000 {
			s = "…" + s[len(s)-4000:]
		}
		fmt.Fprintf(&b, "--- node %d log tail ---\n%s\n", id, s)
	}
	return b.String()
}

// nodeCmd runs the node binary with args and returns its output and exit code.
func nodeCmd(t testing.TB, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(nodeBin, args...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process ensemble test; skipped with -short")
	}
}

// The classic ZooKeeper walkthrough: 1, 2, 3 started in order, each once the
// previous is up, elect 2; 1 and 3 follow; `node status` says so.
func TestClassicStartOrder(t *testing.T) {
	skipShort(t)
	e := newEnsemble(t, 3, false)
	e.startUp(1)
	if m := e.mode(1); m != "looking" {
		t.Fatalf("node 1 alone: mode %q, want looking (not serving)", m)
	}
	// Watch the election on the bus: votes must be visible in `node trace`.
	trace := exec.Command(nodeBin, "trace", "--config", e.members[1].cfg, "--kind", "Vote,NewEpoch", "--duration", "4s")
	traced := &testutil.SyncBuffer{}
	trace.Stdout = traced
	if err := trace.Start(); err != nil {
		t.Fatal(err)
	}
	// A lone node keeps re-broadcasting its vote: once the trace shows one,
	// it is subscribed and will see the election.
	e.waitFor("the trace to show node 1's vote", 20*time.Second, func() bool {
		return strings.Contains(traced.String(), "1.voter -> *.voter Vote")
	})
	e.startUp(2)
	if leader := e.waitSettled(1, 2); leader != 2 {
		t.Fatalf("leader of {1,2} = %d, want 2", leader)
	}
	e.startUp(3)
	if leader := e.waitSettled(1, 2, 3); leader != 2 {
		t.Fatalf("leader of {1,2,3} = %d, want 2", leader)
	}
	trace.Wait()
	if out := traced.String(); !strings.Contains(out, "Vote epoch=0 zxid=0x0 leader=2") || !strings.Contains(out, "2.voter -> 1.voter NewEpoch epoch=1") {
		t.Errorf("trace does not show the election:\n%s", out)
	}
	want := map[int]string{1: "Mode: follower", 2: "Mode: leader", 3: "Mode: follower"}
	for id, w := range want {
		out, code := nodeCmd(t, "status", "--config", e.members[id].cfg)
		if code != 0 || !strings.Contains(out, w) {
			t.Errorf("node %d status: exit %d, output %q, want %q", id, code, out, w)
		}
	}
}

// A config with one server line runs standalone; `node stop` stops it
// gracefully and removes its pid file.
func TestStandaloneAndStop(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	port := testutil.FreePort(t)
	text := fmt.Sprintf("dataDir=%s\nclientPort=%d\npaddock.busPort=%d\n", filepath.Join(dir, "data"), port, testutil.FreePort(t))
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
	skipShort(t)
	e := newEnsemble(t, 3, false)
	for _, id := range e.all() {
		e.start(id)
	}
	old := e.waitSettled(1, 2, 3)
	e.kill9(old)
	rest := without(e.all(), old)
	next := e.waitSettled(rest...)
	if next == old {
		t.Fatalf("dead node %d still leader", old)
	}
	e.start(old)
	if l := e.waitSettled(1, 2, 3); l != next {
		t.Fatalf("after restarting %d the leader is %d, want %d to stay", old, l, next)
	}
	if m := e.mode(old); m != "follower" {
		t.Fatalf("restarted old leader is %q, want follower", m)
	}

	// Stop two of three: the last one must stop serving and never lead.
	last := rest[0]
	if last == next {
		last = rest[1]
	}
	for _, id := range e.all() {
		if id != last {
			e.kill9(id)
		}
	}
	e.waitFor("the last node to stop serving", 30*time.Second, func() bool { return e.mode(last) == "looking" })
	out, code := nodeCmd(t, "status", "--config", e.members[last].cfg)
	if code == 0 || !strings.Contains(out, "not serving") {
		t.Errorf("status of a lone node: exit %d, %q", code, out)
	}
	// Watch it for a few election rounds: it must never claim to lead.
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if m := e.mode(last); m != "looking" {
			t.Fatalf("lone node %d reports %q", last, m)
		}
	}
}

// Five nodes, two cut off from three: the three have exactly one leader, the
// two none; after healing, one leader for all five.
func TestFiveNodePartition(t *testing.T) {
	skipShort(t)
	e := newEnsemble(t, 5, true)
	for _, id := range e.all() {
		e.start(id)
	}
	leader := e.waitSettled(e.all()...)
	// Put the current leader in the minority so the majority must re-elect.
	minority := []int{leader, 1 + leader%5}
	majority := without(e.all(), minority...)
	start := time.Now()
	e.cut(minority, majority)

	newLeader := e.waitSettled(majority...)
	t.Logf("majority settled on %d %s after the cut", newLeader, time.Since(start))
	e.waitFor("the minority to stop serving", 30*time.Second, func() bool {
		m := e.modes(minority...)
		return m[minority[0]] == "looking" && m[minority[1]] == "looking"
	})
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if l, ok := e.settled(majority...); !ok || l != newLeader {
			t.Fatalf("majority unsettled during partition: %v", e.modes(majority...))
		}
		for id, m := range e.modes(minority...) {
			if m != "looking" {
				t.Fatalf("minority node %d is %q during partition", id, m)
			}
		}
	}
	e.heal()
	start = time.Now()
	e.waitSettled(e.all()...)
	t.Logf("all five settled %s after healing", time.Since(start))
}

func (e *ensemble) cut(a, b []int) {
	for _, i := range a {
		for _, j := range b {
			e.proxies[[2]int{i, j}].Cut()
			e.proxies[[2]int{j, i}].Cut()
		}
	}
}

func (e *ensemble) heal() {
	for _, p := range e.proxies {
		p.Heal()
	}
}

func without(ids []int, drop ...int) []int {
	var out []int
	for _, id := range ids {
		keep := true
		for _, d := range drop {
			keep = keep && id != d
		}
		if keep {
			out = append(out, id)
		}
	}
	return out
}
