package replica

import (
	"errors"
	"log/slog"
	"math/rand"
	"os"
	"slices"
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
)

func discardLogger() *slog.Logger {
	if os.Getenv("REPLICA_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// net routes messages between test nodes synchronously, in FIFO order.
// drop, when set, decides which messages are lost. Messages to voters are
// kept in toVoter.
type net struct {
	t       *testing.T
	nodes   map[msg.NodeID]*testNode
	drop    func(msg.Envelope) bool
	trace   []msg.Envelope
	toVoter []msg.Envelope
}

func newNet(t *testing.T, nodes ...*testNode) *net {
	nw := &net{t: t, nodes: map[msg.NodeID]*testNode{}}
	for _, n := range nodes {
		nw.nodes[n.id] = n
	}
	return nw
}

// deliver routes queued messages until none is left.
func (nw *net) deliver() {
	for i := 0; i < 100000; i++ {
		var env msg.Envelope
		found := false
		for _, id := range []msg.NodeID{1, 2, 3, 4, 5} {
			if n := nw.nodes[id]; n != nil && len(n.out) > 0 {
				env, n.out = n.out[0], n.out[1:]
				found = true
				break
			}
		}
		if !found {
			return
		}
		if env.To.Role == msg.RoleVoter {
			nw.toVoter = append(nw.toVoter, env)
			continue
		}
		nw.trace = append(nw.trace, env)
		if nw.drop != nil && nw.drop(env) {
			continue
		}
		n := nw.nodes[env.To.Node]
		if n == nil {
			continue
		}
		if err := n.r.Step(env); err != nil {
			nw.t.Fatalf("node %d step %s: %v", n.id, env, err)
		}
		n.drain()
	}
	nw.t.Fatal("messages never stop")
}

// local sends a voter → replica message to node id and delivers.
func (nw *net) local(id msg.NodeID, body msg.Body) {
	n := nw.nodes[id]
	if err := n.r.Step(msg.New(msg.Addr{Node: id, Role: msg.RoleVoter}, msg.Addr{Node: id, Role: msg.RoleStore}, body)); err != nil {
		nw.t.Fatal(err)
	}
	n.drain()
	nw.deliver()
}

func (nw *net) tick(k int) {
	for i := 0; i < k; i++ {
		for _, id := range []msg.NodeID{1, 2, 3, 4, 5} {
			if n := nw.nodes[id]; n != nil {
				n.r.Tick()
				n.drain()
			}
		}
		nw.deliver()
	}
}

// syncStarts lists the SyncStart messages seen, as "MODE zxid".
func (nw *net) syncStarts() []string {
	var out []string
	for _, e := range nw.trace {
		if s, ok := e.Body.(*msg.SyncStart); ok {
			out = append(out, s.Mode.String()+" "+msg.FormatZxid(s.Zxid))
		}
	}
	return out
}

// TestSyncModes checks that the leader picks DIFF, TRUNC or SNAP as
// ZooKeeper would, that the follower's checks catch the cases where
// ZooKeeper's choice was wrong, and that the follower ends with exactly the
// leader's log.
func TestSyncModes(t *testing.T) {
	tests := []struct {
		name                 string
		leaderSnap, leader   []Entry
		followerSnap, follow []Entry
		followerApplied      int // how many follower entries it applied before (committed)
		leaderEpoch          uint64
		followerEpoch        uint64
		want                 []string
	}{
		{name: "both empty", want: []string{"DIFF 0x0"}},
		{name: "follower empty", leader: ents(zx(1, 1), zx(1, 2)), leaderEpoch: 1,
			want: []string{"DIFF 0x0"}},
		{name: "follower prefix", leader: ents(zx(1, 1), zx(1, 2), zx(1, 3)), follow: ents(zx(1, 1)),
			leaderEpoch: 1, followerEpoch: 1, want: []string{"DIFF 0x100000001"}},
		{name: "equal", leader: ents(zx(1, 1), zx(2, 1)), follow: ents(zx(1, 1), zx(2, 1)),
			leaderEpoch: 2, followerEpoch: 2, want: []string{"DIFF 0x200000001"}},
		{name: "follower ahead in same epoch", leader: ents(zx(1, 1), zx(1, 2)),
			follow: ents(zx(1, 1), zx(1, 2), zx(1, 3), zx(1, 4)), leaderEpoch: 1, followerEpoch: 1,
			want: []string{"TRUNC 0x100000002"}},
		{name: "follower ahead in an old epoch", leader: ents(zx(1, 1), zx(1, 3), zx(2, 1), zx(2, 2)),
			follow: ents(zx(1, 1), zx(1, 3), zx(1, 5)), leaderEpoch: 2, followerEpoch: 1,
			want: []string{"TRUNC 0x100000003"}},
		{name: "follower ahead of everything the leader has", leader: ents(zx(1, 1)),
			follow: ents(zx(1, 1), zx(3, 1)), leaderEpoch: 2, followerEpoch: 3,
			want: []string{"TRUNC 0x100000001"}},
		{name: "trunc across epochs, follower holds the point", leader: ents(zx(1, 1), zx(1, 2), zx(3, 1)),
			follow: ents(zx(1, 1), zx(1, 2), zx(2, 1)), leaderEpoch: 3, followerEpoch: 2,
			want: []string{"TRUNC 0x100000002"}},
		{name: "trunc across epochs, follower lacks the point (ZooKeeper bug)",
			leader: ents(zx(1, 1), zx(1, 2), zx(1, 3), zx(3, 1)), follow: ents(zx(1, 1), zx(1, 2), zx(2, 1)),
			followerApplied: 1, leaderEpoch: 3, followerEpoch: 2,
			want: []string{"TRUNC 0x100000003", "TRUNC 0x100000001"}},
		{name: "trunc to empty", leader: ents(zx(2, 1)), follow: ents(zx(1, 1)),
			leaderEpoch: 2, followerEpoch: 1, want: []string{"TRUNC 0x0"}},
		{name: "follower behind the leader's snapshot", leaderSnap: ents(zx(1, 1), zx(1, 2), zx(1, 3)),
			leader: ents(zx(1, 4), zx(2, 1)), follow: ents(zx(1, 1)), leaderEpoch: 2, followerEpoch: 1,
			want: []string{"SNAP 0x100000003"}},
		{name: "empty follower, compacted leader", leaderSnap: ents(zx(1, 1), zx(1, 2)),
			leaderEpoch: 1, want: []string{"SNAP 0x100000002"}},
		{name: "follower at the leader's snapshot", leaderSnap: ents(zx(1, 1), zx(1, 2)),
			leader: ents(zx(1, 3)), follow: ents(zx(1, 1), zx(1, 2)), leaderEpoch: 1, followerEpoch: 1,
			want: []string{"DIFF 0x100000002"}},
		{name: "divergent follower, point compacted at leader", leaderSnap: ents(zx(1, 1), zx(1, 2), zx(1, 3)),
			leader: ents(zx(3, 1)), follow: ents(zx(1, 1), zx(2, 1)), leaderEpoch: 3, followerEpoch: 2,
			want: []string{"TRUNC 0x100000003", "SNAP 0x100000003"}},
		{name: "follower with a snapshot, leader empty-ish", leader: ents(zx(1, 1), zx(2, 1)),
			followerSnap: ents(zx(1, 1)), follow: ents(zx(1, 2)), leaderEpoch: 2, followerEpoch: 1,
			want: []string{"TRUNC 0x100000001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(1))
			voters := []msg.NodeID{1, 2}
			ls := storageWith(t, tt.leaderSnap, tt.leader, tt.leaderEpoch)
			fs := storageWith(t, tt.followerSnap, tt.follow, tt.followerEpoch)
			l := newTestNode(t, 1, voters, ls, rng)
			f := newTestNode(t, 2, voters, fs, rng)
			if tt.followerApplied > 0 {
				// The follower learnt a commit point in its old epoch.
				f.r.commit = tt.follow[tt.followerApplied-1].Zxid
				f.drain()
			}
			nw := newNet(t, l, f)
			nw.deliver()
			epoch := max(tt.leaderEpoch, tt.followerEpoch) + 1
			nw.local(1, &msg.Lead{Epoch: epoch})
			nw.local(2, &msg.Follow{Leader: 1, Epoch: epoch})
			if got := nw.syncStarts(); !slices.Equal(got, tt.want) {
				t.Errorf("sync = %q, want %q", got, tt.want)
			}
			wantLog := append(slices.Clone(tt.leaderSnap), tt.leader...)
			gotLog := append(slices.Clone(f.applied[:0:0]), decodeState(t, snapData(t, fs))...)
			gotLog = append(gotLog, allEntries(t, fs)...)
			if !slices.EqualFunc(gotLog, wantLog, sameEntry) {
				t.Errorf("follower history = %v, want %v", zxids(gotLog), zxids(wantLog))
			}
			if !l.serving || !f.serving {
				t.Errorf("serving: leader %v follower %v, want both", l.serving, f.serving)
			}
			if fs.CurrentEpoch() != epoch || ls.CurrentEpoch() != epoch {
				t.Errorf("currentEpoch leader %d follower %d, want %d", ls.CurrentEpoch(), fs.CurrentEpoch(), epoch)
			}
			// Everything the leader had is committed and applied by both.
			if !slices.EqualFunc(l.applied, wantLog, sameEntry) || !slices.EqualFunc(f.applied, wantLog, sameEntry) {
				t.Errorf("applied: leader %v follower %v, want %v", zxids(l.applied), zxids(f.applied), zxids(wantLog))
			}
		})
	}
}

func sameEntry(a, b Entry) bool { return a.Zxid == b.Zxid && string(a.Data) == string(b.Data) }

func snapData(t *testing.T, s *MemStorage) []byte {
	z, size, _ := s.Snapshot()
	b, err := s.ReadSnapshot(z, 0, int(size))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ensemble3 starts a 3-node ensemble with leader 1 in epoch 1, synced.
func ensemble3(t *testing.T) (*net, []*testNode) {
	rng := rand.New(rand.NewSource(7))
	voters := []msg.NodeID{1, 2, 3}
	var nodes []*testNode
	for _, id := range voters {
		nodes = append(nodes, newTestNode(t, id, voters, NewMemStorage(), rng))
	}
	nw := newNet(t, nodes...)
	nw.deliver()
	nw.local(1, &msg.Lead{Epoch: 1})
	nw.local(2, &msg.Follow{Leader: 1, Epoch: 1})
	nw.local(3, &msg.Follow{Leader: 1, Epoch: 1})
	for _, n := range nodes {
		if !n.serving {
			t.Fatalf("node %d not serving after sync", n.id)
		}
	}
	return nw, nodes
}

func propose(t *testing.T, n *testNode, data string) uint64 {
	t.Helper()
	z, err := n.r.Propose([]byte(data))
	if err != nil {
		t.Fatalf("propose: %v", err)
	}
	n.drain()
	return z
}

func TestBroadcastCommitsWithQuorum(t *testing.T) {
	nw, nodes := ensemble3(t)
	l := nodes[0]
	// Node 3 hears nothing: node 2's acks alone make a quorum with the leader.
	nw.drop = func(e msg.Envelope) bool { return e.To.Node == 3 || e.From.Node == 3 }
	z1 := propose(t, l, "a")
	z2 := propose(t, l, "b")
	nw.deliver()
	if z1 != zx(1, 1) || z2 != zx(1, 2) {
		t.Fatalf("zxids %x %x, want 1:1 1:2", z1, z2)
	}
	if got := l.r.Status().CommittedZxid; got != z2 {
		t.Fatalf("leader commit %x, want %x", got, z2)
	}
	if len(nodes[2].applied) != 0 || len(allEntries(t, nodes[2].s)) != 0 {
		t.Fatal("isolated node got entries")
	}
	// Node 2 also hears nothing now: no quorum, no commit.
	nw.drop = func(e msg.Envelope) bool {
		return e.To.Node != 1 && e.From.Node != 1 || e.To.Node == 3 || e.To.Node == 2
	}
	z3 := propose(t, l, "c")
	nw.deliver()
	if got := l.r.Status().CommittedZxid; got != z2 {
		t.Fatalf("leader committed %x without a quorum (want %x)", got, z2)
	}
	if lastZxid(l.applied) != z2 {
		t.Fatalf("leader applied %x, beyond the commit point", lastZxid(l.applied))
	}
	// Heal: retransmission and gap repair bring node 3 up; everything commits.
	nw.drop = nil
	nw.tick(10)
	for _, n := range nodes {
		if got := zxids(n.applied); !slices.Equal(got, zxids(ents(z1, z2, z3))) {
			t.Errorf("node %d applied %v", n.id, got)
		}
	}
}

func TestFollowerNeverSkipsAGap(t *testing.T) {
	nw, nodes := ensemble3(t)
	l, f := nodes[0], nodes[1]
	// Lose the first proposal to node 2 only.
	// Hold back its resend requests too, to see the gap.
	lost := false
	nw.drop = func(e msg.Envelope) bool {
		if _, ok := e.Body.(*msg.Proposal); ok && e.To.Node == 2 && !lost {
			lost = true
			return true
		}
		return e.Kind == msg.KindResend
	}
	propose(t, l, "a")
	nw.deliver()
	propose(t, l, "b")
	nw.deliver()
	if got := allEntries(t, f.s); len(got) != 0 {
		t.Fatalf("follower appended %v across a gap", zxids(got))
	}
	var asked bool
	for _, e := range nw.trace {
		if r, ok := e.Body.(*msg.Resend); ok && e.From.Node == 2 && r.After == 0 {
			asked = true
		}
	}
	if !asked {
		t.Fatal("follower did not ask for a resend after the gap")
	}
	nw.drop = nil
	nw.tick(3)
	if got := zxids(allEntries(t, f.s)); !slices.Equal(got, zxids(ents(zx(1, 1), zx(1, 2)))) {
		t.Fatalf("after resend follower has %v", got)
	}
}

func TestDuplicatesAndOldEpochsAreHarmless(t *testing.T) {
	nw, nodes := ensemble3(t)
	l, f := nodes[0], nodes[1]
	propose(t, l, "a")
	nw.deliver()
	before := allEntries(t, f.s)
	// Replay every message ever sent, twice, and an old-epoch proposal.
	for range 2 {
		for _, e := range nw.trace {
			if n := nw.nodes[e.To.Node]; n != nil {
				if err := n.r.Step(e); err != nil {
					t.Fatal(err)
				}
				n.drain()
			}
		}
	}
	stale := msg.New(msg.Addr{Node: 1, Role: msg.RoleStore}, msg.Addr{Node: 2, Role: msg.RoleStore},
		&msg.Proposal{Epoch: 0, PrevZxid: zx(1, 1), Entries: ents(zx(0, 9))})
	if err := f.r.Step(stale); err != nil {
		t.Fatal(err)
	}
	f.drain()
	nw.deliver()
	if got := allEntries(t, f.s); !slices.EqualFunc(got, before, sameEntry) {
		t.Fatalf("follower log changed by duplicates: %v -> %v", zxids(before), zxids(got))
	}
	propose(t, l, "b")
	nw.deliver()
	for _, n := range nodes {
		if got := zxids(n.applied); !slices.Equal(got, zxids(ents(zx(1, 1), zx(1, 2)))) {
			t.Errorf("node %d applied %v", n.id, got)
		}
	}
}

// TestAckOnlyWithPersistence checks that every Ack, NewLeaderAck and
// currentEpoch write comes in the Ready that makes its data durable.
func TestAckOnlyWithPersistence(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	voters := []msg.NodeID{1, 2}
	f := &testNode{t: t, id: 2, s: storageWith(t, nil, ents(zx(1, 1), zx(1, 7)), 1)}
	f.r = New(testConfig(2, voters, rng), f.s)
	f.drain()
	from := msg.Addr{Node: 1, Role: msg.RoleStore}
	to := msg.Addr{Node: 2, Role: msg.RoleStore}
	step := func(b msg.Body) Ready {
		fromAddr := from
		if _, ok := b.(*msg.Follow); ok {
			fromAddr = msg.Addr{Node: 2, Role: msg.RoleVoter}
		}
		if err := f.r.Step(msg.New(fromAddr, to, b)); err != nil {
			t.Fatal(err)
		}
		if !f.r.HasReady() {
			return Ready{}
		}
		rd := f.r.Ready()
		if err := f.s.Persist(rd); err != nil {
			t.Fatal(err)
		}
		f.r.Advance(rd)
		return rd
	}
	rd := step(&msg.Follow{Leader: 1, Epoch: 2})
	req := rd.Messages[0].Body.(*msg.SyncReq)
	if req.LastZxid != zx(1, 7) {
		t.Fatalf("SyncReq at %x", req.LastZxid)
	}
	rd = step(&msg.SyncStart{Epoch: 2, Session: req.Session, Mode: msg.SyncTrunc, Zxid: zx(1, 1)})
	if rd.Truncate == nil || *rd.Truncate != zx(1, 1) {
		t.Fatalf("TRUNC not in Ready: %+v", rd)
	}
	if len(rd.Messages) != 1 || rd.Messages[0].Kind != msg.KindAck {
		t.Fatalf("want the ack with the truncation, got %v", rd.Messages)
	}
	rd = step(&msg.Proposal{Epoch: 2, PrevZxid: zx(1, 1), Entries: ents(zx(1, 2))})
	if len(rd.Entries) != 1 || len(rd.Messages) != 1 || rd.Messages[0].Body.(*msg.Ack).Zxid != zx(1, 2) {
		t.Fatalf("entries and ack must share a Ready: %+v", rd)
	}
	rd = step(&msg.NewLeader{Epoch: 2, Session: req.Session, Zxid: zx(1, 2)})
	if rd.CurrentEpoch != 2 || len(rd.Messages) != 1 || rd.Messages[0].Kind != msg.KindNewLeaderAck {
		t.Fatalf("NEWLEADER ack must come with the currentEpoch write: %+v", rd)
	}
	if f.s.CurrentEpoch() != 2 {
		t.Fatal("currentEpoch not written")
	}
	// Commits wait for UPTODATE... and never exceed the log.
	rd = step(&msg.UpToDate{Epoch: 2, Commit: zx(1, 9)})
	if got := zxids(rd.Committed); !slices.Equal(got, zxids(ents(zx(1, 1), zx(1, 2)))) {
		t.Fatalf("committed %v", got)
	}
	if rd.Serving == nil || !*rd.Serving {
		t.Fatal("follower not serving after UPTODATE")
	}
}

func TestMemStorageCrashOrdering(t *testing.T) {
	s := NewMemStorage()
	if err := s.Append(ents(zx(1, 1))); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCurrentEpoch(1); err == nil {
		t.Fatal("currentEpoch written before the log is durable")
	}
	s.Sync()
	if err := s.SetCurrentEpoch(1); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ents(zx(1, 2))); err != nil {
		t.Fatal(err)
	}
	if err := s.TruncateAfter(0); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ents(zx(2, 1))); err != nil {
		t.Fatal(err)
	}
	s.Crash()
	if got := zxids(allEntries(t, s)); !slices.Equal(got, zxids(ents(zx(1, 1)))) {
		t.Fatalf("after crash %v, want the synced 1:1 only", got)
	}
	if err := s.Append(ents(zx(1, 1))); err == nil {
		t.Fatal("append of a non-ascending zxid accepted")
	}
	if err := s.Compact(zx(1, 1), []byte("state")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Entries(0, 10); !errors.Is(err, ErrCompacted) {
		t.Fatalf("Entries below the snapshot: %v, want ErrCompacted", err)
	}
	if err := s.TruncateAfter(0); err == nil {
		t.Fatal("truncation into the snapshot accepted")
	}
}

func TestProposeErrors(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	voters := []msg.NodeID{1, 2, 3}
	n := newTestNode(t, 1, voters, NewMemStorage(), rng)
	if _, err := n.r.Propose(nil); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("between epochs: %v", err)
	}
	nw := newNet(t, n)
	nw.local(1, &msg.Lead{Epoch: 1})
	if _, err := n.r.Propose(nil); !errors.Is(err, ErrNotServing) {
		t.Fatalf("before a quorum synced: %v", err)
	}
	// Without followers the leader gives up after InitTicks.
	nw.tick(20)
	var abdicated bool
	for _, e := range nw.toVoter {
		if a, ok := e.Body.(*msg.Abdicate); ok && a.Epoch == 1 {
			abdicated = true
		}
	}
	if !abdicated {
		t.Fatal("leader without a quorum did not abdicate")
	}
	// Refuses to lead an epoch it already entered (zxids are never reused).
	nw.local(1, &msg.Looking{Epoch: 1})
	n.s.Sync()
	if err := n.s.SetCurrentEpoch(3); err != nil {
		t.Fatal(err)
	}
	nw.local(1, &msg.Lead{Epoch: 3})
	if n.r.Status().Role != RoleNone {
		t.Fatal("led an epoch not above currentEpoch")
	}
}

func TestLookingAnswersHistory(t *testing.T) {
	nw, nodes := ensemble3(t)
	propose(t, nodes[0], "a")
	nw.deliver()
	nw.toVoter = nil
	nw.local(2, &msg.Looking{Epoch: 1})
	if len(nw.toVoter) != 1 {
		t.Fatalf("want one History, got %v", nw.toVoter)
	}
	h := nw.toVoter[0].Body.(*msg.History)
	if h.CurrentEpoch != 1 || h.LastZxid != zx(1, 1) {
		t.Fatalf("History %+v", h)
	}
	if nodes[1].serving {
		t.Fatal("still serving after Looking")
	}
}

// A follower's SyncReq may reach the leader's replica before its voter's
// Lead does (the follower's voter learns the epoch first): the leader
// answers it on Lead, without waiting for the follower to ask again.
func TestSyncReqBeforeLeadIsAnswered(t *testing.T) {
	voters := []msg.NodeID{1, 2, 3}
	rng := rand.New(rand.NewSource(1))
	l := newTestNode(t, 1, voters, NewMemStorage(), rng)
	f := newTestNode(t, 2, voters, NewMemStorage(), rng)
	deliver := func(to *testNode, from *testNode, body msg.Body) {
		t.Helper()
		if err := to.r.Step(msg.New(msg.Addr{Node: from.id, Role: msg.RoleStore}, msg.Addr{Node: to.id, Role: msg.RoleStore}, body)); err != nil {
			t.Fatal(err)
		}
		to.drain()
	}
	local := func(n *testNode, body msg.Body) {
		t.Helper()
		if err := n.r.Step(msg.New(msg.Addr{Node: n.id, Role: msg.RoleVoter}, msg.Addr{Node: n.id, Role: msg.RoleStore}, body)); err != nil {
			t.Fatal(err)
		}
		n.drain()
	}
	f.out = nil
	local(f, &msg.Follow{Leader: 1, Epoch: 1})
	var req *msg.SyncReq
	for _, env := range f.out {
		if r, ok := env.Body.(*msg.SyncReq); ok {
			req = r
		}
	}
	if req == nil {
		t.Fatalf("follower sent no SyncReq: %v", f.out)
	}
	l.out = nil
	deliver(l, f, req) // before Lead: nothing to answer yet
	for _, env := range l.out {
		if _, ok := env.Body.(*msg.SyncStart); ok {
			t.Fatalf("answered a SyncReq before leading: %v", l.out)
		}
	}
	local(l, &msg.Lead{Epoch: 1, Members: []msg.Member{{Node: 2}}})
	var start *msg.SyncStart
	for _, env := range l.out {
		if s, ok := env.Body.(*msg.SyncStart); ok && env.To.Node == 2 {
			start = s
		}
	}
	if start == nil || start.Session != req.Session {
		t.Fatalf("no SyncStart for the early SyncReq on Lead: %v", l.out)
	}
}
