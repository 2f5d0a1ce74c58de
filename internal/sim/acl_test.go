package sim

import (
	"fmt"
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/store"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// The store's ACL checks, over a settled simulated ensemble.

func authOp(scheme, cred string) msg.Op {
	return msg.Op{Op: zk.OpAuth, ACL: []zk.ACL{{ID: zk.ID{Scheme: scheme, ID: cred}}}}
}

// TestACLPermissions checks every permission bit against every operation
// that needs one, for world, digest, auth and ip ACLs and for the super
// user, with the sessions served by a follower (reads checked there,
// writes by the leader's Prep with the forwarded ids) and by the leader.
// Permissions are per node: a child's ACL alone decides about the child.
func TestACLPermissions(t *testing.T) {
	super := znode.DigestID("super", "secret")
	s := stableSimWith(t, 3, Options{StoreConfig: func(_ msg.NodeID, c *store.Config) { c.SuperDigest = super }})
	l, f := s.leaderID(), s.follower()

	u1Digest := znode.DigestID("u1", "pw1")
	schemes := []struct {
		name string
		acl  zk.ACL // Perms filled in per case
	}{
		{"world", zk.ACL{ID: zk.ID{Scheme: "world", ID: "anyone"}}},
		{"digest", zk.ACL{ID: zk.ID{Scheme: "digest", ID: u1Digest}}},
		{"auth", zk.ACL{ID: zk.ID{Scheme: "auth", ID: ""}}}, // created by u1: becomes digest u1
		{"ip", zk.ACL{ID: zk.ID{Scheme: "ip", ID: "10.1.0.0/16"}}},
	}
	// Who matches which scheme (the super user passes every check).
	matches := map[string]map[string]bool{
		"world":  {"anon": true, "u1": true, "u2": true, "ipIn": true, "ipOut": true},
		"digest": {"u1": true},
		"auth":   {"u1": true},
		"ip":     {"ipIn": true},
	}
	perms := []struct {
		name string
		bit  int32
	}{{"READ", zk.PermRead}, {"WRITE", zk.PermWrite}, {"CREATE", zk.PermCreate},
		{"DELETE", zk.PermDelete}, {"ADMIN", zk.PermAdmin}}

	for _, node := range []msg.NodeID{f, l} {
		who := map[string]*tc{
			"anon":  s.session(node, fmt.Sprintf("anon%d", node)),
			"u1":    s.session(node, fmt.Sprintf("u1-%d", node)),
			"u2":    s.session(node, fmt.Sprintf("u2-%d", node)),
			"ipIn":  s.sessionFrom(node, fmt.Sprintf("ipIn%d", node), "10.1.2.3"),
			"ipOut": s.sessionFrom(node, fmt.Sprintf("ipOut%d", node), "10.2.0.1"),
			"super": s.session(node, fmt.Sprintf("super%d", node)),
		}
		for name, cred := range map[string]string{"u1": "u1:pw1", "u2": "u2:pw2", "super": "super:secret"} {
			if rp := who[name].do(node, authOp("digest", cred)); rp.Err != 0 {
				t.Fatalf("addauth %s: %s", name, rp.Err)
			}
		}
		if rp := who["ipIn"].do(node, msg.Op{Op: zk.OpWhoAmI}); len(rp.ACL) != 1 || rp.ACL[0] != (zk.ACL{ID: zk.ID{Scheme: "ip", ID: "10.1.2.3"}}) {
			t.Fatalf("whoAmI of an ip session: %+v", rp.ACL)
		}
		su := who["super"]
		for _, sc := range schemes {
			for _, p := range perms {
				path := fmt.Sprintf("/n%d-%s-%s", node, sc.name, p.name)
				acl := sc.acl
				acl.Perms = p.bit
				creator := su
				if sc.name == "auth" {
					creator = who["u1"]
				}
				if rp := creator.do(node, msg.Op{Op: zk.OpCreate, Path: path, ACL: []zk.ACL{acl}}); rp.Err != 0 {
					t.Fatalf("create %s: %s", path, rp.Err)
				}
				stored := su.do(node, msg.Op{Op: zk.OpGetACL, Path: path})
				if stored.Err != 0 || len(stored.ACL) != 1 {
					t.Fatalf("super getACL %s: %s %+v", path, stored.Err, stored.ACL)
				}
				if sc.name == "auth" && stored.ACL[0] != (zk.ACL{Perms: p.bit, ID: zk.ID{Scheme: "digest", ID: u1Digest}}) {
					t.Fatalf("auth ACL expanded to %+v", stored.ACL)
				}
				// The child is open: never affected by the parent's ACL.
				if rp := su.do(node, create(path+"/c", "", zk.Persistent)); rp.Err != 0 {
					t.Fatalf("create %s/c: %s", path, rp.Err)
				}
				ops := []struct {
					name string
					need int32
					op   msg.Op
					undo func() // puts the state back after a success
				}{
					{"getData", zk.PermRead, getData(path), nil},
					{"getChildren", zk.PermRead, msg.Op{Op: zk.OpGetChildren, Path: path}, nil},
					{"getChildren2", zk.PermRead, msg.Op{Op: zk.OpGetChildren2, Path: path}, nil},
					{"getACL", zk.PermRead, msg.Op{Op: zk.OpGetACL, Path: path}, nil},
					{"setData", zk.PermWrite, setData(path, "x", -1), nil},
					{"setACL", zk.PermAdmin, msg.Op{Op: zk.OpSetACL, Path: path, ACL: stored.ACL, Version: -1}, nil},
					{"create", zk.PermCreate, create(path+"/d", "", zk.Persistent), func() {
						su.do(node, msg.Op{Op: zk.OpDelete, Path: path + "/d", Version: -1})
					}},
					{"delete", zk.PermDelete, msg.Op{Op: zk.OpDelete, Path: path + "/c", Version: -1}, func() {
						su.do(node, create(path+"/c", "", zk.Persistent))
					}},
				}
				for _, o := range ops {
					for name, c := range who {
						want := zk.NoAuth
						if name == "super" || o.need == p.bit && matches[sc.name][name] {
							want = zk.Ok
						}
						rp := c.do(node, o.op)
						if got := rp.Err; got != want {
							t.Errorf("node %d, %s ACL with %s: %s by %s: %s, want %s", node, sc.name, p.name, o.name, name, got, want)
						}
						if rp.Err == 0 && o.undo != nil {
							o.undo()
						}
					}
				}
				// Not recursive, and exists needs nothing.
				for name, c := range who {
					if rp := c.do(node, getData(path+"/c")); rp.Err != 0 {
						t.Errorf("%s: read of the open child %s/c: %s", name, path, rp.Err)
					}
					if rp := c.do(node, msg.Op{Op: zk.OpExists, Path: path}); rp.Err != 0 {
						t.Errorf("%s: exists %s: %s", name, path, rp.Err)
					}
				}
			}
		}
	}
}

// TestIPAuth: a session created through a front end gets its client's ip
// id, a re-attach from another address replaces it, an ip session cannot
// use the auth scheme (ip is not an authenticated provider), and addauth
// of the ip scheme succeeds only where there is an address.
func TestIPAuth(t *testing.T) {
	s := stableSim(t, 3)
	l, f := s.leaderID(), s.follower()
	a := s.sessionFrom(f, "a", "10.1.2.3")
	creatorAll := []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "auth"}}}
	if rp := a.do(f, msg.Op{Op: zk.OpCreate, Path: "/x", ACL: creatorAll}); rp.Err != zk.InvalidACL {
		t.Fatalf("auth ACL from an ip-only session: %s", rp.Err)
	}
	ipACL := []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "ip", ID: "10.1.2.3"}}}
	if rp := a.do(f, msg.Op{Op: zk.OpCreate, Path: "/x", ACL: ipACL}); rp.Err != 0 {
		t.Fatalf("create: %s", rp.Err)
	}
	if rp := a.do(f, authOp("ip", "whatever")); rp.Err != 0 {
		t.Fatalf("addauth ip with an address: %s", rp.Err)
	}
	if rp := a.do(f, authOp("world", "anyone")); rp.Err != zk.AuthFailed {
		t.Fatalf("addauth world: %s", rp.Err)
	}
	if rp := a.do(f, getData("/x")); rp.Err != 0 {
		t.Fatalf("read: %s", rp.Err)
	}
	// The client reconnects to the leader from another address.
	req := &msg.Request{Session: a.session, Passwd: store.Passwd(a.session), ReplyTo: a.name, ClientAddr: "10.9.9.9",
		Op: msg.Op{Op: zk.OpCreateSession}}
	s.Request(l, req)
	s.Process()
	if rp := a.wait(0); rp.Err != 0 {
		t.Fatalf("re-attach: %s", rp.Err)
	}
	if rp := a.do(l, msg.Op{Op: zk.OpWhoAmI}); len(rp.ACL) != 1 || rp.ACL[0].ID.ID != "10.9.9.9" {
		t.Fatalf("whoAmI after the move: %+v", rp.ACL)
	}
	if rp := a.do(l, getData("/x")); rp.Err != zk.NoAuth {
		t.Fatalf("read from another address: %s", rp.Err)
	}
	if rp := a.do(l, setData("/x", "y", -1)); rp.Err != zk.NoAuth {
		t.Fatalf("write from another address: %s", rp.Err)
	}
}
