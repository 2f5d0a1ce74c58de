package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/config"
)

// Walkthrough timing: a short tick so that sessions may be short.
const (
	tick           = 500 * time.Millisecond
	sessionTimeout = 4 * tick // the register processes' sessions: 2s
	waitLimit      = 20 * time.Second
	traceKinds     = "Vote,NewEpoch,Proposal,Commit,Expire,WatchEvent"
)

// walk is one run of the walkthrough.
type walk struct {
	ctx   context.Context
	outMu sync.Mutex
	out   io.Writer

	dir, nodeBin, self string
	paths              []string
	cfgs               []*config.Config

	mon      *client.Conn
	monStop  context.CancelFunc
	monDone  chan struct{}
	listMu   sync.Mutex
	list     []string
	listSeen bool
	listCh   chan struct{}

	servers map[string]*proc
	trace   *proc
}

// proc is a child process whose output is relayed line by line.
type proc struct {
	cmd    *exec.Cmd
	done   chan struct{}
	online chan struct{} // closed on the first line saying " is online: "
}

func cmdWalkthrough(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("walkthrough", stderr)
	trace := fs.Bool("trace", false, "interleave the bus messages of interest ("+traceKinds+"), decoded by `node trace`")
	keep := fs.Bool("keep", false, "keep the ensemble's directory (configs, data, logs) instead of removing it")
	base := fs.Int("base-port", 23810, "first client port of the ensemble (bus ports at +200, route ports at +100)")
	nodeBin := fs.String("node", "", "the node binary (default: `node` next to this program, else built with go build ./cmd/node)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "paddock-demo-")
	if err != nil {
		return err
	}
	w := &walk{ctx: ctx, out: stdout, dir: dir, self: self, nodeBin: *nodeBin,
		servers: map[string]*proc{}, listCh: make(chan struct{})}
	defer func() {
		w.teardown()
		if *keep {
			w.say("", "The ensemble's files stay in %s.", dir)
		} else {
			_ = os.RemoveAll(dir)
		}
	}()
	return w.run(*base, *trace)
}

// say prints one line (or several) with a prefix on each, whole.
func (w *walk) say(prefix, format string, a ...any) {
	text := fmt.Sprintf(format, a...)
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if i > 0 && prefix == stepPrefix {
			prefix = notePrefix // a step's further lines are indented
		}
		b.WriteString(prefix + l + "\n")
	}
	w.outMu.Lock()
	io.WriteString(w.out, b.String())
	w.outMu.Unlock()
}

const (
	stepPrefix = "==> "
	notePrefix = "    "
	busPrefix  = "[bus] "
	// maxBusLine cuts the trace's long lines (a proposal with its transactions decoded).
	maxBusLine = 160
)

func (w *walk) step(format string, a ...any) { w.say(stepPrefix, format, a...) }
func (w *walk) note(format string, a ...any) { w.say(notePrefix, format, a...) }

