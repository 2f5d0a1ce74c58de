package server

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/zkwire"
)

type quietLogger struct{ t *testing.T }

func (l quietLogger) Printf(f string, a ...any) { l.t.Logf("zk: "+f, a...) }

func zkConnect(t *testing.T, addrs []string) *zk.Conn {
	t.Helper()
	c, _, err := zk.Connect(addrs, 4*time.Second, zk.WithLogger(quietLogger{t}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	testkit.WaitFor(t, "zk session", 10*time.Second, func() bool { return c.State() == zk.StateHasSession })
	return c
}

func waitEvent(t *testing.T, ch <-chan zk.Event, typ zk.EventType, path string) {
	t.Helper()
	select {
	case ev := <-ch:
		if ev.Type != typ || ev.Path != path {
			t.Fatalf("event %+v, want %v on %s", ev, typ, path)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no %v event on %s", typ, path)
	}
}

// An unmodified ZooKeeper client (go-zookeeper/zk) against a 3-node
// ensemble through the client ports.
func TestZooKeeperClient(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		addrs[i] = n.ClientAddr()
	}
	c := zkConnect(t, addrs[:1])
	acl := zk.WorldACL(zk.PermAll)
	// zk.Connect returns before the handshake is done: poll.
	deadline := time.Now().Add(10 * time.Second)
	for {
		srvr, err := zkwire.Ask(t.Context(), addrs[0], "srvr")
		// The client and srvr's own connection, as ZooKeeper counts.
		if err == nil && strings.Contains(srvr, "Connections: 2\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("srvr with one client: %q %v", srvr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Creates of every mode.
	if p, err := c.Create("/app", []byte("v0"), zk.FlagPersistent, acl); err != nil || p != "/app" {
		t.Fatalf("create: %q %v", p, err)
	}
	if _, err := c.Create("/app", nil, zk.FlagPersistent, acl); !errors.Is(err, zk.ErrNodeExists) {
		t.Fatalf("create again: %v", err)
	}
	seq, err := c.Create("/app/s-", nil, zk.FlagSequence, acl)
	if err != nil || seq != "/app/s-0000000000" {
		t.Fatalf("sequential: %q %v", seq, err)
	}
	if _, err := c.Create("/app/eph", []byte("e"), zk.FlagEphemeral, acl); err != nil {
		t.Fatalf("ephemeral: %v", err)
	}
	if _, err := c.CreateContainer("/box", nil, zk.FlagContainer, acl); err != nil {
		t.Fatalf("container: %v", err)
	}
	if _, err := c.CreateTTL("/ttl", nil, zk.FlagTTL, acl, time.Minute); err != nil {
		t.Logf("createTTL: %v (TTL nodes may be disabled)", err)
	}
	if _, err := c.Create("/nope/child", nil, 0, acl); !errors.Is(err, zk.ErrNoNode) {
		t.Fatalf("create under missing parent: %v", err)
	}

	// get/set with versions.
	data, st, err := c.Get("/app")
	if err != nil || string(data) != "v0" || st.Version != 0 || st.NumChildren != 2 {
		t.Fatalf("get: %q %+v %v", data, st, err)
	}
	if st, err = c.Set("/app", []byte("v1"), 0); err != nil || st.Version != 1 {
		t.Fatalf("set: %+v %v", st, err)
	}
	if _, err := c.Set("/app", []byte("v2"), 0); !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("stale set: %v", err)
	}
	ok, st, err := c.Exists("/app")
	if err != nil || !ok || st.Version != 1 {
		t.Fatalf("exists: %v %+v %v", ok, st, err)
	}
	if ok, _, err := c.Exists("/missing"); err != nil || ok {
		t.Fatalf("exists missing: %v %v", ok, err)
	}
	kids, _, err := c.Children("/app")
	slices.Sort(kids)
	if err != nil || !slices.Equal(kids, []string{"eph", "s-0000000000"}) {
		t.Fatalf("children: %v %v", kids, err)
	}
	if err := c.Delete("/app", -1); !errors.Is(err, zk.ErrNotEmpty) {
		t.Fatalf("delete non-empty: %v", err)
	}
	if err := c.Delete("/missing", -1); !errors.Is(err, zk.ErrNoNode) {
		t.Fatalf("delete missing: %v", err)
	}
	if err := c.Delete(seq, 0); err != nil {
		t.Fatalf("delete: %v", err)
	}
	gotACL, _, err := c.GetACL("/app")
	if err != nil || len(gotACL) != 1 || gotACL[0].Scheme != "world" {
		t.Fatalf("getACL: %v %v", gotACL, err)
	}

	// multi: one that commits, one that fails with per-op errors.
	res, err := c.Multi(
		&zk.CreateRequest{Path: "/m", Data: []byte("m"), Acl: acl},
		&zk.SetDataRequest{Path: "/m", Data: []byte("m2"), Version: 0},
		&zk.CheckVersionRequest{Path: "/m", Version: 1},
	)
	if err != nil || len(res) != 3 || res[0].String != "/m" || res[1].Stat == nil || res[1].Stat.Version != 1 {
		t.Fatalf("multi: %+v %v", res, err)
	}
	res, err = c.Multi(
		&zk.CreateRequest{Path: "/m2", Acl: acl},
		&zk.DeleteRequest{Path: "/m", Version: 7},
		&zk.SetDataRequest{Path: "/m", Version: -1},
	)
	if !errors.Is(err, zk.ErrBadVersion) || len(res) != 3 {
		t.Fatalf("failing multi: %+v %v", res, err)
	}
	if res[0].Error != nil || !errors.Is(res[1].Error, zk.ErrBadVersion) || res[2].Error == nil {
		t.Fatalf("failing multi per-op errors: %v %v %v", res[0].Error, res[1].Error, res[2].Error)
	}
	if ok, _, _ := c.Exists("/m2"); ok {
		t.Fatal("failed multi left /m2")
	}
	if p, err := c.Sync("/app"); err != nil || p != "/app" {
		t.Fatalf("sync: %q %v", p, err)
	}

	// Watches fire, from another client's writes through another node.
	c2 := zkConnect(t, addrs[1:2])
	_, _, dataW, err := c.GetW("/app")
	if err != nil {
		t.Fatal(err)
	}
	_, _, childW, err := c.ChildrenW("/app")
	if err != nil {
		t.Fatal(err)
	}
	_, _, existW, err := c.ExistsW("/later")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Set("/app", []byte("v2"), -1); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, dataW, zk.EventNodeDataChanged, "/app")
	if _, err := c2.Create("/app/k", nil, 0, acl); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, childW, zk.EventNodeChildrenChanged, "/app")
	if _, err := c2.Create("/later", nil, 0, acl); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, existW, zk.EventNodeCreated, "/later")
	// The client reads its own view after the event.
	if data, _, err := c.Get("/app"); err != nil || !bytes.Equal(data, []byte("v2")) {
		t.Fatalf("get after event: %q %v", data, err)
	}

	// An ephemeral goes with its session's Close, as another client sees.
	if _, err := c2.Create("/gone", nil, zk.FlagEphemeral, acl); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sync("/gone"); err != nil { // c's node may be behind c2's
		t.Fatal(err)
	}
	_, _, goneW, err := c.ExistsW("/gone")
	if err != nil {
		t.Fatal(err)
	}
	c2.Close()
	waitEvent(t, goneW, zk.EventNodeDeleted, "/gone")
}
