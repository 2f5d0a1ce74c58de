package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/server"
	"github.com/paddock-zk/paddock/zkwire"
)

// TestImportZKMatchesZooKeeper builds a varied tree in a real ZooKeeper
// 3.8 (small snapCount, so its data directory holds fuzzy snapshots and
// the logs after them), stops it, imports its data directory, starts a
// Paddock node on the result and ZooKeeper again on its own, and reads
// both trees over the wire: paths, data, every Stat field, ACLs and
// children agree, and the ephemerals are gone from both (ZooKeeper
// expires their session after its restart; Paddock never had it). Once
// with a clean stop and plain snapshots, once with kill -9 and gzip.
func TestImportZKMatchesZooKeeper(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sig   syscall.Signal
		props []string
	}{
		{"sigterm", syscall.SIGTERM, nil},
		{"kill9-gzip", syscall.SIGKILL, []string{"-Dzookeeper.snapshot.compression.method=gz"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zks := testutil.NewZooKeeperProcess(t, "snapCount=10\nminSessionTimeout=400\n", tc.props...)
			zks.Start()
			eph := buildZKTree(t, zks.Addr)
			zks.Stop(tc.sig)
			// Closed only now, with the server down, the session stays open
			// in ZooKeeper's data: the client does not come back.
			eph.Close()
			if strings.Contains(tc.name, "gzip") {
				m, _ := filepath.Glob(filepath.Join(zks.DataDir, "version-2", "snapshot.*.gz"))
				if len(m) == 0 {
					t.Fatal("ZooKeeper wrote no gzip snapshot")
				}
			}

			cfgPath, cfg := paddockConfig(t)
			var out, errb bytes.Buffer
			if code := run([]string{"import-zk", "--config", cfgPath, "--zk-datadir", zks.DataDir}, &out, &errb); code != 0 {
				t.Fatalf("import-zk exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
			}
			t.Logf("import-zk:\n%s", out.String())
			for _, want := range []string{"snapshot: ", "digests checked", "1 live session(s) closed as expired", "3 ephemeral node(s) dropped"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("import-zk output lacks %q", want)
				}
			}
			if strings.Contains(out.String(), " 0 of ZooKeeper's digests") {
				t.Errorf("no digest of ZooKeeper's was checked")
			}
			lastZK := importedZxid(t, out.String())

			// A second import into the same directory is refused.
			out.Reset()
			errb.Reset()
			if code := run([]string{"import-zk", "--config", cfgPath, "--zk-datadir", zks.DataDir}, &out, &errb); code == 0 ||
				!strings.Contains(errb.String(), "not empty") {
				t.Errorf("second import: exit %d, stderr %q; want a refusal naming the non-empty directory", code, errb.String())
			}

			n, err := server.Start(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			waitFor(t, "the Paddock node serving", func() bool { return n.Mode() == zkwire.ModeStandalone })

			zks.Start()
			zkc := readerConn(t, zks.Addr)
			// ZooKeeper expires the session it reloaded once its timeout
			// passes after the restart.
			waitFor(t, "ZooKeeper expiring the old session", func() bool {
				ok, _, err := zkc.Exists("/app/locks/lock-0000000000")
				return err == nil && !ok
			})
			pc := readerConn(t, n.ClientAddr())

			zkTree, pdTree := readTree(t, zkc), readTree(t, pc)
			compareTrees(t, zkTree, pdTree, lastZK)

			// The node writes in its own epoch, above every zxid ZooKeeper
			// handed out.
			if _, err := pc.Create("/after-import", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
				t.Fatal(err)
			}
			_, st, err := pc.Get("/after-import")
			if err != nil {
				t.Fatal(err)
			}
			if st.Czxid>>32 <= lastZK>>32 {
				t.Errorf("first write after the import has zxid %#x, not in an epoch above ZooKeeper's last zxid %#x", st.Czxid, lastZK)
			}
		})
	}
}

