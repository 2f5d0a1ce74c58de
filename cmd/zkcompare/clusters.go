package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
)

// cluster is a 3-node ensemble of either system, as processes on
// 127.0.0.1. Methods are called from one goroutine, but ClientAddr, IDs
// and Pid, which the load and pollers read.
type cluster interface {
	Name() string
	IDs() []int
	ClientAddr(id int) string
	// Pid is node id's process (0 when it is not running).
	Pid(id int) int
	Start(id int) error
	// Kill9 kills node id with SIGKILL and returns once it is gone.
	Kill9(id int)
	// StopAll stops every node with SIGTERM (a clean shutdown), killing
	// what still runs after d.
	StopAll(d time.Duration) error
	// LogPath is node id's log file.
	LogPath(id int) string
	// DataDir is node id's data directory (removed to free the disk).
	DataDir(id int) string
	Close()
}

const (
	paddockName   = "Paddock"
	zookeeperName = "ZooKeeper"
)

// paddockCluster is testkit's process Ensemble: the node binary, zoo.cfg
// with ZooKeeper's defaults (tickTime 2000, forceSync on) in temp dirs.
type paddockCluster struct{ e *testkit.Ensemble }

var _ cluster = (*paddockCluster)(nil)

func newPaddock(bin, root, logLevel string) (*paddockCluster, error) {
	e, err := testkit.NewEnsemble(bin, root, 3, testkit.Options{LogLevel: logLevel, Extra: "forceSync=yes\n"})
	if err != nil {
		return nil, fmt.Errorf("laying out the Paddock ensemble in %s: %w", root, err)
	}
	return &paddockCluster{e: e}, nil
}

func (p *paddockCluster) Name() string             { return paddockName }
func (p *paddockCluster) IDs() []int               { return p.e.IDs() }
func (p *paddockCluster) ClientAddr(id int) string { return p.e.ClientAddr(id) }
func (p *paddockCluster) Pid(id int) int           { return p.e.Pid(id) }
func (p *paddockCluster) Kill9(id int)             { p.e.Kill9(id) }
func (p *paddockCluster) LogPath(id int) string    { return p.e.LogPath(id) }
func (p *paddockCluster) DataDir(id int) string    { return filepath.Join(p.e.Dir(id), "data") }
func (p *paddockCluster) Close()                   { p.e.Close() }

func (p *paddockCluster) Start(id int) error {
	if err := p.e.Start(id); err != nil {
		return fmt.Errorf("starting Paddock node %d: %w", id, err)
	}
	return nil
}

func (p *paddockCluster) StopAll(d time.Duration) error {
	if err := p.e.Stop(d, p.e.IDs()...); err != nil {
		return fmt.Errorf("stopping Paddock: %w", err)
	}
	return nil
}

// zkConfig is how Apache ZooKeeper's JVMs are started.
type zkConfig struct {
	java      string
	classpath string
	// jvm are the flags before -cp: Debian's zkServer.sh's defaults plus
	// any -Xmx asked for.
	jvm []string
}

// zkMember is one QuorumPeerMain process.
type zkMember struct {
	id         int
	dir        string
	clientPort int
	cmd        *exec.Cmd
	log        *os.File
	exited     chan struct{}
}

// zkCluster is a 3-node Apache ZooKeeper ensemble run as
// scripts in Debian's package would run it, minus the daemon wrapper.
type zkCluster struct {
	cfg     zkConfig
	members map[int]*zkMember
}

var _ cluster = (*zkCluster)(nil)

