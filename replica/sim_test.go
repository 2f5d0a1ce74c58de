package replica

import (
	"flag"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/paddock-zk/paddock/actors/membus"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/voter"
)

var (
	flagSeeds = flag.Int("replica.seeds", 1000, "seeded runs per simulation test (100 with -short)")
	flagSeed  = flag.Int64("replica.seed", -1, "replay only this seed")
	flagFirst = flag.Int64("replica.first", 1, "first seed of the run (for long hunts)")
)

// Crash points inside the shell's handling of one Ready.
const (
	crashNone        = iota
	crashBeforeFsync // log written, not synced: lost
	crashBeforeEpoch // log synced, currentEpoch not written
	crashBeforeSend  // durable, nothing applied or sent
	crashMidSend     // some messages sent
	numCrashPoints
)

type simNode struct {
	id       msg.NodeID
	s        *MemStorage
	r        *Replica
	v        *voter.Voter
	accepted uint64 // the voter's durable acceptedEpoch
	applied  []Entry
	alive    bool
	unsub    []func()
	crashAt  int // crash at this point of the next Ready
	abdicate bool
}

// sim is a whole ensemble over membus: replicas, and either voters or the
// test itself telling replicas whom to follow. It checks the safety
// invariants after every Ready.
type sim struct {
	t         testing.TB
	seed      int64
	bus       *membus.Bus
	rng       *rand.Rand
	ids       []msg.NodeID
	nodes     map[msg.NodeID]*simNode
	withVoter bool

	canon    []Entry               // the applied history every node's must be a prefix of
	leaders  map[uint64]msg.NodeID // who committed in each epoch
	epoch    uint64                // test-driven: last epoch handed out
	leader   msg.NodeID            // test-driven: current leader
	proposed int
	events   []string
}

func newSim(t testing.TB, seed int64, n int, withVoter bool) *sim {
	s := &sim{t: t, seed: seed, bus: membus.New(seed), nodes: map[msg.NodeID]*simNode{},
		leaders: map[uint64]msg.NodeID{}, withVoter: withVoter}
	s.rng = s.bus.Rand()
	for i := 1; i <= n; i++ {
		id := msg.NodeID(i)
		s.ids = append(s.ids, id)
		s.nodes[id] = &simNode{id: id, s: NewMemStorage()}
	}
	for _, id := range s.ids {
		s.start(id)
	}
	return s
}

func (s *sim) logf(format string, args ...any) {
	s.events = append(s.events, fmt.Sprintf("[%d] ", s.bus.Now())+fmt.Sprintf(format, args...))
}

func (s *sim) fatalf(format string, args ...any) {
	s.t.Helper()
	tail := s.events
	if len(tail) > 40 {
		tail = tail[len(tail)-40:]
	}
	s.t.Fatalf("seed %d: %s\nlast events:\n  %s\nstate:\n%s", s.seed, fmt.Sprintf(format, args...), strings.Join(tail, "\n  "), s.describe())
}

func (s *sim) describe() string {
	var b strings.Builder
	for _, id := range s.ids {
		n := s.nodes[id]
		if !n.alive {
			fmt.Fprintf(&b, "  %d: down, log last %x\n", id, n.s.LastZxid())
			continue
		}
		st := n.r.Status()
		fmt.Fprintf(&b, "  %d: %s epoch=%d leader=%d ce=%d last=%x commit=%x applied=%x serving=%v\n",
			id, st.Role, st.Epoch, st.Leader, st.CurrentEpoch, st.LastZxid, st.CommittedZxid, st.AppliedZxid, st.Serving)
	}
	fmt.Fprintf(&b, "  canon last %x (%d entries), bus %+v", lastZxid(s.canon), len(s.canon), s.bus.Stats())
	return b.String()
}

