package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
)

// TestConnectionFloodBeyondFdLimit opens more idle connections to the
// client port than the node has file descriptors (a node under ulimit -n
// 128, maxClientCnxns=0 so no per-address limit stops them first): the
// node keeps running (it holds no more connections than its file limit
// less a reserve, and says so), a client connected before the flood keeps
// writing, and a new client connects once the flood is gone.
func TestConnectionFloodBeyondFdLimit(t *testing.T) {
	testutil.SkipShort(t, "multi-process ensemble test")
	dir := t.TempDir()
	port := testutil.FreePort(t)
	cfg := filepath.Join(dir, "zoo.cfg")
	text := fmt.Sprintf("tickTime=500\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\npaddock.busPort=%d\nadmin.enableServer=false\nmaxClientCnxns=0\n",
		filepath.Join(dir, "data"), port, testutil.FreePort(t))
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var out testutil.SyncBuffer
	cmd := exec.Command("bash", "-c", `ulimit -n 128 && exec "$0" start --config "$1"`, testkit.NodeBin(t), cfg)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("node output:\n%s", out.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c, _, err := zk.Connect([]string{addr}, 8*time.Second, zk.WithLogger(zkTestLogger{t}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := c.Create("/before", nil, 0, zk.WorldACL(zk.PermAll)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the node never served the first client")
		}
		time.Sleep(50 * time.Millisecond)
	}

	var flood []net.Conn
	defer func() {
		for _, f := range flood {
			f.Close()
		}
	}()
	for i := 0; i < 300; i++ {
		f, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break // the backlog is full: the node stopped accepting for a moment
		}
		flood = append(flood, f)
	}
	waitUntil(t, "the node to report its client port full", 20*time.Second, func() bool {
		return strings.Contains(out.String(), "client port full")
	})
	for i := 0; i < 20; i++ {
		if _, err := c.Set("/before", []byte(fmt.Sprint(i)), -1); err != nil {
			t.Fatalf("write %d of the established client during the flood: %v", i, err)
		}
	}
	select {
	case err := <-exited:
		t.Fatalf("the node exited during the flood: %v", err)
	default:
	}
	if n := strings.Count(out.String(), "client port full"); n > 3 {
		t.Errorf("%d client-port-full warnings: want them rate-limited", n)
	}
	// The reserve kept descriptors for everything else.
	if strings.Contains(out.String(), "too many open files") {
		t.Errorf("the node ran out of file descriptors:\n%s", out.String())
	}
	for _, f := range flood {
		f.Close()
	}
	flood = nil
	waitUntil(t, "a new client after the flood", 20*time.Second, func() bool {
		return strings.Contains(testutil.FourLetter(addr, "srvr"), "Mode: standalone")
	})
	c2, _, err := zk.Connect([]string{addr}, 8*time.Second, zk.WithLogger(zkTestLogger{t}))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if data, _, err := c2.Get("/before"); err != nil || string(data) != "19" {
		t.Fatalf("a new client reads %q, %v", data, err)
	}
}
