package server

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zk"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/zkwire"
	"github.com/paddock-zk/paddock/zkwire/jute"
	"github.com/paddock-zk/paddock/znode"
)

var juteOpen = []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "world", ID: "anyone"}}}

// writeNullAndEmptyOverJute makes, through the ZooKeeper wire protocol,
// nodes with null and with empty data by every op that carries data, and
// returns what each must hold.
func writeNullAndEmptyOverJute(t *testing.T, r *rawZK) map[string]string {
	t.Helper()
	want := map[string]string{}
	must := func(what string, code zk.Code) {
		t.Helper()
		if code != 0 {
			t.Fatalf("%s: error %d", what, code)
		}
	}
	for _, d := range []struct {
		name string
		data []byte
	}{{"null", nil}, {"empty", []byte{}}} {
		p := "/jute-" + d.name
		must("create "+p, r.call(zk.OpCreate, &jute.CreateRequest{Path: p, Data: d.data, ACL: juteOpen}, &jute.CreateResponse{}))
		want[p] = d.name
		p = "/jute-c2-" + d.name
		must("create2 "+p, r.call(zk.OpCreate2, &jute.CreateRequest{Path: p, Data: d.data, ACL: juteOpen}, &jute.Create2Response{}))
		want[p] = d.name
		p = "/jute-box-" + d.name
		must("createContainer "+p, r.call(zk.OpCreateContainer, &jute.CreateRequest{Path: p, Data: d.data, ACL: juteOpen, Flags: zk.Container}, &jute.Create2Response{}))
		want[p] = d.name
		p = "/jute-ttl-" + d.name
		must("createTTL "+p, r.call(zk.OpCreateTTL, &jute.CreateTTLRequest{Path: p, Data: d.data, ACL: juteOpen, Flags: zk.PersistentWithTTL, TTL: time.Hour.Milliseconds()}, &jute.Create2Response{}))
		want[p] = d.name
		p = "/jute-set-" + d.name
		must("create "+p, r.call(zk.OpCreate, &jute.CreateRequest{Path: p, Data: []byte("v"), ACL: juteOpen}, &jute.CreateResponse{}))
		must("setData "+p, r.call(zk.OpSetData, &jute.SetDataRequest{Path: p, Data: d.data, Version: -1}, &jute.SetDataResponse{}))
		want[p] = d.name
		p = "/jute-m-" + d.name
		var mr jute.MultiResponse
		must("multi "+p, r.call(zk.OpMulti, &jute.MultiRequest{Ops: []jute.MultiOp{
			{Type: zk.OpCreate, Rec: &jute.CreateRequest{Path: p, Data: []byte("v"), ACL: juteOpen}},
			{Type: zk.OpSetData, Rec: &jute.SetDataRequest{Path: p, Data: d.data, Version: -1}},
			{Type: zk.OpCreate, Rec: &jute.CreateRequest{Path: p + "/k", Data: d.data, ACL: juteOpen}},
		}}, &mr))
		want[p], want[p+"/k"] = d.name, d.name
	}
	return want
}

