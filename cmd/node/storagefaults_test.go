package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zk"
)

// A real node process under storage faults (PADDOCK_FAULTFS): a full disk
// makes it refuse writes and it serves again once space returns, losing
// nothing; a failed fsync makes it exit non-zero with the cause printed,
// and a restart recovers what it had acked.
func TestStorageFaultsProcess(t *testing.T) {
	testutil.SkipShort(t, "multi-process ensemble test")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	control := filepath.Join(dir, "faults")
	busPort := testutil.FreePort(t)
	text := fmt.Sprintf("tickTime=200\ndataDir=%s\nclientPort=%d\npaddock.busPort=%d\nadmin.enableServer=false\n", filepath.Join(dir, "data"), testutil.FreePort(t), busPort)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	setFault := func(mode string) {
		t.Helper()
		if err := os.WriteFile(control, []byte(mode+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setFault("none")
	type proc struct {
		out    *testutil.SyncBuffer
		exited chan struct{} // closed once err is set
		err    error
	}
	start := func() *proc {
		t.Helper()
		p := &proc{out: &testutil.SyncBuffer{}, exited: make(chan struct{})}
		cmd := exec.Command(testkit.NodeBin(t), "start", "--config", cfg)
		cmd.Env = append(os.Environ(), "PADDOCK_FAULTFS=1", "PADDOCK_FAULTFS_CONTROL="+control)
		cmd.Stdout, cmd.Stderr = p.out, p.out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { p.err = cmd.Wait(); close(p.exited) }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-p.exited
		})
		waitUntil(t, "the node to serve", 20*time.Second, func() bool {
			_, code := nodeCmd(t, "status", "--config", cfg)
			return code == 0
		})
		return p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	connect := func() *client.Conn {
		t.Helper()
		c, err := client.Connect(ctx, []string{fmt.Sprintf("nats://127.0.0.1:%d", busPort)}, client.WithLogger(quiet))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	mustCreate := func(c *client.Conn, p string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			_, err := c.Create(ctx, p, nil, zk.Persistent, nil)
			if err == nil {
				return
			}
			if !isNodeCode(err, zk.ConnectionLoss) || time.Now().After(deadline) {
				t.Fatalf("create %s: %v", p, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	p := start()
	out := p.out
	c := connect()
	mustCreate(c, "/before")

	// Disk full: writes are refused (ConnectionLoss), the node stays up.
	setFault("enospc")
	probes := 0
	waitUntil(t, "the node to find its disk full", 10*time.Second, func() bool {
		wctx, wcancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer wcancel()
		probes++
		_, err := c.Create(wctx, fmt.Sprintf("/probe-%d", probes), nil, zk.Persistent, nil)
		return isNodeCode(err, zk.ConnectionLoss)
	})
	if !strings.Contains(out.String(), "disk full: refusing requests until space returns") {
		t.Fatalf("no disk-full error logged:\n%s", out.String())
	}
	setFault("none")
	c2 := connect()
	mustCreate(c2, "/after-full")

	// A failed fsync: the process exits non-zero, saying why.
	setFault("eio-fsync")
	deadline := time.After(20 * time.Second)
	for i := 0; ; i++ {
		// Writes until one reaches the disk after the fault is on.
		wctx, wcancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_, _ = c2.Create(wctx, fmt.Sprintf("/eio-%d", i), nil, zk.Persistent, nil)
		wcancel()
		select {
		case <-p.exited:
		case <-deadline:
			t.Fatalf("node still running after a failed fsync:\n%s", out.String())
		default:
			continue
		}
		break
	}
	if ee, ok := p.err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("node exited with %v, want exit status 1\n%s", p.err, out.String())
	}
	logs := out.String()
	if !strings.Contains(logs, "node: node stopped: store: storage failed") || !strings.Contains(logs, "input/output error") {
		t.Fatalf("exit message does not say the storage failed:\n%s", logs)
	}
	if strings.Contains(logs, "panicked") {
		t.Fatalf("an actor panicked:\n%s", logs)
	}

	// Restarted on the same disk, it has every acked write.
	setFault("none")
	start()
	c3 := connect()
	for _, path := range []string{"/before", "/after-full"} {
		if _, _, err := c3.Get(ctx, path); err != nil {
			t.Fatalf("after restart, get %s: %v", path, err)
		}
	}
}

func isNodeCode(err error, c zk.Code) bool { return zk.CodeOf(err) == c }

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
