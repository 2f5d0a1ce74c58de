package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire"
)

func sameDigests(nodes ...*Node) bool {
	d := nodes[0].StoreStatus()
	for _, n := range nodes[1:] {
		s := n.StoreStatus()
		if s.AppliedZxid != d.AppliedZxid || s.Digest != d.Digest {
			return false
		}
	}
	return true
}

func writeN(ctx context.Context, t *testing.T, c *client.Conn, prefix string, n int) {
	t.Helper()
	for i := range n {
		if _, err := c.Create(ctx, fmt.Sprintf("%s-%04d", prefix, i), []byte(strings.Repeat("x", 100)), zk.Persistent, nil); err != nil {
			t.Fatalf("create %s-%04d: %v", prefix, i, err)
		}
	}
}

// A node that was down catches up: by snapshot when the leader's log no
// longer reaches back to it (snapshots every ~20 txns, purge keeps 3),
// and every node restarted from its snapshot and log reproduces the exact
// digest.
func TestCatchUpBySnapshotAndRestartReproducesDigest(t *testing.T) {
	testutil.SkipShort(t, "restarts a node from a snapshot")
	cfgs := testkit.Configs(t, 3, "snapCount=20\nautopurge.purgeInterval=1\nautopurge.snapRetainCount=3\n")
	e := testkit.NewLocal(t, cfgs, startNode, testkit.CaptureLogs(slog.LevelDebug))
	nodes, logs := e.Nodes, e.Logs
	leader := max(e.Leader(), 0)
	down := (leader + 1) % 3
	other := 3 - leader - down
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, []string{nodes[other].BusURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	writeN(ctx, t, c, "/before", 30)

	e.Stop(down)
	writeN(ctx, t, c, "/while-down", 200)
	e.Start(down)
	testkit.WaitFor(t, "the restarted node to catch up", 30*time.Second, func() bool { return sameDigests(nodes...) })
	if !strings.Contains(logs[leader].String(), "mode=SNAP") {
		t.Errorf("the leader (node %d) never synced node %d by snapshot; logs:\n%s\n---\n%s", leader+1, down+1, logs[leader].String(), logs[other].String())
	}
	want := nodes[leader].StoreStatus()
	if want.Nodes < 230 {
		t.Fatalf("only %d znodes", want.Nodes)
	}

	// Whole-ensemble restart from snapshots and logs.
	c.Close()
	e.StopAll()
	e.StartStopped()
	testkit.WaitFor(t, "restarted replicas agree", 10*time.Second, func() bool { return sameDigests(nodes...) })
	for i, n := range nodes {
		got := n.StoreStatus()
		// A new epoch may have committed nothing yet: the digest covers the tree.
		if got.Digest != want.Digest || got.Nodes != want.Nodes {
			t.Errorf("node %d after restart: digest %x nodes %d, want %x and %d", i+1, got.Digest, got.Nodes, want.Digest, want.Nodes)
		}
	}
}

// A flipped byte in the middle of a log file stops the node with an error
// naming the file; nothing is loaded.
func TestFlippedByteInLogIsReported(t *testing.T) {
	dir := t.TempDir()
	cfg := standalone(t, dir)
	n, err := Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "standalone serving", 10*time.Second, func() bool { return n.Mode() == zkwire.ModeStandalone })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, []string{n.BusURL()})
	if err != nil {
		t.Fatal(err)
	}
	writeN(ctx, t, c, "/n", 50)
	c.Close()
	n.Close()

	logs, _ := filepath.Glob(filepath.Join(cfg.DataLogDir, "*", "log.*"))
	if len(logs) == 0 {
		t.Fatalf("no log files in %s", cfg.DataLogDir)
	}
	path := logs[0]
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x40
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	n2, err := Start(standalone(t, dir), nil)
	if err == nil {
		n2.Close()
		t.Fatal("a node started on a log with a flipped byte")
	}
	if !strings.Contains(err.Error(), filepath.Base(path)) || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("error does not name the file and offset: %v", err)
	}
}
