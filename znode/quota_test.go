package znode

import (
	"bytes"
	"slices"
	"testing"

	"github.com/paddock-zk/paddock/zk"
)

func TestParseStatsTrack(t *testing.T) {
	for _, tt := range []struct {
		in   string
		ok   bool
		want string // String() of the parse
	}{
		{"", true, "count=-1,bytes=-1"},
		{"count=0,bytes=0", true, "count=0,bytes=0"},
		{"count=10,bytes=-1", true, "count=10,bytes=-1"},
		// zkCli 3.8's limits: bytes= carries a trailing "=" for old parsers.
		{"count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3", true, "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3"},
		{"countHardLimit=3;count=2", true, "count=2,bytes=-1=;countHardLimit=3"},
		{"count=1,,;bytes=2", true, "count=1,bytes=2"},
		{"count=1,count=4", true, "count=4,bytes=-1"},
		{"count==5", true, "count=-1,bytes=-1"},
		{"count=+7", true, "count=7,bytes=-1"},
		{",", true, "count=-1,bytes=-1"},
		{",count=1", false, ""},
		{"count", false, ""},
		{"count=", false, ""},
		{"count=x", false, ""},
		{"count=99999999999999999999", false, ""},
	} {
		st, ok := parseStatsTrack([]byte(tt.in))
		if ok != tt.ok || (ok && st.String() != tt.want) {
			t.Errorf("parse %q: ok=%v %q, want ok=%v %q", tt.in, ok, st.String(), tt.ok, tt.want)
		}
	}
}

// setQuota creates the limits and stats nodes as zkCli's setquota does:
// the path's ancestors under /zookeeper/quota, the limits with the
// StatsTrack zkCli writes, then the stats with count=0,bytes=0, which
// the tree replaces by the subtree's usage.
func (e *env) setQuota(path, limits string) {
	e.t.Helper()
	qp := QuotaPath
	for _, c := range splitPath(path) {
		qp += "/" + c
		if _, ok := e.tree.Exists(qp); !ok {
			e.must(0, Create{Path: qp, ACL: zk.OpenACLUnsafe})
		}
	}
	e.must(0, Create{Path: QuotaLimitPath(path), Data: []byte(limits), ACL: zk.OpenACLUnsafe})
	e.must(0, Create{Path: QuotaStatPath(path), Data: []byte("count=0,bytes=0"), ACL: zk.OpenACLUnsafe})
}

func splitPath(p string) []string {
	var out []string
	for _, c := range bytes.Split([]byte(p[1:]), []byte("/")) {
		out = append(out, string(c))
	}
	return out
}

func (e *env) quotaStats(path string) string {
	e.t.Helper()
	data, _, err := e.tree.Get(QuotaStatPath(path))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(data)
}

func (e *env) wantStats(path, want string) {
	e.t.Helper()
	if got := e.quotaStats(path); got != want {
		e.t.Fatalf("stats of %s: %q, want %q", path, got, want)
	}
	e.checkDigest()
}

const hardCount3 = "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3"

