package znode

import (
	"slices"
	"testing"

	"github.com/paddock-zk/paddock/zk"
)

func TestSequentialNames(t *testing.T) {
	e := newEnv(t)
	e.must(0, Create{Path: "/q", ACL: zk.OpenACLUnsafe})
	r := e.must(0, Create{Path: "/q/n-", ACL: zk.OpenACLUnsafe, Mode: zk.PersistentSequential})
	if r.Path != "/q/n-0000000000" {
		t.Fatalf("first %s", r.Path)
	}
	// Pending creates in the overlay advance the counter before they apply.
	var pend []logged
	for i := 0; i < 3; i++ {
		h, txn, err := e.prepare(0, Create{Path: "/q/n-", ACL: zk.OpenACLUnsafe, Mode: zk.PersistentSequential})
		if err != nil {
			t.Fatal(err)
		}
		pend = append(pend, logged{h, txn})
	}
	var names []string
	for _, p := range pend {
		names = append(names, p.txn.(CreateTxn).Path)
	}
	if !slices.Equal(names, []string{"/q/n-0000000001", "/q/n-0000000002", "/q/n-0000000003"}) {
		t.Fatalf("pending names %v", names)
	}
	// A create of a name a pending create will take fails.
	_, _, err := e.prepare(0, Create{Path: "/q/n-0000000002", ACL: zk.OpenACLUnsafe})
	wantCode(t, err, zk.NodeExists)
	e.zxid-- // that failed txn was not proposed
	for _, p := range pend {
		e.apply(p.hdr, p.txn)
	}
	if e.prep.Pending() != 0 {
		t.Fatalf("overlay not trimmed: %d", e.prep.Pending())
	}
	// Deletes do not lower the counter: cversion counts creates only.
	e.must(0, Delete{Path: "/q/n-0000000003", Version: -1})
	e.must(0, Delete{Path: "/q/n-0000000000", Version: -1})
	r = e.must(0, Create{Path: "/q/n-", ACL: zk.OpenACLUnsafe, Mode: zk.PersistentSequential})
	if r.Path != "/q/n-0000000004" {
		t.Fatalf("after deletes %s", r.Path)
	}
	// Mixed names share the parent's counter; a sequential path ending in
	// "/" gets a bare number.
	r = e.must(0, Create{Path: "/q/", ACL: zk.OpenACLUnsafe, Mode: zk.PersistentSequential})
	if r.Path != "/q/0000000005" {
		t.Fatalf("bare %s", r.Path)
	}
	// Six creates stored; a client sees the two deletes too: 6*2 - 4.
	if st := e.stat("/q"); e.tree.nodes["/q"].cversion != 6 || st.Cversion != 8 || st.NumChildren != 4 {
		t.Fatalf("/q %+v", st)
	}
	e.checkDigest()
}

