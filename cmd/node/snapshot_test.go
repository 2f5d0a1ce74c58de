package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/backup"
	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/server"
	"github.com/paddock-zk/paddock/zk"
)

func startInProcess(_ int, c *config.Config, log *slog.Logger) (*server.Node, error) {
	return server.Start(c, log)
}

// runNode runs the node command in this process.
func runNode(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

// The whole backup cycle on a 3-node ensemble: save from a follower or
// the leader while a client writes, inspect, restore all three nodes
// into fresh data directories, start them: every node holds the tree of
// the snapshot's zxid with its digest, in a new epoch, and takes writes.
func TestSnapshotSaveInspectRestoreEnsemble(t *testing.T) {
	// Sessions of a minute: none of those in the snapshot expires while
	// the test compares the restored tree with it.
	cfgs := testkit.Configs(t, 3, "maxSessionTimeout=60000\n")
	l := testkit.NewLocal(t, cfgs, startInProcess, testkit.CaptureLogs(slog.LevelInfo))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	connect := func(i int) *client.Conn {
		t.Helper()
		c, err := client.Connect(ctx, []string{l.Nodes[i].BusURL()}, client.WithSessionTimeout(time.Minute))
		if err != nil {
			t.Fatalf("connect to node %d: %v", i+1, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	owner := connect(0)
	if _, err := owner.Create(ctx, "/eph", []byte("mine"), zk.Ephemeral, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Create(ctx, "/w", nil, zk.Persistent, nil); err != nil {
		t.Fatal(err)
	}

	writer := connect(2)
	var created atomic.Int64
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := writer.Create(ctx, fmt.Sprintf("/w/%06d", i), []byte(strconv.Itoa(i)), zk.Persistent, nil); err != nil {
				done <- err
				return
			}
			created.Add(1)
		}
	}()
	testkit.WaitFor(t, "writes before the save", 20*time.Second, func() bool { return created.Load() >= 30 })
	file := filepath.Join(t.TempDir(), "ensemble.pdk")
	out, errOut, code := runNode("snapshot", "save", file, "--config", cfgs[0].Path)
	if code != 0 || !strings.Contains(out, "Saved a snapshot of node 1") {
		t.Fatalf("save: exit %d\n%s%s", code, out, errOut)
	}
	after := created.Load()
	testkit.WaitFor(t, "writes after the save", 20*time.Second, func() bool { return created.Load() >= after+30 })
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("writer: %v", err)
	}

	info, err := backup.Inspect(file)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runNode("snapshot", "inspect", file, "--json")
	if code != 0 {
		t.Fatalf("inspect --json: exit %d\n%s%s", code, out, errOut)
	}
	var js map[string]any
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatalf("inspect --json printed %q: %v", out, err)
	}
	for k, want := range map[string]any{"zxid": msg.FormatZxid(info.Zxid), "epoch": float64(info.Epoch),
		"znodes": float64(info.Znodes), "sessions": float64(2), "digest": fmt.Sprintf("%016x", info.Digest),
		"size": float64(info.Size), "ensemble": "t", "node": float64(1)} {
		if js[k] != want {
			t.Errorf("inspect --json: %s = %v, want %v\n%s", k, js[k], want, out)
		}
	}
	if out, _, code = runNode("snapshot", "inspect", file); code != 0 || !strings.Contains(out, "zxid:      "+msg.FormatZxid(info.Zxid)+"\n") ||
		!strings.Contains(out, "checksum:  ok\n") {
		t.Errorf("inspect: exit %d\n%s", code, out)
	}

	// The tree at the snapshot's zxid: the writes created at or before it.
	names, _, err := owner.Children(ctx, "/w")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	var want []string
	for _, n := range names {
		_, st, err := owner.Get(ctx, "/w/"+n)
		if err != nil {
			t.Fatal(err)
		}
		if uint64(st.Czxid) <= info.Zxid {
			want = append(want, n)
		}
	}
	if len(want) < 30 || len(want) == len(names) {
		t.Fatalf("%d of %d writes are in the snapshot: it was not taken under writes", len(want), len(names))
	}
	ownerSession := owner.SessionID()
	owner.Close()
	writer.Close()

	if _, errOut, code = runNode("snapshot", "restore", file, "--config", cfgs[0].Path); code == 0 || !strings.Contains(errOut, "a node is running") {
		t.Fatalf("restore under a running node: exit %d\n%s", code, errOut)
	}
	l.StopAll()
	if _, errOut, code = runNode("snapshot", "restore", file, "--config", cfgs[0].Path); code == 0 || !strings.Contains(errOut, "already holds data") {
		t.Fatalf("restore over old data: exit %d\n%s", code, errOut)
	}
	for _, c := range cfgs {
		v2 := filepath.Join(c.DataDir, "version-2")
		if err := os.Rename(v2, v2+".old"); err != nil {
			t.Fatal(err)
		}
		if out, errOut, code := runNode("snapshot", "restore", file, "--config", c.Path); code != 0 {
			t.Fatalf("restore node %d: exit %d\n%s%s", c.MyID, code, out, errOut)
		}
	}
	l.StartStopped()

	status := func() string {
		var b strings.Builder
		for i, n := range l.Nodes {
			st := n.StoreStatus()
			fmt.Fprintf(&b, "node %d: applied %s digest %#x znodes %d epoch %d\n", i+1, msg.FormatZxid(st.AppliedZxid), st.Digest, st.Nodes, st.Epoch)
		}
		return b.String()
	}
	for i, n := range l.Nodes {
		if st := n.StoreStatus(); st.AppliedZxid != info.Zxid || st.Digest != info.Digest || st.Nodes != info.Znodes {
			t.Fatalf("node %d restored to applied %s, digest %#x, %d znodes; the snapshot is %s, %#x, %d\n%s", i+1,
				msg.FormatZxid(st.AppliedZxid), st.Digest, st.Nodes, msg.FormatZxid(info.Zxid), info.Digest, info.Znodes, status())
		}
	}
	for i := range l.Nodes {
		c := connect(i)
		got, _, err := c.Children(ctx, "/w")
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("node %d: /w holds %d children, want the %d of the snapshot", i+1, len(got), len(want))
		}
		last := want[len(want)-1]
		if d, _, err := c.Get(ctx, "/w/"+last); err != nil || string(d) != strings.TrimLeft(last, "0") {
			t.Fatalf("node %d: /w/%s = %q, %v", i+1, last, d, err)
		}
		if d, st, err := c.Get(ctx, "/eph"); err != nil || string(d) != "mine" || st.EphemeralOwner != ownerSession {
			t.Fatalf("node %d: /eph = %q owned by %#x, %v; want the owner's session %#x", i+1, d, st.EphemeralOwner, err, ownerSession)
		}
	}

	// Writes go on, in an epoch above every one the snapshot knew.
	c := connect(1)
	_, st, err := c.Create2(ctx, "/after", []byte("restore"), zk.Persistent, nil)
	if err != nil {
		t.Fatalf("write after the restore: %v", err)
	}
	if e := msg.ZxidEpoch(uint64(st.Czxid)); e <= info.Epoch+1 {
		t.Fatalf("write after the restore in epoch %d; the snapshot's is %d, the restore's %d", e, info.Epoch, info.Epoch+1)
	}
	czxid := uint64(st.Czxid)
	testkit.WaitFor(t, "every node to apply the write, with one digest", 20*time.Second, func() bool {
		first := l.Nodes[0].StoreStatus()
		for _, n := range l.Nodes {
			if s := n.StoreStatus(); s.AppliedZxid < czxid || s.AppliedZxid != first.AppliedZxid || s.Digest != first.Digest {
				return false
			}
		}
		return true
	})
}

func TestSnapshotCommandErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pdk")
	if err := os.WriteFile(garbage, []byte("tickTime=2000\ndataDir=/var/lib/zookeeper\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "new.pdk")
	cfg := testkit.Configs(t, 1, "")[0]
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"snapshot"}, 2, "usage:"},
		{[]string{"snapshot", "frob"}, 2, `unknown command "frob"`},
		{[]string{"snapshot", "save"}, 1, "a snapshot FILE is required"},
		{[]string{"snapshot", "save", target}, 1, "--config is required"},
		{[]string{"snapshot", "save", target, "other.pdk", "--config", cfg.Path}, 1, "one snapshot FILE, not 2"},
		{[]string{"snapshot", "save", target, "--config", cfg.Path, "--node", "7"}, 1, "no server.7 line"},
		{[]string{"snapshot", "save", target, "--config", cfg.Path}, 1, "is the node running?"},
		{[]string{"snapshot", "inspect"}, 1, "a snapshot FILE is required"},
		{[]string{"snapshot", "inspect", filepath.Join(dir, "missing.pdk")}, 1, "no such file"},
		{[]string{"snapshot", "inspect", garbage}, 1, "not a valid Paddock backup"},
		{[]string{"snapshot", "inspect", garbage, "--bogus"}, 1, "flag provided but not defined"},
		{[]string{"snapshot", "restore", garbage}, 1, "--config is required"},
		{[]string{"snapshot", "restore", garbage, "--config", cfg.Path}, 1, "not a valid Paddock backup"},
	} {
		out, errOut, code := runNode(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("node %s: exit %d, want %d with %q\n%s%s", strings.Join(tc.args, " "), code, tc.code, tc.want, out, errOut)
		}
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("a failed save left %s: %v", target, err)
	}
	if names, _ := os.ReadDir(dir); len(names) != 1 {
		t.Errorf("failed commands left files: %v", names)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "version-2")); !os.IsNotExist(err) {
		t.Errorf("a refused restore wrote to the data directory: %v", err)
	}
}
