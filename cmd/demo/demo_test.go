package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/internal/testutil"
)

// freeBase finds a base port whose ensemble layout (base..+2, +100..+102,
// +200..+202, the AdminServers' +300..+302) is free right now.
func freeBase(t *testing.T) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		// Between testutil.FreePort's range and the kernel's ephemeral one.
		base := 20000 + rand.IntN(12000)
		ok := true
		for _, off := range []int{0, 1, 2, 100, 101, 102, 200, 201, 202, 300, 301, 302} {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+off))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

var (
	listLine   = regexp.MustCompile(`(?m)^\[monitor\] Current service list: \[(.*)\]$`)
	leaderLine = regexp.MustCompile(`(?m)^    leader: node (\d+) \(as`)
	newLeader  = regexp.MustCompile(`(?m)^    new leader: node (\d+) `)
)

// TestWalkthrough runs `demo walkthrough` with the binaries built and
// checks the story from its output: the monitor's list grows to three
// names and shrinks back to empty, and another node leads after the kill.
func TestWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node ensemble of real processes")
	}
	bin := buildBins(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "demo"), "walkthrough", "--trace", "--base-port", fmt.Sprint(freeBase(t)))
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("walkthrough took %s:\n%s", time.Since(start).Round(time.Millisecond), out.String())
	if err != nil {
		t.Fatalf("walkthrough: %v", err)
	}
	text := out.String()

	var lists [][]string
	for _, m := range listLine.FindAllStringSubmatch(text, -1) {
		var names []string
		if m[1] != "" {
			names = strings.Split(m[1], ", ")
		}
		lists = append(lists, names)
	}
	if len(lists) < 2 {
		t.Fatalf("the monitor printed %d lists", len(lists))
	}
	if len(lists[0]) != 0 || len(lists[len(lists)-1]) != 0 {
		t.Errorf("the monitor's first and last lists are %v and %v; want both empty", lists[0], lists[len(lists)-1])
	}
	full := false
	for _, l := range lists {
		if strings.Join(l, ",") == "server-a,server-b,server-c" {
			full = true
		}
	}
	if !full {
		t.Errorf("the monitor never listed the three servers: %v", lists)
	}

	first := leaderLine.FindStringSubmatch(text)
	next := newLeader.FindStringSubmatch(text)
	if first == nil || next == nil {
		t.Fatalf("no leader (%v) or no new leader (%v) in the narration", first, next)
	}
	if first[1] == next[1] {
		t.Errorf("new leader is node %s, the same as the first", next[1])
	}
	if !strings.Contains(text, "[bus] ") || !strings.Contains(text, " Vote ") || !strings.Contains(text, " WatchEvent ") {
		t.Errorf("--trace printed no Vote or WatchEvent bus lines")
	}
}

// buildBins builds demo and node into a temporary directory.
func buildBins(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	for _, b := range []struct{ out, pkg string }{{"demo", "."}, {"node", "../node"}} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, b.out), b.pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return bin
}

// TestWalkthroughInterrupt presses Ctrl-C in the middle of the story: the
// walkthrough, its registered servers and its three nodes must all be
// gone at once (the interrupt budget is half a second; the bound here
// leaves room for a loaded machine).
func TestWalkthroughInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node ensemble of real processes")
	}
	bin := buildBins(t)
	base := freeBase(t)
	var out testutil.SyncBuffer
	cmd := exec.Command(filepath.Join(bin, "demo"), "walkthrough", "--base-port", fmt.Sprint(base))
	cmd.Stdout, cmd.Stderr = &out, &out
	// Its own process group, which a terminal's Ctrl-C signals whole.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if t.Failed() {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Logf("output:\n%s", out.String())
		}
	}()
	registered := regexp.MustCompile(`(?m)^\[monitor\] Current service list: \[server-a`)
	deadline := time.Now().Add(60 * time.Second)
	for !registered.MatchString(out.String()) {
		select {
		case err := <-done:
			t.Fatalf("walkthrough ended before server-a registered: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("server-a never registered")
		}
	}
	start := time.Now()
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("the walkthrough still runs 3s after Ctrl-C")
	}
	t.Logf("the walkthrough stopped %s after Ctrl-C", time.Since(start).Round(time.Millisecond))
	// The nodes run in sessions of their own: none may be left listening.
	for i := 0; i < 3; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", base+i)
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			t.Errorf("node %d still listens on %s after Ctrl-C", i+1, addr)
		}
	}
}

func TestRunUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "walkthrough") {
		t.Fatalf("no args: code %d, stderr %q", code, errOut.String())
	}
	if code := run([]string{"register"}, &out, &errOut); code != 1 {
		t.Fatalf("register without a name: code %d", code)
	}
}
