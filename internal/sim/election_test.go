package sim

import (
	"flag"
	"fmt"
	"sort"
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/replica/wal"
	"github.com/paddock-zk/paddock/voter"
)

// The election over whole simulated nodes: the scenarios of ZooKeeper's
// FastLeaderElection, and seeded runs with crashes, partitions, loss,
// duplication and delay. Every voter's Flush is checked (History): at most
// one leader established per epoch, accepted epochs never go back.

var (
	flagVoterSeeds = flag.Int("voter.seeds", 1000, "seeded runs of the election simulation (100 with -short, 300 with -race unless given)")
	flagVoterSeed  = flag.Int64("voter.seed", -1, "replay only this election seed")
	flagVoterFirst = flag.Int64("voter.first", 1, "first seed of the election run")
)

// electionConfig: one tick stands for 100 ms of a tickTime of 500 ms with
// initLimit 4 and syncLimit 2.
func electionConfig(_ msg.NodeID, c *voter.Config) { c.InitTicks = 20 }

func newElection(t testing.TB, seed int64, n int) *Ensemble {
	return New(t, Options{Seed: seed, Nodes: n, VoterConfig: electionConfig, Verbose: *flagVoterSeed >= 0})
}

// settleBound is how many ticks a healed ensemble with a connected majority
// may take to agree on one established leader: a follower may wait SyncTicks
// to notice that a stale leader is gone, an election takes a few resend
// periods plus the finalize wait, and discovery may fail once (InitTicks)
// when a racing round disturbed it; four times that leaves room for a second
// unlucky round.
func settleBound(e *Ensemble) int {
	c := e.voterConfig(1)
	return 4 * (c.SyncTicks + c.InitTicks + 3*c.MaxResendTicks + c.FinalizeTicks)
}

// settled reports the leader when exactly one node among ids leads,
// established, and every other one follows it in the same epoch.
func settled(e *Ensemble, ids ...msg.NodeID) (msg.NodeID, bool) {
	var leader msg.NodeID
	var epoch uint64
	for _, id := range ids {
		n := e.Nodes[id]
		if !n.Alive() {
			return 0, false
		}
		st := n.Voter.Status()
		if !st.Established {
			return 0, false
		}
		if st.State == msg.StateLeading {
			if leader != 0 {
				return 0, false
			}
			leader = id
		}
		if epoch != 0 && st.Epoch != epoch {
			return 0, false
		}
		epoch = st.Epoch
	}
	for _, id := range ids {
		if st := e.Nodes[id].Voter.Status(); st.State == msg.StateFollowing && st.Leader != leader {
			return 0, false
		}
	}
	return leader, leader != 0
}

func waitSettled(e *Ensemble, limit int, ids ...msg.NodeID) msg.NodeID {
	e.T.Helper()
	for i := 0; i <= limit; i++ {
		if l, ok := settled(e, ids...); ok {
			return l
		}
		e.Step()
	}
	e.Fatalf("no single leader among %v after %d ticks", ids, limit)
	return 0
}

func startAll(e *Ensemble) {
	for _, id := range e.IDs {
		e.Start(id)
	}
}

func ids(xs ...int) []msg.NodeID {
	out := make([]msg.NodeID, len(xs))
	for i, x := range xs {
		out[i] = msg.NodeID(x)
	}
	return out
}

func TestClassicStartOrder(t *testing.T) {
	e := newElection(t, 1, 3)
	e.Start(1)
	e.Run(100)
	if st := e.Nodes[1].Voter.Status(); st.State != msg.StateLooking {
		t.Fatalf("a lone node of three is %s", st.State)
	}
	e.Start(2)
	if l := waitSettled(e, 200, ids(1, 2)...); l != 2 {
		t.Fatalf("leader of {1,2} = %d, want 2", l)
	}
	e.Start(3)
	if l := waitSettled(e, 200, ids(1, 2, 3)...); l != 2 {
		t.Fatalf("leader of {1,2,3} = %d, want 2", l)
	}
	if st := e.Nodes[3].Voter.Status(); st.State != msg.StateFollowing {
		t.Fatalf("late starter 3 is %s", st.State)
	}
}

