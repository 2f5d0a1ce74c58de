package server

import (
	"bufio"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/internal/testkit"
	pzk "github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// dialSession connects a bare jute client with the given ConnectRequest.
func dialSession(t *testing.T, addr string, req *jute.ConnectRequest) (*rawZK, jute.ConnectResponse) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	r := &rawZK{t: t, c: c, br: bufio.NewReader(c)}
	r.write(req)
	var cr jute.ConnectResponse
	if err := jute.Decode(r.frame(), &cr); err != nil || cr.SessionID == 0 {
		t.Fatalf("connect: %+v %v", cr, err)
	}
	return r, cr
}

// A wire client whose connection dropped reconnects to another node with
// its session and sends setWatches with the last zxid it saw, as
// ZooKeeper's client does: the node fires at once the watches whose node
// changed meanwhile (data changed, node created) and the session goes on.
// (go-zookeeper does the same in TestZooKeeperClientReconnect, which
// cannot run under -race because of a race inside go-zookeeper v1.0.4;
// this bare client can.)
func TestWireReconnectSetWatches(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	r, cr := dialSession(t, nodes[0].ClientAddr(), &jute.ConnectRequest{TimeOut: 6000, Passwd: make([]byte, 16)})
	acl := []pzk.ACL{{Perms: 31, ID: pzk.ID{Scheme: "world", ID: "anyone"}}}
	if e := r.call(pzk.OpCreate, &jute.CreateRequest{Path: "/w", Data: []byte("v0"), ACL: acl}, &jute.CreateResponse{}); e != 0 {
		t.Fatalf("create: %d", e)
	}
	// A data watch on /w and an exist watch on the missing /new; the last
	// zxid this client saw is in the reply headers.
	r.xid++
	r.write(&jute.RequestHeader{Xid: r.xid, Type: pzk.OpGetData}, &jute.PathWatch{Path: "/w", Watch: true})
	last := r.next(&jute.GetDataResponse{}, nil).Zxid
	r.xid++
	r.write(&jute.RequestHeader{Xid: r.xid, Type: pzk.OpExists}, &jute.PathWatch{Path: "/new", Watch: true})
	if h := r.next(nil, nil); h.Err != -101 { // NoNode
		t.Fatalf("exists /new: error %d", h.Err)
	}
	r.c.Close() // dropped, no closeSession

	// Meanwhile another client changes both.
	other := zkConnect(t, []string{nodes[2].ClientAddr()})
	if _, err := other.Set("/w", []byte("v1"), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Create("/new", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}

	// Back on another node, with the session and the last zxid seen.
	r2, cr2 := dialSession(t, nodes[1].ClientAddr(), &jute.ConnectRequest{
		TimeOut: 6000, SessionID: cr.SessionID, Passwd: cr.Passwd, LastZxidSeen: last})
	if cr2.SessionID != cr.SessionID || cr2.TimeOut == 0 {
		t.Fatalf("reconnect: session %x timeout %d, want session %x", cr2.SessionID, cr2.TimeOut, cr.SessionID)
	}
	r2.write(&jute.RequestHeader{Xid: jute.XidSetWatches, Type: pzk.OpSetWatches},
		&jute.SetWatches{RelativeZxid: last, DataWatches: []string{"/w"}, ExistWatches: []string{"/new"}})
	var events []string
	for done := false; !done || len(events) < 2; {
		var ev jute.WatcherEvent
		h := r2.next(nil, &ev)
		switch h.Xid {
		case jute.XidNotification:
			events = append(events, zk.EventType(ev.Type).String()+" "+ev.Path)
		case jute.XidSetWatches:
			if h.Err != 0 {
				t.Fatalf("setWatches: error %d", h.Err)
			}
			done = true
		default:
			t.Fatalf("unexpected reply xid %d", h.Xid)
		}
	}
	slices.Sort(events)
	if want := []string{"EventNodeCreated /new", "EventNodeDataChanged /w"}; !slices.Equal(events, want) {
		t.Fatalf("events after setWatches: %v, want %v", events, want)
	}
	// The session goes on: its next read sees the change.
	r2.xid = r.xid
	var gd jute.GetDataResponse
	if e := r2.call(pzk.OpGetData, &jute.PathWatch{Path: "/w"}, &gd); e != 0 || string(gd.Data) != "v1" {
		t.Fatalf("read after reconnect: %q error %d", gd.Data, e)
	}
}
