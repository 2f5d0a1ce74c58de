package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/testkit"
)

// A client process holding ephemeral and ephemeral-sequential nodes is
// killed -9: a client on another node sees them disappear within the
// session timeout plus two ticks. A client that quits gracefully takes
// its ephemerals with it at once.
func TestKilledClientsEphemeralsExpire(t *testing.T) {
	e := fastEnsemble(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	obs, err := client.Connect(ctx, []string{e.BusURL(3)})
	if err != nil {
		t.Fatal(err)
	}
	defer obs.Close()
	if _, err := obs.Create(ctx, "/serverList", nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	children := func() []string {
		if err := obs.Sync(ctx, "/serverList"); err != nil {
			t.Fatal(err)
		}
		kids, _, err := obs.Children(ctx, "/serverList")
		if err != nil {
			t.Fatal(err)
		}
		return kids
	}

	// holder runs `node cli` on node 1 that creates ephemerals and then
	// waits on its open stdin.
	holder := func(name string, timeoutMs int) (*exec.Cmd, io.WriteCloser) {
		cmd := exec.Command(testkit.NodeBin(t), "cli", "-server", e.ClientAddr(1), "-timeout", fmt.Sprint(timeoutMs))
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(in, "create -e /serverList/%s x\ncreate -e -s /serverList/%s- y\n", name, name)
		return cmd, in
	}
	waitKids := func(what string, n int) {
		e.WaitFor(t, what, 20*time.Second, func() bool { return len(children()) == n })
	}

	const timeout = 2000 * time.Millisecond
	killed, _ := holder("killed", int(timeout/time.Millisecond))
	waitKids("the killed client's two ephemerals", 2)
	if err := killed.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = killed.Wait()
	start := time.Now()
	bound := timeout + 2*e.Tick()
	for len(children()) != 0 {
		if time.Since(start) > bound+time.Second {
			t.Fatalf("ephemerals of a killed client still there after %s (timeout %s + 2 ticks = %s): %v", time.Since(start), timeout, bound, children())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("ephemerals of the killed client gone %s after the kill (bound %s)", time.Since(start).Round(time.Millisecond), bound)

	graceful, in := holder("graceful", int(timeout/time.Millisecond))
	waitKids("the graceful client's two ephemerals", 2)
	io.WriteString(in, "quit\n")
	in.Close()
	if err := graceful.Wait(); err != nil {
		t.Fatalf("cli quit: %v", err)
	}
	if kids := children(); len(kids) != 0 {
		t.Fatalf("ephemerals still there after the client quit: %s", strings.Join(kids, ","))
	}
}
