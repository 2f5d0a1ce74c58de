package voter

import (
	"flag"
	"fmt"
	"sort"
	"testing"

	"github.com/paddock-zk/paddock/actors/membus"
	"github.com/paddock-zk/paddock/actors/msg"
)

var (
	flagSeeds = flag.Int("voter.seeds", 1000, "number of seeded simulation runs (200 with -short)")
	flagSeed  = flag.Int64("voter.seed", -1, "replay only this simulation seed")
)

// simConfig is the core config of simulated nodes: one tick stands for
// 100 ms of a tickTime of 500 ms with initLimit 4 and syncLimit 2.
func simConfig(id msg.NodeID, voters []msg.NodeID) Config {
	return Config{ID: id, Voters: voters, HeartbeatTicks: 2, SyncTicks: 10, InitTicks: 20,
		FinalizeTicks: 2, ResendTicks: 2, MaxResendTicks: 5}
}

// settleBound is how many ticks a healed ensemble with a connected majority
// may take to agree on one established leader: a follower may wait SyncTicks
// to notice that a stale leader is gone, an election takes a few resend
// periods plus the finalize wait, and discovery may fail once (InitTicks)
// when a racing round disturbed it; four times that leaves room for a second
// unlucky round.
func settleBound(c Config) int {
	return 4 * (c.SyncTicks + c.InitTicks + 3*c.MaxResendTicks + c.FinalizeTicks)
}

type simNode struct {
	id    msg.NodeID
	v     *Voter
	disk  uint64 // the durable accepted epoch; survives crashes
	alive bool
	unsub []func()
}

type sim struct {
	t       testing.TB
	bus     *membus.Bus
	voters  []msg.NodeID
	nodes   map[msg.NodeID]*simNode
	leaders map[uint64]msg.NodeID // every leader ever established, by epoch
	trace   []string
	tracing bool
}

func newSim(t testing.TB, seed int64, n int) *sim {
	s := &sim{t: t, bus: membus.New(seed), nodes: map[msg.NodeID]*simNode{}, leaders: map[uint64]msg.NodeID{}}
	for i := 1; i <= n; i++ {
		s.voters = append(s.voters, msg.NodeID(i))
	}
	for _, id := range s.voters {
		s.nodes[id] = &simNode{id: id}
	}
	if s.tracing {
		s.bus.AddHook(func(e msg.Envelope) bool { s.trace = append(s.trace, e.String()); return true })
	}
	return s
}

func (s *sim) start(id msg.NodeID) {
	n := s.nodes[id]
	if n.alive {
		return
	}
	n.alive = true
	n.v = New(simConfig(id, s.voters), n.disk)
	u1, _ := s.bus.Subscribe(msg.Addr{Node: id, Role: msg.RoleVoter}, func(e msg.Envelope) {
		if n.alive {
			n.v.Step(e)
			s.drain(n)
		}
	})
	// The replica is played by the harness: it answers Looking with History.
	u2, _ := s.bus.Subscribe(msg.Addr{Node: id, Role: msg.RoleStore}, func(e msg.Envelope) {
		if _, ok := e.Body.(*msg.Looking); ok {
			s.bus.Send(msg.New(e.To, e.From, &msg.History{}))
		}
	})
	n.unsub = []func(){u1, u2}
	s.drain(n)
}

func (s *sim) crash(id msg.NodeID) {
	n := s.nodes[id]
	if !n.alive {
		return
	}
	n.alive = false
	for _, u := range n.unsub {
		u()
	}
	s.bus.Crash(id)
	n.v = nil
}

func (s *sim) drain(n *simNode) {
	for n.v.HasReady() {
		rd := n.v.Ready()
		if rd.AcceptedEpoch != 0 {
			if rd.AcceptedEpoch < n.disk {
				s.t.Fatalf("node %d persisted accepted epoch %d below %d", n.id, rd.AcceptedEpoch, n.disk)
			}
			n.disk = rd.AcceptedEpoch
		}
		for _, e := range rd.Messages {
			s.bus.Send(e)
		}
		n.v.Advance(rd)
	}
	s.check(n)
}

// check enforces the safety invariant after every change.
func (s *sim) check(n *simNode) {
	st := n.v.Status()
	if st.State == msg.StateLeading && st.Established {
		if other, ok := s.leaders[st.Epoch]; ok && other != n.id {
			s.t.Fatalf("two leaders established for epoch %d: %d and %d", st.Epoch, other, n.id)
		}
		s.leaders[st.Epoch] = n.id
	}
}