func (w *walk) run(base int, trace bool) error {
	w.step("Welcome! This walkthrough runs ZooKeeper's classic service-discovery example on Paddock.\n" +
		"Servers register themselves as ephemeral znodes under /serverList; a monitor watches that list.")
	if err := w.findNode(); err != nil {
		return err
	}
	if err := w.writeConfigs(base); err != nil {
		return err
	}

	// The ensemble, one node at a time, as in ZooKeeper's walkthrough.
	w.step("Starting node 1. Alone it is one vote out of three: no quorum, so it stays LOOKING and serves nobody.")
	if err := w.startNode(1); err != nil {
		return err
	}
	if trace {
		w.step("Tracing the bus (--trace): lines marked [bus] are messages between the nodes' actors and to clients.")
		w.startTrace()
	}
	w.step("Starting node 2. Two of three is a quorum: the two nodes exchange votes (epoch, zxid, id)\n" +
		"and agree on the best one; with equal histories the higher id wins, so node 2 leads.")
	if err := w.startNode(2); err != nil {
		return err
	}
	if err := w.waitFor(func() bool { return w.serving(1, 2) }); err != nil {
		return fmt.Errorf("nodes 1 and 2 did not elect a leader: %w", err)
	}
	w.step("Starting node 3. It finds a leader already elected and joins it as a follower.")
	if err := w.startNode(3); err != nil {
		return err
	}
	if err := w.waitFor(func() bool { return w.serving(1, 2, 3) }); err != nil {
		return fmt.Errorf("the ensemble did not serve: %w", err)
	}
	leader := w.showModes()
	if leader == 0 {
		return errors.New("no leader")
	}

	// The monitor.
	w.step("Starting the monitor. It reads /serverList's children with a child watch, then each child's data\n" +
		"(the server's name). The watch fires once, on the next change of the list; the monitor re-arms it each time.")
	if err := w.startMonitor(); err != nil {
		return err
	}
	if _, err := w.waitList(func([]string) bool { return true }); err != nil {
		return err
	}

	// Registrations.
	names := []string{"server-a", "server-b", "server-c"}
	for i, n := range names {
		w.step("Registering %s (a separate process): it creates an EPHEMERAL_SEQUENTIAL znode /serverList/server...\n"+
			"holding its name. The znode lives exactly as long as the process's session (%s).", n, sessionTimeout)
		if err := w.register(n, i); err != nil {
			return err
		}
		if _, err := w.waitList(func(l []string) bool { return contains(l, n) }); err != nil {
			return fmt.Errorf("the monitor never saw %s: %w", n, err)
		}
	}

	w.step("Stopping server-a gracefully (SIGTERM): it closes its session, so its ephemeral znode goes at once.")
	took, err := w.stopServer("server-a", syscall.SIGTERM, func(l []string) bool { return !contains(l, "server-a") })
	if err != nil {
		return err
	}
	w.note("the monitor saw server-a leave %s after the signal.", round(took))

	w.step("Killing the leader, node %d, with kill -9. The followers notice the lost route, elect a new leader\n"+
		"between themselves (two of three is still a quorum), and the sessions node %d served move to another node.", leader, leader)
	start := time.Now()
	if err := w.killNode(leader); err != nil {
		return err
	}
	newLeader := 0
	err = w.waitFor(func() bool {
		for id := 1; id <= len(w.cfgs); id++ {
			if id != leader && w.mode(id) == "leader" {
				newLeader = id
				return true
			}
		}
		return false
	})
	if err != nil {
		return fmt.Errorf("no new leader after killing node %d: %w", leader, err)
	}
	w.note("new leader: node %d (elected %s after the kill)", newLeader, round(time.Since(start)))

	w.step("Killing server-b with kill -9: it cannot say goodbye, so its ephemeral znode stays until the leader\n"+
		"expires its session (%s without a heartbeat)...", sessionTimeout)
	took, err = w.stopServer("server-b", syscall.SIGKILL, func(l []string) bool { return !contains(l, "server-b") })
	if err != nil {
		return err
	}
	w.note("the monitor saw server-b go %s after the kill: session expiry, not a goodbye.", round(took))

	w.step("Restarting node %d. It finds node %d leading, syncs what it missed, and follows.", leader, newLeader)
	if err := w.startNode(leader); err != nil {
		return err
	}
	if err := w.waitFor(func() bool { return w.serving(1, 2, 3) }); err != nil {
		return fmt.Errorf("node %d did not rejoin: %w", leader, err)
	}
	w.showModes()

	w.step("Stopping server-c gracefully: the list is empty again.")
	if _, err := w.stopServer("server-c", syscall.SIGTERM, func(l []string) bool { return len(l) == 0 }); err != nil {
		return err
	}
	w.step("Done. Tearing everything down: the monitor, then the nodes.\n" +
		"To play on your own: go run ./cmd/node local up, then go run ./cmd/demo monitor and go run ./cmd/demo register NAME.")
	return nil
}

// findNode finds the node binary: the flag, beside this program, or built.
func (w *walk) findNode() error {
	if w.nodeBin != "" {
		return nil
	}
	if p := filepath.Join(filepath.Dir(w.self), "node"); isFile(p) {
		w.nodeBin = p
		return nil
	}
	w.step("Building the node binary (go build ./cmd/node)...")
	w.nodeBin = filepath.Join(w.dir, "node")
	out, err := exec.CommandContext(w.ctx, "go", "build", "-o", w.nodeBin, "github.com/paddock-zk/paddock/cmd/node").CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build ./cmd/node: %v\n%s(run the demo from the repository, or give --node)", err, out)
	}
	return nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// writeConfigs writes `node local up`'s layout with a short tick.
