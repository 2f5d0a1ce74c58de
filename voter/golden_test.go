package voter

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden traces in testdata/")

// TestGolden records the message trace of ZooKeeper's classic walkthrough —
// 1 starts alone, 2 joins and is elected, 3 joins late and follows — and
// compares it with testdata/classic.txt, which documents the protocol.
// Refresh with: go test ./voter -run TestGolden -rewrite
func TestGolden(t *testing.T) {
	s := newSim(t, 7, 3)
	var b strings.Builder
	s.bus.AddHook(func(e msg.Envelope) bool {
		if e.Kind == msg.KindPing || e.Kind == msg.KindPong {
			return true // heartbeats would drown the story
		}
		fmt.Fprintf(&b, "t=%-3d %-10s -> %-10s %s\n", s.bus.Now(), e.From, e.To, body(e))
		return true
	})
	note := func(format string, a ...any) { fmt.Fprintf(&b, "# "+format+"\n", a...) }
	note("node 1 starts alone and votes for itself")
	s.start(1)
	s.run(6)
	note("node 2 starts; its vote (2) beats 1's, both settle on 2, 2 establishes epoch 1")
	s.start(2)
	s.waitSettled(100, ids(1, 2)...)
	s.run(2)
	note("node 3 starts late: the settled nodes answer its vote with leader 2, and it follows")
	s.start(3)
	s.waitSettled(100, ids(1, 2, 3)...)
	for _, id := range s.voters {
		st := s.nodes[id].v.Status()
		note("node %d: %s leader=%d epoch=%d", id, st.State, st.Leader, st.Epoch)
	}

	path := filepath.Join("testdata", "classic.txt")
	if *rewrite {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -rewrite to create it)", err)
	}
	if string(want) != b.String() {
		t.Fatalf("trace differs from %s (rerun with -rewrite if the change is intended):\n%s", path, b.String())
	}
}

func body(e msg.Envelope) string {
	switch x := e.Body.(type) {
	case *msg.Vote:
		return fmt.Sprintf("Vote leader=%d zxid=%#x peerEpoch=%d round=%d %s", x.Leader, x.Zxid, x.PeerEpoch, x.Round, x.State)
	default:
		return fmt.Sprintf("%s %+v", e.Kind, e.Body)
	}
}