func (s *sim) replicaConfig(id msg.NodeID) Config {
	return Config{ID: id, Voters: s.ids, InitTicks: 25, SyncTicks: 6, ResendTicks: 2,
		MaxBatchBytes: 256, SnapshotChunk: 64, MaxInflight: 8,
		Rand: rand.New(rand.NewSource(s.rng.Int63())), Logger: discardLogger()}
}

func (s *sim) voterConfig(id msg.NodeID) voter.Config {
	return voter.Config{ID: id, Voters: s.ids, HeartbeatTicks: 2, SyncTicks: 10, InitTicks: 30,
		FinalizeTicks: 2, ResendTicks: 2, MaxResendTicks: 5, AwaitHistory: true}
}

func (s *sim) start(id msg.NodeID) {
	n := s.nodes[id]
	if n.alive {
		return
	}
	n.alive, n.crashAt, n.abdicate = true, crashNone, false
	z, size, _ := n.s.Snapshot()
	data, err := n.s.ReadSnapshot(z, 0, int(size))
	if err != nil {
		s.fatalf("node %d: %v", id, err)
	}
	n.applied = decodeState(s.t, data)
	s.checkPrefix(n, 0)
	n.r = New(s.replicaConfig(id), n.s)
	u1, _ := s.bus.Subscribe(msg.Addr{Node: id, Role: msg.RoleStore}, func(e msg.Envelope) {
		if n.alive {
			if err := n.r.Step(e); err != nil {
				s.fatalf("node %d step %s: %v", id, e, err)
			}
			s.drain(n)
		}
	})
	u2, _ := s.bus.Subscribe(msg.Addr{Node: id, Role: msg.RoleVoter}, func(e msg.Envelope) {
		if !n.alive {
			return
		}
		if n.v == nil {
			if _, ok := e.Body.(*msg.Abdicate); ok {
				n.abdicate = true
			}
			return
		}
		n.v.Step(e)
		s.drainVoter(n)
	})
	n.unsub = []func(){u1, u2}
	if s.withVoter {
		n.v = voter.New(s.voterConfig(id), n.accepted)
		s.drainVoter(n)
	}
	s.logf("start %d (log %x, ce %d)", id, n.s.LastZxid(), n.s.CurrentEpoch())
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
	n.s.Crash()
	n.r, n.v, n.applied = nil, nil, nil
	s.logf("crash %d", id)
}

func (s *sim) drainVoter(n *simNode) {
	for n.alive && n.v.HasReady() {
		rd := n.v.Ready()
		if rd.AcceptedEpoch != 0 {
			n.accepted = rd.AcceptedEpoch
		}
		for _, e := range rd.Messages {
			s.bus.Send(e)
		}
		n.v.Advance(rd)
	}
}

// drain is the replica's shell: it carries out each Ready in order, and
// may crash the node at the armed crash point.
func (s *sim) drain(n *simNode) {
	for n.alive && n.r.HasReady() {
		rd := n.r.Ready()
		if rd.Truncate != nil {
			if err := n.s.TruncateAfter(*rd.Truncate); err != nil {
				s.fatalf("node %d: %v", n.id, err)
			}
		}
		if rd.Snapshot != nil {
			n.s.InstallSnapshot(rd.Snapshot.Zxid, rd.Snapshot.Data)
		}
		if err := n.s.Append(rd.Entries); err != nil {
			s.fatalf("node %d: %v", n.id, err)
		}
		if n.crashAt == crashBeforeFsync {
			s.crash(n.id)
			return
		}
		n.s.Sync()
		if n.crashAt == crashBeforeEpoch && rd.CurrentEpoch != 0 {
			s.crash(n.id)
			return
		}
		if rd.CurrentEpoch != 0 {
			if err := n.s.SetCurrentEpoch(rd.CurrentEpoch); err != nil {
				s.fatalf("node %d: %v", n.id, err)
			}
		}
		if n.crashAt == crashBeforeSend {
			s.crash(n.id)
			return
		}
		if rd.Snapshot != nil {
			n.applied = decodeState(s.t, rd.Snapshot.Data)
			s.checkPrefix(n, 0)
		}
		st := n.r.Status()
		from := len(n.applied)
		for _, e := range rd.Committed {
			if e.Zxid <= lastZxid(n.applied) {
				s.fatalf("node %d applied %x after %x", n.id, e.Zxid, lastZxid(n.applied))
			}
			n.applied = append(n.applied, e)
			if st.Role == RoleLeader && msg.ZxidEpoch(e.Zxid) == st.Epoch {
				if other, ok := s.leaders[st.Epoch]; ok && other != n.id {
					s.fatalf("epoch %d committed by two leaders: %d and %d", st.Epoch, other, n.id)
				}
				s.leaders[st.Epoch] = n.id
			}
		}
		s.checkPrefix(n, from)
		for i, e := range rd.Messages {
			if n.crashAt == crashMidSend && i == len(rd.Messages)/2 {
				s.crash(n.id)
				return
			}
			s.bus.Send(e)
		}
		n.r.Advance(rd)
	}
}