func (w *walk) writeConfigs(base int) error {
	for i := 0; i < 3; i++ {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(base+i)), 200*time.Millisecond); err == nil {
			c.Close()
			return fmt.Errorf("something already listens on port %d: stop it or pick another --base-port", base+i)
		}
	}
	paths, err := config.LocalEnsemble(w.dir, 3, base)
	if err != nil {
		return err
	}
	for _, p := range paths {
		c, err := config.Load(p)
		if err != nil {
			return err
		}
		c.TickTime = tick
		c.MinSessionTimeout, c.MaxSessionTimeout = 2*tick, 20*tick
		var b bytes.Buffer
		if err := config.Write(&b, c); err != nil {
			return err
		}
		if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
			return err
		}
		if c, err = config.Load(p); err != nil {
			return err
		}
		w.cfgs = append(w.cfgs, c)
	}
	w.paths = paths
	w.step("Wrote a 3-node ensemble to %s (tickTime %s: sessions of %s to %s).\n"+
		"Node i listens for ZooKeeper clients on port %d+i-1 and for bus clients on %d+i-1.",
		w.dir, tick, 2*tick, 20*tick, base, base+200)
	return nil
}

func (w *walk) startNode(id int) error {
	out, err := exec.CommandContext(w.ctx, w.nodeBin, "start", "--config", w.paths[id-1], "--background").CombinedOutput()
	if len(out) > 0 {
		w.note("%s", out)
	}
	if err != nil {
		return fmt.Errorf("start node %d: %w", id, err)
	}
	return nil
}

func (w *walk) killNode(id int) error {
	pid, err := readPid(w.cfgs[id-1].PidFile())
	if err != nil {
		return fmt.Errorf("node %d: %w", id, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill -9 node %d (pid %d): %w", id, pid, err)
	}
	// The pid file stays behind a kill -9; `node start` goes by the data
	// directory's lock, which the kernel released with the process.
	return w.waitFor(func() bool { return syscall.Kill(pid, 0) != nil })
}

func readPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// mode asks node id's client port `srvr` and returns its Mode ("" when it
// does not serve or answer).
func (w *walk) mode(id int) string {
	addr := net.JoinHostPort(localHost(w.cfgs[id-1].ClientPortAddress), strconv.Itoa(w.cfgs[id-1].ClientPort))
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("srvr")); err != nil {
		return ""
	}
	b, _ := io.ReadAll(c)
	for _, l := range strings.Split(string(b), "\n") {
		if m, ok := strings.CutPrefix(l, "Mode: "); ok {
			return strings.TrimSpace(m)
		}
	}
	return ""
}

func (w *walk) serving(ids ...int) bool {
	for _, id := range ids {
		if m := w.mode(id); m != "leader" && m != "follower" {
			return false
		}
	}
	return true
}

// showModes prints every node's mode as srvr reports it and returns the
// leader's id.
func (w *walk) showModes() int {
	leader := 0
	var b strings.Builder
	for id := 1; id <= len(w.cfgs); id++ {
		m := w.mode(id)
		if m == "leader" {
			leader = id
		}
		if m == "" {
			m = "not serving"
		}
		fmt.Fprintf(&b, "node %d: %s\n", id, m)
	}
	w.note("%sleader: node %d (as `srvr` on each client port reports)", b.String(), leader)
	return leader
}

