package membus

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
)

func addr(n msg.NodeID) msg.Addr { return msg.Addr{Node: n, Role: msg.RoleVoter} }

// run sends a random workload and returns the delivery trace.
func run(seed int64) []string {
	b := New(seed)
	var trace []string
	for n := msg.NodeID(1); n <= 3; n++ {
		n := n
		b.Subscribe(addr(n), func(e msg.Envelope) {
			trace = append(trace, fmt.Sprintf("%d@%d<-%d:%d", n, b.Now(), e.From.Node, e.Body.(*msg.Ping).Epoch))
		})
	}
	b.SetDelay(0, 3)
	b.SetDuplicate(0.2)
	b.Drop(0, 0, 0.2)
	for i := 0; i < 200; i++ {
		from := msg.NodeID(b.Rand().Intn(3) + 1)
		to := addr(msg.NodeID(b.Rand().Intn(3) + 1))
		if i%5 == 0 {
			to = msg.Addr{Role: msg.RoleVoter}
		}
		b.Send(msg.New(addr(from), to, &msg.Ping{Epoch: uint64(i)}))
		if i%10 == 0 {
			b.Stabilize(2)
		}
	}
	b.Stabilize(100)
	return trace
}

func TestDeterministic(t *testing.T) {
	a, b, c := run(1), run(1), run(2)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different traces")
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds, same trace")
	}
}

func TestFaults(t *testing.T) {
	b := New(1)
	got := map[msg.NodeID]int{}
	for n := msg.NodeID(1); n <= 3; n++ {
		n := n
		b.Subscribe(addr(n), func(msg.Envelope) { got[n]++ })
	}
	send := func(from, to msg.NodeID) { b.Send(msg.New(addr(from), addr(to), &msg.Ping{})) }
	reset := func() { b.Stabilize(10); got = map[msg.NodeID]int{} }

	b.Partition([]msg.NodeID{1, 2}, []msg.NodeID{3})
	send(1, 2)
	send(1, 3)
	reset()
	b.Send(msg.New(addr(1), msg.Addr{Role: msg.RoleVoter}, &msg.Ping{}))
	b.Stabilize(10)
	if got[2] != 1 || got[3] != 0 || got[1] != 0 {
		t.Fatalf("broadcast across a partition: %v", got)
	}
	b.Heal()
	reset()
	send(1, 3)
	b.Stabilize(10)
	if got[3] != 1 {
		t.Fatalf("after heal: %v", got)
	}
	b.Isolate(2)
	reset()
	send(1, 2)
	send(2, 2) // within a node: never faulted
	b.Stabilize(10)
	if got[2] != 1 {
		t.Fatalf("isolated node got %d, want only its own message", got[2])
	}
	b.Heal()
	b.Drop(1, 3, 1)
	reset()
	for i := 0; i < 10; i++ {
		send(1, 3)
		send(2, 3)
	}
	b.Stabilize(10)
	if got[3] != 10 {
		t.Fatalf("drop p=1 on 1→3 only: node 3 got %d, want 10", got[3])
	}
	b.Drop(1, 3, 0)
	b.SetDuplicate(1)
	reset()
	send(1, 3)
	b.Stabilize(10)
	if got[3] != 2 {
		t.Fatalf("duplicate p=1: got %d", got[3])
	}
	b.SetDuplicate(0)
	b.SetDelay(5, 5)
	reset()
	send(1, 3)
	b.Crash(3)
	b.Stabilize(10)
	if got[3] != 0 || b.Pending() != 0 {
		t.Fatalf("crash kept messages: got %v pending %d", got, b.Pending())
	}
}

// Replies reach the client subscribed to their replyTo, in order, through
// partitions and drops, but not from a node that crashed first.
func TestToClient(t *testing.T) {
	b := New(1)
	var got []string
	unsub := b.SubscribeClient("c1", func(e msg.Envelope) {
		got = append(got, fmt.Sprintf("%s:%d", e.From, e.Body.(*msg.Reply).Xid))
	})
	b.SubscribeClient("c2", func(msg.Envelope) { t.Error("c2 got c1's reply") })
	store := func(n msg.NodeID) msg.Addr { return msg.Addr{Node: n, Role: msg.RoleStore} }
	b.Isolate(1)
	b.Drop(0, 0, 1)
	b.SetDelay(3, 3)
	for xid := int32(1); xid <= 3; xid++ {
		_ = b.ToClient(store(1), "c1", &msg.Reply{Xid: xid})
	}
	_ = b.ToClient(store(2), "c1", &msg.Reply{Xid: 4})
	b.Crash(2)
	b.DeliverAll()
	if want := []string{"1.store:1", "1.store:2", "1.store:3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	unsub()
	_ = b.ToClient(store(1), "c1", &msg.Reply{Xid: 5})
	b.DeliverAll()
	if len(got) != 3 || b.Stats().DroppedNoReceiver != 1 {
		t.Fatalf("after unsubscribing: got %v, stats %+v", got, b.Stats())
	}
}
