package znode

import (
	"bytes"
	"slices"
	"testing"

	"github.com/paddock-zk/paddock/zk"
)

func TestBuiltins(t *testing.T) {
	tr := New()
	for _, p := range []string{"/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"} {
		st, ok := tr.Exists(p)
		if !ok {
			t.Fatalf("%s missing", p)
		}
		// DataTree's built-ins are new StatPersisted(): all zero; a client
		// is shown cversion*2 - numChildren (DataNode.copyStat), so a
		// fresh ZooKeeper's "stat /" says cversion = -1.
		want := zk.Stat{}
		switch p {
		case "/":
			want.NumChildren, want.Cversion = 1, -1
		case "/zookeeper":
			want.NumChildren, want.Cversion = 2, -2
		case "/zookeeper/config":
			want.Aversion = -1 // addConfigNode's setACL(..., -1); a standalone ZooKeeper shows it
		}
		if st != want {
			t.Errorf("%s stat %+v", p, st)
		}
	}
	acl, _, _ := tr.ACL("/zookeeper/config")
	if !slices.Equal(acl, zk.ReadACLUnsafe) {
		t.Errorf("config ACL %v", acl)
	}
	acl, _, _ = tr.ACL("/")
	if !slices.Equal(acl, zk.OpenACLUnsafe) {
		t.Errorf("root ACL %v", acl)
	}
	if tr.NodeCount() != 4 || tr.LastZxid() != 0 || tr.ACLCount() != 2 {
		t.Errorf("count %d zxid %d acls %d", tr.NodeCount(), tr.LastZxid(), tr.ACLCount())
	}
	kids, _, _ := tr.Children("/zookeeper")
	if !slices.Equal(kids, []string{"config", "quota"}) {
		t.Errorf("children %v", kids)
	}
	e := newEnv(t)
	for _, tt := range []struct {
		req  Request
		code zk.Code
	}{
		{Delete{Path: "/", Version: -1}, zk.BadArguments},
		{Delete{Path: "/zookeeper", Version: -1}, zk.BadArguments},
		{Delete{Path: "/zookeeper/quota", Version: -1}, zk.BadArguments},
		{Delete{Path: "/zookeeper/config", Version: -1}, zk.BadArguments},
		{Create{Path: "/zookeeper", ACL: zk.OpenACLUnsafe}, zk.NodeExists},
		{Create{Path: "/", ACL: zk.OpenACLUnsafe}, zk.NodeExists},
		{Create{Path: "/zookeeper/config/x", ACL: zk.OpenACLUnsafe}, zk.NoAuth},
		{SetData{Path: "/zookeeper/config", Data: []byte("x"), Version: -1}, zk.NoAuth},
		{Create{Path: "/zookeeper/x", ACL: zk.OpenACLUnsafe}, zk.Ok}, // ZooKeeper allows it
	} {
		_, err := e.do(0, tt.req)
		wantCode(t, err, tt.code)
	}
	e.checkDigest()
}

// TestCreateStat checks every Stat field after creates, against the rules of
// DataTree.createNode / createStat and PrepRequestProcessor.
func TestCreateStat(t *testing.T) {
	e := newEnv(t)
	r := e.must(0, Create{Path: "/a", Data: []byte("hello"), ACL: zk.OpenACLUnsafe})
	z1, t1 := e.zxid, e.time
	// createStat: czxid=mzxid=pzxid=zxid, ctime=mtime=time, versions 0.
	want := zk.Stat{Czxid: z1, Mzxid: z1, Pzxid: z1, Ctime: t1, Mtime: t1, DataLength: 5}
	if r.Stat != want || e.stat("/a") != want || r.Path != "/a" || r.Type != zk.OpCreate {
		t.Fatalf("result %+v, stat %+v, want %+v", r, e.stat("/a"), want)
	}
	// The parent: cversion = parentCVersion (old+1), pzxid = zxid; its
	// mzxid/mtime/version untouched.
	// (Stored cversion 1; a client sees 1*2 - 2 children = 0.)
	root := e.stat("/")
	if e.tree.nodes["/"].cversion != 1 || root.Cversion != 0 || root.Pzxid != z1 || root.NumChildren != 2 || root.Mzxid != 0 || root.Version != 0 {
		t.Fatalf("root %+v", root)
	}
	if !slices.Equal(r.Changes, []Change{{Created, "/a"}, {ChildrenChanged, "/"}}) {
		t.Fatalf("changes %v", r.Changes)
	}

	e.must(0, Create{Path: "/a/b", ACL: zk.OpenACLUnsafe})
	z2 := e.zxid
	a := e.stat("/a")
	if a.Cversion != 1 || a.Pzxid != z2 || a.NumChildren != 1 || a.Mzxid != z1 || a.Czxid != z1 {
		t.Fatalf("/a after child create %+v", a)
	}

	// setData: mzxid, mtime, version+1; czxid/ctime/pzxid unchanged.
	r = e.must(0, SetData{Path: "/a", Data: []byte("xy"), Version: 0})
	z3, t3 := e.zxid, e.time
	want = zk.Stat{Czxid: z1, Mzxid: z3, Pzxid: z2, Ctime: t1, Mtime: t3, Version: 1, Cversion: 1, DataLength: 2, NumChildren: 1}
	if r.Stat != want || e.stat("/a") != want {
		t.Fatalf("after setData %+v want %+v", r.Stat, want)
	}
	if !slices.Equal(r.Changes, []Change{{DataChanged, "/a"}}) {
		t.Fatalf("changes %v", r.Changes)
	}
	data, _, _ := e.tree.Get("/a")
	if !bytes.Equal(data, []byte("xy")) {
		t.Fatalf("data %q", data)
	}

	// setACL: aversion+1 only.
	r = e.must(0, SetACL{Path: "/a", ACL: []zk.ACL{{Perms: zk.PermAll, ID: zk.AnyoneID}, {Perms: zk.PermRead, ID: zk.ID{Scheme: "ip", ID: "10.0.0.0/8"}}}, Version: -1})
	want.Aversion = 1
	if r.Stat != want || len(r.Changes) != 0 {
		t.Fatalf("after setACL %+v %v", r.Stat, r.Changes)
	}

	// delete: parent pzxid = zxid, stored cversion unchanged (only creates
	// count); a client sees the delete too: 1*2 - 0 children.
	r = e.must(0, Delete{Path: "/a/b", Version: -1})
	z5 := e.zxid
	a = e.stat("/a")
	if e.tree.nodes["/a"].cversion != 1 || a.Cversion != 2 || a.Pzxid != z5 || a.NumChildren != 0 {
		t.Fatalf("/a after child delete %+v", a)
	}
	if !slices.Equal(r.Changes, []Change{{Deleted, "/a/b"}, {ChildrenChanged, "/a"}}) {
		t.Fatalf("changes %v", r.Changes)
	}
	if e.tree.LastZxid() != z5 {
		t.Fatalf("last zxid %d", e.tree.LastZxid())
	}
	e.checkDigest()
}

