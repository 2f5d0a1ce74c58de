package server

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	pzk "github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// A wire client that vanishes without closeSession (its socket just
// drops, as when its process is killed) keeps its ephemerals until its
// session expires; a go-zookeeper client on another node then sees them
// go, with the NodeDeleted its exists watch asked for.
func TestWireSessionExpiryRemovesEphemerals(t *testing.T) {
	testutil.SkipShort(t, "waits out session timeouts")
	cfgs := testkit.Configs(t, 3, "")
	nodes := testkit.StartAll(t, cfgs, startNode)
	r := dialRaw(t, nodes[0].ClientAddr()) // session timeout 4,000 ms asked; the node's minimum is 2 ticks
	acl := []pzk.ACL{{Perms: 31, ID: pzk.ID{Scheme: "world", ID: "anyone"}}}
	for _, req := range []*jute.CreateRequest{
		{Path: "/eph", ACL: acl, Flags: 1},
		{Path: "/eph-seq-", ACL: acl, Flags: 3},
	} {
		if e := r.call(pzk.OpCreate, req, &jute.CreateResponse{}); e != 0 {
			t.Fatalf("create %s: error %d", req.Path, e)
		}
	}
	c := zkConnect(t, []string{nodes[2].ClientAddr()})
	if _, err := c.Sync("/"); err != nil {
		t.Fatal(err)
	}
	ok, _, ev, err := c.ExistsW("/eph")
	if err != nil || !ok {
		t.Fatalf("exists /eph on another node: %v %v", ok, err)
	}
	dropped := time.Now()
	r.c.Close() // no closeSession
	select {
	case e := <-ev:
		if e.Type != zk.EventNodeDeleted || e.Path != "/eph" {
			t.Fatalf("event %+v, want NodeDeleted /eph", e)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no NodeDeleted within 30 s of the client vanishing")
	}
	gone := time.Since(dropped)
	kids, _, err := c.Children("/")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kids {
		if k == "eph" || len(k) > 8 && k[:8] == "eph-seq-" {
			t.Fatalf("%s outlived its session", k)
		}
	}
	// The session's timeout bounds it (plus bucket rounding and the bus);
	// a gone-too-soon would mean a live session lost its ephemerals.
	if gone < 2*cfgs[0].TickTime {
		t.Fatalf("ephemerals went %s after the socket dropped, before any session could expire", gone)
	}
	t.Logf("ephemerals of the vanished wire client went %s after its socket dropped", gone.Round(time.Millisecond))
}
