package sim

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/store"
	"github.com/paddock-zk/paddock/zk"
)

// The whole-ensemble simulation of the store: voter, store and sessions
// actors on every node over a seeded membus with partitions, loss,
// duplication, delay, crash-restarts that lose unsynced data, crash points
// inside the handling of a Ready, whole-ensemble crashes and snapshots
// (hence SNAP syncs); simulated clients with sessions that move between
// nodes on ConnectionLoss, checked against the reference tree. A failing
// seed is printed and replayable with -store.seed=N -v, which also logs
// the events as they happen.

var (
	flagSeeds = flag.Int("store.seeds", 300, "seeded runs of the store simulation (25 with -short, 60 with -race unless given)")
	flagSeed  = flag.Int64("store.seed", -1, "replay only this seed, with a verbose log")
	flagFirst = flag.Int64("store.first", 1, "first seed of the run (for long hunts)")
)

// clientTimeout is how many ticks a client waits for a reply before it
// moves on.
const clientTimeout = 40

// storeSim is an ensemble with simulated clients and the checks of their
// replies.
type storeSim struct {
	*Ensemble
	clients []*simClient
	// abandoned: sessions clients walked away from without closing.
	abandoned []int64
	finishing bool
	// captured: replies to "t:..." clients of the focused tests
	// (requests_test.go), and their watch events.
	captured map[string][]*msg.Reply
	watched  map[string][]*msg.WatchEvent
	refused  map[TxnKey]zk.Code // writes answered with a definite error
	maxAcked int64              // highest zxid of an acknowledged write
	acked    int
}

func newStoreSim(t testing.TB, seed int64, n, clients int, opts Options) *storeSim {
	s := newStoreSimDown(t, seed, n, opts)
	for i := range clients {
		c := &simClient{s: s, name: fmt.Sprintf("c%d", i), lastXid: map[[2]int64]int32{}, versions: map[string]int32{}, sent: map[TxnKey]sentReq{}}
		s.clients = append(s.clients, c)
		s.Bus.SubscribeClient(c.name, func(env msg.Envelope) {
			if rp, ok := env.Body.(*msg.Reply); ok {
				c.onReply(env.From.Node, s.Nodes[env.From.Node].Inc, rp)
			}
		})
	}
	for _, id := range s.IDs {
		s.Start(id)
	}
	return s
}

// newStoreSimDown is a storeSim without clients, its nodes all down.
func newStoreSimDown(t testing.TB, seed int64, n int, opts Options) *storeSim {
	opts.Seed, opts.Nodes = seed, n
	opts.Verbose = opts.Verbose || *flagSeed >= 0
	return &storeSim{Ensemble: New(t, opts), refused: map[TxnKey]zk.Code{},
		captured: map[string][]*msg.Reply{}, watched: map[string][]*msg.WatchEvent{}}
}

// capture collects what the ensemble sends to the client name.
func (s *storeSim) capture(name string) {
	s.Bus.SubscribeClient(name, func(env msg.Envelope) {
		switch b := env.Body.(type) {
		case *msg.Reply:
			s.captured[name] = append(s.captured[name], b)
		case *msg.WatchEvent:
			s.watched[name] = append(s.watched[name], b)
		}
	})
}

// step is one step of the ensemble, then the clients act.
func (s *storeSim) step() {
	s.Step()
	for _, c := range s.clients {
		c.act()
	}
}

func (s *storeSim) faults() {
	switch s.Rand.Intn(4) {
	case 0:
	case 1:
		s.Bus.Drop(0, 0, 0.05+0.15*s.Rand.Float64())
	case 2:
		s.Bus.SetDuplicate(0.2)
		s.Bus.SetDelay(0, 3)
	case 3:
		s.Bus.Drop(0, 0, 0.1)
		s.Bus.SetDuplicate(0.1)
		s.Bus.SetDelay(0, 2)
	}
}

// chaos injects at most one node-level fault per step.
func (s *storeSim) chaos() {
	id := s.IDs[s.Rand.Intn(len(s.IDs))]
	n := s.Nodes[id]
	// Disjoint ranges: a case whose node condition fails must not fall
	// into the next range.
	switch x := s.Rand.Intn(1000); {
	case x < 6:
		if n.Alive() {
			s.Arm(id, CrashPoints[s.Rand.Intn(len(CrashPoints))])
		}
	case x < 10:
		s.Crash(id)
		s.routes(id, false)
	case x < 40:
		up := !n.Alive()
		s.Start(id)
		if up {
			s.routes(id, true)
		}
	case x < 41:
		for _, id := range s.IDs {
			s.Crash(id)
		}
		s.Logf("crash all")
	case x < 45:
		minority := []msg.NodeID{id}
		var rest []msg.NodeID
		for _, o := range s.IDs {
			if o != id {
				rest = append(rest, o)
			}
		}
		s.Bus.Partition(minority, rest)
		s.Logf("partition %v | %v", minority, rest)
		s.routes(id, false)
		for _, o := range rest {
			s.tellRoute(id, o, false) // a cut route drops at both ends
		}
	case x < 52:
		s.Bus.Heal()
		s.Logf("heal")
		for _, id := range s.IDs {
			s.routes(id, true)
		}
	}
}

