package server

// The differential tests of quotas and /zookeeper/config against Apache
// ZooKeeper 3.8: the stats node's contents after a series of writes
// (with enforcement off, in TestDifferentialZooKeeper's run), refusals
// with zookeeper.enforceQuota=true, and the shape of /zookeeper/config of
// a standalone server and of a 3-node ensemble.

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/znode"
)

// setQuota makes a quota as zkCli's setquota does (see setQuotaZK).
func (r *diffRun) setQuota(i int, path, limits string) {
	qp := znode.QuotaPath
	for _, part := range strings.Split(path[1:], "/") {
		qp += "/" + part
		r.create(i, qp, nil, 0, worldAll)
	}
	r.create(i, znode.QuotaLimitPath(path), []byte(limits), 0, worldAll)
	r.create(i, znode.QuotaStatPath(path), []byte("count=0,bytes=0"), 0, worldAll)
}

func init() {
	// Enforcement off (both servers' default): the stats only.
	diffScripts = append(diffScripts, diffScript{"quotaStats", func(r *diffRun) {
		p := r.root
		r.create(0, p+"/pre", []byte("abc"), 0, worldAll)
		r.setQuota(0, p, "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=2")
		r.get(1, znode.QuotaStatPath(p))
		r.create(1, p+"/a", []byte("12345"), 0, worldAll)
		r.create(2, p+"/a/b", nil, zk.FlagEphemeral, worldAll)
		r.create(0, p+"/c-", []byte("x"), zk.FlagSequence, worldAll) // past the hard limit: not enforced
		r.set(0, p+"/a", []byte("1234567890"), -1)
		r.del(1, p+"/pre", -1)
		r.multi(0,
			&zk.CreateRequest{Path: p + "/m", Data: []byte("mm"), Acl: worldAll},
			&zk.SetDataRequest{Path: p + "/a", Data: nil, Version: -1},
		)
		r.multi(0, // fails: counts nothing
			&zk.CreateRequest{Path: p + "/m2", Data: []byte("mm"), Acl: worldAll},
			&zk.DeleteRequest{Path: p + "/nope", Version: -1},
		)
		r.get(0, znode.QuotaStatPath(p))
		r.close(2) // its ephemeral leaves the count
		r.get(0, znode.QuotaStatPath(p))
		// A nested quota, made directly (zkCli would refuse it): the
		// deepest quota counts a write, the outer one no longer does.
		r.setQuota(0, p+"/a", "count=10,bytes=-1")
		r.get(0, znode.QuotaStatPath(p+"/a"))
		r.create(0, p+"/a/n", []byte("nn"), 0, worldAll)
		r.get(0, znode.QuotaStatPath(p))
		r.get(0, znode.QuotaStatPath(p+"/a"))
		// Without its limits node the quota is no longer tracked.
		r.del(0, znode.QuotaLimitPath(p+"/a"), -1)
		r.del(0, p+"/a/n", -1)
		r.get(0, znode.QuotaStatPath(p))
		r.get(0, znode.QuotaStatPath(p+"/a"))
	}})
	knownDiffs = append(knownDiffs, knownDiff{
		name: "quotaCountsPendingWrites",
		why: "with enforcement on, ZooKeeper checks each op of a multi (and each pipelined write) against " +
			"the applied tree only, so a multi can create past a hard limit; Paddock counts the earlier ops " +
			"and the writes in flight, and refuses",
		script: "quotaEnforced",
		equiv: func(zkLine, pdkLine string) bool {
			return strings.Contains(zkLine, " multi(") && strings.Contains(zkLine, "→ ok [ok") &&
				strings.Contains(pdkLine, "[ok; err(unknown error: -125)]")
		},
	})
}