// checkPrefix checks that n's applied history from index `from` on agrees
// with every other node's, and extends the common history.
func (s *sim) checkPrefix(n *simNode, from int) {
	for i := from; i < len(n.applied); i++ {
		e := n.applied[i]
		if i < len(s.canon) {
			if !sameEntry(s.canon[i], e) {
				s.fatalf("node %d applied %x=%q at index %d where another applied %x=%q", n.id, e.Zxid, e.Data, i, s.canon[i].Zxid, s.canon[i].Data)
			}
			continue
		}
		s.canon = append(s.canon, e)
	}
}

// step advances the bus and every live node by one tick.
func (s *sim) step() {
	s.bus.Advance(1)
	s.bus.DeliverAll()
	for _, id := range s.ids {
		n := s.nodes[id]
		if !n.alive {
			continue
		}
		if n.v != nil {
			n.v.Tick()
			s.drainVoter(n)
		}
		if n.alive {
			n.r.Tick()
			s.drain(n)
		}
	}
	s.bus.DeliverAll()
}

// proposeAtLeaders proposes at every serving leader (with voters there may
// briefly be an old one too; only one can commit).
func (s *sim) proposeAtLeaders(k int) {
	for _, id := range s.ids {
		n := s.nodes[id]
		if !n.alive || n.r.Status().Role != RoleLeader {
			continue
		}
		for range k {
			s.proposed++
			data := []byte(fmt.Sprintf("s%d-%d", s.seed, s.proposed))
			if _, err := n.r.Propose(data); err != nil {
				break
			}
		}
		s.drain(n)
	}
}

func (s *sim) local(id msg.NodeID, body msg.Body) {
	s.bus.Send(msg.New(msg.Addr{Node: id, Role: msg.RoleVoter}, msg.Addr{Node: id, Role: msg.RoleStore}, body))
}

// elect plays the voter: it ends the epoch everywhere, picks the live node
// with the best (currentEpoch, last zxid) as FastLeaderElection would, and
// starts a new epoch.
func (s *sim) elect() bool {
	var alive []msg.NodeID
	for _, id := range s.ids {
		if s.nodes[id].alive {
			alive = append(alive, id)
		}
	}
	if len(alive) < len(s.ids)/2+1 {
		s.leader = 0
		return false
	}
	for _, id := range alive {
		s.local(id, &msg.Looking{})
	}
	s.bus.DeliverAll()
	var best msg.NodeID
	var bce, bz uint64
	for _, id := range alive {
		n := s.nodes[id]
		if !n.alive {
			return false
		}
		st := n.r.Status()
		if s.epoch < st.CurrentEpoch {
			s.epoch = st.CurrentEpoch
		}
		if best == 0 || st.CurrentEpoch > bce || st.CurrentEpoch == bce && st.LastZxid > bz {
			best, bce, bz = id, st.CurrentEpoch, st.LastZxid
		}
	}
	s.epoch++
	s.leader = best
	s.logf("elect %d for epoch %d", best, s.epoch)
	s.local(best, &msg.Lead{Epoch: s.epoch})
	for _, id := range alive {
		if id != best {
			s.local(id, &msg.Follow{Leader: best, Epoch: s.epoch})
		}
	}
	return true
}

