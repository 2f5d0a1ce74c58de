package natsbus

import (
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
)

// Traffic counts messages and their encoded bytes by kind, each way; a
// node's own broadcast, which it drops, is sent but not received.
func TestTrafficByKind(t *testing.T) {
	nd, err := Start(Config{Ensemble: "k", ID: 1, Host: "127.0.0.1", BusPort: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer nd.Close()
	box := &inbox{}
	self := msg.Addr{Node: 1, Role: msg.RoleVoter}
	if _, err := nd.Bus().Subscribe(self, box.add); err != nil {
		t.Fatal(err)
	}
	if err := nd.Bus().Send(msg.New(self, msg.Addr{Role: msg.RoleVoter}, &msg.Vote{Leader: 1})); err != nil {
		t.Fatal(err)
	}
	for e := range uint64(3) {
		if err := nd.Bus().Send(msg.New(self, self, &msg.Ping{Epoch: e + 1})); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the third ping", func() bool {
		return box.find(func(e msg.Envelope) bool { p, ok := e.Body.(*msg.Ping); return ok && p.Epoch == 3 })
	})
	byKind := map[msg.Kind]KindTraffic{}
	for _, k := range nd.Bus().Traffic() {
		byKind[k.Kind] = k
	}
	if len(byKind) != 2 {
		t.Errorf("traffic of %d kinds, want Vote and Ping: %+v", len(byKind), byKind)
	}
	p := byKind[msg.KindPing]
	if p.SentMessages != 3 || p.ReceivedMessages != 3 || p.SentBytes == 0 || p.SentBytes != p.ReceivedBytes {
		t.Errorf("pings: %+v, want 3 each way and the same bytes", p)
	}
	if v := byKind[msg.KindVote]; v.SentMessages != 1 || v.ReceivedMessages != 0 || v.SentBytes == 0 {
		t.Errorf("own broadcast vote: %+v, want sent once, not received", v)
	}
}
