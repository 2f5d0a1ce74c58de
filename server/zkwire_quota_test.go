package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/znode"
)

// errQuotaExceeded is how go-zookeeper v1.0.4, which has no sentinel for
// it, reports ZooKeeper's QUOTAEXCEEDED.
const errQuotaExceeded = "unknown error: -125"

// setQuotaZK makes a quota the way zkCli's setquota does, through any
// ZooKeeper client: the parents under /zookeeper/quota, the limits node,
// then the stats node, whose count=0,bytes=0 the servers replace by the
// subtree's usage.
func setQuotaZK(t *testing.T, c *zk.Conn, path, limits string) {
	t.Helper()
	acl := zk.WorldACL(zk.PermAll)
	qp := znode.QuotaPath
	for _, part := range strings.Split(path[1:], "/") {
		qp += "/" + part
		if _, err := c.Create(qp, nil, 0, acl); err != nil && err != zk.ErrNodeExists {
			t.Fatalf("create %s: %v", qp, err)
		}
	}
	if _, err := c.Create(znode.QuotaLimitPath(path), []byte(limits), 0, acl); err != nil {
		t.Fatalf("create limits: %v", err)
	}
	if _, err := c.Create(znode.QuotaStatPath(path), []byte("count=0,bytes=0"), 0, acl); err != nil {
		t.Fatalf("create stats: %v", err)
	}
}

// A 3-node ensemble with zookeeper.enforceQuota=true: every node keeps the
// same stats as writes through all of them apply, digests stay equal, a
// write past a hard limit fails with QuotaExceeded whichever node takes
// it, and /zookeeper/config reads as ZooKeeper's on every node.
func TestQuotaAndConfigThroughZooKeeperWire(t *testing.T) {
	cfgs := testkit.Configs(t, 3, "zookeeper.enforceQuota=true\n")
	nodes := testkit.StartAll(t, cfgs, startNode)
	conns := make([]*zk.Conn, len(nodes))
	for i, n := range nodes {
		conns[i] = zkConnect(t, []string{n.ClientAddr()})
	}
	acl := zk.WorldACL(zk.PermAll)
	if _, err := conns[0].Create("/q", []byte("root"), 0, acl); err != nil {
		t.Fatal(err)
	}
	setQuotaZK(t, conns[1], "/q", "count=-1,bytes=-1=;byteHardLimit=40;countHardLimit=4")
	for i := 1; i <= 3; i++ {
		if _, err := conns[i%3].Create(fmt.Sprintf("/q/%d", i), []byte("0123456789"), 0, acl); err != nil {
			t.Fatalf("create /q/%d: %v", i, err)
		}
	}
	for i, c := range conns {
		if _, err := c.Create("/q/4", nil, 0, acl); err == nil || err.Error() != errQuotaExceeded {
			t.Fatalf("create past the count limit through node %d: %v", i+1, err)
		}
		if _, err := c.Set("/q/1", []byte("0123456789abcdefghij"), -1); err == nil || err.Error() != errQuotaExceeded {
			t.Fatalf("set past the byte limit through node %d: %v", i+1, err)
		}
		// The delete makes room for one create, not two.
		res, err := c.Multi(&zk.DeleteRequest{Path: "/q/3", Version: -1},
			&zk.CreateRequest{Path: "/q/5", Acl: acl}, &zk.CreateRequest{Path: "/q/6", Acl: acl})
		if len(res) != 3 || res[1].Error != nil || res[2].Error == nil || res[2].Error.Error() != errQuotaExceeded {
			t.Fatalf("multi past the count limit through node %d: %v %+v", i+1, err, res)
		}
	}
	if err := conns[2].Delete("/q/3", -1); err != nil {
		t.Fatal(err)
	}
	if _, err := conns[0].Set("/q/2", []byte("01234"), -1); err != nil {
		t.Fatal(err)
	}
	want := "count=3,bytes=19"
	for i, c := range conns {
		if _, err := c.Sync("/"); err != nil {
			t.Fatal(err)
		}
		data, _, err := c.Get(znode.QuotaStatPath("/q"))
		if err != nil || string(data) != want {
			t.Fatalf("stats on node %d: %q %v, want %q", i+1, data, err, want)
		}
	}
	testkit.WaitFor(t, "equal digests", 10*time.Second, func() bool { return sameDigests(nodes...) })

	wantCfg := string(cfgs[0].ZKConfig())
	if !strings.HasPrefix(wantCfg, "server.1=127.0.0.1:") || !strings.HasSuffix(wantCfg, ":participant\nversion=0") {
		t.Fatalf("config text %q", wantCfg)
	}
	for i, c := range conns {
		data, st, err := c.Get(znode.ConfigPath)
		if err != nil || string(data) != wantCfg {
			t.Fatalf("config on node %d: %q %v", i+1, data, err)
		}
		if st.Version != -1 || st.Aversion != -1 || st.Mzxid != 0 || st.Czxid != 0 {
			t.Fatalf("config stat on node %d: %+v", i+1, st)
		}
		// Readable by anyone, writable by no one (ZOOKEEPER-2014).
		if _, err := c.Set(znode.ConfigPath, []byte("x"), -1); err != zk.ErrNoAuth {
			t.Fatalf("set config through node %d: %v", i+1, err)
		}
	}
}