func TestLeaderCrashAndRejoin(t *testing.T) {
	e := newElection(t, 2, 3)
	startAll(e)
	old := waitSettled(e, 200, e.IDs...)
	e.Crash(old)
	var rest []msg.NodeID
	for _, id := range e.IDs {
		if id != old {
			rest = append(rest, id)
		}
	}
	next := waitSettled(e, settleBound(e), rest...)
	e.Start(old)
	if l := waitSettled(e, 200, e.IDs...); l != next {
		t.Fatalf("leader after rejoin = %d, want %d", l, next)
	}
	// Two of three down: the last never leads.
	e.Crash(rest[0])
	e.Crash(old)
	last := e.Nodes[rest[1]]
	// It may still lead for up to SyncTicks, until it misses the quorum.
	e.Run(e.voterConfig(1).SyncTicks + 1)
	if st := last.Voter.Status(); st.State != msg.StateLooking {
		t.Fatalf("lone node is %s syncLimit after losing its quorum, want LOOKING", st.State)
	}
	for i := 0; i < 500; i++ {
		e.Step()
		if st := last.Voter.Status(); st.State == msg.StateLeading && st.Established {
			t.Fatalf("lone node %d established itself as leader at tick %d", last.ID, i)
		}
	}
	if st := last.Voter.Status(); st.State != msg.StateLooking {
		t.Fatalf("lone node is %s after 500 ticks, want LOOKING", st.State)
	}
}

func TestFiveNodePartition(t *testing.T) {
	e := newElection(t, 3, 5)
	startAll(e)
	leader := waitSettled(e, 200, e.IDs...)
	minority := []msg.NodeID{leader, leader%5 + 1}
	var majority []msg.NodeID
	for _, id := range e.IDs {
		if id != minority[0] && id != minority[1] {
			majority = append(majority, id)
		}
	}
	e.Bus.Partition(minority, majority)
	bound := settleBound(e)
	waitSettled(e, bound, majority...)
	e.Run(bound)
	if _, ok := settled(e, majority...); !ok {
		e.Fatalf("majority lost its leader during the partition")
	}
	for _, id := range minority {
		if st := e.Nodes[id].Voter.Status(); st.State != msg.StateLooking {
			e.Fatalf("minority node %d is %s", id, st.State)
		}
	}
	e.Bus.Heal()
	waitSettled(e, bound, e.IDs...)
}

// TestPeerDownEndsFollowing: the bus telling a follower that its leader's
// node is gone ends its following at once, before any timeout.
func TestPeerDownEndsFollowing(t *testing.T) {
	e := newElection(t, 4, 3)
	startAll(e)
	leader := waitSettled(e, 200, e.IDs...)
	f := leader%3 + 1
	e.ReceiveNow(f, msg.New(msg.Addr{Node: f}, msg.Addr{Node: f, Role: msg.RoleVoter}, &msg.PeerDown{Node: leader}))
	if st := e.Nodes[f].Voter.Status(); st.State != msg.StateLooking {
		t.Fatalf("follower stays %s after its leader's route went down", st.State)
	}
}

// TestElectionSimulation runs seeded ensembles through a chaos phase
// (crashes, restarts, partitions, loss, duplication, delay) and then a
// healed phase. Safety is checked after every Flush; liveness after
// healing.
func TestElectionSimulation(t *testing.T) {
	first, n := seeds(flagVoterSeeds, "voter.seeds", flagVoterSeed, flagVoterFirst, 100, 300)
	runSeeds(t, first, n, "-voter.seed", simulateElection)
}

func simulateElection(t *testing.T, seed int64) {
	n := 3
	if seed%2 == 0 {
		n = 5
	}
	e := newElection(t, seed, n)
	r := e.Rand
	startAll(e)
	e.Bus.SetDelay(0, int64(r.Intn(4)))
	e.Bus.SetDuplicate(r.Float64() * 0.1)
	e.Bus.Drop(0, 0, r.Float64()*0.3)
	// What the real bus reports about routes (PeerDown, PeerUp), which
	// the voter uses to skip the finalize wait: mostly right, sometimes
	// missed, now and then a false PeerDown.
	report := func(to, about msg.NodeID, up bool) {
		if to == about || !e.Nodes[to].Alive() || r.Intn(10) == 0 {
			return
		}
		var body msg.Body = &msg.PeerDown{Node: about}
		if up {
			body = &msg.PeerUp{Node: about}
		}
		e.Deliver(to, msg.New(msg.Addr{Node: to}, msg.Addr{Node: to, Role: msg.RoleVoter}, body))
	}
	for i := 0; i < 300; i++ {
		switch x := r.Intn(100); {
		case x < 2:
			id := e.IDs[r.Intn(n)]
			e.Crash(id)
			for _, to := range e.IDs {
				report(to, id, false)
			}
		case x < 6:
			id := e.IDs[r.Intn(n)]
			up := !e.Nodes[id].Alive()
			e.Start(id)
			for _, other := range e.IDs {
				if up && e.Nodes[other].Alive() {
					report(other, id, true)
					report(id, other, true)
				}
			}
		case x < 8:
			perm := r.Perm(n)
			cut := 1 + r.Intn(n-1)
			var a, b []msg.NodeID
			for j, p := range perm {
				if j < cut {
					a = append(a, e.IDs[p])
				} else {
					b = append(b, e.IDs[p])
				}
			}
			e.Bus.Partition(a, b)
			e.Logf("partition %v | %v", a, b)
			for _, x := range a {
				for _, y := range b {
					report(x, y, false)
					report(y, x, false)
				}
			}
		case x < 10:
			e.Bus.Heal()
			e.Logf("heal")
			for _, x := range e.IDs {
				for _, y := range e.IDs {
					report(x, y, true)
				}
			}
		}
		if r.Intn(100) == 0 {
			report(e.IDs[r.Intn(n)], e.IDs[r.Intn(n)], false)
		}
		e.Step()
	}
	// Heal: a random majority (at least) is up and connected, faults off.
	e.Bus.Heal()
	e.Bus.Drop(0, 0, 0)
	e.Bus.SetDuplicate(0)
	e.Bus.SetDelay(0, 1)
	up := r.Perm(n)[:n/2+1+r.Intn(n-n/2)]
	sort.Ints(up)
	var live []msg.NodeID
	for _, id := range e.IDs {
		e.Crash(id)
	}
	for _, i := range up {
		id := e.IDs[i]
		e.Start(id)
		live = append(live, id)
	}
	waitSettled(e, settleBound(e), live...)
}

