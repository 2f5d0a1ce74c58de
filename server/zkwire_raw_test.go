package server

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/internal/testkit"
	pzk "github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// rawZK is a bare jute client for the ops go-zookeeper/zk v1.0.4 lacks.
type rawZK struct {
	t   *testing.T
	c   net.Conn
	br  *bufio.Reader
	xid int32
}

func dialRaw(t *testing.T, addr string) *rawZK {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	r := &rawZK{t: t, c: c, br: bufio.NewReader(c)}
	r.write(&jute.ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16), HasReadOnly: true})
	var cr jute.ConnectResponse
	if err := jute.Decode(r.frame(), &cr); err != nil || cr.SessionID == 0 || !cr.HasReadOnly {
		t.Fatalf("connect: %+v %v", cr, err)
	}
	return r
}

func (r *rawZK) write(recs ...jute.Record) {
	e := jute.Encoder{B: make([]byte, 4)}
	for _, rec := range recs {
		rec.Encode(&e)
	}
	binary.BigEndian.PutUint32(e.B, uint32(len(e.B)-4))
	if _, err := r.c.Write(e.B); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawZK) frame() []byte {
	r.t.Helper()
	var head [4]byte
	if _, err := io.ReadFull(r.br, head[:]); err != nil {
		r.t.Fatal(err)
	}
	b := make([]byte, binary.BigEndian.Uint32(head[:]))
	if _, err := io.ReadFull(r.br, b); err != nil {
		r.t.Fatal(err)
	}
	return b
}

// next reads the next frame: a notification (into ev) or a reply.
func (r *rawZK) next(body jute.Record, ev *jute.WatcherEvent) jute.ReplyHeader {
	r.t.Helper()
	var h jute.ReplyHeader
	rest, err := jute.DecodePrefix(r.frame(), &h)
	if err != nil {
		r.t.Fatal(err)
	}
	switch {
	case h.Xid == jute.XidNotification && ev != nil:
		err = jute.Decode(rest, ev)
	case h.Err == 0 && body != nil && h.Xid != jute.XidNotification:
		err = jute.Decode(rest, body)
	}
	if err != nil {
		r.t.Fatalf("xid %d: %v", h.Xid, err)
	}
	return h
}

// call sends one request and reads its reply (no notification expected).
func (r *rawZK) call(op pzk.OpCode, req, resp jute.Record) pzk.Code {
	r.t.Helper()
	r.xid++
	if req == nil {
		req = jute.Empty{}
	}
	r.write(&jute.RequestHeader{Xid: r.xid, Type: op}, req)
	h := r.next(resp, nil)
	if h.Xid != r.xid {
		r.t.Fatalf("op %d: reply xid %d, want %d", op, h.Xid, r.xid)
	}
	return h.Err
}

