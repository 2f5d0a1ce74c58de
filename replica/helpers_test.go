package replica

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
)

// testNode is a replica with its storage and a state machine that is just
// the list of applied entries (its snapshot encodes that list).
type testNode struct {
	t       testing.TB
	id      msg.NodeID
	r       *Replica
	s       *MemStorage
	applied []Entry
	serving bool
	out     []msg.Envelope // sent messages, for the caller to route
}

func testConfig(id msg.NodeID, voters []msg.NodeID, rng *rand.Rand) Config {
	return Config{ID: id, Voters: voters, InitTicks: 20, SyncTicks: 6, ResendTicks: 2,
		MaxBatchBytes: 64, SnapshotChunk: 16, MaxInflight: 4, Rand: rng, Logger: discardLogger()}
}

func newTestNode(t testing.TB, id msg.NodeID, voters []msg.NodeID, s *MemStorage, rng *rand.Rand) *testNode {
	n := &testNode{t: t, id: id, s: s}
	n.restart(testConfig(id, voters, rng))
	return n
}

// restart builds a fresh replica over the node's storage, restoring the
// state machine from the snapshot as a shell would.
func (n *testNode) restart(cfg Config) {
	z, size, _ := n.s.Snapshot()
	data, err := n.s.ReadSnapshot(z, 0, int(size))
	if err != nil {
		n.t.Fatalf("node %d: read snapshot: %v", n.id, err)
	}
	n.applied = decodeState(n.t, data)
	n.serving = false
	n.r = New(cfg, n.s)
	n.drain()
}

// drain carries out every Ready, checking the apply order.
func (n *testNode) drain() {
	for n.r.HasReady() {
		rd := n.r.Ready()
		if err := n.s.Persist(rd); err != nil {
			n.t.Fatalf("node %d: persist: %v", n.id, err)
		}
		if rd.Snapshot != nil {
			n.applied = decodeState(n.t, rd.Snapshot.Data)
			if got := lastZxid(n.applied); got != rd.Snapshot.Zxid {
				n.t.Fatalf("node %d: snapshot at %x holds state up to %x", n.id, rd.Snapshot.Zxid, got)
			}
		}
		for _, e := range rd.Committed {
			if l := lastZxid(n.applied); e.Zxid <= l {
				n.t.Fatalf("node %d: applied %x after %x: out of order", n.id, e.Zxid, l)
			}
			n.applied = append(n.applied, e)
		}
		n.out = append(n.out, rd.Messages...)
		if rd.Serving != nil {
			n.serving = *rd.Serving
		}
		n.r.Advance(rd)
	}
}

func lastZxid(es []Entry) uint64 {
	if len(es) == 0 {
		return 0
	}
	return es[len(es)-1].Zxid
}

func encodeState(es []Entry) []byte {
	var b []byte
	for _, e := range es {
		b = binary.BigEndian.AppendUint64(b, e.Zxid)
		b = binary.BigEndian.AppendUint32(b, uint32(len(e.Data)))
		b = append(b, e.Data...)
	}
	return b
}

func decodeState(t testing.TB, b []byte) []Entry {
	var es []Entry
	for len(b) > 0 {
		if len(b) < 12 {
			t.Fatalf("state encoding truncated")
		}
		z, n := binary.BigEndian.Uint64(b), binary.BigEndian.Uint32(b[8:])
		b = b[12:]
		if uint32(len(b)) < n {
			t.Fatalf("state encoding truncated")
		}
		es = append(es, Entry{Zxid: z, Data: append([]byte(nil), b[:n]...)})
		b = b[n:]
	}
	return es
}

// zx builds zxid epoch:counter.
func zx(epoch uint64, counter uint32) uint64 { return msg.MakeZxid(epoch, counter) }

// ents builds entries for zxids, with data naming them.
func ents(zxids ...uint64) []Entry {
	es := make([]Entry, len(zxids))
	for i, z := range zxids {
		es[i] = Entry{Zxid: z, Data: []byte(fmt.Sprintf("tx%x", z))}
	}
	return es
}

// storageWith returns a durable storage holding es (after a snapshot of
// snap, if non-empty) with currentEpoch ce.
func storageWith(t testing.TB, snap []Entry, es []Entry, ce uint64) *MemStorage {
	s := NewMemStorage()
	if len(snap) > 0 {
		s.InstallSnapshot(lastZxid(snap), encodeState(snap))
	}
	if err := s.Append(es); err != nil {
		t.Fatal(err)
	}
	s.Sync()
	if err := s.SetCurrentEpoch(ce); err != nil {
		t.Fatal(err)
	}
	return s
}

func allEntries(t testing.TB, s *MemStorage) []Entry {
	z, _, _ := s.Snapshot()
	es, err := s.Entries(z, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func zxids(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = msg.FormatZxid(e.Zxid)
	}
	return out
}