// TestElectionReplaysExactly: a seed gives the same message trace twice.
func TestElectionReplaysExactly(t *testing.T) {
	trace := func() []string {
		e := newElection(t, 42, 5)
		var tr []string
		e.Bus.AddHook(func(env msg.Envelope) bool { tr = append(tr, env.String()); return true })
		for _, id := range e.IDs {
			e.Start(id)
		}
		e.Bus.Drop(0, 0, 0.2)
		e.Bus.SetDelay(0, 3)
		e.Run(200)
		return tr
	}
	a, b := trace(), trace()
	if fmt.Sprint(a) != fmt.Sprint(b) || len(a) == 0 {
		t.Fatalf("the same seed produced different traces (%d vs %d messages)", len(a), len(b))
	}
}

// TestEstablishedMembersAdvertiseTheEpoch (store simulation seed 11181 at
// ba6f92e): members of an established epoch must advertise it as their
// vote's peer epoch, leader and followers alike, or a looking node that
// hears a leader and a follower elected in different rounds counts no
// quorum for either and never joins (ZooKeeper's updateElectionVote).
func TestEstablishedMembersAdvertiseTheEpoch(t *testing.T) {
	e := newElection(t, 5, 3)
	startAll(e)
	leader := waitSettled(e, 200, e.IDs...)
	epoch := e.Nodes[leader].Voter.Status().Epoch
	late := leader%3 + 1
	answers := map[msg.NodeID]*msg.Vote{}
	e.Bus.AddHook(func(env msg.Envelope) bool {
		if v, ok := env.Body.(*msg.Vote); ok && env.To.Node == late && v.State != msg.StateLooking {
			answers[env.From.Node] = v
		}
		return true
	})
	e.Crash(late)
	e.Start(late)
	waitSettled(e, 200, e.IDs...)
	if len(answers) != 2 {
		t.Fatalf("the restarted node %d got answers from %d members, want 2", late, len(answers))
	}
	for id, v := range answers {
		if v.PeerEpoch != epoch || v.Leader != leader {
			t.Errorf("node %d advertises %+v, want leader %d peer epoch %d", id, v, leader, epoch)
		}
	}
	if st := e.Nodes[late].Voter.Status(); st.State != msg.StateFollowing || st.Leader != leader {
		t.Fatalf("restarted node: %+v, want following %d", st, leader)
	}
}

// Regression (simulation seed 71 before the fix): a node that accepted a
// later epoch from a failed attempt could never join an established leader
// of a lower epoch, and looped between LOOKING and FOLLOWING forever.
func TestFollowerAheadInEpochMakesLeaderLeadHigher(t *testing.T) {
	e := newElection(t, 71, 3)
	startAll(e)
	leader := waitSettled(e, 200, e.IDs...)
	lagger := e.Nodes[leader%3+1]
	e.Crash(lagger.ID)
	est := e.Nodes[leader].Voter.Status().Epoch
	// As if it had accepted a proposal that never got a quorum.
	disk, err := wal.OpenStore(dataDir, dataDir, wal.Options{FS: lagger.FS})
	if err != nil {
		t.Fatal(err)
	}
	if err := disk.SetAcceptedEpoch(est + 2); err != nil {
		t.Fatal(err)
	}
	if err := disk.Close(); err != nil {
		t.Fatal(err)
	}
	e.History.accepted[lagger.ID] = est + 2
	e.Start(lagger.ID)
	waitSettled(e, settleBound(e), e.IDs...)
	got := uint64(0)
	for _, id := range e.IDs {
		if st := e.Nodes[id].Voter.Status(); st.State == msg.StateLeading {
			got = st.Epoch
		}
	}
	if got <= est+2 {
		t.Fatalf("ensemble settled in epoch %d, not above the lagger's accepted %d", got, est+2)
	}
}
