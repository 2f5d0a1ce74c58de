//go:build !race

package server

import (
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/paddock-zk/paddock/internal/testkit"
)

// Not under -race: go-zookeeper/zk v1.0.4 itself races on reconnect
// (Conn.sendSetWatches reads lastZxid while recvLoop writes it;
// samuel/go-zookeeper#260, go-zookeeper/zk#35), which the detector reports
// as a failure of this test.

// A client connected to one node keeps its session (and its ephemerals)
// when that node stops and it reconnects to another.
func TestZooKeeperClientReconnect(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		addrs[i] = n.ClientAddr()
	}
	c := zkConnect(t, addrs)
	acl := zk.WorldACL(zk.PermAll)
	if _, err := c.Create("/eph", []byte("x"), zk.FlagEphemeral, acl); err != nil {
		t.Fatal(err)
	}
	// Digest auth: the client re-sends it after the move.
	if err := c.AddAuth("digest", []byte("user:pw")); err != nil {
		t.Fatalf("addAuth: %v", err)
	}
	if _, err := c.Create("/secret", []byte("s"), 0, zk.DigestACL(zk.PermAll, "user", "pw")); err != nil {
		t.Fatal(err)
	}
	sid := c.SessionID()
	var on int
	for i, a := range addrs {
		if a == c.Server() {
			on = i
		}
	}
	_, _, w, err := c.GetW("/eph")
	if err != nil {
		t.Fatal(err)
	}
	nodes[on].Close()
	other := zkConnect(t, []string{addrs[(on+1)%3]})
	testkit.WaitFor(t, "reconnect to another node", 20*time.Second, func() bool {
		return c.State() == zk.StateHasSession && c.Server() != addrs[on]
	})
	if c.SessionID() != sid {
		t.Fatalf("session %x became %x", sid, c.SessionID())
	}
	// The data watch was re-registered by setWatches on the new node.
	if _, err := other.Set("/eph", []byte("y"), -1); err != nil {
		t.Fatal(err)
	}
	for ev := range w {
		if ev.Type == zk.EventNodeDataChanged {
			break
		}
		if ev.Type != zk.EventNotWatching && ev.Type != zk.EventSession {
			t.Fatalf("event %+v", ev)
		}
	}
	_, st, err := other.Get("/eph")
	if err != nil || st.EphemeralOwner != sid {
		t.Fatalf("ephemeral after move: %+v %v", st, err)
	}
	if _, err := c.Create("/after", nil, 0, acl); err != nil {
		t.Fatalf("write after move: %v", err)
	}
	if data, _, err := c.Get("/secret"); err != nil || string(data) != "s" {
		t.Fatalf("digest-protected read after move: %q %v", data, err)
	}
	if _, _, err := other.Get("/secret"); !errors.Is(err, zk.ErrNoAuth) {
		t.Fatalf("read without auth: %v", err)
	}
}