func TestQuotaStatsFollowWrites(t *testing.T) {
	e := newEnv(t)
	e.session(0x51)
	e.must(0, Create{Path: "/q", Data: []byte("x"), ACL: zk.OpenACLUnsafe})
	e.must(0, Create{Path: "/q/pre", Data: []byte("abc"), ACL: zk.OpenACLUnsafe})
	e.must(0, Create{Path: "/other", Data: []byte("zzzz"), ACL: zk.OpenACLUnsafe})
	e.setQuota("/q", "count=10,bytes=-1")
	// The stats node counts what was there already, /q itself included.
	e.wantStats("/q", "count=2,bytes=4")
	if got := e.tree.QuotaRoots(); !slices.Equal(got, []string{"/q"}) {
		t.Fatalf("roots %v", got)
	}
	before := e.stat(QuotaStatPath("/q"))

	e.must(0, Create{Path: "/q/a", Data: []byte("12345"), ACL: zk.OpenACLUnsafe})
	e.wantStats("/q", "count=3,bytes=9")
	e.must(0, SetData{Path: "/q/a", Data: []byte("1234567890"), Version: -1})
	e.wantStats("/q", "count=3,bytes=14")
	e.must(0, Create{Path: "/other/x", Data: []byte("ignored"), ACL: zk.OpenACLUnsafe})
	e.must(0, SetData{Path: "/other", Data: nil, Version: -1})
	e.wantStats("/q", "count=3,bytes=14")
	e.must(0, Delete{Path: "/q/pre", Version: -1})
	e.wantStats("/q", "count=2,bytes=11")

	// A multi's ops count one by one; a failed multi counts nothing.
	e.must(0, Multi{Ops: []Request{
		Create{Path: "/q/m", Data: []byte("mm"), ACL: zk.OpenACLUnsafe},
		SetData{Path: "/q/a", Data: []byte("1"), Version: -1},
		Create{Path: "/q/m/n", ACL: zk.OpenACLUnsafe},
	}})
	e.wantStats("/q", "count=4,bytes=4")
	if _, err := e.do(0, Multi{Ops: []Request{
		Create{Path: "/q/z", Data: []byte("zz"), ACL: zk.OpenACLUnsafe},
		Delete{Path: "/q/nope", Version: -1},
	}}); err == nil {
		t.Fatal("multi with a missing delete passed")
	}
	e.wantStats("/q", "count=4,bytes=4")

	// Ephemerals leave the count when their session closes.
	e.must(0x51, Create{Path: "/q/e1", Data: []byte("eph"), ACL: zk.OpenACLUnsafe, Mode: zk.Ephemeral})
	e.must(0x51, Create{Path: "/q/m/e2", ACL: zk.OpenACLUnsafe, Mode: zk.Ephemeral})
	e.wantStats("/q", "count=6,bytes=7")
	e.must(0x51, CloseSession{})
	e.wantStats("/q", "count=4,bytes=4")

	// The rewrite leaves the stats node's Stat alone, as ZooKeeper's
	// updateQuotaStat does; only its data length follows the data.
	after := e.stat(QuotaStatPath("/q"))
	after.DataLength = before.DataLength
	if after != before {
		t.Fatalf("stats node Stat changed: %+v -> %+v", before, after)
	}

	// Snapshot round trip: the stats are in it, the roots are rebuilt, and
	// the loaded tree goes on counting exactly as the original.
	var buf bytes.Buffer
	if err := e.tree.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if r := got.QuotaRoots(); !slices.Equal(r, []string{"/q"}) {
		t.Fatalf("roots after load %v", r)
	}
	e2 := &env{t: t, tree: got, prep: NewPrep(got), zxid: e.zxid, time: e.time}
	for _, x := range []*env{e, e2} {
		x.must(0, Create{Path: "/q/after", Data: []byte("123"), ACL: zk.OpenACLUnsafe})
		x.wantStats("/q", "count=5,bytes=7")
	}
	if e.tree.Digest() != e2.tree.Digest() {
		t.Fatal("loaded tree's digest differs after the same write")
	}

	// Deleting the limits node ends the tracking.
	e.must(0, Delete{Path: QuotaLimitPath("/q"), Version: -1})
	e.must(0, Create{Path: "/q/untracked", ACL: zk.OpenACLUnsafe})
	e.wantStats("/q", "count=5,bytes=7")
	if r := e.tree.QuotaRoots(); len(r) != 0 {
		t.Fatalf("roots %v", r)
	}
}