func TestMulti(t *testing.T) {
	e := newEnv(t)
	e.must(0, Create{Path: "/m", Data: []byte("x"), ACL: zk.OpenACLUnsafe})
	r := e.must(0, Multi{Ops: []Request{
		Create{Path: "/m/a", ACL: zk.OpenACLUnsafe},
		Create{Path: "/m/a/s-", ACL: zk.OpenACLUnsafe, Mode: zk.PersistentSequential},
		Check{Path: "/m", Version: 0},
		SetData{Path: "/m", Data: []byte("y"), Version: 0},
		Delete{Path: "/m/a/s-0000000000", Version: 0},
	}})
	z := e.zxid
	wantTypes := []zk.OpCode{zk.OpCreate, zk.OpCreate, zk.OpCheck, zk.OpSetData, zk.OpDelete}
	for i, op := range r.Multi {
		if op.Type != wantTypes[i] || op.Err != zk.Ok {
			t.Fatalf("op %d: %+v", i, op)
		}
	}
	if r.Multi[1].Path != "/m/a/s-0000000000" || r.Multi[3].Stat.Version != 1 || r.Multi[3].Stat.Mzxid != z {
		t.Fatalf("results %+v", r.Multi)
	}
	wantChanges := []Change{
		{Created, "/m/a"}, {ChildrenChanged, "/m"},
		{Created, "/m/a/s-0000000000"}, {ChildrenChanged, "/m/a"},
		{DataChanged, "/m"},
		{Deleted, "/m/a/s-0000000000"}, {ChildrenChanged, "/m/a"},
	}
	if !slices.Equal(r.Changes, wantChanges) {
		t.Fatalf("changes %v", r.Changes)
	}
	// All ops of a multi share its zxid.
	if st := e.stat("/m/a"); st.Czxid != z || st.Pzxid != z || e.tree.nodes["/m/a"].cversion != 1 || st.Cversion != 2 {
		t.Fatalf("/m/a %+v", st)
	}

	// A failing multi: Ok before, the code, RuntimeInconsistency after;
	// nothing changes, and the overlay is rolled back so the sequence
	// counter is not consumed.
	before := e.tree.Digest()
	r, err := e.do(0, Multi{Ops: []Request{
		Create{Path: "/m/a/s-", ACL: zk.OpenACLUnsafe, Mode: zk.PersistentSequential},
		SetData{Path: "/m", Version: 7},
		Create{Path: "/m/b", ACL: zk.OpenACLUnsafe},
	}})
	wantCode(t, err, zk.BadVersion)
	if r.Err != zk.BadVersion || e.tree.Digest() != before || len(r.Changes) != 0 {
		t.Fatalf("failed multi %+v", r)
	}
	wantErrs := []zk.Code{zk.Ok, zk.BadVersion, zk.RuntimeInconsistency}
	for i, op := range r.Multi {
		if op.Type != zk.OpError || op.Err != wantErrs[i] {
			t.Fatalf("op %d: %+v", i, op)
		}
	}
	r = e.must(0, Create{Path: "/m/a/s-", ACL: zk.OpenACLUnsafe, Mode: zk.PersistentSequential})
	if r.Path != "/m/a/s-0000000001" {
		t.Fatalf("after rollback %s", r.Path)
	}
	// Rollback restores earlier pending state of the same paths.
	h1, t1, err := e.prepare(0, SetData{Path: "/m", Data: []byte("p"), Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.prepare(0, Multi{Ops: []Request{SetData{Path: "/m", Version: 2}, Delete{Path: "/nope", Version: -1}}})
	wantCode(t, err, zk.NoNode)
	_, _, err = e.prepare(0, Check{Path: "/m", Version: 2})
	wantCode(t, err, zk.Ok)
	e.zxid -= 2
	e.apply(h1, t1)
	// Multi ops see each other: delete what an earlier op created.
	e.must(0, Multi{Ops: []Request{Create{Path: "/t", ACL: zk.OpenACLUnsafe}, Delete{Path: "/t", Version: 0}}})
	if _, ok := e.tree.Exists("/t"); ok {
		t.Fatal("/t exists")
	}
	// An empty multi is fine.
	e.must(0, Multi{})
	e.checkDigest()
}

func TestEphemeralsAndCloseSession(t *testing.T) {
	e := newEnv(t)
	const s1, s2 = 0x11, 0x22
	e.session(s1)
	e.session(s2)
	e.must(0, Create{Path: "/d", ACL: zk.OpenACLUnsafe})
	e.must(s1, Create{Path: "/d/e1", ACL: zk.OpenACLUnsafe, Mode: zk.Ephemeral})
	e.must(s1, Create{Path: "/d/e-", ACL: zk.OpenACLUnsafe, Mode: zk.EphemeralSequential})
	e.must(s2, Create{Path: "/d/f", ACL: zk.OpenACLUnsafe, Mode: zk.Ephemeral})
	if st := e.stat("/d/e1"); st.EphemeralOwner != s1 {
		t.Fatalf("owner %#x", st.EphemeralOwner)
	}
	if got := e.tree.GetEphemerals(s1); !slices.Equal(got, []string{"/d/e-0000000001", "/d/e1"}) {
		t.Fatalf("ephemerals %v", got)
	}
	if got := e.tree.Ephemerals(s1, "/d/e-"); !slices.Equal(got, []string{"/d/e-0000000001"}) {
		t.Fatalf("prefix %v", got)
	}
	// A pending ephemeral create is included in the close; a pending delete
	// is not.
	h1, t1, err := e.prepare(s1, Create{Path: "/d/e2", ACL: zk.OpenACLUnsafe, Mode: zk.Ephemeral})
	if err != nil {
		t.Fatal(err)
	}
	h2, t2, err := e.prepare(0, Delete{Path: "/d/e1", Version: -1})
	if err != nil {
		t.Fatal(err)
	}
	hc, tc, err := e.prepare(s1, CloseSession{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tc.(CloseSessionTxn).Paths; !slices.Equal(got, []string{"/d/e-0000000001", "/d/e2"}) {
		t.Fatalf("close paths %v", got)
	}
	// The closing session can do nothing more; its parent can be deleted
	// once the close is applied... but is not empty yet.
	_, _, err = e.prepare(s1, Create{Path: "/d/late", ACL: zk.OpenACLUnsafe, Mode: zk.Ephemeral})
	wantCode(t, err, zk.SessionExpired)
	_, _, err = e.prepare(s1, SetData{Path: "/d", Version: -1})
	wantCode(t, err, zk.SessionExpired)
	_, _, err = e.prepare(0, Delete{Path: "/d", Version: -1})
	wantCode(t, err, zk.NotEmpty) // /d/f of s2 remains
	e.zxid -= 3
	e.apply(h1, t1)
	e.apply(h2, t2)
	r := e.apply(hc, tc)
	want := []Change{{Deleted, "/d/e-0000000001"}, {ChildrenChanged, "/d"}, {Deleted, "/d/e2"}, {ChildrenChanged, "/d"}}
	if !slices.Equal(r.Changes, want) {
		t.Fatalf("close changes %v", r.Changes)
	}
	if got := e.tree.GetEphemerals(s1); len(got) != 0 {
		t.Fatalf("left %v", got)
	}
	if st := e.stat("/d"); st.NumChildren != 1 || st.Pzxid != hc.Zxid {
		t.Fatalf("/d %+v", st)
	}
	if got := e.tree.Sessions(); len(got) != 1 || got[0].ID != s2 {
		t.Fatalf("sessions %v", got)
	}
	// The closed session is gone: no new ephemerals.
	_, err = e.do(s1, Create{Path: "/d/x", ACL: zk.OpenACLUnsafe, Mode: zk.Ephemeral})
	wantCode(t, err, zk.SessionExpired)
	e.checkDigest()
}

func TestContainersAndTTL(t *testing.T) {
	e := newEnv(t)
	// Stored: the kind's encoding; shown to clients: 0, as ZooKeeper's
	// getClientEphemeralOwner does.
	r := e.must(0, Create{Path: "/c", ACL: zk.OpenACLUnsafe, Mode: zk.Container})
	if owner := e.tree.nodes["/c"].owner; owner != ContainerOwner || KindOf(owner) != KindContainer || r.Stat.EphemeralOwner != 0 {
		t.Fatalf("container owner %#x, shown %#x", owner, r.Stat.EphemeralOwner)
	}
	r = e.must(0, Create{Path: "/ttl", ACL: zk.OpenACLUnsafe, Mode: zk.PersistentWithTTL, TTL: 500})
	if r.Stat.EphemeralOwner != 0 {
		t.Fatalf("TTL node shown with owner %#x", r.Stat.EphemeralOwner)
	}
	owner := e.tree.nodes["/ttl"].owner
	if uint64(owner) != 0xFF000000000001F4 || KindOf(owner) != KindTTL || TTLOf(owner) != 500 {
		t.Fatalf("ttl owner %#x", uint64(owner))
	}
	ttlTime := e.time
	e.must(0, Create{Path: "/c2", ACL: zk.OpenACLUnsafe, Mode: zk.Container})
	c2Time := e.time
	// A never-used container is kept; a TTL node is kept until mtime+ttl.
	if got := e.tree.ExpiredContainersAndTTLs(ttlTime+500, 0); len(got) != 0 {
		t.Fatalf("early %v", got)
	}
	e.must(0, Create{Path: "/c/x", ACL: zk.OpenACLUnsafe})
	if got := e.tree.ExpiredContainersAndTTLs(ttlTime+501, 0); !slices.Equal(got, []string{"/ttl"}) {
		t.Fatalf("ttl %v", got)
	}
	e.must(0, Delete{Path: "/c/x", Version: -1})
	if got := e.tree.ExpiredContainersAndTTLs(0, 0); !slices.Equal(got, []string{"/c"}) {
		t.Fatalf("used container %v", got)
	}
	if got := e.tree.ExpiredContainersAndTTLs(c2Time+100, 50); !slices.Equal(got, []string{"/c", "/c2"}) {
		t.Fatalf("never-used bound %v", got)
	}
	r = e.must(0, DeleteContainer{Path: "/c"})
	if !slices.Equal(r.Changes, []Change{{Deleted, "/c"}, {ChildrenChanged, "/"}}) {
		t.Fatalf("changes %v", r.Changes)
	}
	e.must(0, DeleteContainer{Path: "/ttl"})
	if got := e.tree.ExpiredContainersAndTTLs(1<<40, 0); len(got) != 0 {
		t.Fatalf("after cleanup %v", got)
	}
	e.checkDigest()
}

func TestACLChecks(t *testing.T) {
	e := newEnv(t)
	bob := DigestAuth("bob:secret", "")
	if bob[0].ID != DigestID("bob", "secret") || bob[0].Scheme != "digest" {
		t.Fatalf("digest auth %v", bob)
	}
	// Known value: echo -n bob:secret | openssl sha1 -binary | base64
	if got := DigestID("super", "test"); got != "super:D/InIHSb7yEEbrWz8b9l71RjZJU=" {
		t.Fatalf("DigestID %s", got)
	}
	// "auth" expands to the creator's digest ids (not ip).
	r := e.must(0, Create{Path: "/b", ACL: zk.CreatorAllACL}, append(bob, zk.ID{Scheme: "ip", ID: "127.0.0.1"})...)
	acl, _, _ := e.tree.ACL(r.Path)
	if !slices.Equal(acl, []zk.ACL{{Perms: zk.PermAll, ID: bob[0]}}) {
		t.Fatalf("expanded ACL %v", acl)
	}
	e.must(0, Create{Path: "/net", ACL: []zk.ACL{{Perms: zk.PermRead | zk.PermCreate, ID: zk.ID{Scheme: "ip", ID: "10.1.0.0/16"}}}})

	super := DigestID("super", "test")
	e.tree.SetSuperDigest(super)
	tests := []struct {
		path string
		perm int32
		auth []zk.ID
		ok   bool
	}{
		{"/b", zk.PermRead, nil, false},
		{"/b", zk.PermRead, bob, true},
		{"/b", zk.PermAdmin, []zk.ID{{Scheme: "digest", ID: DigestID("bob", "wrong")}}, false},
		{"/b", zk.PermRead, []zk.ID{SuperID}, true},
		{"/b", zk.PermWrite, DigestAuth("super:test", super), true},
		{"/b", zk.PermWrite, []zk.ID{{Scheme: "digest", ID: super}}, true},
		{"/net", zk.PermRead, []zk.ID{{Scheme: "ip", ID: "10.1.2.3"}}, true},
		{"/net", zk.PermRead, []zk.ID{{Scheme: "ip", ID: "10.2.2.3"}}, false},
		{"/net", zk.PermWrite, []zk.ID{{Scheme: "ip", ID: "10.1.2.3"}}, false},
		{"/net", zk.PermRead, []zk.ID{{Scheme: "ip", ID: "::1"}}, false},
		{"/zookeeper/config", zk.PermRead, nil, true},
		{"/zookeeper/config", zk.PermWrite, nil, false},
	}
	for _, tt := range tests {
		err := e.tree.CheckPerm(tt.path, tt.perm, tt.auth)
		if (err == nil) != tt.ok {
			t.Errorf("%s perm %d auth %v: %v", tt.path, tt.perm, tt.auth, err)
		}
	}
	wantCode(t, e.tree.CheckRead("/b", nil), zk.NoAuth)
	wantCode(t, e.tree.CheckRead("/missing", nil), zk.NoNode)
	// Writes through Prep honour the same rules, super included.
	_, err := e.do(0, SetData{Path: "/b", Version: -1})
	wantCode(t, err, zk.NoAuth)
	e.must(0, SetData{Path: "/b", Version: -1}, bob...)
	e.must(0, SetData{Path: "/zookeeper/config", Version: -1}, zk.ID{Scheme: "digest", ID: super})
	e.must(0, Create{Path: "/net/x", ACL: zk.OpenACLUnsafe}, zk.ID{Scheme: "ip", ID: "10.1.9.9"})
	// Duplicate ACL entries are dropped (ZOOKEEPER-1877).
	r = e.must(0, Create{Path: "/dup", ACL: []zk.ACL{zk.OpenACLUnsafe[0], zk.OpenACLUnsafe[0]}})
	if acl, _, _ := e.tree.ACL(r.Path); len(acl) != 1 {
		t.Fatalf("dups %v", acl)
	}
	e.checkDigest()
}

func TestApplyRefusesWithoutHalfApplying(t *testing.T) {
	e := newEnv(t)
	e.must(0, Create{Path: "/a", ACL: zk.OpenACLUnsafe})
	e.must(0, Create{Path: "/a/b", ACL: zk.OpenACLUnsafe})
	before, last := e.tree.Digest(), e.tree.LastZxid()
	bad := []Txn{
		CreateTxn{Path: "/x/y", ACL: zk.OpenACLUnsafe},
		CreateTxn{Path: "/a", ACL: zk.OpenACLUnsafe},
		CreateTxn{Path: "a", ACL: zk.OpenACLUnsafe},
		DeleteTxn{Path: "/a"},
		DeleteTxn{Path: "/"},
		DeleteTxn{Path: "/nope"},
		SetDataTxn{Path: "/nope"},
		SetACLTxn{Path: "/nope"},
		CheckTxn{Path: "/nope"},
		CloseSessionTxn{Paths: []string{"/a"}},
		MultiTxn{Ops: []Txn{CreateTxn{Path: "/ok", ACL: zk.OpenACLUnsafe}, DeleteTxn{Path: "/a"}}},
		MultiTxn{Ops: []Txn{CreateTxn{Path: "/ok", ACL: zk.OpenACLUnsafe}, CreateTxn{Path: "/ok", ACL: zk.OpenACLUnsafe}}},
		MultiTxn{Ops: []Txn{CreateSessionTxn{}}},
		nil,
	}
	for i, txn := range bad {
		r := e.tree.Apply(TxnHeader{Zxid: last + 1}, txn)
		if r.Fault == nil || len(r.Changes) != 0 || e.tree.Digest() != before || e.tree.LastZxid() != last {
			t.Fatalf("%d %T: applied or half-applied: %+v", i, txn, r)
		}
	}
	// Replaying an old zxid is refused too.
	if r := e.tree.Apply(TxnHeader{Zxid: last}, SetDataTxn{Path: "/a"}); r.Fault == nil {
		t.Fatal("replayed zxid accepted")
	}
	e.checkDigest()
}

func TestReads(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/r", "/r/b", "/r/a", "/r/a/x", "/r/c"} {
		e.must(0, Create{Path: p, ACL: zk.OpenACLUnsafe})
	}
	kids, st, err := e.tree.Children("/r")
	if err != nil || !slices.Equal(kids, []string{"a", "b", "c"}) || st.NumChildren != 3 {
		t.Fatalf("children %v %+v %v", kids, st, err)
	}
	if n, err := e.tree.AllChildrenNumber("/r"); n != 4 || err != nil {
		t.Fatalf("all children %d %v", n, err)
	}
	if n, _ := e.tree.AllChildrenNumber("/"); n != e.tree.NodeCount()-1 {
		t.Fatalf("root all children %d", n)
	}
	_, _, err = e.tree.Get("/nope")
	wantCode(t, err, zk.NoNode)
	_, _, err = e.tree.Children("/nope")
	wantCode(t, err, zk.NoNode)
	_, _, err = e.tree.ACL("/nope")
	wantCode(t, err, zk.NoNode)
	if _, err := e.tree.AllChildrenNumber("/nope"); zk.CodeOf(err) != zk.NoNode {
		t.Fatal(err)
	}
}

// jute.maxbuffer bounds the data of one request, a multi's ops added up;
// the overlay and the tree are unchanged by a refusal.
func TestPrepMaxBuffer(t *testing.T) {
	e := newEnv(t)
	e.tree.SetMaxBuffer(4)
	_, err := e.do(0, Create{Path: "/a", Data: []byte("12345"), ACL: zk.OpenACLUnsafe})
	wantCode(t, err, zk.BadArguments)
	_, err = e.do(0, Create{Path: "/a", Data: []byte("1234"), ACL: zk.OpenACLUnsafe})
	wantCode(t, err, zk.Ok)
	_, err = e.do(0, SetData{Path: "/a", Data: []byte("12345"), Version: -1})
	wantCode(t, err, zk.BadArguments)
	_, err = e.do(0, Multi{Ops: []Request{
		Create{Path: "/b", Data: []byte("123"), ACL: zk.OpenACLUnsafe},
		SetData{Path: "/a", Data: []byte("12"), Version: -1},
	}})
	wantCode(t, err, zk.BadArguments)
	if _, _, err := e.tree.Get("/b"); zk.CodeOf(err) != zk.NoNode {
		t.Fatalf("a refused multi created /b: %v", err)
	}
	if d, _, _ := e.tree.Get("/a"); string(d) != "1234" {
		t.Fatalf("/a holds %q", d)
	}
	e.checkDigest()
}