func (s *sim) tick() {
	s.bus.Advance(1)
	s.bus.DeliverAll()
	for _, id := range s.voters {
		if n := s.nodes[id]; n.alive {
			n.v.Tick()
			s.drain(n)
		}
	}
	s.bus.DeliverAll()
}

func (s *sim) run(ticks int) {
	for i := 0; i < ticks; i++ {
		s.tick()
	}
}

// settled reports the leader when exactly one node among ids leads,
// established, and every other one follows it in the same epoch.
func (s *sim) settled(ids ...msg.NodeID) (msg.NodeID, bool) {
	var leader msg.NodeID
	var epoch uint64
	for _, id := range ids {
		n := s.nodes[id]
		if !n.alive {
			return 0, false
		}
		st := n.v.Status()
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
		if st := s.nodes[id].v.Status(); st.State == msg.StateFollowing && st.Leader != leader {
			return 0, false
		}
	}
	return leader, leader != 0
}

func (s *sim) waitSettled(limit int, ids ...msg.NodeID) msg.NodeID {
	s.t.Helper()
	for i := 0; i <= limit; i++ {
		if l, ok := s.settled(ids...); ok {
			return l
		}
		s.tick()
	}
	s.t.Fatalf("no single leader among %v after %d ticks: %s", ids, limit, s.describe())
	return 0
}

func (s *sim) describe() string {
	out := ""
	for _, id := range s.voters {
		n := s.nodes[id]
		if !n.alive {
			out += fmt.Sprintf(" [%d down]", id)
			continue
		}
		st := n.v.Status()
		out += fmt.Sprintf(" [%d %s leader=%d epoch=%d est=%v round=%d acc=%d]", id, st.State, st.Leader, st.Epoch, st.Established, st.Round, st.AcceptedEpoch)
	}
	return out
}

func ids(xs ...int) []msg.NodeID {
	out := make([]msg.NodeID, len(xs))
	for i, x := range xs {
		out[i] = msg.NodeID(x)
	}
	return out
}

func TestClassicStartOrder(t *testing.T) {
	s := newSim(t, 1, 3)
	s.start(1)
	s.run(100)
	if st := s.nodes[1].v.Status(); st.State != msg.StateLooking {
		t.Fatalf("a lone node of three is %s", st.State)
	}
	s.start(2)
	if l := s.waitSettled(200, ids(1, 2)...); l != 2 {
		t.Fatalf("leader of {1,2} = %d, want 2", l)
	}
	s.start(3)
	if l := s.waitSettled(200, ids(1, 2, 3)...); l != 2 {
		t.Fatalf("leader of {1,2,3} = %d, want 2", l)
	}
	if st := s.nodes[3].v.Status(); st.State != msg.StateFollowing {
		t.Fatalf("late starter 3 is %s", st.State)
	}
}

func TestLeaderCrashAndRejoin(t *testing.T) {
	s := newSim(t, 2, 3)
	for _, id := range s.voters {
		s.start(id)
	}
	old := s.waitSettled(200, s.voters...)
	s.crash(old)
	var rest []msg.NodeID
	for _, id := range s.voters {
		if id != old {
			rest = append(rest, id)
		}
	}
	next := s.waitSettled(settleBound(simConfig(1, s.voters)), rest...)
	s.start(old)
	if l := s.waitSettled(200, s.voters...); l != next {
		t.Fatalf("leader after rejoin = %d, want %d", l, next)
	}
	// Two of three down: the last never leads.
	s.crash(rest[0])
	s.crash(old)
	last := s.nodes[rest[1]]
	// It may still lead for up to SyncTicks, until it misses the quorum.
	s.run(simConfig(1, s.voters).SyncTicks + 1)
	if st := last.v.Status(); st.State != msg.StateLooking {
		t.Fatalf("lone node is %s syncLimit after losing its quorum, want LOOKING", st.State)
	}
	for i := 0; i < 500; i++ {
		s.tick()
		if st := last.v.Status(); st.State == msg.StateLeading && st.Established {
			t.Fatalf("lone node %d established itself as leader at tick %d", last.id, i)
		}
	}
	if st := last.v.Status(); st.State != msg.StateLooking {
		t.Fatalf("lone node is %s after 500 ticks, want LOOKING", st.State)
	}
}