// newZooKeeper lays out zoo.cfg and myid for three nodes under root
// without starting them: ZooKeeper's defaults (tickTime 2000, forceSync
// yes, snapCount 100,000), four-letter words for the harness, no admin
// server (it would take port 8080 three times).
func newZooKeeper(cfg zkConfig, root string) (*zkCluster, error) {
	z := &zkCluster{cfg: cfg, members: map[int]*zkMember{}}
	var servers strings.Builder
	for id := 1; id <= 3; id++ {
		m := &zkMember{id: id, dir: filepath.Join(root, fmt.Sprintf("zk%d", id))}
		var quorum, election int
		for _, p := range []*int{&m.clientPort, &quorum, &election} {
			var err error
			if *p, err = testutil.Port(); err != nil {
				return nil, fmt.Errorf("choosing ZooKeeper ports: %w", err)
			}
		}
		fmt.Fprintf(&servers, "server.%d=127.0.0.1:%d:%d\n", id, quorum, election)
		z.members[id] = m
	}
	for _, m := range z.members {
		data := filepath.Join(m.dir, "data")
		if err := os.MkdirAll(data, 0o755); err != nil {
			return nil, fmt.Errorf("laying out ZooKeeper node %d: %w", m.id, err)
		}
		if err := os.WriteFile(filepath.Join(data, "myid"), []byte(fmt.Sprintf("%d\n", m.id)), 0o644); err != nil {
			return nil, fmt.Errorf("writing ZooKeeper node %d's myid: %w", m.id, err)
		}
		text := fmt.Sprintf("tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"+
			"forceSync=yes\nadmin.enableServer=false\nreconfigEnabled=false\n4lw.commands.whitelist=srvr,mntr,ruok,conf\n%s",
			data, m.clientPort, servers.String())
		if err := os.WriteFile(z.cfgPath(m.id), []byte(text), 0o644); err != nil {
			return nil, fmt.Errorf("writing ZooKeeper node %d's zoo.cfg: %w", m.id, err)
		}
	}
	return z, nil
}

func (z *zkCluster) cfgPath(id int) string { return filepath.Join(z.members[id].dir, "zoo.cfg") }

func (z *zkCluster) Name() string { return zookeeperName }

func (z *zkCluster) IDs() []int {
	ids := make([]int, 0, len(z.members))
	for id := range z.members {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

func (z *zkCluster) ClientAddr(id int) string {
	return fmt.Sprintf("127.0.0.1:%d", z.members[id].clientPort)
}

func (z *zkCluster) Pid(id int) int {
	if m := z.members[id]; m.cmd != nil {
		return m.cmd.Process.Pid
	}
	return 0
}

func (z *zkCluster) LogPath(id int) string { return filepath.Join(z.members[id].dir, "zookeeper.log") }
func (z *zkCluster) DataDir(id int) string { return filepath.Join(z.members[id].dir, "data") }

func (z *zkCluster) Start(id int) error {
	m := z.members[id]
	if m.cmd != nil {
		return nil
	}
	f, err := os.OpenFile(z.LogPath(id), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening ZooKeeper node %d's log: %w", id, err)
	}
	fmt.Fprintf(f, "===== zkcompare: start %s =====\n", time.Now().Format(time.RFC3339Nano))
	args := append(append([]string{}, z.cfg.jvm...), "-cp", z.cfg.classpath,
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", z.cfgPath(id))
	cmd := exec.Command(z.cfg.java, args...)
	// The heap dump Debian's flags ask for on OutOfMemoryError lands in
	// the working directory: keep it in the node's temp dir.
	cmd.Dir = m.dir
	cmd.Stdout, cmd.Stderr = f, f
	// A harness that dies without its cleanup (SIGKILL) must not leave
	// JVMs holding ports and gigabytes behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("starting ZooKeeper node %d (%s): %w", id, z.cfg.java, err)
	}
	m.cmd, m.log, m.exited = cmd, f, make(chan struct{})
	exited := m.exited
	go func() { _ = cmd.Wait(); close(exited) }()
	return nil
}

func (z *zkCluster) Kill9(id int) {
	m := z.members[id]
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.exited
	m.log.Close()
	m.cmd, m.log = nil, nil
}

func (z *zkCluster) StopAll(d time.Duration) error {
	var stopped []*zkMember
	for _, id := range z.IDs() {
		if m := z.members[id]; m.cmd != nil {
			_ = m.cmd.Process.Signal(syscall.SIGTERM)
			stopped = append(stopped, m)
		}
	}
	deadline := time.After(d)
	var hung []int
	for _, m := range stopped {
		select {
		case <-m.exited:
		case <-deadline:
			hung = append(hung, m.id)
			_ = m.cmd.Process.Signal(syscall.SIGKILL)
			<-m.exited
		}
		m.log.Close()
		m.cmd, m.log = nil, nil
	}
	if len(hung) > 0 {
		return fmt.Errorf("stopping ZooKeeper: nodes %v still running %s after SIGTERM, killed", hung, d)
	}
	return nil
}

func (z *zkCluster) Close() {
	for _, id := range z.IDs() {
		z.Kill9(id)
	}
}

// startAll starts every node of c at once.
func startAll(c cluster) error {
	for _, id := range c.IDs() {
		if err := c.Start(id); err != nil {
			return err
		}
	}
	return nil
}

// ask sends a four-letter word and returns the whole answer.
func ask(ctx context.Context, addr, word string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, word); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	if err != nil && len(b) == 0 {
		return "", err
	}
	return string(b), nil
}

// srvr is node id's srvr answer parsed ("Mode" missing when it does not
// serve; nil when it does not answer).
func srvr(ctx context.Context, c cluster, id int) map[string]string {
	out, err := ask(ctx, c.ClientAddr(id), "srvr")
	if err != nil {
		return nil
	}
	return parseSrvr(out)
}

// modes describes every node's mode, for errors and logs.
func modes(ctx context.Context, c cluster) string {
	var parts []string
	for _, id := range c.IDs() {
		m := "not answering"
		if kv := srvr(ctx, c, id); kv != nil {
			m = kv["Mode"]
			if m == "" {
				m = "not serving"
			}
		}
		parts = append(parts, fmt.Sprintf("node %d: %s", id, m))
	}
	return strings.Join(parts, ", ")
}

// logHint names the nodes' log files, for an error a reader must chase.
func logHint(c cluster) string {
	var paths []string
	for _, id := range c.IDs() {
		paths = append(paths, c.LogPath(id))
	}
	return "logs: " + strings.Join(paths, " ")
}

// errCanceled is returned when the run was interrupted (Ctrl-C).
var errCanceled = errors.New("interrupted")

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return errCanceled
	}
}

