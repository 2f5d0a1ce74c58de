package natsbus

import (
	"testing"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
)

// TestClientAddrTrustedOnlyFromTheFrontEnd: the node's own front end
// (OpenClientStream) passes a request's ClientAddr through, a client on the
// public request subject cannot claim one, and cannot publish to the
// front end's subject at all.
func TestClientAddrTrustedOnlyFromTheFrontEnd(t *testing.T) {
	nodes, _ := securedCluster(t, 1, nil)
	got := &inbox{}
	stop, err := nodes[0].Bus().ServeRequests(msg.Addr{Node: 1, Role: msg.RoleStore}, got.add)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	addrOf := func(xid int32) (string, bool) {
		var addr string
		found := got.find(func(e msg.Envelope) bool {
			r, ok := e.Body.(*msg.Request)
			if ok && r.Xid == xid {
				addr = r.ClientAddr
			}
			return ok && r.Xid == xid
		})
		return addr, found
	}

	s, err := nodes[0].Bus().OpenClientStream(func(msg.Body) {})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Send(&msg.Request{Xid: 1, ClientAddr: "10.1.2.3"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the front end's request", func() bool { _, ok := addrOf(1); return ok })
	if a, _ := addrOf(1); a != "10.1.2.3" {
		t.Fatalf("front end's ClientAddr arrived as %q", a)
	}

	tok := buswire.NewConnToken()
	alice, sink := connectAs(t, nodes[0].ClientURL(), testClients[0], tok)
	req := msg.New(msg.Addr{}, msg.Addr{Node: 1, Role: msg.RoleStore}, &msg.Request{Xid: 2, ClientAddr: "10.1.2.3"})
	if err := alice.Publish(buswire.RequestSubject("t", 1, tok), encode(t, req)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the client's request", func() bool { _, ok := addrOf(2); return ok })
	if a, _ := addrOf(2); a != "" {
		t.Fatalf("a client claimed ClientAddr %q", a)
	}
	if err := alice.PublishRequest(buswire.WireSubject("t", 1), buswire.Inbox(tok), encode(t, req)); err != nil {
		t.Fatal(err)
	}
	_ = alice.Flush()
	waitFor(t, "a publish permission violation", func() bool { return sink.has(`Publish to "` + buswire.WireSubject("t", 1) + `"`) })
}
