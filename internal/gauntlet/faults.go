package gauntlet

import (
	"fmt"
	"math/rand"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/paddock-zk/paddock/internal/testkit"
)

// Fault is a kind of fault the scheduler injects.
type Fault string

// The fault kinds.
const (
	KillRandom      Fault = "kill-random"        // kill -9 one node, restart it later
	KillLeader      Fault = "kill-leader"        // kill -9 the leader, restart it later
	KillAll         Fault = "kill-all"           // kill -9 every node at once, restart them
	PauseRandom     Fault = "pause-random"       // SIGSTOP one node past the session timeout
	PauseLeader     Fault = "pause-leader"       // SIGSTOP the leader past the session timeout
	PartitionMinor  Fault = "partition-minority" // cut one follower from the rest
	PartitionLeader Fault = "partition-leader"   // cut the leader from the rest
	PartitionBridge Fault = "partition-bridge"   // cut two nodes from each other; the third sees both
	SlowNode        Fault = "slow-node"          // delay every route of one node
	FlakyRoutes     Fault = "flaky-routes"       // close random routes again and again, losing messages in flight
	ClockSkew       Fault = "clock-skew"         // restart a node (or the leader) on a fast or slow clock, then on the right one
)

// CrashPoint, DiskFull and FsyncEIO, the crash-point and storage fault
// kinds, are in storagefaults.go.

// AllFaults is every fault kind.
var AllFaults = []Fault{KillRandom, KillLeader, KillAll, PauseRandom, PauseLeader, PartitionMinor, PartitionLeader, PartitionBridge, SlowNode, FlakyRoutes, ClockSkew, CrashPoint, DiskFull, FsyncEIO}

// ParseFaults parses a comma-separated list of fault kinds ("" or "all": every kind).
func ParseFaults(s string) ([]Fault, error) {
	if s == "" || s == "all" {
		return AllFaults, nil
	}
	var out []Fault
	for _, f := range strings.Split(s, ",") {
		ok := false
		for _, k := range AllFaults {
			ok = ok || Fault(f) == k
		}
		if !ok {
			return nil, fmt.Errorf("gauntlet: unknown fault %q", f)
		}
		out = append(out, Fault(f))
	}
	return out, nil
}

// Timeline is the record of what the scheduler did, with times since the
// run's start; it is printed as it goes and saved with a failing run.
type Timeline struct {
	mu    sync.Mutex
	start time.Time
	lines []string
	logf  func(string, ...any)
}

func (tl *Timeline) add(format string, args ...any) {
	line := fmt.Sprintf("%8.3fs  %s", time.Since(tl.start).Seconds(), fmt.Sprintf(format, args...))
	tl.mu.Lock()
	tl.lines = append(tl.lines, line)
	tl.mu.Unlock()
	if tl.logf != nil {
		tl.logf("%s", line)
	}
}

// String is the whole timeline.
func (tl *Timeline) String() string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return strings.Join(tl.lines, "\n") + "\n"
}

func (tl *Timeline) save(path string) error { return os.WriteFile(path, []byte(tl.String()), 0o644) }

// scheduler injects faults from a seeded generator until its end; every
// fault is healed before the next starts, and the ensemble is given time to
// settle between faults. At the double rate a second fault overlaps one
// (skew.go).
type scheduler struct {
	e        *testkit.Ensemble
	rng      *rand.Rand
	faults   []Fault
	tl       *Timeline
	session  time.Duration // the workload's session timeout: pauses last longer
	injected map[Fault]int
	stuck    []string // an ensemble that did not settle after healing
	double   float64  // the share of faults overlapped by a second one
	overlaps int
}

func (s *scheduler) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Int63n(int64(hi-lo)+1))
}

// leader finds the current leader (waiting a little), or a random node.
func (s *scheduler) leader() int {
	if l := s.e.WaitSettled(5*time.Second, s.e.IDs()...); l != 0 {
		return l
	}
	ids := s.e.IDs()
	return ids[s.rng.Intn(len(ids))]
}

func (s *scheduler) random() int {
	ids := s.e.IDs()
	return ids[s.rng.Intn(len(ids))]
}

func (s *scheduler) others(id int) []int {
	var out []int
	for _, i := range s.e.IDs() {
		if i != id {
			out = append(out, i)
		}
	}
	return out
}