func (w *walk) waitFor(cond func() bool) error {
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up after %s", waitLimit)
		}
		select {
		case <-w.ctx.Done():
			return w.ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// startMonitor runs the monitor in this process, on its own session.
func (w *walk) startMonitor() error {
	cf := connFlags{config: w.paths[0], timeout: 2 * sessionTimeout}
	c, err := cf.connect(w.ctx)
	if err != nil {
		return fmt.Errorf("monitor: %w", err)
	}
	_, node := c.Node()
	w.say("[monitor] ", "connected to node %d, session 0x%x", node, c.SessionID())
	ctx, cancel := context.WithCancel(w.ctx)
	w.mon, w.monStop, w.monDone = c, cancel, make(chan struct{})
	go reportMoves(c, func(s string) { w.say("[monitor] ", "%s", s) })
	go func() {
		defer close(w.monDone)
		err := monitor(ctx, c, func(names []string) {
			w.say("[monitor] ", "Current service list: [%s]", strings.Join(names, ", "))
			w.listMu.Lock()
			w.list, w.listSeen = names, true
			close(w.listCh)
			w.listCh = make(chan struct{})
			w.listMu.Unlock()
		})
		if err != nil && ctx.Err() == nil {
			w.say("[monitor] ", "stopped: %v", err)
		}
	}()
	return nil
}

// waitList waits until the monitor printed a list that pred accepts and
// returns how long that took.
func (w *walk) waitList(pred func([]string) bool) (time.Duration, error) {
	start := time.Now()
	deadline := time.After(waitLimit)
	for {
		w.listMu.Lock()
		ok, ch := w.listSeen && pred(w.list), w.listCh
		w.listMu.Unlock()
		if ok {
			return time.Since(start), nil
		}
		select {
		case <-ch:
		case <-deadline:
			return 0, fmt.Errorf("the monitor's list did not change as expected within %s", waitLimit)
		case <-w.ctx.Done():
			return 0, w.ctx.Err()
		}
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }

// register starts `demo register name` against node i+1 first.
func (w *walk) register(name string, i int) error {
	servers := busAddrs(w.cfgs[0])
	servers = append(servers[i%len(servers):], servers[:i%len(servers)]...)
	p, err := w.spawn("["+name+"] ", w.self, "register", name, "--config", w.paths[0],
		"--servers", strings.Join(servers, ","), "--session-timeout", sessionTimeout.String())
	if err != nil {
		return err
	}
	w.servers[name] = p
	select {
	case <-p.online:
		return nil
	case <-p.done:
		return fmt.Errorf("%s exited before registering", name)
	case <-time.After(waitLimit):
		return fmt.Errorf("%s did not register within %s", name, waitLimit)
	case <-w.ctx.Done():
		return w.ctx.Err()
	}
}

// stopServer signals a registered server and waits for the monitor to
// see the list pred accepts; it returns the time since the signal.
func (w *walk) stopServer(name string, sig syscall.Signal, pred func([]string) bool) (time.Duration, error) {
	p := w.servers[name]
	start := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return 0, fmt.Errorf("signal %s: %w", name, err)
	}
	<-p.done
	delete(w.servers, name)
	if _, err := w.waitList(pred); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func (w *walk) startTrace() {
	p, err := w.spawn(busPrefix, w.nodeBin, "trace", "--config", w.paths[0], "--subject", ">", "--kind", traceKinds)
	if err != nil {
		w.note("no trace: %v", err)
		return
	}
	w.trace = p
}

// spawn starts a child process whose stdout and stderr lines are printed
// with prefix.
func (w *walk) spawn(prefix, name string, args ...string) (*proc, error) {
	cmd := exec.Command(name, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), online: make(chan struct{})}
	var once sync.Once
	var wg sync.WaitGroup
	for _, r := range []io.Reader{stdout, stderr} {
		wg.Add(1)
		go func(r io.Reader) {
			defer wg.Done()
			sc := bufio.NewScanner(r)
			for sc.Scan() {
				l := sc.Text()
				if prefix == busPrefix && len(l) > maxBusLine {
					l = l[:maxBusLine] + "..."
				}
				w.say(prefix, "%s", l)
				if strings.Contains(l, " is online: ") {
					once.Do(func() { close(p.online) })
				}
			}
		}(r)
	}
	go func() {
		wg.Wait()
		_ = cmd.Wait() // its exit is not news: the output said it
		close(p.done)
	}()
	return p, nil
}

// teardown stops whatever still runs: servers, monitor, nodes, trace.
// Teardown budgets: a finished walkthrough lets everything stop cleanly;
// an interrupted one (Ctrl-C) must be gone within a second, so it signals
// everything at once and kills what is still running after
// interruptGrace. Its ensemble lives in a temporary directory, removed
// afterwards, so a node stopped by SIGKILL loses nothing anyone keeps.
const (
	teardownGrace  = 10 * time.Second
	interruptGrace = 500 * time.Millisecond
)

// teardown stops every process the walkthrough started, at once.
func (w *walk) teardown() {
	grace := teardownGrace
	if w.ctx.Err() != nil {
		grace = interruptGrace
	}
	deadline := time.Now().Add(grace)
	var wg sync.WaitGroup
	stop := func(p *proc) {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		wg.Add(1)
		go func() { defer wg.Done(); waitOrKill(p, time.Until(deadline)) }()
	}
	for _, p := range w.servers {
		stop(p)
	}
	if w.trace != nil {
		stop(w.trace)
	}
	if w.mon != nil {
		// Close asks the ensemble to close the session; an interrupted
		// run does not wait for that answer past the deadline.
		monClosed := make(chan struct{})
		go func() {
			defer close(monClosed)
			w.monStop()
			<-w.monDone
			_ = w.mon.Close()
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-monClosed:
			case <-time.After(time.Until(deadline)):
			}
		}()
	}
	for id := range w.cfgs {
		pid, err := readPid(w.cfgs[id].PidFile())
		if err != nil || syscall.Kill(pid, syscall.SIGTERM) != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if syscall.Kill(pid, 0) == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}()
	}
	wg.Wait()
}

func waitOrKill(p *proc, d time.Duration) {
	select {
	case <-p.done:
	case <-time.After(d):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}