// routes tells the voters what the real bus reports when id's routes go
// down or come up (PeerDown, PeerUp): the other live nodes hear about id,
// and on up id hears about them. A partition calls it for both sides.
func (s *storeSim) routes(id msg.NodeID, up bool) {
	for _, o := range s.IDs {
		s.tellRoute(o, id, up)
		if up {
			s.tellRoute(id, o, up)
		}
	}
}

// tellRoute delivers PeerDown or PeerUp about a node to a live node's voter.
func (s *storeSim) tellRoute(to, about msg.NodeID, up bool) {
	if to == about || !s.Nodes[to].Alive() {
		return
	}
	var body msg.Body = &msg.PeerDown{Node: about}
	if up {
		body = &msg.PeerUp{Node: about}
	}
	s.Deliver(to, msg.New(msg.Addr{Node: to}, msg.Addr{Node: to, Role: msg.RoleVoter}, body))
}

// converged: every node up and serving under one leader, every tree at the
// leader's commit point, which is the end of the canonical history.
func (s *storeSim) converged() bool {
	var leader *Node
	for _, id := range s.IDs {
		n := s.Nodes[id]
		if !n.Alive() || !n.Store.Status().Serving {
			return false
		}
		if n.Store.Status().Role == replica.RoleLeader {
			if leader != nil {
				return false
			}
			leader = n
		}
	}
	if leader == nil {
		return false
	}
	commit := leader.Store.Status().CommittedZxid
	for _, id := range s.IDs {
		if uint64(s.Nodes[id].Store.Tree().LastZxid()) != commit {
			return false
		}
	}
	return commit == s.History.LastZxid()
}

// finish heals every fault and restarts every node; the ensemble must then
// converge and every client must get a write acknowledged (progress).
func (s *storeSim) finish(maxTicks int) {
	s.Bus.Heal()
	s.Bus.Drop(0, 0, 0)
	s.Bus.SetDuplicate(0)
	s.Logf("finish: heal all")
	s.finishing = true
	for _, id := range s.IDs {
		if n := s.Nodes[id]; n.Alive() {
			n.armed = ""
		}
		s.Start(id)
	}
	for _, c := range s.clients {
		c.mustWrite = true
	}
	for i := 0; ; i++ {
		if i > maxTicks {
			s.Fatalf("no convergence within %d ticks after healing", maxTicks)
		}
		done := s.converged()
		for _, c := range s.clients {
			done = done && !c.mustWrite
		}
		for _, id := range s.abandoned {
			// The leader's tracker must expire it (timeout 10 s = 100
			// ticks after the new leader's start at the latest).
			_, live := s.History.Ref.Session(id)
			done = done && !live
		}
		if done {
			break
		}
		s.step()
	}
	s.checkFinal()
}

// checkFinal checks the end state: equal trees everywhere, refused writes
// never committed, ephemerals owned by live sessions.
func (s *storeSim) checkFinal() {
	ref := s.History.Ref
	for _, id := range s.IDs {
		t := s.Nodes[id].Store.Tree()
		if t.Digest() != ref.Digest() || t.LastZxid() != ref.LastZxid() {
			s.Fatalf("node %d ends at %x digest %x, the reference at %x digest %x", id, t.LastZxid(), t.Digest(), ref.LastZxid(), ref.Digest())
		}
		if t.DigestSlow() != t.Digest() {
			s.Fatalf("node %d: incremental digest %x, recomputed %x", id, t.Digest(), t.DigestSlow())
		}
	}
	for k, code := range s.refused {
		if z, ok := s.History.Txns[k]; ok {
			s.Fatalf("request (session %x, xid %d) was answered %d but committed at %x", k.Session, k.Cxid, code, z)
		}
	}
	for _, c := range s.clients {
		for _, id := range c.closed {
			if _, live := ref.Session(id); live || len(ref.GetEphemerals(id)) > 0 {
				s.Fatalf("client %s closed session %x, still live or owning ephemerals", c.name, id)
			}
		}
	}
	for _, id := range s.abandoned {
		if len(ref.GetEphemerals(id)) > 0 {
			s.Fatalf("abandoned session %x expired but still owns %v", id, ref.GetEphemerals(id))
		}
	}
	for _, si := range ref.Sessions() {
		if slices.Contains(s.abandoned, si.ID) {
			s.Fatalf("abandoned session %x still live", si.ID)
		}
	}
}

// seeds is the range of seeds to run: the one of flagOne, or flagN (the
// flag named countFlag) from flagFrom, at most short of them with -short
// and race with -race unless the count was given.
func seeds(flagN *int, countFlag string, flagOne, flagFrom *int64, short, race int) (first int64, n int) {
	n = *flagN
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == countFlag })
	switch {
	case testing.Short() && n > short:
		n = short
	case raceEnabled && !given && n > race:
		n = race
	}
	if *flagOne >= 0 {
		return *flagOne, 1
	}
	return *flagFrom, n
}