// converged reports whether every node is up, one leader serves, and all
// have applied at least the common history and agree on the commit point.
func (s *sim) converged() bool {
	leaders := 0
	var commit uint64
	for _, id := range s.ids {
		n := s.nodes[id]
		if !n.alive {
			return false
		}
		st := n.r.Status()
		if !st.Serving || len(n.applied) < len(s.canon) {
			return false
		}
		if st.Role == RoleLeader {
			leaders++
			commit = st.CommittedZxid
		}
	}
	if leaders != 1 {
		return false
	}
	for _, id := range s.ids {
		if lastZxid(s.nodes[id].applied) != commit {
			return false
		}
	}
	return true
}

// finish heals every fault, restarts every node, and requires the ensemble
// to converge with every committed entry and a new one applied everywhere.
func (s *sim) finish(maxTicks int) {
	s.bus.Heal()
	s.bus.Drop(0, 0, 0)
	s.bus.SetDuplicate(0)
	for _, id := range s.ids {
		s.nodes[id].crashAt = crashNone
		s.start(id)
	}
	if !s.withVoter {
		s.elect()
	}
	want := len(s.canon)
	for i := 0; ; i++ {
		if i > maxTicks {
			s.fatalf("no convergence within %d ticks after healing", maxTicks)
		}
		if s.converged() && len(s.canon) > want {
			break
		}
		if i%5 == 0 {
			s.proposeAtLeaders(1)
		}
		s.step()
	}
	for _, id := range s.ids {
		s.checkPrefix(s.nodes[id], 0)
	}
}

func seeds() (first int64, n int) {
	n = *flagSeeds
	if testing.Short() && n > 100 {
		n = 100
	}
	if *flagSeed >= 0 {
		return *flagSeed, 1
	}
	return *flagFirst, n
}

func runSeeds(t *testing.T, name string, f func(t *testing.T, seed int64)) {
	first, n := seeds()
	for seed := first; seed < first+int64(n); seed++ {
		ok := t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { f(t, seed) })
		if !ok {
			t.Logf("replay: go test ./replica -run '%s/seed=%d$' -replica.seed=%d -v", name, seed, seed)
			return
		}
	}
}

// TestDrivenHarness runs the replicas over membus with leadership driven
// by the test (as the voter would drive it), under loss, duplication,
// delay, crashes at every point of a Ready, crash-restarts of any minority
// or of all nodes, late joiners and compaction (hence SNAP syncs).
func TestDrivenHarness(t *testing.T) {
	runSeeds(t, "TestDrivenHarness", func(t *testing.T, seed int64) {
		size := 3
		if seed%4 == 0 {
			size = 5
		}
		s := newSim(t, seed, size, false)
		s.faults()
		s.elect()
		for range 400 {
			s.chaos()
			if s.leader == 0 || !s.nodes[s.leader].alive || s.anyAbdicated() {
				s.elect()
			}
			if s.rng.Intn(3) == 0 {
				s.proposeAtLeaders(1 + s.rng.Intn(3))
			}
			s.step()
		}
		s.finish(400)
	})
}

// TestEnsembleSimulation runs voter and replica cores together over
// membus: elections, discovery, sync and broadcast under partitions, loss,
// duplication, delay and crash-restarts, with client proposals throughout.
func TestEnsembleSimulation(t *testing.T) {
	runSeeds(t, "TestEnsembleSimulation", func(t *testing.T, seed int64) {
		size := 3
		if seed%4 == 0 {
			size = 5
		}
		s := newSim(t, seed, size, true)
		s.faults()
		for range 600 {
			s.chaos()
			if s.rng.Intn(3) == 0 {
				s.proposeAtLeaders(1 + s.rng.Intn(3))
			}
			s.step()
		}
		s.finish(1500)
	})
}