func TestZooKeeperWireOtherOps(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	r := dialRaw(t, nodes[0].ClientAddr())
	acl := []pzk.ACL{{Perms: 31, ID: pzk.ID{Scheme: "world", ID: "anyone"}}}
	for _, p := range []string{"/a", "/a/b", "/a/b/c"} {
		if e := r.call(pzk.OpCreate, &jute.CreateRequest{Path: p, Data: []byte(p), ACL: acl}, &jute.CreateResponse{}); e != 0 {
			t.Fatalf("create %s: %d", p, e)
		}
	}
	var c2 jute.Create2Response
	if e := r.call(pzk.OpCreate2, &jute.CreateRequest{Path: "/a/e", ACL: acl, Flags: 1}, &c2); e != 0 || c2.Path != "/a/e" || c2.Stat.EphemeralOwner == 0 {
		t.Fatalf("create2 ephemeral: %d %+v", e, c2)
	}
	var n jute.GetAllChildrenNumberResponse
	if e := r.call(pzk.OpGetAllChildrenNumber, &jute.PathOnly{Path: "/a"}, &n); e != 0 || n.TotalNumber != 3 {
		t.Fatalf("getAllChildrenNumber: %d %+v", e, n)
	}
	var eph jute.GetEphemeralsResponse
	if e := r.call(pzk.OpGetEphemerals, &jute.PathOnly{Path: "/"}, &eph); e != 0 || !slices.Equal(eph.Children, []string{"/a/e"}) {
		t.Fatalf("getEphemerals: %d %+v", e, eph)
	}
	var who jute.WhoAmIResponse
	if e := r.call(pzk.OpWhoAmI, nil, &who); e != 0 {
		t.Fatalf("whoAmI: %d", e)
	}
	var c2r jute.GetChildren2Response
	if e := r.call(pzk.OpGetChildren2, &jute.PathWatch{Path: "/a"}, &c2r); e != 0 || len(c2r.Children) != 2 || c2r.Stat.NumChildren != 2 {
		t.Fatalf("getChildren2: %d %+v", e, c2r)
	}
	var mr jute.MultiResponse
	e := r.call(pzk.OpMultiRead, &jute.MultiRequest{Ops: []jute.MultiOp{
		{Type: pzk.OpGetData, Rec: &jute.PathWatch{Path: "/a/b"}},
		{Type: pzk.OpGetChildren, Rec: &jute.PathWatch{Path: "/a/b"}},
		{Type: pzk.OpGetData, Rec: &jute.PathWatch{Path: "/none"}},
	}}, &mr)
	if e != 0 || len(mr.Results) != 3 {
		t.Fatalf("multiRead: %d %+v", e, mr)
	}
	if gd, ok := mr.Results[0].Rec.(*jute.GetDataResponse); !ok || string(gd.Data) != "/a/b" {
		t.Fatalf("multiRead getData: %+v", mr.Results[0])
	}
	if gc, ok := mr.Results[1].Rec.(*jute.GetChildrenResponse); !ok || !slices.Equal(gc.Children, []string{"c"}) {
		t.Fatalf("multiRead getChildren: %+v", mr.Results[1])
	}
	if mr.Results[2].Type != pzk.OpError || mr.Results[2].Err != -101 {
		t.Fatalf("multiRead missing node: %+v", mr.Results[2])
	}
	var acls jute.GetACLResponse
	if e := r.call(pzk.OpGetACL, &jute.PathOnly{Path: "/a"}, &acls); e != 0 || len(acls.ACL) != 1 || acls.ACL[0].Scheme != "world" {
		t.Fatalf("getACL: %d %+v", e, acls)
	}
	var sa jute.SetACLResponse
	if e := r.call(pzk.OpSetACL, &jute.SetACLRequest{Path: "/a", ACL: acl, Version: 0}, &sa); e != 0 || sa.Stat.Aversion != 1 {
		t.Fatalf("setACL: %d %+v", e, sa)
	}
	// A persistent recursive watch (addWatch mode 1) fires for every
	// change below it and stays.
	if e := r.call(pzk.OpAddWatch, &jute.AddWatchRequest{Path: "/a", Mode: 1}, nil); e != 0 {
		t.Fatalf("addWatch: %d", e)
	}
	if e := r.call(pzk.OpCheckWatches, &jute.PathType{Path: "/a", Type: 3}, nil); e != 0 {
		t.Fatalf("checkWatches: %d", e)
	}
	for i := 0; i < 2; i++ {
		r.xid++
		r.write(&jute.RequestHeader{Xid: r.xid, Type: pzk.OpSetData}, &jute.SetDataRequest{Path: "/a/b/c", Data: []byte{byte(i)}, Version: -1})
		var ev jute.WatcherEvent
		if h := r.next(nil, &ev); h.Xid != jute.XidNotification || ev.Type != 3 || ev.Path != "/a/b/c" || ev.State != 3 {
			t.Fatalf("recursive watch event %d: %+v %+v", i, h, ev)
		}
		if h := r.next(&jute.SetDataResponse{}, nil); h.Xid != r.xid || h.Err != 0 {
			t.Fatalf("setData after event: %+v", h)
		}
	}
	if e := r.call(pzk.OpRemoveWatches, &jute.PathType{Path: "/a", Type: 3}, nil); e != 0 {
		t.Fatalf("removeWatches: %d", e)
	}
	if e := r.call(pzk.OpCheckWatches, &jute.PathType{Path: "/a", Type: 3}, nil); e != -121 {
		t.Fatalf("checkWatches after remove: %d, want NoWatcher", e)
	}
	if e := r.call(pzk.OpReconfig, nil, nil); e != -6 {
		t.Fatalf("reconfig: %d, want Unimplemented", e)
	}
	// Ping, then closeSession ends the session: the ephemeral goes.
	r.write(&jute.RequestHeader{Xid: jute.XidPing, Type: pzk.OpPing})
	if h := r.next(nil, nil); h.Xid != jute.XidPing || h.Err != 0 {
		t.Fatalf("ping: %+v", h)
	}
	if e := r.call(pzk.OpCloseSession, nil, nil); e != 0 {
		t.Fatalf("closeSession: %d", e)
	}
	other := dialRaw(t, nodes[1].ClientAddr())
	other.call(pzk.OpSync, &jute.SyncRequest{Path: "/"}, &jute.SyncResponse{})
	if e := other.call(pzk.OpExists, &jute.PathWatch{Path: "/a/e"}, &jute.ExistsResponse{}); e != -101 {
		t.Fatalf("ephemeral after closeSession: %d, want NoNode", e)
	}
}