// buildZKTree writes the tree the test compares and returns the session
// holding the ephemerals, still open.
func buildZKTree(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c := dialZK(t, addr)
	if err := c.AddAuth("digest", []byte("alice:secret")); err != nil {
		t.Fatal(err)
	}
	open := zk.WorldACL(zk.PermAll)
	must := func(_ string, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Create("/app", []byte("root of the app"), 0, open))
	must(c.Create("/app/empty", []byte{}, 0, open))
	must(c.Create("/app/null", nil, 0, open))
	must(c.Create("/app/config", []byte("v1"), 0, open))
	must(c.Create("/app/config/deep", []byte("d"), 0, open))
	must(c.Create("/app/config/deep/deeper", bytes.Repeat([]byte{0, 1, 2, 0xff}, 300), 0, open))
	must(c.Create("/app/queue", nil, 0, open))
	for i := 0; i < 3; i++ {
		must(c.Create("/app/queue/item-", []byte(fmt.Sprint(i)), zk.FlagSequence, open))
	}
	if _, err := c.Create("/app/queue", nil, 0, open); err != zk.ErrNodeExists { // logged as an error txn
		t.Fatalf("create of an existing node: %v", err)
	}
	must(c.CreateContainer("/app/container", []byte("c"), zk.FlagContainer, open))
	must(c.Create("/app/container/child", nil, 0, open))
	must(c.CreateTTL("/app/ttl", []byte("t"), zk.FlagTTL, open, time.Hour))
	must(c.Create("/acl", nil, 0, open))
	must(c.Create("/acl/digest", []byte("d"), 0, zk.DigestACL(zk.PermAll, "alice", "secret")))
	must(c.Create("/acl/auth", []byte("a"), 0, zk.AuthACL(zk.PermRead|zk.PermWrite|zk.PermAdmin)))
	must(c.Create("/acl/ip", []byte("i"), 0, []zk.ACL{{Perms: zk.PermRead | zk.PermAdmin, Scheme: "ip", ID: "127.0.0.1"}}))
	must(c.Create("/acl/mixed", []byte("m"), 0, append(zk.WorldACL(zk.PermRead), zk.DigestACL(zk.PermAll, "alice", "secret")...)))
	for i := 0; i < 5; i++ {
		if _, err := c.Set("/app/config", []byte(fmt.Sprintf("v%d", i+2)), int32(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Set("/app/config", []byte("stale"), 1); err != zk.ErrBadVersion {
		t.Fatalf("setData with a stale version: %v", err)
	}
	if _, err := c.SetACL("/app/empty", zk.WorldACL(zk.PermRead|zk.PermWrite), 0); err != nil {
		t.Fatal(err)
	}
	must(c.Create("/app/gone", nil, 0, open))
	must(c.Create("/app/gone/child", nil, 0, open))
	if err := c.Delete("/app/gone/child", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("/app/queue/item-0000000001", -1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Multi(
		&zk.CreateRequest{Path: "/app/multi", Data: []byte("m"), Acl: open},
		&zk.CreateRequest{Path: "/app/multi/a", Acl: open},
		&zk.SetDataRequest{Path: "/app/config/deep", Data: []byte("from a multi"), Version: 0},
		&zk.DeleteRequest{Path: "/app/gone", Version: -1},
		&zk.CheckVersionRequest{Path: "/app", Version: 0},
	); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Multi( // fails: logged as a multi of error txns
		&zk.CreateRequest{Path: "/app/failed", Acl: open},
		&zk.CheckVersionRequest{Path: "/app", Version: 7},
	); err == nil {
		t.Fatal("a multi with a failing check succeeded")
	}

	e := dialZK(t, addr)
	must(e.Create("/app/locks", nil, 0, open))
	must(e.Create("/app/locks/lock-", []byte("me"), zk.FlagEphemeral|zk.FlagSequence, open))
	must(e.Create("/app/container/eph", nil, zk.FlagEphemeral, open))
	must(e.Create("/app/config/deep/eph", []byte("e"), zk.FlagEphemeral, open))
	must(c.Create("/app/locks/persistent", nil, 0, open)) // after the ephemeral: pzxid order
	c.Close()
	return e
}

func dialZK(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, time.Second, zk.WithLogger(zkTestLogger{t}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				return c
			}
		case <-deadline:
			t.Fatalf("no session with %s", addr)
		}
	}
}

func readerConn(t *testing.T, addr string) *zk.Conn {
	c := dialZK(t, addr)
	if err := c.AddAuth("digest", []byte("alice:secret")); err != nil {
		t.Fatal(err)
	}
	return c
}

func paddockConfig(t *testing.T) (string, *config.Config) {
	dir := t.TempDir()
	text := fmt.Sprintf("tickTime=200\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\npaddock.busPort=%d\n4lw.commands.whitelist=srvr,ruok\n",
		filepath.Join(dir, "data"), testutil.FreePort(t), testutil.FreePort(t))
	path := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, cfg
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// importedZxid is ZooKeeper's last zxid as import-zk reports it.
func importedZxid(t *testing.T, out string) int64 {
	t.Helper()
	_, rest, ok := strings.Cut(out, "replayed, up to zxid ")
	if !ok {
		t.Fatalf("import-zk output names no last zxid:\n%s", out)
	}
	var z int64
	if _, err := fmt.Sscanf(strings.TrimPrefix(rest, "0x"), "%x", &z); err != nil {
		t.Fatalf("last zxid in %q: %v", rest, err)
	}
	return z
}

type wireNode struct {
	data     []byte
	null     bool
	stat     zk.Stat
	acl      []zk.ACL
	children []string
}

func readTree(t *testing.T, c *zk.Conn) map[string]wireNode {
	t.Helper()
	out := map[string]wireNode{}
	stack := []string{"/"}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		data, st, err := c.Get(p)
		if err != nil {
			t.Fatalf("get %s: %v", p, err)
		}
		acl, _, err := c.GetACL(p)
		if err != nil {
			t.Fatalf("getACL %s: %v", p, err)
		}
		kids, _, err := c.Children(p)
		if err != nil {
			t.Fatalf("children %s: %v", p, err)
		}
		slices.Sort(kids)
		out[p] = wireNode{data: data, null: data == nil, stat: *st, acl: acl, children: kids}
		for _, k := range kids {
			stack = append(stack, strings.TrimSuffix(p, "/")+"/"+k)
		}
	}
	return out
}

// compareTrees holds Paddock's tree to ZooKeeper's. Where an ephemeral
// was dropped, the parent's pzxid is the zxid of the closeSession that
// dropped it, which is ZooKeeper's own choice after its restart: both
// must lie above ZooKeeper's last zxid before the import. /zookeeper/config
// is each server's own (neither logs it).
func compareTrees(t *testing.T, zkTree, pd map[string]wireNode, lastZK int64) {
	t.Helper()
	parents := map[string]bool{"/app/locks": true, "/app/container": true, "/app/config/deep": true}
	for _, p := range []string{"/app/locks/lock-0000000000", "/app/container/eph", "/app/config/deep/eph"} {
		if _, ok := pd[p]; ok {
			t.Errorf("ephemeral %s survived the import", p)
		}
	}
	if len(zkTree) < 20 {
		t.Fatalf("ZooKeeper's tree has only %d nodes", len(zkTree))
	}
	for p, z := range zkTree {
		d, ok := pd[p]
		if !ok {
			t.Errorf("%s: in ZooKeeper, not in Paddock", p)
			continue
		}
		if p == "/zookeeper/config" {
			continue
		}
		if !bytes.Equal(z.data, d.data) || z.null != d.null {
			t.Errorf("%s: data %q (null %v), ZooKeeper %q (null %v)", p, d.data, d.null, z.data, z.null)
		}
		zs, ds := z.stat, d.stat
		if parents[p] {
			if zs.Pzxid <= lastZK || ds.Pzxid <= lastZK {
				t.Errorf("%s: pzxid %#x, ZooKeeper %#x: both should be closeSession zxids above %#x", p, ds.Pzxid, zs.Pzxid, lastZK)
			}
			zs.Pzxid, ds.Pzxid = 0, 0
		}
		if zs != ds {
			t.Errorf("%s: stat\n  paddock   %+v\n  zookeeper %+v", p, ds, zs)
		}
		if !slices.Equal(z.acl, d.acl) {
			t.Errorf("%s: ACL %v, ZooKeeper %v", p, d.acl, z.acl)
		}
		if !slices.Equal(z.children, d.children) {
			t.Errorf("%s: children %v, ZooKeeper %v", p, d.children, z.children)
		}
	}
	for p := range pd {
		if _, ok := zkTree[p]; !ok {
			t.Errorf("%s: in Paddock, not in ZooKeeper", p)
		}
	}
}
