package testkit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/internal/crashpoint"
	"github.com/paddock-zk/paddock/internal/faultproxy"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zkwire"
)

// Options shape a process Ensemble; the zero value is what most process
// tests want: ZooKeeper's default tickTime, direct routes, credentials.
type Options struct {
	// Tick is tickTime in ms (0: 2000, ZooKeeper's default).
	Tick int
	// Extra are more zoo.cfg lines for every node (SetConfig replaces them).
	Extra string
	// Proxied sends every route through a fault proxy of its own, so Cut,
	// HealCut, Delay and Flap work. Off, nodes dial each other directly,
	// as an operator's ensemble does.
	Proxied bool
	// Plain writes ZooKeeper's keys only: no Paddock credentials, so the
	// bus admits no native client.
	Plain bool
	// Faults starts every node on a fault file system seeded from Seed
	// that polls control files in its directory (ArmCrash,
	// SetStorageFault). Off, a node runs on its plain storage.
	Faults bool
	Seed   int64
	// LogLevel is the nodes' --log-level ("": debug).
	LogLevel string
}

type member struct {
	id                               int
	dir, cfg                         string
	clientPort, clusterPort, busPort int
	adminPort                        int // its AdminServer's, on 127.0.0.1
	cmd                              *exec.Cmd
	log                              *os.File
	logFrom                          int64 // node.log's size when the current process started
	exited                           chan struct{}
	paused                           bool
	starts                           int64 // how often it was started: a fresh fault seed each time
	nofile                           int   // its soft file limit when above 0 (SetFileLimit)
}

// Ensemble is n node processes on 127.0.0.1. Its methods are called from
// one goroutine (a test's, or the gauntlet's fault scheduler) but for the
// read-only ones (BusURL(s), ClientAddr, Mode(s), Leader, Mntr, States),
// which any goroutine may call.
type Ensemble struct {
	bin     string
	root    string
	opts    Options
	members map[int]*member
	proxies map[[2]int]*faultproxy.Proxy // route from→to, when Proxied

	clientLog    *slog.Logger // the clients' logs, to clients.log under root
	clientLogOut *os.File
}

// NewEnsemble lays out n nodes of the node binary bin under root (zoo.cfg
// and myid in root/nodeN) without starting them.
func NewEnsemble(bin, root string, n int, o Options) (*Ensemble, error) {
	if o.Tick == 0 {
		o.Tick = 2000
	}
	e := &Ensemble{bin: bin, root: root, opts: o, members: map[int]*member{}, proxies: map[[2]int]*faultproxy.Proxy{}}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(root, "clients.log"))
	if err != nil {
		return nil, err
	}
	e.clientLogOut, e.clientLog = f, slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for i := 1; i <= n; i++ {
		m := &member{id: i, dir: filepath.Join(root, fmt.Sprintf("node%d", i))}
		for _, p := range []*int{&m.clientPort, &m.clusterPort, &m.busPort, &m.adminPort} {
			if *p, err = testutil.Port(); err != nil {
				e.Close()
				return nil, err
			}
		}
		m.cfg = filepath.Join(m.dir, "zoo.cfg")
		e.members[i] = m
	}
	if o.Proxied {
		for i := range e.members {
			for j, p := range e.members {
				if i == j {
					continue
				}
				px, err := faultproxy.Listen("127.0.0.1:0", fmt.Sprintf("127.0.0.1:%d", p.clusterPort))
				if err != nil {
					e.Close()
					return nil, err
				}
				e.proxies[[2]int{i, j}] = px
			}
		}
	}
	for _, m := range e.members {
		if err := e.writeConfig(m); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// Processes is NewEnsemble for a test: the node binary built for this
// test binary (NodeBin), a temporary root, every process killed and the
// logs shown if the test failed. Process ensembles take seconds each, so
// the test is skipped under -short.
func Processes(t testing.TB, n int, o Options) *Ensemble {
	t.Helper()
	if testing.Short() {
		t.Skip("real node processes; skipped with -short")
	}
	e, err := NewEnsemble(NodeBin(t), t.TempDir(), n, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("modes %v\n%s", e.Modes(), e.Logs())
		}
		e.Close()
	})
	return e
}

