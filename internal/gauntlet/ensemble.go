package gauntlet

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/paddock-zk/paddock/internal/crashpoint"
	"github.com/paddock-zk/paddock/internal/faultproxy"
	"github.com/paddock-zk/paddock/server"
	"github.com/paddock-zk/paddock/zkwire"
)

// BuildNode builds the node binary into dir and returns its path.
func BuildNode(dir string) (string, error) {
	bin := filepath.Join(dir, "node")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/paddock-zk/paddock/cmd/node")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("gauntlet: building node: %v\n%s", err, out)
	}
	return bin, nil
}

// Ports are picked below Linux's ephemeral range (as internal/testutil
// does) and never twice in one process.
var ports struct {
	sync.Mutex
	rng    *rand.Rand
	issued map[int]bool
}

func freePort() (int, error) {
	ports.Lock()
	defer ports.Unlock()
	if ports.rng == nil {
		ports.rng = rand.New(rand.NewSource(int64(os.Getpid())))
		ports.issued = map[int]bool{}
	}
	for tries := 0; tries < 1000; tries++ {
		p := 20000 + ports.rng.Intn(10000)
		if ports.issued[p] {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		ln.Close()
		ports.issued[p] = true
		return p, nil
	}
	return 0, fmt.Errorf("gauntlet: no free port")
}

type member struct {
	id                               int
	dir, cfg                         string
	clientPort, clusterPort, busPort int
	cmd                              *exec.Cmd
	log                              *os.File
	exited                           chan struct{}
	paused                           bool
	starts                           int64 // how often it was started: a fresh fault seed each time
}

// Ensemble is n node processes whose routes all go through fault proxies.
// Its methods are called from one goroutine (the fault scheduler) but for
// BusURLs, Mode and Mntr, which any goroutine may call.
type Ensemble struct {
	bin     string
	root    string
	tick    int
	extra   string // more zoo.cfg lines (SetConfig)
	seed    int64  // the fault file systems' seeds derive from it
	members map[int]*member
	proxies map[[2]int]*faultproxy.Proxy // route from→to

	clientLog    *slog.Logger // the clients' logs, to clients.log under root
	clientLogOut *os.File
}

// NewEnsemble lays out n nodes under root with tickTime tick (ms).
func NewEnsemble(bin, root string, n, tick int) (*Ensemble, error) {
	e := &Ensemble{bin: bin, root: root, tick: tick, members: map[int]*member{}, proxies: map[[2]int]*faultproxy.Proxy{}}
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
		for _, p := range []*int{&m.clientPort, &m.clusterPort, &m.busPort} {
			port, err := freePort()
			if err != nil {
				return nil, err
			}
			*p = port
		}
		m.cfg = filepath.Join(m.dir, "zoo.cfg")
		e.members[i] = m
	}
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
	for _, m := range e.members {
		if err := e.writeConfig(m); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// writeConfig writes zoo.cfg and myid the way cmd/node's process tests do:
// real peer credentials, anonymous clients allowed, and an advertise address
// that keeps nodes from learning each other's real cluster ports (they would
// route around the proxies).
func (e *Ensemble) writeConfig(m *member) error {
	var b strings.Builder
	fmt.Fprintf(&b, "tickTime=%d\ninitLimit=10\nsyncLimit=5\n", e.tick)
	b.WriteString(e.extra)
	fmt.Fprintf(&b, "dataDir=%s\nclientPort=%d\n4lw.commands.whitelist=*\n", filepath.Join(m.dir, "data"), m.clientPort)
	b.WriteString("paddock.peerUser=peer\npaddock.peerPassword=peer-secret\npaddock.clientUsers=app:app-secret\npaddock.allowAnonymousClients=true\n")
	b.WriteString("paddock.clusterAdvertise=127.0.0.1:1\n")
	for id := 1; id <= len(e.members); id++ {
		p := e.members[id]
		cp := p.clusterPort
		if id != m.id {
			cp = e.proxies[[2]int{m.id, id}].Port()
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

// IDs lists the node ids in order.
func (e *Ensemble) IDs() []int {
	ids := make([]int, 0, len(e.members))
	for id := range e.members {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// BusURLs lists the nodes' bus URLs, first's first.
func (e *Ensemble) BusURLs(first int) []string {
	urls := []string{fmt.Sprintf("nats://127.0.0.1:%d", e.members[first].busPort)}
	for _, id := range e.IDs() {
		if id != first {
			urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", e.members[id].busPort))
		}
	}
	return urls
}

// Running reports whether node id's process is up (perhaps paused).
func (e *Ensemble) Running(id int) bool { return e.members[id].cmd != nil }

// Start starts node id (a no-op when it runs); its output is appended to
// node.log in its directory.
func (e *Ensemble) Start(id int) error { return e.start(id, nil) }

// start starts node id with env added to its environment.
func (e *Ensemble) start(id int, env []string) error {
	m := e.members[id]
	if m.cmd != nil {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(m.dir, "node.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "===== gauntlet: start %s =====\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(e.bin, "start", "--config", m.cfg, "--log-level", "debug")
	cmd.Stdout, cmd.Stderr = f, f
	// Every node can be crashed at a crash point and have its storage
	// faulted, through control files in its directory (ArmCrash,
	// SetStorageFault); the fault file system only acts when told to.
	m.starts++
	cmd.Env = append(os.Environ(),
		crashpoint.FileEnvVar+"="+e.crashControl(id),
		"PADDOCK_FAULTFS="+strconv.FormatInt(e.seed*1_000_003+int64(id)*10_007+m.starts, 10),
		"PADDOCK_FAULTFS_CONTROL="+e.faultControl(id))
	cmd.Env = append(cmd.Env, env...)
	if err := cmd.Start(); err != nil {
		f.Close()
		return err
	}
	m.cmd, m.log, m.exited, m.paused = cmd, f, make(chan struct{}), false
	exited := m.exited
	go func() { _ = cmd.Wait(); close(exited) }()
	return nil
}

// SetConfig adds lines to every node's zoo.cfg (e.g. "snapCount=20\n");
// they take effect at each node's next start.
func (e *Ensemble) SetConfig(lines string) error {
	e.extra = lines
	for _, m := range e.members {
		if err := e.writeConfig(m); err != nil {
			return err
		}
	}
	return nil
}

// SetSeed seeds the nodes' fault file systems (how a simulated crash tears
// files); each start of a node derives its own seed from it.
func (e *Ensemble) SetSeed(seed int64) { e.seed = seed }

func (e *Ensemble) crashControl(id int) string { return filepath.Join(e.members[id].dir, "crashpoint") }
func (e *Ensemble) faultControl(id int) string { return filepath.Join(e.members[id].dir, "faultfs") }

// ArmCrash arms the crash points of spec (see package crashpoint; ""
// disarms) on node id, running or not: a running node reads its control
// file within a few tens of milliseconds, a starting one before it opens
// its storage.
func (e *Ensemble) ArmCrash(id int, spec string) error {
	return writeFileAtomic(e.crashControl(id), spec+"\n")
}

// SetStorageFault makes node id's storage fail: "enospc", "eio-fsync",
// "crash" (a simulated power loss), or "none".
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

// Kill9 kills node id with SIGKILL and waits for it to be gone.
func (e *Ensemble) Kill9(id int) {
	m := e.members[id]
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.exited
	m.log.Close()
	m.cmd, m.log, m.paused = nil, nil, false
}

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

// Cut cuts every route between a node of a and a node of b, both ways.
func (e *Ensemble) Cut(a, b []int) {
	for _, i := range a {
		for _, j := range b {
			if i != j {
				e.proxies[[2]int{i, j}].Cut()
				e.proxies[[2]int{j, i}].Cut()
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
		e.proxies[r].Cut()
		e.proxies[r].Heal()
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
		e.Kill9(id)
	}
	for _, p := range e.proxies {
		p.Close()
	}
	if e.clientLogOut != nil {
		e.clientLogOut.Close()
	}
}

// Mode is "leader", "follower", "standalone", "looking" or "not running".
func (e *Ensemble) Mode(id int) string {
	if e.members[id].paused {
		return "paused"
	}
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

// Modes asks every node its mode.
func (e *Ensemble) Modes() map[int]string {
	out := map[int]string{}
	for _, id := range e.IDs() {
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
	out, err := zkwire.Ask(ctx, fmt.Sprintf("127.0.0.1:%d", e.members[id].clientPort), "mntr")
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

// States describes every node's state, last zxid and digest.
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