func TestFiveNodePartition(t *testing.T) {
	s := newSim(t, 3, 5)
	for _, id := range s.voters {
		s.start(id)
	}
	leader := s.waitSettled(200, s.voters...)
	minority := []msg.NodeID{leader, leader%5 + 1}
	var majority []msg.NodeID
	for _, id := range s.voters {
		if id != minority[0] && id != minority[1] {
			majority = append(majority, id)
		}
	}
	s.bus.Partition(minority, majority)
	bound := settleBound(simConfig(1, s.voters))
	s.waitSettled(bound, majority...)
	s.run(bound)
	if _, ok := s.settled(majority...); !ok {
		t.Fatalf("majority lost its leader during the partition: %s", s.describe())
	}
	for _, id := range minority {
		if st := s.nodes[id].v.Status(); st.State != msg.StateLooking {
			t.Fatalf("minority node %d is %s: %s", id, st.State, s.describe())
		}
	}
	s.bus.Heal()
	s.waitSettled(bound, s.voters...)
}

func TestPeerDownEndsFollowing(t *testing.T) {
	s := newSim(t, 4, 3)
	for _, id := range s.voters {
		s.start(id)
	}
	leader := s.waitSettled(200, s.voters...)
	f := s.nodes[leader%3+1]
	f.v.Step(msg.New(msg.Addr{Node: f.id}, msg.Addr{Node: f.id, Role: msg.RoleVoter}, &msg.PeerDown{Node: leader}))
	if st := f.v.Status(); st.State != msg.StateLooking {
		t.Fatalf("follower stays %s after its leader's route went down", st.State)
	}
}

// TestSimulation runs seeded ensembles through a chaos phase (crashes,
// restarts, partitions, loss, duplication, delay) and then a healed phase.
// Safety is checked after every step; liveness after healing.
func TestSimulation(t *testing.T) {
	seeds := *flagSeeds
	if testing.Short() && seeds > 200 {
		seeds = 200
	}
	first := int64(1)
	if *flagSeed >= 0 {
		first, seeds = *flagSeed, 1
	}
	for seed := first; seed < first+int64(seeds); seed++ {
		seed := seed
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			defer func() {
				if t.Failed() {
					t.Logf("replay: go test ./voter -run 'TestSimulation' -voter.seed=%d -v", seed)
				}
			}()
			simulate(t, seed)
		})
	}
}

func simulate(t *testing.T, seed int64) {
	n := 3
	if seed%2 == 0 {
		n = 5
	}
	s := newSim(t, seed, n)
	r := s.bus.Rand()
	for _, id := range s.voters {
		s.start(id)
	}
	s.bus.SetDelay(0, int64(r.Intn(4)))
	s.bus.SetDuplicate(r.Float64() * 0.1)
	s.bus.Drop(0, 0, r.Float64()*0.3)
	for i := 0; i < 300; i++ {
		switch x := r.Intn(100); {
		case x < 2:
			s.crash(s.voters[r.Intn(n)])
		case x < 6:
			s.start(s.voters[r.Intn(n)])
		case x < 8:
			perm := r.Perm(n)
			cut := 1 + r.Intn(n-1)
			var a, b []msg.NodeID
			for j, p := range perm {
				if j < cut {
					a = append(a, s.voters[p])
				} else {
					b = append(b, s.voters[p])
				}
			}
			s.bus.Partition(a, b)
		case x < 10:
			s.bus.Heal()
		}
		s.tick()
	}
	// Heal: a random majority (at least) is up and connected, faults off.
	s.bus.Heal()
	s.bus.Drop(0, 0, 0)
	s.bus.SetDuplicate(0)
	s.bus.SetDelay(0, 1)
	up := r.Perm(n)[:n/2+1+r.Intn(n-n/2)]
	sort.Ints(up)
	var live []msg.NodeID
	for _, id := range s.voters {
		s.crash(id)
	}
	for _, i := range up {
		id := s.voters[i]
		s.start(id)
		live = append(live, id)
	}
	s.waitSettled(settleBound(simConfig(1, s.voters)), live...)
}

func TestSimulationReplaysExactly(t *testing.T) {
	trace := func() []string {
		s := newSim(t, 42, 5)
		s.tracing = true
		s.bus.AddHook(func(e msg.Envelope) bool { s.trace = append(s.trace, e.String()); return true })
		for _, id := range s.voters {
			s.start(id)
		}
		s.bus.Drop(0, 0, 0.2)
		s.bus.SetDelay(0, 3)
		s.run(200)
		return s.trace
	}
	a, b := trace(), trace()
	if fmt.Sprint(a) != fmt.Sprint(b) || len(a) == 0 {
		t.Fatalf("the same seed produced different traces (%d vs %d messages)", len(a), len(b))
	}
}