// writeConfig writes zoo.cfg and myid: real peer credentials with
// anonymous clients allowed (unless Plain), and with proxies an advertise
// address that keeps nodes from learning each other's real cluster ports
// by route gossip (they would route around the proxies).
func (e *Ensemble) writeConfig(m *member) error {
	var b strings.Builder
	fmt.Fprintf(&b, "tickTime=%d\ninitLimit=10\nsyncLimit=5\n", e.opts.Tick)
	b.WriteString(e.opts.Extra)
	fmt.Fprintf(&b, "dataDir=%s\nclientPort=%d\n4lw.commands.whitelist=*\n", filepath.Join(m.dir, "data"), m.clientPort)
	fmt.Fprintf(&b, "admin.serverPort=%d\n", m.adminPort)
	if !e.opts.Plain {
		fmt.Fprintf(&b, "paddock.peerUser=%s\npaddock.peerPassword=%s\npaddock.clientUsers=%s:%s\npaddock.allowAnonymousClients=true\n",
			PeerUser, PeerPassword, ClientUser, ClientPassword)
	}
	if e.opts.Proxied {
		b.WriteString("paddock.clusterAdvertise=127.0.0.1:1\n")
	}
	for id := 1; id <= len(e.members); id++ {
		p := e.members[id]
		cp := p.clusterPort
		if px := e.proxies[[2]int{m.id, id}]; px != nil {
			cp = px.Port()
		}
		fmt.Fprintf(&b, "server.%d=127.0.0.1:%d:%d\n", id, cp, p.busPort)
	}
	if err := os.MkdirAll(filepath.Join(m.dir, "data"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(m.cfg, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(m.dir, "data", "myid"), []byte(fmt.Sprintf("%d\n", m.id)), 0o644)
}

// SetConfig replaces the extra zoo.cfg lines of every node (e.g.
// "snapCount=20\n"); they take effect at each node's next start.
func (e *Ensemble) SetConfig(lines string) error {
	e.opts.Extra = lines
	for _, m := range e.members {
		if err := e.writeConfig(m); err != nil {
			return err
		}
	}
	return nil
}

// SetSeed seeds the nodes' fault file systems (how a simulated crash tears
// files); each start of a node derives its own seed from it.
func (e *Ensemble) SetSeed(seed int64) { e.opts.Seed = seed }

// Tick is the nodes' tickTime.
func (e *Ensemble) Tick() time.Duration { return time.Duration(e.opts.Tick) * time.Millisecond }

// IDs lists the node ids in order.
func (e *Ensemble) IDs() []int {
	ids := make([]int, 0, len(e.members))
	for id := range e.members {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// Dir is node id's directory: zoo.cfg, node.log, data/.
func (e *Ensemble) Dir(id int) string { return e.members[id].dir }

// ConfigPath is node id's zoo.cfg.
func (e *Ensemble) ConfigPath(id int) string { return e.members[id].cfg }

// ClientPort is node id's clientPort, on 127.0.0.1.
func (e *Ensemble) ClientPort(id int) int { return e.members[id].clientPort }

// ClientAddr is node id's clientPort address.
func (e *Ensemble) ClientAddr(id int) string {
	return fmt.Sprintf("127.0.0.1:%d", e.members[id].clientPort)
}

// AdminAddr is node id's AdminServer address (HTTP, on 127.0.0.1).
func (e *Ensemble) AdminAddr(id int) string {
	return fmt.Sprintf("127.0.0.1:%d", e.members[id].adminPort)
}

// BusAddr is node id's bus address (host:port).
func (e *Ensemble) BusAddr(id int) string {
	return fmt.Sprintf("127.0.0.1:%d", e.members[id].busPort)
}

// BusURL is node id's bus URL, for the native client.
func (e *Ensemble) BusURL(id int) string { return "nats://" + e.BusAddr(id) }

// BusURLs lists the nodes' bus URLs, first's first.
func (e *Ensemble) BusURLs(first int) []string {
	urls := []string{e.BusURL(first)}
	for _, id := range e.IDs() {
		if id != first {
			urls = append(urls, e.BusURL(id))
		}
	}
	return urls
}

// ClientLog is a logger for the test's clients, to clients.log under the
// root, kept with the nodes' logs.
func (e *Ensemble) ClientLog() *slog.Logger { return e.clientLog }

// Running reports whether node id's process is up (perhaps paused).
func (e *Ensemble) Running(id int) bool { return e.members[id].cmd != nil }

// Pid is node id's process id (0 when it is not running).
func (e *Ensemble) Pid(id int) int {
	if m := e.members[id]; m.cmd != nil {
		return m.cmd.Process.Pid
	}
	return 0
}

// Start starts node id (a no-op when it runs); its output is appended to
// node.log in its directory.
func (e *Ensemble) Start(id int) error { return e.StartEnv(id) }

// StartEnv starts node id with env added to its environment.
func (e *Ensemble) StartEnv(id int, env ...string) error {
	m := e.members[id]
	if m.cmd != nil {
		return nil
	}
	f, err := os.OpenFile(e.LogPath(id), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "===== testkit: start %s =====\n", time.Now().Format(time.RFC3339Nano))
	from, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return err
	}
	level := e.opts.LogLevel
	if level == "" {
		level = "debug"
	}
	cmd := exec.Command(e.bin, "start", "--config", m.cfg, "--log-level", level)
	if m.nofile > 0 {
		// exec keeps the pid the node's, so Kill9 and Pause reach it.
		cmd = exec.Command("bash", append([]string{"-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, m.nofile), e.bin}, cmd.Args[1:]...)...)
	}
	cmd.Stdout, cmd.Stderr = f, f
	m.starts++
	if e.opts.Faults {
		// The fault file system only acts when its control file says so.
		cmd.Env = append(os.Environ(),
			crashpoint.FileEnvVar+"="+e.crashControl(id),
			"PADDOCK_FAULTFS="+strconv.FormatInt(e.opts.Seed*1_000_003+int64(id)*10_007+m.starts, 10),
			"PADDOCK_FAULTFS_CONTROL="+e.faultControl(id))
	}
	if len(env) > 0 {
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		cmd.Env = append(cmd.Env, env...)
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		return err
	}
	m.cmd, m.log, m.logFrom, m.exited, m.paused = cmd, f, from, make(chan struct{}), false
	exited := m.exited
	go func() { _ = cmd.Wait(); close(exited) }()
	return nil
}

// SetFileLimit makes node id's next starts run under `ulimit -n nofile`.
func (e *Ensemble) SetFileLimit(id, nofile int) { e.members[id].nofile = nofile }

// AppendConfig adds lines to node id's zoo.cfg (until the next SetConfig).
func (e *Ensemble) AppendConfig(id int, lines string) error {
	f, err := os.OpenFile(e.members[id].cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(lines); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (e *Ensemble) crashControl(id int) string { return filepath.Join(e.members[id].dir, "crashpoint") }
func (e *Ensemble) faultControl(id int) string { return filepath.Join(e.members[id].dir, "faultfs") }

// ArmCrash arms the crash points of spec (see package crashpoint; ""
// disarms) on node id, running or not: a running node reads its control
// file within a few tens of milliseconds, a starting one before it opens
// its storage. It needs Options.Faults.
func (e *Ensemble) ArmCrash(id int, spec string) error {
	return writeFileAtomic(e.crashControl(id), spec+"\n")
}

// SetStorageFault makes node id's storage fail: "enospc", "eio-fsync",
// "crash" (a simulated power loss), or "none". It needs Options.Faults.
func (e *Ensemble) SetStorageFault(id int, mode string) error {
	return writeFileAtomic(e.faultControl(id), mode+"\n")
}

// writeFileAtomic replaces a control file so a poller never reads half of it.
func writeFileAtomic(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Exited is closed when node id's current process has exited (nil when it
// was not started). Kill9 then collects it.
func (e *Ensemble) Exited(id int) <-chan struct{} {
	if m := e.members[id]; m.cmd != nil {
		return m.exited
	}
	return nil
}

// LogPath is node id's log file (every start appends to it).
func (e *Ensemble) LogPath(id int) string { return filepath.Join(e.members[id].dir, "node.log") }

// Log is what node id's current (or last) process has written.
func (e *Ensemble) Log(id int) string {
	b, err := os.ReadFile(e.LogPath(id))
	if err != nil {
		return ""
	}
	if from := e.members[id].logFrom; from <= int64(len(b)) {
		b = b[from:]
	}
	return string(b)
}

// Logs is the tail of every node's log, for a failure message.
func (e *Ensemble) Logs() string {
	var b strings.Builder
	for _, id := range e.IDs() {
		s := e.Log(id)
		if s == "" {
			continue
		}
		if len(s) > 4000 {
			s = "…" + s[len(s)-4000:]
		}
		fmt.Fprintf(&b, "--- node %d log tail ---\n%s\n", id, s)
	}
	return b.String()
}

// Kill9 kills nodes ids with SIGKILL, all before waiting for any, and
// returns once they are gone.
func (e *Ensemble) Kill9(ids ...int) {
	var killed []*member
	for _, id := range ids {
		if m := e.members[id]; m.cmd != nil {
			_ = m.cmd.Process.Signal(syscall.SIGKILL)
			killed = append(killed, m)
		}
	}
	for _, m := range killed {
		<-m.exited
		m.log.Close()
		m.cmd, m.log, m.paused = nil, nil, false
	}
}

// Stop stops nodes ids with SIGTERM, all before waiting for any, as an
// operator's clean shutdown does; a node still running after d is killed
// with SIGKILL and named in the error, so a caller timing a restart knows
// the shutdown was not clean.
func (e *Ensemble) Stop(d time.Duration, ids ...int) error {
	var stopped []*member
	for _, id := range ids {
		if m := e.members[id]; m.cmd != nil {
			if m.paused {
				_ = m.cmd.Process.Signal(syscall.SIGCONT)
			}
			_ = m.cmd.Process.Signal(syscall.SIGTERM)
			stopped = append(stopped, m)
		}
	}
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	var hung []int
	for _, m := range stopped {
		select {
		case <-m.exited:
		case <-deadline.C:
			// Every later node gets no more time either: d bounds the whole stop.
			deadline.Reset(0)
			hung = append(hung, m.id)
			_ = m.cmd.Process.Signal(syscall.SIGKILL)
			<-m.exited
		}
		m.log.Close()
		m.cmd, m.log, m.paused = nil, nil, false
	}
	if len(hung) > 0 {
		return fmt.Errorf("testkit: nodes %v still running %s after SIGTERM, killed", hung, d)
	}
	return nil
}

// KillAll kills every node with SIGKILL.
func (e *Ensemble) KillAll() { e.Kill9(e.IDs()...) }

// Pause stops node id with SIGSTOP; Resume continues it.
func (e *Ensemble) Pause(id int) {
	m := e.members[id]
	if m.cmd != nil && !m.paused {
		_ = m.cmd.Process.Signal(syscall.SIGSTOP)
		m.paused = true
	}
}

// Resume continues a paused node.
func (e *Ensemble) Resume(id int) {
	m := e.members[id]
	if m.cmd != nil && m.paused {
		_ = m.cmd.Process.Signal(syscall.SIGCONT)
		m.paused = false
	}
}

// route is the proxy from node i to node j; without Proxied the ensemble
// has none, and a test that cuts routes is wrong, so it panics.
func (e *Ensemble) route(i, j int) *faultproxy.Proxy {
	px := e.proxies[[2]int{i, j}]
	if px == nil {
		panic(fmt.Sprintf("testkit: no proxy on route %d→%d: the ensemble needs Options.Proxied", i, j))
	}
	return px
}

// Cut cuts every route between a node of a and a node of b, both ways.
func (e *Ensemble) Cut(a, b []int) {
	for _, i := range a {
		for _, j := range b {
			if i != j {
				e.route(i, j).Cut()
				e.route(j, i).Cut()
			}
		}
	}
}

// HealCut lets the routes between a and b through again (Cut's undo for
// those routes only).
func (e *Ensemble) HealCut(a, b []int) {
	for _, i := range a {
		for _, j := range b {
			if i != j {
				e.route(i, j).Heal()
				e.route(j, i).Heal()
			}
		}
	}
}

// Delay slows every route to and from node id by d per chunk forwarded.
func (e *Ensemble) Delay(id int, d time.Duration) {
	for r, p := range e.proxies {
		if r[0] == id || r[1] == id {
			p.SetDelay(d)
		}
	}
}

// Flap closes the connections of the route between i and j, both ways,
// losing what was in flight; the nodes may reconnect at once.
func (e *Ensemble) Flap(i, j int) {
	for _, r := range [][2]int{{i, j}, {j, i}} {
		e.route(r[0], r[1]).Cut()
		e.route(r[0], r[1]).Heal()
	}
}

// HealRoutes lets every route through again, undelayed.
func (e *Ensemble) HealRoutes() {
	for _, p := range e.proxies {
		p.Heal()
		p.SetDelay(0)
	}
}

// HealAll heals routes, resumes paused nodes and starts stopped ones.
func (e *Ensemble) HealAll() error {
	e.HealRoutes()
	for _, id := range e.IDs() {
		e.Resume(id)
		if err := e.Start(id); err != nil {
			return err
		}
	}
	return nil
}

// Close kills every node and closes the proxies.
func (e *Ensemble) Close() {
	for _, id := range e.IDs() {
		e.Resume(id)
	}
	e.KillAll()
	for _, p := range e.proxies {
		p.Close()
	}
	if e.clientLogOut != nil {
		e.clientLogOut.Close()
	}
}

// Mode is "leader", "follower", "standalone", "looking", "paused" or "not
// running", as srvr tells (a node that is not serving says no Mode).
func (e *Ensemble) Mode(id int) string {
	if e.members[id].paused {
		return "paused"
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	reply, err := zkwire.Ask(ctx, e.ClientAddr(id), "srvr")
	if err != nil {
		return "not running"
	}
	mode, ok := zkwire.ParseMode(reply)
	if !ok {
		return "looking"
	}
	return string(mode)
}

// Modes asks nodes ids (every node when none are named) their modes.
func (e *Ensemble) Modes(ids ...int) map[int]string {
	if len(ids) == 0 {
		ids = e.IDs()
	}
	out := map[int]string{}
	for _, id := range ids {
		out[id] = e.Mode(id)
	}
	return out
}

// Leader is the one node of ids that says it leads while the others follow,
// or 0.
func (e *Ensemble) Leader(ids ...int) int {
	leader := 0
	for _, id := range ids {
		switch e.Mode(id) {
		case "leader":
			if leader != 0 {
				return 0
			}
			leader = id
		case "follower":
		default:
			return 0
		}
	}
	return leader
}

// WaitSettled polls until ids have one leader, or d passes (then 0).
func (e *Ensemble) WaitSettled(d time.Duration, ids ...int) int {
	deadline := time.Now().Add(d)
	for {
		if l := e.Leader(ids...); l != 0 {
			return l
		}
		if time.Now().After(deadline) {
			return 0
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Mntr returns node id's monitoring variables (empty when it does not answer).
func (e *Ensemble) Mntr(id int) map[string]string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	kv := map[string]string{}
	out, err := zkwire.Ask(ctx, e.ClientAddr(id), "mntr")
	if err != nil {
		return kv
	}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, "\t"); ok {
			kv[k] = v
		}
	}
	return kv
}

// States describes every node's state, last zxid and digest, and reports
// whether every node serves with the same zxid and tree digest.
func (e *Ensemble) States() (desc string, same bool) {
	var parts []string
	first, same := "", true
	for _, id := range e.IDs() {
		kv := e.Mntr(id)
		s := kv["zk_last_zxid"] + "/" + kv["paddock_digest"]
		st := kv["zk_server_state"]
		parts = append(parts, fmt.Sprintf("node%d=%s:%s", id, st, s))
		if st != "leader" && st != "follower" {
			same = false
		}
		if first == "" {
			first = s
		} else if s != first {
			same = false
		}
	}
	return strings.Join(parts, " "), same
}

// The methods below are for tests: they fail t instead of returning.

// Up starts nodes ids without waiting for them.
func (e *Ensemble) Up(t testing.TB, ids ...int) {
	t.Helper()
	for _, id := range ids {
		if err := e.Start(id); err != nil {
			t.Fatalf("start node %d: %v", id, err)
		}
	}
}

// WaitAnswering waits until nodes ids answer on their client ports.
func (e *Ensemble) WaitAnswering(t testing.TB, ids ...int) {
	t.Helper()
	e.WaitFor(t, fmt.Sprintf("nodes %v to answer", ids), 20*time.Second, func() bool {
		for _, id := range ids {
			if e.Mode(id) == "not running" {
				return false
			}
		}
		return true
	})
}

// UpSettled starts every node in id order, each once the one before
// answers, and returns the leader they settle on.
func (e *Ensemble) UpSettled(t testing.TB) int {
	t.Helper()
	for _, id := range e.IDs() {
		e.Up(t, id)
		e.WaitAnswering(t, id)
	}
	return e.Settle(t, e.IDs()...)
}

// WaitFor polls cond until it holds, and fails t with the nodes' modes
// when d passes first (their logs follow from Processes' cleanup).
func (e *Ensemble) WaitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; modes %v", d, what, e.Modes())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Settle waits until ids have exactly one leader and the rest follow, and
// returns the leader.
func (e *Ensemble) Settle(t testing.TB, ids ...int) int {
	t.Helper()
	var leader int
	e.WaitFor(t, fmt.Sprintf("one leader among %v", ids), 30*time.Second, func() bool {
		leader = e.Leader(ids...)
		return leader != 0
	})
	return leader
}

// Without is ids less drop.
func Without(ids []int, drop ...int) []int {
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
