package sim

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zk"
)

// The scale model: how the work of a write and of a failover grows with
// the number of voters. The simulation runs the production shells, so it
// counts exactly what a node does per write — messages between nodes,
// their bytes, fsyncs — for 3, 5 and 7 voters and a given number of
// writes in flight; the costs per message and per fsync measured on a
// real machine turn those counts into where each ensemble size saturates
// first (README, "Scaling with ensemble size"). Not a test: it asserts
// nothing and runs only when asked (task bench:scale).

var (
	flagScale     = flag.Bool("sim.scale", false, "run TestScaleModel and print its tables")
	flagMsgCost   = flag.Float64("sim.msg-us", 14, "CPU µs a node spends per message it sends or receives (bus, route, codec): about 14 one message at a time, as in BenchmarkWireWrite's profile; 4 streamed (half of natsbus BenchmarkRouteMessage)")
	flagFsyncCPU  = flag.Float64("sim.fsync-cpu-us", 75, "CPU µs of one fsync (system time of an append+fsync loop)")
	flagFsyncWall = flag.Float64("sim.fsync-us", 200, "wall µs of one fsync (the disk does one at a time)")
	flagApplyCost = flag.Float64("sim.apply-us", 16, "CPU µs a node spends per write outside messages and fsyncs (prep, apply, log append; BenchmarkWireWrite's profile)")
	flagClientMsg = flag.Float64("sim.client-us", 20, "CPU µs per client request and per reply at the node serving the client (the ZooKeeper front end, in BenchmarkWireWrite's profile)")
	flagLinkMBps  = flag.Float64("sim.link-mbps", 125, "MB/s of a node's network link (125: 1 Gbit/s)")
)

// writeCounts is what one node did per committed write.
type writeCounts struct {
	msgs, bytes, fsyncs, clients float64
}

// scaleResult is one ensemble size at one number of writes in flight.
type scaleResult struct {
	voters, inflight int
	leader, follower writeCounts
	batch            float64 // writes per leader fsync
}