// quotaEnforced runs with zookeeper.enforceQuota=true on both servers.
var quotaEnforced = diffScript{"quotaEnforced", func(r *diffRun) {
	p := r.root
	r.create(0, p+"/d", []byte("0123456789"), 0, worldAll)
	r.setQuota(0, p, "count=-1,bytes=-1=;byteHardLimit=20;countHardLimit=4")
	r.create(1, p+"/1", nil, 0, worldAll)
	r.create(1, p+"/2", nil, 0, worldAll)
	r.create(1, p+"/3", nil, 0, worldAll) // the fifth node: refused
	r.create(1, p+"/2/x", nil, zk.FlagEphemeral, worldAll)
	r.set(0, p+"/d", []byte("01234567890123456789"), -1) // 20 bytes: allowed
	r.set(0, p+"/d", []byte("012345678901234567890"), -1)
	r.set(0, p+"/d", []byte("0123456789012345678x"), 99) // same size: never checked
	r.set(0, p+"/1", []byte("a"), 5)                     // quota before version: QuotaExceeded
	r.get(0, znode.QuotaStatPath(p))
	r.del(0, p+"/2", -1)
	r.multi(0,
		&zk.CreateRequest{Path: p + "/m3", Acl: worldAll},
		&zk.CheckVersionRequest{Path: p, Version: -1},
	)
	r.multi(0,
		&zk.CreateRequest{Path: p + "/m4", Acl: worldAll},
		&zk.CheckVersionRequest{Path: p, Version: -1},
	)
	r.del(0, p+"/1", -1)
	// Soft limits only: exceeded, logged, allowed.
	r.set(0, znode.QuotaLimitPath(p), []byte("count=1,bytes=1"), -1)
	r.create(0, p+"/soft", []byte("past both"), 0, worldAll)
	// Limits that do not parse: ZooKeeper's parser throws, MarshallingError.
	r.set(0, znode.QuotaLimitPath(p), []byte("countHardLimit=many"), -1)
	r.create(0, p+"/bad", nil, 0, worldAll)
	// Untracked without its limits node; tracked again with a new one,
	// the stats as they were.
	r.del(0, znode.QuotaLimitPath(p), -1)
	r.create(0, p+"/bad", nil, 0, worldAll)
	r.create(0, znode.QuotaLimitPath(p), []byte("countHardLimit=5"), 0, worldAll)
	r.get(0, znode.QuotaStatPath(p))
	// Last, as the servers' trees differ after it: room for one create,
	// and ZooKeeper lets both through.
	r.multi(0,
		&zk.CreateRequest{Path: p + "/m1", Acl: worldAll},
		&zk.CreateRequest{Path: p + "/m2", Acl: worldAll},
	)
}}

func TestDifferentialQuotaEnforced(t *testing.T) {
	testutil.SkipShort(t, "runs Apache ZooKeeper beside Paddock")
	zkAddr := startApacheZooKeeper(t, "-Dzookeeper.enforceQuota=true")
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, "zookeeper.enforceQuota=true\n"), startNode)
	pdk := diffTarget{name: "paddock"}
	for _, n := range nodes {
		pdk.addrs = append(pdk.addrs, n.ClientAddr())
	}
	ref := diffTarget{name: "zookeeper", addrs: []string{zkAddr}}
	want := runScript(t, ref, quotaEnforced, nil)
	if testing.Verbose() {
		t.Logf("zookeeper's transcript:\n  %s", strings.Join(want.lines, "\n  "))
	}
	got := runScript(t, pdk, quotaEnforced, want.counts)
	compareTranscripts(t, quotaEnforced.name, want.lines, got.lines)
}

// configShape normalises /zookeeper/config's data and Stat: ports become
// P (their values are the test's), the rest is kept.
var portRe = regexp.MustCompile(`:\d+`)

func configShape(t *testing.T, addr string) string {
	t.Helper()
	c := zkConnect(t, []string{addr})
	if _, err := c.Sync("/"); err != nil {
		t.Fatal(err)
	}
	data, st, err := c.Get(znode.ConfigPath)
	if err != nil {
		t.Fatalf("get %s through %s: %v", znode.ConfigPath, addr, err)
	}
	acl, _, err := c.GetACL(znode.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("data=%q lengthOK=%t czxid=%d mzxid=%d pzxid=%d version=%d cversion=%d aversion=%d owner=%d children=%d acl=%s",
		portRe.ReplaceAllString(string(data), ":P"), int(st.DataLength) == len(data), st.Czxid, st.Mzxid, st.Pzxid,
		st.Version, st.Cversion, st.Aversion, st.EphemeralOwner, st.NumChildren, aclStr(acl))
}

// /zookeeper/config (what getConfig and zkCli's config read): empty on a
// standalone server, the server lines and version=0 on a static ensemble,
// with ZooKeeper's Stat (times aside: ZooKeeper stamps each server's own
// clock into mtime, Paddock 0) on every node.
func TestDifferentialConfigNode(t *testing.T) {
	testutil.SkipShort(t, "runs Apache ZooKeeper beside Paddock")
	zkStandalone := configShape(t, startApacheZooKeeper(t))
	pdkNode, err := Start(standalone(t, t.TempDir()), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pdkNode.Close)
	if got := configShape(t, pdkNode.ClientAddr()); got != zkStandalone {
		t.Errorf("standalone /zookeeper/config:\n  zookeeper: %s\n  paddock:   %s", zkStandalone, got)
	}

	zkAddrs := testutil.StartZooKeeperEnsemble(t, 3)
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	want := configShape(t, zkAddrs[0])
	t.Logf("ZooKeeper ensemble: %s\nZooKeeper standalone: %s", want, zkStandalone)
	if !strings.Contains(want, `server.3=127.0.0.1:P:P:participant\nversion=0"`) {
		t.Fatalf("ZooKeeper's ensemble config is not the expected shape: %s", want)
	}
	for i, a := range zkAddrs[1:] {
		if got := configShape(t, a); got != want {
			t.Fatalf("ZooKeeper's servers disagree: 1: %s\n%d: %s", want, i+2, got)
		}
	}
	for i, n := range nodes {
		if got := configShape(t, n.ClientAddr()); got != want {
			t.Errorf("node %d /zookeeper/config:\n  zookeeper: %s\n  paddock:   %s", i+1, want, got)
		}
	}
}
