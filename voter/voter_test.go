package voter

import (
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
)

func from(id msg.NodeID) msg.Addr { return msg.Addr{Node: id, Role: msg.RoleVoter} }

// follower returns node 1 of 3 decided to follow leader 3 (3 says it leads).
func follower(t *testing.T, accepted uint64) *Voter {
	v := New(simConfig(1, ids(1, 2, 3)), accepted)
	v.Step(msg.New(from(3), from(1), &msg.Vote{Leader: 3, Round: 1, State: msg.StateLeading}))
	v.Step(msg.New(from(2), from(1), &msg.Vote{Leader: 3, Round: 1, State: msg.StateFollowing}))
	if st := v.Status(); st.State != msg.StateFollowing || st.Leader != 3 {
		t.Fatalf("setup: %+v", st)
	}
	v.Advance(v.Ready())
	return v
}

func lastAck(t *testing.T, v *Voter) *msg.AckEpoch {
	t.Helper()
	rd := v.Ready()
	for i := len(rd.Messages) - 1; i >= 0; i-- {
		if a, ok := rd.Messages[i].Body.(*msg.AckEpoch); ok {
			return a
		}
	}
	t.Fatal("no AckEpoch sent")
	return nil
}

func TestBetter(t *testing.T) {
	tests := []struct {
		a, b msg.Vote
		want bool
	}{
		{msg.Vote{PeerEpoch: 2}, msg.Vote{PeerEpoch: 1, Zxid: 99, Leader: 9}, true},
		{msg.Vote{Zxid: 5, Leader: 1}, msg.Vote{Zxid: 4, Leader: 9}, true},
		{msg.Vote{Leader: 3}, msg.Vote{Leader: 2}, true},
		{msg.Vote{Leader: 2}, msg.Vote{Leader: 2}, false},
		{msg.Vote{Leader: 9}, msg.Vote{Zxid: 1, Leader: 1}, false},
	}
	for _, tt := range tests {
		if got := better(tt.a, tt.b); got != tt.want {
			t.Errorf("better(%+v, %+v) = %v", tt.a, tt.b, got)
		}
	}
}

func TestFreshAck(t *testing.T) {
	v := follower(t, 4)
	v.Step(msg.New(from(3), from(1), &msg.NewEpoch{Epoch: 5}))
	rd := v.Ready()
	if rd.AcceptedEpoch != 5 {
		t.Fatalf("accepting epoch 5 must persist it first, Ready %+v", rd)
	}
	if a := lastAck(t, v); !a.Fresh || a.Epoch != 5 {
		t.Fatalf("first ack %+v, want fresh for 5", a)
	}
	v.Advance(v.Ready())
	// The same leader resends (our ack was lost): still fresh.
	v.Step(msg.New(from(3), from(1), &msg.NewEpoch{Epoch: 5}))
	if a := lastAck(t, v); !a.Fresh {
		t.Fatal("re-ack to the same leader is not fresh")
	}
}

func TestAlreadyAcceptedEpochIsNotFresh(t *testing.T) {
	// A restarted node accepted 5 before the crash (from whoever): its ack
	// of 5 must not count towards establishing epoch 5.
	v := follower(t, 5)
	v.Step(msg.New(from(3), from(1), &msg.NewEpoch{Epoch: 5}))
	if rd := v.Ready(); rd.AcceptedEpoch != 0 {
		t.Fatalf("re-persisted an accepted epoch: %+v", rd)
	}
	if a := lastAck(t, v); a.Fresh {
		t.Fatal("ack of an epoch accepted in an earlier life is fresh")
	}
}

func TestLowerEpochSendsFollowerLooking(t *testing.T) {
	v := follower(t, 7)
	v.Step(msg.New(from(3), from(1), &msg.NewEpoch{Epoch: 6}))
	if st := v.Status(); st.State != msg.StateLooking {
		t.Fatalf("follower accepted an epoch below its accepted one: %+v", st)
	}
}

func TestLeaderBehindAFollowerAbdicates(t *testing.T) {
	v := New(simConfig(3, ids(1, 2, 3)), 0)
	v.Step(msg.New(from(1), from(3), &msg.Vote{Leader: 3, Round: 1}))
	for i := 0; i < 5 && v.Status().State == msg.StateLooking; i++ {
		v.Tick()
	}
	if v.Status().State != msg.StateLeading {
		t.Fatalf("setup: %+v", v.Status())
	}
	v.Step(msg.New(from(1), from(3), &msg.FollowerInfo{AcceptedEpoch: 2}))
	e := v.Status().AcceptedEpoch
	if e != 3 {
		t.Fatalf("proposed epoch %d, want max(accepted)+1 = 3", e)
	}
	v.Step(msg.New(from(1), from(3), &msg.AckEpoch{Epoch: 3, CurrentEpoch: 2, LastZxid: 9, Fresh: true}))
	if st := v.Status(); st.State != msg.StateLooking {
		t.Fatalf("leader stays %s though a follower's history is ahead", st.State)
	}
}