// writeNullAndEmptyOverBus does the same through the native client.
func writeNullAndEmptyOverBus(ctx context.Context, t *testing.T, c *client.Conn) map[string]string {
	t.Helper()
	want := map[string]string{}
	for _, d := range []struct {
		name string
		data []byte
	}{{"null", nil}, {"empty", []byte{}}} {
		p := "/go-" + d.name
		if _, err := c.Create(ctx, p, d.data, zk.Persistent, nil); err != nil {
			t.Fatal(err)
		}
		want[p] = d.name
		p = "/go-ttl-" + d.name
		if _, err := c.CreateTTL(ctx, p, d.data, zk.PersistentWithTTL, nil, time.Hour); err != nil {
			t.Fatal(err)
		}
		want[p] = d.name
		p = "/go-set-" + d.name
		if _, err := c.Create(ctx, p, []byte("v"), zk.Persistent, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Set(ctx, p, d.data, -1); err != nil {
			t.Fatal(err)
		}
		want[p] = d.name
		p = "/go-m-" + d.name
		if _, err := c.Multi(ctx, znode.Create{Path: p, Data: d.data}, znode.Create{Path: p + "/k", Data: []byte("v")},
			znode.SetData{Path: p + "/k", Data: d.data, Version: -1}); err != nil {
			t.Fatal(err)
		}
		want[p], want[p+"/k"] = d.name, d.name
	}
	return want
}

// checkNullAndEmpty reads every path on every node through both the
// ZooKeeper wire protocol (getData, and multiRead for one) and the
// native client.
func checkNullAndEmpty(ctx context.Context, t *testing.T, nodes []*Node, want map[string]string, when string) {
	t.Helper()
	for i, n := range nodes {
		raw := dialRaw(t, n.ClientAddr())
		if e := raw.call(zk.OpSync, &jute.SyncRequest{Path: "/"}, &jute.SyncResponse{}); e != 0 {
			t.Fatalf("%s: sync on node %d: %d", when, i+1, e)
		}
		c, err := client.Connect(ctx, []string{n.BusURL()})
		if err != nil {
			t.Fatalf("%s: connect to node %d: %v", when, i+1, err)
		}
		if err := c.Sync(ctx, "/"); err != nil {
			t.Fatalf("%s: sync on node %d: %v", when, i+1, err)
		}
		for p, w := range want {
			var gd jute.GetDataResponse
			if e := raw.call(zk.OpGetData, &jute.GetDataRequest{Path: p}, &gd); e != 0 {
				t.Fatalf("%s: node %d: getData %s over jute: %d", when, i+1, p, e)
			}
			if got := testutil.DataKind(gd.Data); got != w {
				t.Errorf("%s: node %d: %s over jute holds %s, want %s", when, i+1, p, got, w)
			}
			d, st, err := c.Get(ctx, p)
			if err != nil {
				t.Fatalf("%s: node %d: get %s: %v", when, i+1, p, err)
			}
			if got := testutil.DataKind(d); got != w || st.DataLength != int32(len(d)) {
				t.Errorf("%s: node %d: %s over the bus holds %s (dataLength %d), want %s", when, i+1, p, got, st.DataLength, w)
			}
		}
		var mr jute.MultiResponse
		if e := raw.call(zk.OpMultiRead, &jute.MultiRequest{Read: true, Ops: []jute.MultiOp{
			{Type: zk.OpGetData, Rec: &jute.PathWatch{Path: "/jute-null"}},
			{Type: zk.OpGetData, Rec: &jute.PathWatch{Path: "/jute-empty"}},
		}}, &mr); e != 0 || len(mr.Results) != 2 {
			t.Fatalf("%s: node %d: multiRead: %d %+v", when, i+1, e, mr)
		}
		for j, w := range []string{"null", "empty"} {
			gd, ok := mr.Results[j].Rec.(*jute.GetDataResponse)
			if !ok || testutil.DataKind(gd.Data) != w {
				t.Errorf("%s: node %d: multiRead result %d is %+v, want %s data", when, i+1, j, mr.Results[j], w)
			}
		}
		c.Close()
	}
}

// lastSnapshot is the zxid of the newest snapshot in a node's data dir.
func lastSnapshot(cfg *config.Config) uint64 {
	var last uint64
	names, _ := filepath.Glob(filepath.Join(cfg.DataDir, "version-2", "snapshot.*"))
	for _, p := range names {
		if z, err := strconv.ParseUint(strings.TrimPrefix(filepath.Ext(p), "."), 16, 64); err == nil && z > last {
			last = z
		}
	}
	return last
}

// Null and empty data, written over the ZooKeeper wire protocol and the
// native client through one node, read the same on every node, after a
// restart of the whole ensemble (recovered from the log), and after
// another once snapshots cover them.
func TestNullAndEmptyDataAcrossNodesRestartsAndSnapshots(t *testing.T) {
	testutil.SkipShort(t, "restarts every node")
	cfgs := testkit.Configs(t, 3, "")
	for _, cfg := range cfgs {
		cfg.SnapCount = 100000 // no snapshot before the first restart
	}
	quiet := func(_ int, c *config.Config, _ *slog.Logger) (*Node, error) {
		return Start(c, slog.New(slog.DiscardHandler))
	}
	e := testkit.NewLocal(t, cfgs, quiet)
	nodes := e.Nodes
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	want := writeNullAndEmptyOverJute(t, dialRaw(t, nodes[0].ClientAddr()))
	c, err := client.Connect(ctx, []string{nodes[0].BusURL()})
	if err != nil {
		t.Fatal(err)
	}
	for p, w := range writeNullAndEmptyOverBus(ctx, t, c) {
		want[p] = w
	}
	_, st, err := c.Get(ctx, "/go-m-empty/k")
	if err != nil {
		t.Fatal(err)
	}
	lastWrite := uint64(st.Mzxid)
	c.Close()
	checkNullAndEmpty(ctx, t, nodes, want, "written")
	testkit.WaitFor(t, "equal digests", 10*time.Second, func() bool { return sameDigests(nodes...) })

	e.StopAll()
	for i, cfg := range cfgs {
		if z := lastSnapshot(cfg); z >= lastWrite {
			t.Fatalf("node %d has a snapshot at %#x already", i+1, z)
		}
	}
	e.StartStopped()
	checkNullAndEmpty(ctx, t, nodes, want, "restarted from the log")

	// Snapshots every few txns: fill until every node has one past the
	// writes, then restart from them.
	e.StopAll()
	for _, cfg := range cfgs {
		cfg.SnapCount = 4
	}
	e.StartStopped()
	if c, err = client.Connect(ctx, []string{nodes[1].BusURL()}); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		done := true
		for _, cfg := range cfgs {
			done = done && lastSnapshot(cfg) > lastWrite
		}
		if done {
			break
		}
		if i == 200 {
			t.Fatal("no snapshot past the writes on every node")
		}
		if _, err := c.Create(ctx, "/fill-", nil, zk.PersistentSequential, nil); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	e.StopAll()
	e.StartStopped()
	checkNullAndEmpty(ctx, t, nodes, want, "restarted from snapshots")
	testkit.WaitFor(t, "equal digests", 10*time.Second, func() bool { return sameDigests(nodes...) })
}

// A data dir written by the code before null and empty were told apart
// (format 1 log records and snapshot, checked in under
// testdata/format1-datadir) still loads: its zero-length data reads as
// null (but on the built-in nodes, empty as ZooKeeper makes them), as
// that code showed it, next to the current format's records the node
// appends. The dir holds /snap-null, /snap-empty and /snap-x
// (set to empty later) and /fill-00../fill-19 in the snapshot, and
// /log-null, /log-empty and /log-x only in the log after it.
func TestFormat1DataDirLoads(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "data"), os.DirFS("testdata/format1-datadir")); err != nil {
		t.Fatal(err)
	}
	// os.CopyFS makes read-only files; the node appends to the log.
	if err := filepath.WalkDir(filepath.Join(dir, "data"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chmod(p, 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	cfg := standalone(t, dir)
	want := map[string]string{
		"/snap-null": "null", "/snap-empty": "null", "/snap-x": "null", "/fill-00": "f", "/fill-19": "f",
		"/log-null": "null", "/log-empty": "null", "/log-x": "x",
		"/": "empty", "/zookeeper": "empty", "/zookeeper/quota": "empty", // as ZooKeeper makes them
	}
	// check starts the node on the dir, reads want, then writes more.
	check := func(when string, write func(context.Context, *client.Conn)) {
		t.Helper()
		n, err := Start(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		defer n.Close()
		testkit.WaitFor(t, "standalone serving", 10*time.Second, func() bool { return n.Mode() == zkwire.ModeStandalone })
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := client.Connect(ctx, []string{n.BusURL()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for p, w := range want {
			d, _, err := c.Get(ctx, p)
			if err != nil {
				t.Fatalf("%s: get %s: %v", when, p, err)
			}
			if got := testutil.DataKind(d); got != w {
				t.Errorf("%s: %s holds %s, want %s", when, p, got, w)
			}
		}
		if write != nil {
			write(ctx, c)
		}
	}
	check("format 1 dir", func(ctx context.Context, c *client.Conn) {
		if _, err := c.Create(ctx, "/new-empty", []byte{}, zk.Persistent, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Set(ctx, "/log-x", []byte{}, -1); err != nil {
			t.Fatal(err)
		}
	})
	want["/new-empty"], want["/log-x"] = "empty", "empty"
	check("after appending to it", nil)
}