// runSeeds runs f for each seed of the flags, stopping at the first
// failure with the command that replays it.
func runSeeds(t *testing.T, first int64, n int, replay string, f func(t *testing.T, seed int64)) {
	for seed := first; seed < first+int64(n); seed++ {
		ok := t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { f(t, seed) })
		if !ok {
			t.Logf("replay: go test ./internal/sim -run '%s/seed=%d$' %s=%d -v", t.Name(), seed, replay, seed)
			return
		}
	}
}

// runSim is one seeded run: an ensemble of 3 (or 5) voters and perhaps an
// observer, a few clients,
// `steps` ticks of faults and requests, then healing and the final checks.
func runSim(t testing.TB, seed int64, steps int) *storeSim {
	size := 3
	if seed%4 == 0 {
		size = 5
	}
	// A third of the runs have an observer, which the clients use like
	// any node and the faults hit like any node.
	observers := 0
	if seed%3 == 1 {
		observers = 1
	}
	s := newStoreSim(t, seed, size, 2+int(seed%3), Options{Observers: observers})
	s.faults()
	for range steps {
		s.chaos()
		s.step()
	}
	s.finish(1500)
	return s
}

// TestEnsembleSimulation runs the production actors on every node with
// clients issuing creates (persistent, sequential, ephemeral),
// compare-and-set setData, deletes, multi, reads, sync and session
// close/move, under partitions, loss, duplication, delay, crash-restarts,
// crash points, whole-ensemble crashes and snapshots. Invariants: every
// node's applied txns are a prefix of one history with equal tree digests
// at equal zxids; a request commits at most once; an acknowledged write is
// committed (with the zxid, version and path its reply names); a refused
// one never is; reads return the committed state at the reply's zxid; sync
// returns a zxid at or past every write acknowledged before it was sent;
// at most one leader commits per epoch; a session's replies from one node
// come in xid order; a healed ensemble converges and serves writes.
func TestEnsembleSimulation(t *testing.T) {
	txns, runs := 0, 0
	first, n := seeds(flagSeeds, "store.seeds", flagSeed, flagFirst, 25, 60)
	runSeeds(t, first, n, "-store.seed", func(t *testing.T, seed int64) {
		s := runSim(t, seed, 250)
		txns, runs = txns+s.History.Len(), runs+1
		if *flagSeed >= 0 {
			t.Logf("canon %d txns, acked %d, bus %+v", s.History.Len(), s.acked, s.Bus.Stats())
		}
	})
	t.Logf("%d committed txns in %d runs", txns, runs)
	// A guard on the harness itself: a workload that quietly stopped
	// writing would pass every check.
	if runs >= 20 && txns < 20*runs {
		t.Fatalf("only %d committed txns in %d runs: the simulated clients hardly write", txns, runs)
	}
}

// TestSimulationIsDeterministic: a seed must replay exactly, or a failing
// seed could not be debugged.
func TestSimulationIsDeterministic(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		a, b := runSim(t, seed, 300), runSim(t, seed, 300)
		if a.Bus.Stats() != b.Bus.Stats() || strings.Join(a.Events(), "\n") != strings.Join(b.Events(), "\n") {
			t.Fatalf("seed %d ran differently twice: %+v vs %+v", seed, a.Bus.Stats(), b.Bus.Stats())
		}
	}
}

// TestSimulationDetectsLoss makes sure the checks can fail: with disks
// whose log fsyncs lie, crashes lose acknowledged writes, and some seed
// must be caught. One log file and no snapshots: the wal then takes the
// lost log for one torn while it was created, and only the history
// checks can notice.
func TestSimulationDetectsLoss(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		ft := &fakeT{TB: t}
		func() {
			defer func() {
				if r := recover(); r != nil && r != fakeFatal {
					panic(r)
				}
			}()
			s := newStoreSim(ft, seed, 3, 3, Options{SegmentBytes: 1 << 30,
				StoreConfig: func(_ msg.NodeID, c *store.Config) { c.SnapCount = 1 << 20 }})
			for _, id := range s.IDs {
				s.Nodes[id].FS.LieAboutSyncs(func(p string) bool { return strings.Contains(p, "/log.") })
			}
			for i := range 250 {
				if i%60 == 50 {
					for _, id := range s.IDs {
						s.Crash(id)
					}
				}
				if i%60 == 55 {
					for _, id := range s.IDs {
						s.Start(id)
					}
				}
				s.step()
			}
			s.finish(1500)
		}()
		if ft.failed {
			t.Logf("caught at seed %d: %.300s", seed, ft.msg)
			return
		}
	}
	t.Fatal("the simulation never noticed lost acknowledged writes")
}

var fakeFatal = new(int)

// fakeT turns a failed check into a panic the test recovers from.
type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	panic(fakeFatal)
}
func (f *fakeT) Helper()             {}
func (f *fakeT) Logf(string, ...any) {}
