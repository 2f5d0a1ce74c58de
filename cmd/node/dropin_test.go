package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/testkit"
)

// TestPlainZooCfgEnsemble starts three nodes from a zoo.cfg with
// ZooKeeper's keys only: they elect a leader and serve ZooKeeper clients on
// clientPort, the bus admits no native client, each node warns once which
// keys turn credentials on, and node trace still attaches locally.
func TestPlainZooCfgEnsemble(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node ensemble of real processes")
	}
	e := testkit.Processes(t, 3, testkit.Options{Plain: true})
	text, err := os.ReadFile(e.ConfigPath(1))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(text), "paddock.") {
		t.Fatalf("the plain config has paddock keys:\n%s", text)
	}
	for _, id := range e.IDs() {
		e.Up(t, id)
	}
	e.Settle(t, e.IDs()...)

	conn := func(id int) *zk.Conn {
		c, _, err := zk.Connect([]string{e.ClientAddr(id)}, 8*time.Second, zk.WithLogger(zkTestLogger{t}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	c1, c3 := conn(1), conn(3)
	if _, err := c1.Create("/plain", []byte("zoo.cfg"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create on node 1: %v", err)
	}
	if _, err := c3.Sync("/plain"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := c3.Get("/plain"); err != nil || string(data) != "zoo.cfg" {
		t.Fatalf("get on node 3: %q %v", data, err)
	}

	// The bus port refuses native clients, with or without a guess at
	// credentials.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	bus := []string{e.BusURL(2)}
	if c, err := client.Connect(ctx, bus); err == nil {
		c.Close()
		t.Fatal("an anonymous native client connected to a closed bus")
	}
	if c, err := client.Connect(ctx, bus, client.WithCredentials("peer", "peer-secret")); err == nil {
		c.Close()
		t.Fatal("a native client with guessed credentials connected to a closed bus")
	}

	for _, id := range e.IDs() {
		logs := e.Log(id)
		if n := strings.Count(logs, "no Paddock credentials: the bus admits no native client"); n != 1 {
			t.Errorf("node %d warned %d times about its closed bus; want once:\n%s", id, n, logs)
		}
		if !strings.Contains(logs, "paddock.peerUser and paddock.peerPassword") || !strings.Contains(logs, "paddock.clientUsers") {
			t.Errorf("node %d's warning does not name the keys that turn credentials on:\n%s", id, logs)
		}
	}

	// node trace reads the node's own credential from its data directory.
	out, code := nodeCmd(t, "trace", "--config", e.ConfigPath(1), "--duration", "1500ms")
	if code != 0 || !strings.Contains(out, "Ping") {
		t.Fatalf("node trace on a closed bus: exit %d:\n%s", code, out)
	}
}

// TestRestartAfterKill9WhileZombie kills a node with kill -9 and does not
// reap it: the zombie keeps its pid (and so does its pid file), yet a new
// node starts on the same data directory at once, because the data
// directory's lock went with the dead process. A pid file naming some
// other live process does not block a start either.
func TestRestartAfterKill9WhileZombie(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real node processes")
	}
	e := testkit.Processes(t, 1, testkit.Options{Plain: true})
	data := filepath.Join(e.Dir(1), "data")

	// A pid file left by something else that is alive: this test.
	if err := os.WriteFile(filepath.Join(data, "paddock.pid"), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	first := exec.Command(testkit.NodeBin(t), "start", "--config", e.ConfigPath(1))
	var firstOut strings.Builder
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	reaped := false
	defer func() {
		if !reaped {
			_ = first.Process.Kill()
			_ = first.Wait()
		}
	}()
	e.WaitFor(t, "the first node to serve", 20*time.Second, func() bool { return e.Mode(1) == "standalone" })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Not reaped: wait until the kernel shows it as a zombie.
	stat := fmt.Sprintf("/proc/%d/stat", first.Process.Pid)
	e.WaitFor(t, "the killed node to become a zombie", 10*time.Second, func() bool {
		b, err := os.ReadFile(stat)
		if err != nil {
			return false
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		return len(f) > 0 && f[0] == "Z"
	})
	if b, err := os.ReadFile(filepath.Join(data, "paddock.pid")); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(first.Process.Pid) {
		t.Fatalf("the pid file should name the zombie %d: %q %v", first.Process.Pid, b, err)
	}

	e.Up(t, 1)
	e.WaitFor(t, "the restarted node to serve", 20*time.Second, func() bool { return e.Mode(1) == "standalone" })
	if out, code := nodeCmd(t, "status", "--config", e.ConfigPath(1)); code != 0 || !strings.Contains(out, "Mode: standalone") {
		t.Fatalf("node status: exit %d\n%s", code, out)
	}
	// A second start while it runs is refused by the lock.
	if out, code := nodeCmd(t, "start", "--config", e.ConfigPath(1)); code == 0 || !strings.Contains(out, "in use") {
		t.Fatalf("a second node on the same data directory: exit %d\n%s", code, out)
	}
	_ = first.Wait()
	reaped = true
	if out, code := nodeCmd(t, "stop", "--config", e.ConfigPath(1)); code != 0 || !strings.Contains(out, "STOPPED") {
		t.Fatalf("node stop: exit %d\n%s", code, out)
	}
}
