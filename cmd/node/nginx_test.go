package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zkwire"
)

const (
	nginxBin         = "/usr/sbin/nginx"
	nginxStreamMod   = "/usr/lib/nginx/modules/ngx_stream_module.so"
	nginxTestTimeout = 90 * time.Second
)

type zkTestLogger struct{ t *testing.T }

func (l zkTestLogger) Printf(f string, a ...any) { l.t.Logf("zk: "+f, a...) }

// startNginx runs nginx in the foreground (one process, no daemon) as a TCP
// stream proxy from 127.0.0.1:lb to the upstreams; everything it writes
// stays in a temp dir. It is killed at cleanup.
func startNginx(t *testing.T, lb int, upstreams []int) {
	t.Helper()
	for _, p := range []string{nginxBin, nginxStreamMod} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("nginx stream proxy not available (%v); install Debian's nginx and libnginx-mod-stream", err)
		}
	}
	dir := t.TempDir()
	var servers bytes.Buffer
	for _, p := range upstreams {
		fmt.Fprintf(&servers, "    server 127.0.0.1:%d;\n", p)
	}
	conf := fmt.Sprintf(`load_module %s;
daemon off;
master_process off;
worker_processes 1;
pid %s;
error_log %s info;
events {}
stream {
  upstream zk {
%s  }
  server {
    listen 127.0.0.1:%d;
    proxy_pass zk;
    proxy_connect_timeout 1s;
  }
}
`, nginxStreamMod, filepath.Join(dir, "nginx.pid"), filepath.Join(dir, "error.log"), servers.String(), lb)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	out := &testutil.SyncBuffer{}
	cmd := exec.Command(nginxBin, "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s\nnginx error.log:\n%s", out.String(), log)
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", lb)
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %v\n%s\n%s", cmd.ProcessState, out.String(), log)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx never listened on %s: %v\n%s", addr, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var connectionsLine = regexp.MustCompile(`(?m)^Connections: (\d+)$`)

// connections is the client connections of a node: srvr's Connections
// less srvr's own, which it counts as ZooKeeper does; -1 if it does not
// answer.
func connections(e *testkit.Ensemble, id int) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	out, err := zkwire.Ask(ctx, e.ClientAddr(id), "srvr")
	if err != nil {
		return -1
	}
	m := connectionsLine.FindStringSubmatch(out)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n - 1
}

// The acceptance through a load balancer: an unmodified ZooKeeper
// client that knows only an nginx stream proxy in front of a 3-node
// ensemble creates and reads through it; the node its connection landed on
// is killed -9, and the client continues with its session through nginx
// on another node: same session id, its ephemeral still there, reads and
// writes work.
//
// This runs under -race although go-zookeeper/zk v1.0.4 races on
// reconnect (sendSetWatches reads lastZxid while recvLoop writes it; see
// server/zkwire_reconnect_test.go, which is !race for that reason): that
// race is only reachable with watches to re-send, and this client sets none.
func TestZooKeeperClientThroughNginx(t *testing.T) {
	e := testkit.Processes(t, 3, testkit.Options{Tick: 500}) // sessions of 1 to 10 s
	e.UpSettled(t)
	lb := testutil.FreePort(t)
	ports := make([]int, 0, 3)
	for _, id := range e.IDs() {
		ports = append(ports, e.ClientPort(id))
	}
	startNginx(t, lb, ports)
	lbAddr := fmt.Sprintf("127.0.0.1:%d", lb)
	ctx, cancel := context.WithTimeout(context.Background(), nginxTestTimeout)
	defer cancel()
	deadline, _ := ctx.Deadline()

	c, _, err := zk.Connect([]string{lbAddr}, 8*time.Second, zk.WithLogger(zkTestLogger{t}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e.WaitFor(t, "a session through nginx", 20*time.Second, func() bool { return c.State() == zk.StateHasSession })
	sid := c.SessionID()
	acl := zk.WorldACL(zk.PermAll)
	if _, err := c.Create("/lb", []byte("p"), zk.FlagPersistent, acl); err != nil {
		t.Fatalf("create through nginx: %v", err)
	}
	if _, err := c.Create("/lb/eph", []byte("e"), zk.FlagEphemeral, acl); err != nil {
		t.Fatalf("ephemeral through nginx: %v", err)
	}
	if data, _, err := c.Get("/lb"); err != nil || string(data) != "p" {
		t.Fatalf("read through nginx: %q %v", data, err)
	}
	if data, st, err := c.Get("/lb/eph"); err != nil || string(data) != "e" || st.EphemeralOwner != sid {
		t.Fatalf("read ephemeral through nginx: %q %+v %v", data, st, err)
	}

	// The node behind the proxied connection is the one that counts a
	// client connection.
	on := 0
	e.WaitFor(t, "the node serving the proxied connection", 10*time.Second, func() bool {
		on = 0
		for _, id := range e.IDs() {
			switch connections(e, id) {
			case 0:
			case 1:
				if on != 0 {
					return false
				}
				on = id
			default:
				return false
			}
		}
		return on != 0
	})
	t.Logf("session %#x on node %d (session id's top byte %d), modes %v", sid, on, uint64(sid)>>56, e.Modes())
	e.Kill9(on)

	// The client sees the connection drop and reconnects through nginx,
	// which skips the dead upstream: it has its session again on a node
	// that now counts its connection. (Its moment without a session may be
	// too short to poll for.)
	rest := testkit.Without(e.IDs(), on)
	now := 0
	e.WaitFor(t, "the client to re-attach its session through nginx on another node", time.Until(deadline), func() bool {
		if c.State() != zk.StateHasSession {
			return false
		}
		now = 0
		for _, id := range rest {
			if connections(e, id) == 1 {
				now = id
			}
		}
		return now != 0
	})
	if got := c.SessionID(); got != sid {
		t.Fatalf("session %#x became %#x", sid, got)
	}
	t.Logf("session %#x moved from node %d to node %d", sid, on, now)

	// Its ephemeral survived, as a second client (on a surviving node,
	// directly) sees.
	other, _, err := zk.Connect([]string{e.ClientAddr(rest[0])}, 8*time.Second, zk.WithLogger(zkTestLogger{t}))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	e.WaitFor(t, "a second session", 20*time.Second, func() bool { return other.State() == zk.StateHasSession })
	if _, err := other.Sync("/lb/eph"); err != nil {
		t.Fatal(err)
	}
	if _, st, err := other.Get("/lb/eph"); err != nil || st.EphemeralOwner != sid {
		t.Fatalf("ephemeral after the kill, seen by another client: %+v %v", st, err)
	}

	// And the moved session reads and writes.
	if data, _, err := c.Get("/lb"); err != nil || string(data) != "p" {
		t.Fatalf("read after the move: %q %v", data, err)
	}
	st, err := c.Set("/lb", []byte("p2"), 0)
	if err != nil || st.Version != 1 {
		t.Fatalf("write after the move: %+v %v", st, err)
	}
	if _, err := c.Create("/lb/after", nil, zk.FlagEphemeral, acl); err != nil {
		t.Fatalf("create after the move: %v", err)
	}
	if _, err := other.Sync("/lb"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := other.Get("/lb"); err != nil || string(data) != "p2" {
		t.Fatalf("the moved session's write, seen by another client: %q %v", data, err)
	}

	// Closing the session through nginx takes its ephemerals.
	c.Close()
	e.WaitFor(t, "the ephemerals to go with the session", 20*time.Second, func() bool {
		ok, _, err := other.Exists("/lb/eph")
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			return false
		}
		ok2, _, _ := other.Exists("/lb/after")
		return !ok && !ok2
	})
}