func TestScaleModel(t *testing.T) {
	if !*flagScale {
		t.Skip("a model, not a test: run with -sim.scale (task bench:scale)")
	}
	var rows []scaleResult
	for _, n := range []int{3, 5, 7} {
		for _, inflight := range []int{1, 8, 32} {
			rows = append(rows, measureWrites(t, n, inflight, 50))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nPer committed setData of 100 bytes, counted in the simulation (messages and bytes between nodes, sent plus received; client requests and replies at the serving node):\n\n")
	fmt.Fprintf(&b, "| voters | in flight | leader msgs | leader KB | leader fsyncs | follower msgs | follower KB | follower fsyncs | writes per fsync |\n")
	fmt.Fprintf(&b, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %d | %d | %.2f | %.2f | %.3f | %.2f | %.2f | %.3f | %.1f |\n", r.voters, r.inflight,
			r.leader.msgs, r.leader.bytes/1024, r.leader.fsyncs, r.follower.msgs, r.follower.bytes/1024, r.follower.fsyncs, r.batch)
	}
	fmt.Fprintf(&b, "\nModelled ceilings in writes/s, one node per core, with %.0f µs CPU per message, %.0f µs CPU and %.0f µs wall per fsync, %.0f µs per write applied, %.0f µs per client request at its node, links of %.0f MB/s (clients spread evenly over the nodes):\n\n",
		*flagMsgCost, *flagFsyncCPU, *flagFsyncWall, *flagApplyCost, *flagClientMsg, *flagLinkMBps)
	fmt.Fprintf(&b, "| voters | in flight | leader CPU | follower CPU | leader disk | leader link | bound by |\n")
	fmt.Fprintf(&b, "| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		lc := 1e6 / cpuPerWrite(r.leader)
		fc := 1e6 / cpuPerWrite(r.follower)
		disk := 1e6 / (r.leader.fsyncs * *flagFsyncWall)
		link := *flagLinkMBps * 1e6 / r.leader.bytes
		limits := map[string]float64{"leader CPU": lc, "follower CPU": fc, "leader disk": disk, "leader link": link}
		by := "leader CPU"
		for k, v := range limits {
			if v < limits[by] {
				by = k
			}
		}
		fmt.Fprintf(&b, "| %d | %d | %.0f | %.0f | %.0f | %.0f | %s |\n", r.voters, r.inflight, lc, fc, disk, link, by)
	}
	fmt.Fprintf(&b, "\nFailover in the simulation (ticks of %d ms from the leader's crash to the next acknowledged write through a survivor; messages between nodes meanwhile), 20 seeds each:\n\n", TickMs)
	fmt.Fprintf(&b, "| voters | ticks: median | min | max | messages: median |\n| --- | --- | --- | --- | --- |\n")
	for _, n := range []int{3, 5, 7} {
		var ticks, msgs []int
		for seed := int64(1); seed <= 20; seed++ {
			tk, m := measureFailover(t, seed, n)
			ticks, msgs = append(ticks, tk), append(msgs, m)
		}
		slices.Sort(ticks)
		slices.Sort(msgs)
		fmt.Fprintf(&b, "| %d | %d | %d | %d | %d |\n", n, ticks[len(ticks)/2], ticks[0], ticks[len(ticks)-1], msgs[len(msgs)/2])
	}
	t.Log(b.String())
}

// cpuPerWrite is the modelled CPU µs a node spends per write.
func cpuPerWrite(c writeCounts) float64 {
	return c.msgs**flagMsgCost + c.fsyncs**flagFsyncCPU + *flagApplyCost + c.clients**flagClientMsg
}

// trafficCounter counts the messages between nodes, and their encoded
// bytes, that each node sends and receives.
type trafficCounter struct {
	msgs, bytes map[msg.NodeID]float64
	live        func() []msg.NodeID
}

func (c *trafficCounter) hook(env msg.Envelope) bool {
	if env.From.Node == 0 || env.From.Node == env.To.Node {
		return true // a client's request, or between a node's own actors
	}
	b, err := buswire.Encode(env)
	if err != nil {
		return true
	}
	to := []msg.NodeID{env.To.Node}
	if env.To.Broadcast() {
		to = nil
		for _, id := range c.live() {
			if id != env.From.Node {
				to = append(to, id)
			}
		}
	}
	for _, id := range to {
		c.msgs[env.From.Node]++
		c.bytes[env.From.Node] += float64(len(b))
		c.msgs[id]++
		c.bytes[id] += float64(len(b))
	}
	return true
}

func (c *trafficCounter) reset() {
	c.msgs, c.bytes = map[msg.NodeID]float64{}, map[msg.NodeID]float64{}
}

func newTrafficCounter(s *storeSim) *trafficCounter {
	c := &trafficCounter{live: func() []msg.NodeID {
		var ids []msg.NodeID
		for _, id := range s.IDs {
			if s.Nodes[id].Alive() {
				ids = append(ids, id)
			}
		}
		return ids
	}}
	c.reset()
	s.Bus.AddHook(c.hook)
	return c
}

// measureWrites has inflight clients, spread over the nodes, each set its
// own znode rounds times, all at once each round, and counts per write.
func measureWrites(t *testing.T, n, inflight, rounds int) scaleResult {
	s := stableSim(t, n)
	leader, follower := s.leaderID(), s.follower()
	clients := make([]*tc, inflight)
	value := strings.Repeat("v", 100)
	for i := range clients {
		node := s.IDs[i%n]
		clients[i] = s.session(node, fmt.Sprintf("w%d", i))
		if rp := clients[i].do(node, create(fmt.Sprintf("/w%d", i), value, zk.Persistent)); rp.Err != 0 {
			t.Fatalf("create: %v", rp.Err)
		}
	}
	traffic := newTrafficCounter(s)
	syncs := func(id msg.NodeID) int64 { return s.Nodes[id].FS.Syncs() }
	l0, f0 := syncs(leader), syncs(follower)
	for range rounds {
		xids := make([]int32, inflight)
		for i, c := range clients {
			xids[i] = c.post(s.IDs[i%n], setData(fmt.Sprintf("/w%d", i), value, -1))
		}
		s.Process()
		for i, c := range clients {
			if rp := c.wait(xids[i]); rp.Err != 0 {
				t.Fatalf("setData: %v", rp.Err)
			}
		}
	}
	writes := float64(rounds * inflight)
	per := func(id msg.NodeID, synced int64) writeCounts {
		served := 0
		for i := range inflight {
			if s.IDs[i%n] == id {
				served++
			}
		}
		return writeCounts{msgs: traffic.msgs[id] / writes, bytes: traffic.bytes[id] / writes,
			fsyncs: float64(syncs(id)-synced) / writes, clients: 2 * float64(served) / float64(inflight)}
	}
	r := scaleResult{voters: n, inflight: inflight, leader: per(leader, l0), follower: per(follower, f0)}
	r.batch = 1 / r.leader.fsyncs
	return r
}

// measureFailover crashes the leader of a settled ensemble (the others
// hear of it as from the bus) and counts the ticks, and the messages between nodes, until a write through a survivor
// is acknowledged.
func measureFailover(t *testing.T, seed int64, n int) (ticks, msgs int) {
	s := newStoreSim(t, seed, n, 0, Options{})
	s.settle()
	leader := s.leaderID()
	var via msg.NodeID
	for _, id := range s.IDs {
		if id != leader {
			via = id
			break
		}
	}
	c := s.session(via, "f")
	traffic := newTrafficCounter(s)
	s.Crash(leader)
	s.routes(leader, false) // as the bus reports a dead node's routes
	start := s.Bus.Now()
	for s.Bus.Now()-start < 1000 {
		rp := c.do(via, setData("/", "x", -1))
		if rp.Err == 0 {
			total := 0.0
			for _, m := range traffic.msgs {
				total += m
			}
			return int(s.Bus.Now() - start), int(total / 2)
		}
		s.step()
	}
	t.Fatalf("seed %d, %d voters: no write acknowledged 1000 ticks after the leader's crash", seed, n)
	return 0, 0
}
