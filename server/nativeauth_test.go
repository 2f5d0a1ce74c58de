package server

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// A native client authenticates for ACLs with AddAuth (digest), sees its
// identity with WhoAmI, lists its ephemerals, and keeps its identity when
// its node dies and the session moves: the client sends it to the new
// node before anything else.
func TestNativeAddAuthFollowsTheSession(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	urls := []string{nodes[0].BusURL(), nodes[1].BusURL(), nodes[2].BusURL()}
	c, err := client.Connect(ctx, urls, client.WithSessionTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	other, err := client.Connect(ctx, urls)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	if err := c.AddAuth(ctx, "digest", []byte("alice:secret")); err != nil {
		t.Fatal(err)
	}
	if err := c.AddAuth(ctx, "kerberos", []byte("x")); !isCode(err, zk.AuthFailed) {
		t.Fatalf("an unknown scheme: %v, want AuthFailed", err)
	}
	who, err := c.WhoAmI(ctx)
	if err != nil || !slices.Contains(who, zk.ID{Scheme: "digest", ID: "alice"}) {
		t.Fatalf("whoami: %v %v", who, err)
	}
	acl := []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "digest", ID: znode.DigestID("alice", "secret")}}}
	if _, err := c.Create(ctx, "/alice", []byte("mine"), zk.Persistent, acl); err != nil {
		t.Fatal(err)
	}
	// Another session may be served by a follower that has not applied
	// the create yet: sync first, or the answer is NoNode.
	if err := other.Sync(ctx, "/alice"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Get(ctx, "/alice"); !isCode(err, zk.NoAuth) {
		t.Fatalf("another session reads /alice: %v, want NoAuth", err)
	}
	if _, err := c.Create(ctx, "/alice-eph", nil, zk.Ephemeral, nil); err != nil {
		t.Fatal(err)
	}
	if eph, err := c.Ephemerals(ctx, "/"); err != nil || !slices.Equal(eph, []string{"/alice-eph"}) {
		t.Fatalf("ephemerals: %v %v", eph, err)
	}

	// The node serving the session dies; on the next node the identity
	// holds without another AddAuth.
	_, served := c.Node()
	for _, n := range nodes {
		if n.ID() == served {
			n.Close()
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, _, err := c.Get(ctx, "/alice")
		if err == nil {
			if string(data) != "mine" {
				t.Fatalf("read %q", data)
			}
			break
		}
		if isCode(err, zk.NoAuth) {
			t.Fatalf("the identity did not follow the session to another node: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("never read /alice after the move: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, node := c.Node(); node == served {
		t.Fatalf("the session is still on node %d", node)
	}
}