// Regression (server test of catch-up): a follower that restarts after
// the leader broadcast more txns has a LastZxid beyond the history the
// leader's voter was elected with; the established leader must sync it,
// not abdicate.
func TestLateJoinerAheadOfElectionHistoryJoins(t *testing.T) {
	v := New(simConfig(3, ids(1, 2, 3)), 0)
	v.Step(msg.New(from(1), from(3), &msg.Vote{Leader: 3, Round: 1}))
	for i := 0; i < 5 && v.Status().State == msg.StateLooking; i++ {
		v.Tick()
	}
	v.Step(msg.New(from(1), from(3), &msg.FollowerInfo{AcceptedEpoch: 0}))
	v.Step(msg.New(from(1), from(3), &msg.AckEpoch{Epoch: 1, Fresh: true}))
	if st := v.Status(); st.State != msg.StateLeading || !st.Established {
		t.Fatalf("setup: %+v", st)
	}
	v.Step(msg.New(from(2), from(3), &msg.FollowerInfo{AcceptedEpoch: 1}))
	v.Step(msg.New(from(2), from(3), &msg.AckEpoch{Epoch: 1, CurrentEpoch: 1, LastZxid: msg.MakeZxid(1, 40)}))
	if st := v.Status(); st.State != msg.StateLeading || st.Epoch != 1 {
		t.Fatalf("established leader gave up for a late joiner: %+v", st)
	}
}

// Regression (store simulation seed 11181 at ba6f92e): a restarted
// member, looking, that hears the votes of an established epoch's leader
// and follower, elected in different rounds, joins at once. That the
// members advertise their epoch so is internal/sim's
// TestEstablishedMembersAdvertiseTheEpoch.
func TestLateMemberJoinsEstablishedEpoch(t *testing.T) {
	const leader, other, lateID, epoch = 2, 1, 3, 4
	late := New(simConfig(lateID, ids(1, 2, 3)), epoch)
	late.Step(msg.New(from(leader), from(lateID), &msg.Vote{Leader: leader, PeerEpoch: epoch, Round: 7, State: msg.StateLeading}))
	late.Step(msg.New(from(other), from(lateID), &msg.Vote{Leader: leader, PeerEpoch: epoch, Round: 3, State: msg.StateFollowing}))
	for i := 0; i < 10 && late.Status().State == msg.StateLooking; i++ {
		late.Tick()
	}
	if st := late.Status(); st.State != msg.StateFollowing || st.Leader != leader {
		t.Fatalf("late node: %+v, want following %d", st, leader)
	}
}

func TestStandaloneLeadsAlone(t *testing.T) {
	v := New(simConfig(1, ids(1)), 3)
	for i := 0; i < 5; i++ {
		v.Tick()
	}
	st := v.Status()
	if st.State != msg.StateLeading || !st.Established || st.Epoch != 4 {
		t.Fatalf("standalone: %+v", st)
	}
	rd := v.Ready()
	if rd.AcceptedEpoch != 4 {
		t.Fatalf("standalone did not persist its epoch: %+v", rd)
	}
	for _, m := range rd.Messages {
		if m.To.Role == msg.RoleVoter {
			t.Fatalf("standalone sent %s to a voter", m)
		}
	}
}

func TestLeaderLookingEndsFollowing(t *testing.T) {
	v := follower(t, 0)
	v.Step(msg.New(from(3), from(1), &msg.Vote{Leader: 3, Round: 2, State: msg.StateLooking}))
	if st := v.Status(); st.State != msg.StateLooking || st.Round != 2 {
		t.Fatalf("follower whose leader is looking: %+v", st)
	}
}

// looking3 returns node id of 1..3, looking in round 1 with its own vote
// (zxid 0) out.
func looking3(id msg.NodeID) *Voter {
	v := New(simConfig(id, ids(1, 2, 3)), 0)
	v.Advance(v.Ready())
	return v
}

func sentKind[T msg.Body](v *Voter) bool {
	for _, env := range v.Ready().Messages {
		if _, ok := env.Body.(T); ok {
			return true
		}
	}
	return false
}