func (s *sim) anyAbdicated() bool {
	for _, n := range s.nodes {
		if n.alive && n.abdicate {
			n.abdicate = false
			return true
		}
	}
	return false
}

// faults sets the seed's message faults.
func (s *sim) faults() {
	switch s.rng.Intn(4) {
	case 0:
	case 1:
		s.bus.Drop(0, 0, 0.05+0.15*s.rng.Float64())
	case 2:
		s.bus.SetDuplicate(0.2)
		s.bus.SetDelay(0, 3)
	case 3:
		s.bus.Drop(0, 0, 0.1)
		s.bus.SetDuplicate(0.1)
		s.bus.SetDelay(0, 2)
	}
}

// chaos injects at most one node-level fault per step.
func (s *sim) chaos() {
	id := s.ids[s.rng.Intn(len(s.ids))]
	n := s.nodes[id]
	switch x := s.rng.Intn(1000); {
	case x < 8 && n.alive:
		n.crashAt = 1 + s.rng.Intn(numCrashPoints-1)
		s.logf("arm crash %d at point %d", id, n.crashAt)
	case x < 14 && n.alive:
		s.crash(id)
	case x < 40 && !n.alive:
		s.start(id)
		if !s.withVoter && s.leader != 0 && s.nodes[s.leader].alive && id != s.leader {
			s.local(id, &msg.Follow{Leader: s.leader, Epoch: s.epoch})
		}
	case x < 42:
		for _, id := range s.ids {
			s.crash(id)
		}
		s.logf("crash all")
	case x < 50 && n.alive && len(n.applied) > 0:
		if err := n.s.Compact(lastZxid(n.applied), encodeState(n.applied)); err != nil {
			s.fatalf("node %d: compact: %v", id, err)
		}
		s.logf("compact %d at %x", id, lastZxid(n.applied))
	case x < 54 && s.withVoter:
		minority := []msg.NodeID{id}
		var rest []msg.NodeID
		for _, o := range s.ids {
			if o != id {
				rest = append(rest, o)
			}
		}
		s.bus.Partition(minority, rest)
		s.logf("partition %v | %v", minority, rest)
	case x < 60 && s.withVoter:
		s.bus.Heal()
		s.logf("heal")
	case x < 62 && !s.withVoter:
		s.elect()
	}
}

// TestSimulationDetectsLoss makes sure the harness's checks can fail: a
// shell that acks without fsync (crash loses acked entries) must be caught
// in at least one of a few seeds.
func TestSimulationDetectsLoss(t *testing.T) {
	caught := 0
	for seed := int64(1); seed <= 30 && caught == 0; seed++ {
		ft := &fakeT{TB: t}
		func() {
			defer func() {
				if r := recover(); r != nil && r != fakeFatal {
					panic(r)
				}
			}()
			s := newSim(ft, seed, 3, false)
			s.bus.SetDelay(0, 2)
			s.elect()
			for i := range 120 {
				if i%3 == 0 {
					s.proposeAtLeaders(2)
				}
				s.step()
				if i%20 == 10 {
					// Lose a majority's durable tail, as a lying fsync
					// would, while the third node is down.
					for _, id := range s.ids {
						s.crash(id)
					}
					for _, id := range s.ids[:2] {
						n := s.nodes[id]
						n.s.durable.ents = n.s.durable.ents[:len(n.s.durable.ents)/2]
						n.s.Crash()
						s.start(id)
					}
					s.elect()
				}
			}
			s.finish(400)
		}()
		if ft.failed {
			caught++
		}
	}
	if caught == 0 {
		t.Fatal("the harness never noticed lost committed entries")
	}
}

var fakeFatal = new(int)

type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Fatalf(string, ...any) { f.failed = true; panic(fakeFatal) }
func (f *fakeT) Helper()               {}