// Nested quotas: zkCli refuses them, the server does not. A write counts
// in the deepest quota above it only (getMaxPrefixWithQuota), and a stats
// node created late counts the whole subtree, the nested quota's included.
func TestQuotaNested(t *testing.T) {
	e := newEnv(t)
	e.must(0, Create{Path: "/a", ACL: zk.OpenACLUnsafe})
	e.must(0, Create{Path: "/a/b", Data: []byte("bb"), ACL: zk.OpenACLUnsafe})
	e.setQuota("/a/b", "count=5,bytes=-1")
	e.setQuota("/a", "count=5,bytes=-1")
	e.wantStats("/a", "count=2,bytes=2")
	e.wantStats("/a/b", "count=1,bytes=2")

	e.must(0, Create{Path: "/a/b/c", Data: []byte("c"), ACL: zk.OpenACLUnsafe})
	e.wantStats("/a/b", "count=2,bytes=3")
	e.wantStats("/a", "count=2,bytes=2")
	e.must(0, Create{Path: "/a/x", Data: []byte("x"), ACL: zk.OpenACLUnsafe})
	e.wantStats("/a", "count=3,bytes=3")

	// Without its limits node, /a/b's subtree counts in /a again; its
	// stats node is left as it was.
	e.must(0, Delete{Path: QuotaLimitPath("/a/b"), Version: -1})
	e.must(0, Delete{Path: "/a/b/c", Version: -1})
	e.wantStats("/a", "count=2,bytes=2")
	e.wantStats("/a/b", "count=2,bytes=3")

	// A quota whose stats node is missing is tracked but not counted.
	e.must(0, Create{Path: "/s", ACL: zk.OpenACLUnsafe})
	e.must(0, Create{Path: QuotaPath + "/s", ACL: zk.OpenACLUnsafe})
	e.must(0, Create{Path: QuotaLimitPath("/s"), Data: []byte(hardCount3), ACL: zk.OpenACLUnsafe})
	e.must(0, Create{Path: "/s/1", ACL: zk.OpenACLUnsafe})
	if r := e.tree.QuotaRoots(); !slices.Equal(r, []string{"/a", "/s"}) {
		t.Fatalf("roots %v", r)
	}
	e.checkDigest()
}

func TestQuotaEnforcement(t *testing.T) {
	e := newEnv(t)
	e.must(0, Create{Path: "/q", ACL: zk.OpenACLUnsafe})
	e.setQuota("/q", hardCount3)
	e.must(0, Create{Path: "/q/1", ACL: zk.OpenACLUnsafe})
	e.must(0, Create{Path: "/q/2", ACL: zk.OpenACLUnsafe})

	// Off (ZooKeeper's default): the stats go past the limit.
	e.must(0, Create{Path: "/q/3", ACL: zk.OpenACLUnsafe})
	e.wantStats("/q", "count=4,bytes=0")
	e.must(0, Delete{Path: "/q/3", Version: -1})
	e.must(0, Delete{Path: "/q/2", Version: -1})

	e.tree.SetQuotaEnforced(true)
	e.must(0, Create{Path: "/q/2", ACL: zk.OpenACLUnsafe})
	_, err := e.do(0, Create{Path: "/q/3", ACL: zk.OpenACLUnsafe})
	wantCode(t, err, zk.QuotaExceeded)
	var ze *zk.Error
	if !asErr(err, &ze) || ze.Path != "/q" {
		t.Fatalf("error %v: want it to name the quota root /q", err)
	}
	e.wantStats("/q", "count=3,bytes=0")
	// setData changes no count: only a byte limit can refuse it.
	e.must(0, SetData{Path: "/q/1", Data: []byte("any size"), Version: -1})

	// Writes prepared but not applied count, and so do earlier ops of a
	// multi (ZooKeeper checks each against the applied tree only).
	e.must(0, Delete{Path: "/q/2", Version: -1})
	h, txn, err := e.prepare(0, Create{Path: "/q/p", ACL: zk.OpenACLUnsafe})
	wantCode(t, err, zk.Ok)
	_, _, err = e.prepare(0, Create{Path: "/q/p2", ACL: zk.OpenACLUnsafe})
	wantCode(t, err, zk.QuotaExceeded)
	e.zxid-- // not proposed
	e.apply(h, txn)
	e.must(0, Delete{Path: "/q/p", Version: -1})
	res, err := e.do(0, Multi{Ops: []Request{
		Create{Path: "/q/m1", ACL: zk.OpenACLUnsafe},
		Create{Path: "/q/m2", ACL: zk.OpenACLUnsafe},
	}})
	wantCode(t, err, zk.QuotaExceeded)
	if res.Multi[0].Err != zk.Ok || res.Multi[1].Err != zk.QuotaExceeded {
		t.Fatalf("multi results %+v", res.Multi)
	}
	// The failed multi left no pending usage behind.
	e.must(0, Create{Path: "/q/m1", ACL: zk.OpenACLUnsafe})
	e.wantStats("/q", "count=3,bytes=8")

	// A byte hard limit: growth past it is refused, and so is shrinking
	// while still above it (checkQuota compares the new total); an equal
	// size is never checked. Deletes are never refused.
	e.setQuota("/b", "") // on a missing path: tracked, counted from nothing
	e.must(0, SetData{Path: QuotaLimitPath("/b"), Data: []byte("count=-1,bytes=-1=;byteHardLimit=5"), Version: -1})
	e.must(0, Create{Path: "/b", Data: []byte("1234"), ACL: zk.OpenACLUnsafe})
	e.wantStats("/b", "count=1,bytes=4")
	_, err = e.do(0, SetData{Path: "/b", Data: []byte("123456"), Version: -1})
	wantCode(t, err, zk.QuotaExceeded)
	e.tree.SetQuotaEnforced(false)
	e.must(0, SetData{Path: "/b", Data: []byte("1234567"), Version: -1})
	e.tree.SetQuotaEnforced(true)
	_, err = e.do(0, SetData{Path: "/b", Data: []byte("123456"), Version: -1})
	wantCode(t, err, zk.QuotaExceeded)
	e.must(0, SetData{Path: "/b", Data: []byte("abcdefg"), Version: -1})
	// The quota check comes before the version check, as in ZooKeeper.
	_, err = e.do(0, SetData{Path: "/b", Data: []byte("12345678"), Version: 99})
	wantCode(t, err, zk.QuotaExceeded)
	e.must(0, SetData{Path: "/b", Data: []byte("12"), Version: -1})
	e.must(0, Delete{Path: "/b", Version: -1})
	e.wantStats("/b", "count=0,bytes=0")

	// Soft limits only: never refused.
	e.must(0, SetData{Path: QuotaLimitPath("/q"), Data: []byte("count=1,bytes=1"), Version: -1})
	e.must(0, Create{Path: "/q/soft", Data: []byte("past both"), ACL: zk.OpenACLUnsafe})

	// Limits that do not parse: ZooKeeper's parser throws, which Prep
	// turns into MarshallingError.
	e.must(0, SetData{Path: QuotaLimitPath("/q"), Data: []byte("countHardLimit=many"), Version: -1})
	_, err = e.do(0, Create{Path: "/q/bad", ACL: zk.OpenACLUnsafe})
	wantCode(t, err, zk.MarshallingError)
	e.checkDigest()
}