// waitServing polls until every node of ids serves (leader or follower)
// with exactly one leader, and, if sameZxid, they all report the same
// zxid (the restarted one caught up); it returns the leader.
func waitServing(ctx context.Context, c cluster, ids []int, sameZxid bool, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		leader, zxid, ok := 0, "", true
		for _, id := range ids {
			kv := srvr(ctx, c, id)
			switch kv["Mode"] {
			case "leader":
				if leader != 0 {
					ok = false
				}
				leader = id
			case "follower":
			default:
				ok = false
			}
			if zxid == "" {
				zxid = kv["Zxid"]
			} else if sameZxid && kv["Zxid"] != zxid {
				ok = false
			}
		}
		if ok && leader != 0 {
			return leader, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s did not serve with one leader within %s (%s); %s", c.Name(), timeout, modes(ctx, c), logHint(c))
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return 0, err
		}
	}
}

// rss is node id's resident set size in bytes.
func rss(c cluster, id int) (int64, error) {
	pid := c.Pid(id)
	if pid == 0 {
		return 0, fmt.Errorf("%s node %d is not running", c.Name(), id)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading %s node %d's RSS: %w", c.Name(), id, err)
	}
	v, err := parseVMRSS(string(b))
	if err != nil {
		return 0, fmt.Errorf("%s node %d (pid %d): %w", c.Name(), id, pid, err)
	}
	return v, nil
}

// userHZ is the unit of the CPU times in /proc/<pid>/stat: USER_HZ,
// which Linux fixes at 100 for what it shows user space.
const userHZ = 100

// clusterCPU is the CPU time (user and system) the cluster's server
// processes have used so far, summed.
func clusterCPU(c cluster) (time.Duration, error) {
	var total time.Duration
	for _, id := range c.IDs() {
		pid := c.Pid(id)
		if pid == 0 {
			return 0, fmt.Errorf("%s node %d is not running", c.Name(), id)
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, fmt.Errorf("reading %s node %d's CPU time: %w", c.Name(), id, err)
		}
		d, err := parseStatCPU(string(b))
		if err != nil {
			return 0, fmt.Errorf("%s node %d (pid %d): %w", c.Name(), id, pid, err)
		}
		total += d
	}
	return total, nil
}

// parseStatCPU reads utime and stime (fields 14 and 15) from a
// /proc/<pid>/stat line. The command name in field 2 may hold spaces and
// parentheses, so the fields are counted from its closing parenthesis.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc stat %q: no command name", stat)
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state), so utime (14) is f[11] and stime f[12].
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat: %d fields after the command name, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc stat: CPU time %q: %w", s, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}