func TestVersionWrap(t *testing.T) {
	// checkAndIncVersion skips -1 when the version wraps (ZOOKEEPER-4743).
	for _, tt := range []struct{ cur, exp, next int32 }{
		{0, -1, 1}, {5, 5, 6}, {2147483647, -1, -2147483648}, {-2, -2, 0},
	} {
		got, err := nextVersion(tt.cur, tt.exp, "/a")
		if err != nil || got != tt.next {
			t.Errorf("nextVersion(%d,%d) = %d, %v", tt.cur, tt.exp, got, err)
		}
	}
	if _, err := nextVersion(3, 4, "/a"); !errorsIsCode(err, zk.BadVersion) {
		t.Errorf("mismatch: %v", err)
	}
}

func errorsIsCode(err error, c zk.Code) bool { return zk.CodeOf(err) == c }

func TestOpErrors(t *testing.T) {
	const sess = 0x100
	setup := func(t *testing.T) *env {
		e := newEnv(t)
		e.session(sess)
		e.must(0, Create{Path: "/p", Data: []byte("d"), ACL: zk.OpenACLUnsafe})
		e.must(0, Create{Path: "/p/c", ACL: zk.OpenACLUnsafe})
		e.must(sess, Create{Path: "/e", ACL: zk.OpenACLUnsafe, Mode: zk.Ephemeral})
		e.must(0, Create{Path: "/ro", ACL: zk.ReadACLUnsafe})
		e.must(0, Create{Path: "/noread", ACL: []zk.ACL{{Perms: zk.PermWrite, ID: zk.AnyoneID}}})
		return e
	}
	tests := []struct {
		name string
		req  Request
		code zk.Code
	}{
		{"create ok", Create{Path: "/n", ACL: zk.OpenACLUnsafe}, zk.Ok},
		{"create relative", Create{Path: "n", ACL: zk.OpenACLUnsafe}, zk.BadArguments},
		{"create empty", Create{Path: "", ACL: zk.OpenACLUnsafe}, zk.BadArguments},
		{"create trailing slash", Create{Path: "/p/", ACL: zk.OpenACLUnsafe}, zk.BadArguments},
		{"create trailing slash, no parent", Create{Path: "/q/", ACL: zk.OpenACLUnsafe}, zk.NoNode},
		{"create dot", Create{Path: "/p/.", ACL: zk.OpenACLUnsafe}, zk.BadArguments},
		{"create nul", Create{Path: "/p\x00", ACL: zk.OpenACLUnsafe}, zk.BadArguments},
		{"create no parent", Create{Path: "/x/y", ACL: zk.OpenACLUnsafe}, zk.NoNode},
		{"create exists", Create{Path: "/p", ACL: zk.OpenACLUnsafe}, zk.NodeExists},
		{"create under ephemeral", Create{Path: "/e/x", ACL: zk.OpenACLUnsafe}, zk.NoChildrenForEphemerals},
		{"create empty acl", Create{Path: "/n"}, zk.InvalidACL},
		{"create bad scheme", Create{Path: "/n", ACL: []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "foo", ID: "bar"}}}}, zk.InvalidACL},
		{"create world not anyone", Create{Path: "/n", ACL: []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "world", ID: "x"}}}}, zk.InvalidACL},
		{"create auth without auth", Create{Path: "/n", ACL: zk.CreatorAllACL}, zk.InvalidACL},
		{"create bad digest id", Create{Path: "/n", ACL: []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "digest", ID: "nocolon"}}}}, zk.InvalidACL},
		{"create bad ip", Create{Path: "/n", ACL: []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "ip", ID: "10.0.0.1/33"}}}}, zk.InvalidACL},
		{"create no CREATE perm", Create{Path: "/ro/x", ACL: zk.OpenACLUnsafe}, zk.NoAuth},
		{"create bad mode", Create{Path: "/n", ACL: zk.OpenACLUnsafe, Mode: 7}, zk.BadArguments},
		{"create ttl without ttl mode", Create{Path: "/n", ACL: zk.OpenACLUnsafe, TTL: 100}, zk.BadArguments},
		{"create ttl zero", Create{Path: "/n", ACL: zk.OpenACLUnsafe, Mode: zk.PersistentWithTTL}, zk.BadArguments},
		{"create ttl too big", Create{Path: "/n", ACL: zk.OpenACLUnsafe, Mode: zk.PersistentWithTTL, TTL: MaxTTL + 1}, zk.BadArguments},
		{"create ttl max", Create{Path: "/n", ACL: zk.OpenACLUnsafe, Mode: zk.PersistentWithTTL, TTL: MaxTTL}, zk.Ok},
		{"create ephemeral unknown session", Create{Path: "/n", ACL: zk.OpenACLUnsafe, Mode: zk.Ephemeral}, zk.SessionExpired},
		{"delete ok", Delete{Path: "/p/c", Version: 0}, zk.Ok},
		{"delete no node", Delete{Path: "/zz", Version: -1}, zk.NoNode},
		{"delete no parent", Delete{Path: "/zz/y", Version: -1}, zk.NoNode},
		{"delete bad version", Delete{Path: "/p/c", Version: 3}, zk.BadVersion},
		{"delete not empty", Delete{Path: "/p", Version: -1}, zk.NotEmpty},
		{"delete relative", Delete{Path: "p", Version: -1}, zk.BadArguments},
		{"delete no DELETE perm on parent", Delete{Path: "/zookeeper/config", Version: -1}, zk.BadArguments},
		{"setData ok", SetData{Path: "/p", Version: 0}, zk.Ok},
		{"setData no node", SetData{Path: "/zz", Version: -1}, zk.NoNode},
		{"setData bad version", SetData{Path: "/p", Version: 1}, zk.BadVersion},
		{"setData bad path", SetData{Path: "/p/", Version: -1}, zk.BadArguments},
		{"setData no WRITE", SetData{Path: "/ro", Version: -1}, zk.NoAuth},
		{"setACL ok", SetACL{Path: "/p", ACL: zk.ReadACLUnsafe, Version: 0}, zk.Ok},
		{"setACL bad aversion", SetACL{Path: "/p", ACL: zk.ReadACLUnsafe, Version: 1}, zk.BadVersion},
		{"setACL empty", SetACL{Path: "/p", Version: -1}, zk.InvalidACL},
		{"setACL no node", SetACL{Path: "/zz", ACL: zk.ReadACLUnsafe, Version: -1}, zk.NoNode},
		{"setACL no ADMIN", SetACL{Path: "/ro", ACL: zk.OpenACLUnsafe, Version: -1}, zk.NoAuth},
		{"check ok", Check{Path: "/p", Version: 0}, zk.Ok},
		{"check any", Check{Path: "/p", Version: -1}, zk.Ok},
		{"check bad version", Check{Path: "/p", Version: 2}, zk.BadVersion},
		{"check no node", Check{Path: "/zz", Version: -1}, zk.NoNode},
		{"check no READ", Check{Path: "/noread", Version: -1}, zk.NoAuth},
		{"deleteContainer of ephemeral", DeleteContainer{Path: "/e"}, zk.BadVersion},
		{"deleteContainer not empty", DeleteContainer{Path: "/p"}, zk.NotEmpty},
		{"deleteContainer special", DeleteContainer{Path: "/zookeeper"}, zk.BadArguments},
		{"multi with setACL", Multi{Ops: []Request{SetACL{Path: "/p", ACL: zk.OpenACLUnsafe, Version: -1}}}, zk.MarshallingError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			before := e.tree.Digest()
			res, err := e.do(0, tt.req)
			wantCode(t, err, tt.code)
			if tt.code != zk.Ok {
				var ze *zk.Error
				if !asErr(err, &ze) || ze.Code != tt.code {
					t.Fatalf("not an *Error: %v", err)
				}
				if res.Err != tt.code || e.tree.Digest() != before || e.prep.Pending() != 0 {
					t.Fatalf("failed request changed state: %+v", res)
				}
			}
			e.checkDigest()
		})
	}
}