func TestInitConfig(t *testing.T) {
	cfg := []byte("server.1=127.0.0.1:2888:3888:participant\nserver.2=127.0.0.1:2889:3889:participant\nversion=0")
	a, b := New(), New()
	fresh := a.Digest()
	a.InitConfig(cfg)
	b.InitConfig(cfg)
	data, st, err := a.Get(ConfigPath)
	if err != nil || !bytes.Equal(data, cfg) {
		t.Fatalf("config %q %v", data, err)
	}
	// A 3-node ZooKeeper 3.8 shows dataVersion -1, aclVersion -1, zxids 0.
	if want := (zk.Stat{Version: -1, Aversion: -1, DataLength: int32(len(cfg))}); st != want {
		t.Fatalf("stat %+v, want %+v", st, want)
	}
	if a.Digest() != b.Digest() || a.Digest() == fresh || a.Digest() != a.DigestSlow() {
		t.Fatalf("digests %x %x (fresh %x, slow %x)", a.Digest(), b.Digest(), fresh, a.DigestSlow())
	}
	// Replicas see each other at different addresses (through proxies,
	// NAT): the lines from zoo.cfg stay out of the replicated digest.
	c := New()
	c.InitConfig([]byte("server.1=127.0.0.1:12888:3888:participant\nserver.2=127.0.0.1:2889:3889:participant\nversion=0"))
	if c.Digest() != a.Digest() || c.Digest() != c.DigestSlow() {
		t.Fatalf("config lines from zoo.cfg change the digest: %x vs %x", c.Digest(), a.Digest())
	}
	a.InitConfig(nil) // standalone again: the built-in node
	if a.Digest() != fresh {
		t.Fatal("InitConfig(nil) is not the fresh tree")
	}
	// Once a txn wrote the node, the file no longer overrides it.
	e := newEnv(t)
	e.tree.InitConfig(cfg)
	e.must(0, SetData{Path: ConfigPath, Data: []byte("committed"), Version: -1}, zk.ID{Scheme: "super", ID: ""})
	e.tree.InitConfig(cfg)
	if data, _, _ := e.tree.Get(ConfigPath); string(data) != "committed" {
		t.Fatalf("config after a txn and InitConfig: %q", data)
	}
	e.checkDigest()
}