// The finalize wait is for a better vote still on its way. With every
// other voter either agreeing or reported down by the bus, none can come:
// the node decides at once, as the survivors of a killed leader do.
func TestDecidesAtOnceWhenTheRestAreDown(t *testing.T) {
	v := looking3(2)
	v.Step(msg.New(from(2), from(2), &msg.PeerDown{Node: 3}))
	v.Step(msg.New(from(1), from(2), &msg.Vote{Leader: 2, Round: 1, State: msg.StateLooking}))
	if st := v.Status(); st.State != msg.StateLeading {
		t.Fatalf("with 3 down and 1 agreeing, want LEADING at once, got %+v", st)
	}

	// Without the PeerDown it waits FinalizeTicks for node 3.
	v = looking3(2)
	v.Step(msg.New(from(1), from(2), &msg.Vote{Leader: 2, Round: 1, State: msg.StateLooking}))
	if st := v.Status(); st.State != msg.StateLooking {
		t.Fatalf("3 may still vote: want LOOKING during the finalize wait, got %+v", st)
	}
	// The bus reports 3 down during the wait: nothing is left to wait for.
	v.Step(msg.New(from(2), from(2), &msg.PeerDown{Node: 3}))
	if st := v.Status(); st.State != msg.StateLeading {
		t.Fatalf("PeerDown during the finalize wait: want LEADING, got %+v", st)
	}

	// A vote from a node reported down shows it is up again.
	v = looking3(2)
	v.Step(msg.New(from(2), from(2), &msg.PeerDown{Node: 3}))
	v.Step(msg.New(from(3), from(2), &msg.Vote{Leader: 1, Round: 1, State: msg.StateLooking}))
	v.Step(msg.New(from(1), from(2), &msg.Vote{Leader: 2, Round: 1, State: msg.StateLooking}))
	if st := v.Status(); st.State != msg.StateLooking {
		t.Fatalf("3 voted otherwise and may change its vote: want the finalize wait, got %+v", st)
	}
}

// A follower whose finalize wait ended first sends FollowerInfo to a
// leader still looking; the leader counts it once it decides, rather than
// waiting for the resend.
func TestFollowerInfoBeforeLeadingCounts(t *testing.T) {
	v := looking3(2)
	v.Step(msg.New(from(1), from(2), &msg.Vote{Leader: 2, Round: 1, State: msg.StateLooking}))
	v.Step(msg.New(from(1), from(2), &msg.FollowerInfo{}))
	if st := v.Status(); st.State != msg.StateLooking {
		t.Fatalf("setup: want LOOKING in the finalize wait, got %+v", st)
	}
	v.Advance(v.Ready())
	for i := 0; i < 10 && v.Status().State == msg.StateLooking; i++ {
		v.Tick()
	}
	if st := v.Status(); st.State != msg.StateLeading {
		t.Fatalf("want LEADING after the finalize wait, got %+v", st)
	}
	if !sentKind[*msg.NewEpoch](v) {
		t.Fatalf("the early FollowerInfo makes a quorum: want NewEpoch sent at once, got %v", v.Ready().Messages)
	}
}

// A node that answered our vote while it still followed, and then looks
// with a worse vote, never saw ours while looking: it is told at once,
// not at our next resend.
func TestNewlyLookingNodeIsToldOurVote(t *testing.T) {
	v := looking3(2)
	v.Step(msg.New(from(1), from(2), &msg.Vote{Leader: 3, Round: 1, PeerEpoch: 1, State: msg.StateFollowing}))
	v.Advance(v.Ready())
	v.Step(msg.New(from(1), from(2), &msg.Vote{Leader: 1, Round: 1, State: msg.StateLooking}))
	var told bool
	for _, env := range v.Ready().Messages {
		if b, ok := env.Body.(*msg.Vote); ok && env.To.Node == 1 && b.Leader == 2 {
			told = true
		}
	}
	if !told {
		t.Fatalf("want our vote (leader 2) sent to node 1, got %v", v.Ready().Messages)
	}
	// Only once: a worse vote from a node that was looking all along
	// waits for our resend, as in ZooKeeper.
	v.Advance(v.Ready())
	v.Step(msg.New(from(1), from(2), &msg.Vote{Leader: 1, Round: 1, State: msg.StateLooking}))
	if len(v.Ready().Messages) != 0 {
		t.Fatalf("want no reply to a repeated worse vote, got %v", v.Ready().Messages)
	}
}