// run injects faults until end. The order of kinds is a seeded shuffle
// repeated, so a run with at least len(faults) faults injects every kind.
func (s *scheduler) run(end time.Time) error {
	var order []Fault
	for i := 0; time.Now().Before(end); i++ {
		if len(order) == 0 {
			order = append([]Fault(nil), s.faults...)
			s.rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		}
		f := order[0]
		order = order[1:]
		time.Sleep(s.between(time.Second, 3*time.Second))
		if !time.Now().Before(end) {
			break
		}
		heal, err := s.beginOverlap(f)
		if err != nil {
			return err
		}
		if err := s.inject(f); err != nil {
			return err
		}
		if heal != nil {
			if err := heal(); err != nil {
				return err
			}
		}
		s.injected[f]++
		if l := s.e.WaitSettled(30*time.Second, s.e.IDs()...); l == 0 {
			modes := fmt.Sprint(s.e.Modes())
			s.tl.add("NOT SETTLED 30s after healing %s: %s", f, modes)
			s.stuck = append(s.stuck, fmt.Sprintf("no leader 30s after healing %s: %s", f, modes))
		} else {
			s.tl.add("settled, leader %d", l)
		}
	}
	return nil
}

func (s *scheduler) inject(f Fault) error {
	switch f {
	case KillRandom, KillLeader:
		id := s.random()
		if f == KillLeader {
			id = s.leader()
		}
		down := s.between(500*time.Millisecond, 4*time.Second)
		s.tl.add("%s: kill -9 node %d for %s", f, id, down)
		s.e.Kill9(id)
		time.Sleep(down)
		s.tl.add("restart node %d", id)
		return s.e.Start(id)
	case KillAll:
		down := s.between(500*time.Millisecond, 3*time.Second)
		s.tl.add("%s: kill -9 every node for %s", f, down)
		for _, id := range s.e.IDs() {
			s.e.Kill9(id)
		}
		time.Sleep(down)
		s.tl.add("restart every node")
		for _, id := range s.e.IDs() {
			if err := s.e.Start(id); err != nil {
				return err
			}
		}
	case PauseRandom, PauseLeader:
		id := s.random()
		if f == PauseLeader {
			id = s.leader()
		}
		d := s.session + s.between(500*time.Millisecond, 3*time.Second)
		s.tl.add("%s: SIGSTOP node %d for %s", f, id, d)
		s.e.Pause(id)
		time.Sleep(d)
		s.tl.add("SIGCONT node %d", id)
		s.e.Resume(id)
	case PartitionMinor, PartitionLeader:
		var id int
		if f == PartitionLeader {
			id = s.leader()
		} else {
			l := s.leader()
			o := s.others(l)
			id = o[s.rng.Intn(len(o))]
		}
		d := s.between(2*time.Second, 8*time.Second)
		s.tl.add("%s: cut node %d from %v for %s", f, id, s.others(id), d)
		s.e.Cut([]int{id}, s.others(id))
		time.Sleep(d)
		s.tl.add("heal routes")
		s.e.HealRoutes()
	case PartitionBridge:
		bridge := s.random()
		if s.rng.Intn(2) == 0 {
			bridge = s.leader() // the leader is the bridge: its followers cannot see each other
		}
		o := s.others(bridge)
		d := s.between(2*time.Second, 8*time.Second)
		s.tl.add("%s: cut %d from %d (bridge %d) for %s", f, o[0], o[1], bridge, d)
		s.e.Cut(o[:1], o[1:])
		time.Sleep(d)
		s.tl.add("heal routes")
		s.e.HealRoutes()
	case SlowNode:
		id := s.random()
		if s.rng.Intn(2) == 0 {
			id = s.leader()
		}
		delay := s.between(20*time.Millisecond, 400*time.Millisecond)
		d := s.between(2*time.Second, 8*time.Second)
		s.tl.add("%s: delay node %d's routes by %s for %s", f, id, delay, d)
		s.e.Delay(id, delay)
		time.Sleep(d)
		s.tl.add("heal routes")
		s.e.HealRoutes()
	case FlakyRoutes:
		d := s.between(2*time.Second, 8*time.Second)
		s.tl.add("%s: close random routes every 100-800ms for %s", f, d)
		flaps := 0
		for end := time.Now().Add(d); time.Now().Before(end); flaps++ {
			i := s.random()
			o := s.others(i)
			s.e.Flap(i, o[s.rng.Intn(len(o))])
			time.Sleep(s.between(100*time.Millisecond, 800*time.Millisecond))
		}
		s.tl.add("%d route flaps", flaps)
	case ClockSkew:
		return s.clockSkew()
	case CrashPoint:
		return s.crashPoint()
	case DiskFull:
		return s.diskFull()
	case FsyncEIO:
		return s.fsyncEIO()
	default:
		return fmt.Errorf("gauntlet: unknown fault %q", f)
	}
	return nil
}
