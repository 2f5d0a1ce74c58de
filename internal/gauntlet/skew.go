package gauntlet

import (
	"fmt"
	"strconv"
	"time"

	"github.com/paddock-zk/paddock/internal/testkit"
)

// Clock skew and overlapping faults.

// skewRates are the clock rates the clock-skew fault draws from: slow and
// fast, never so far off that the ensemble's own timeouts (in ticks of
// the node's clock) become meaningless.
var skewRates = []float64{0.5, 0.7, 1.5, 2.0}

// skewOffsets are how far off the skewed clock starts. A node that ran
// ahead and is then restarted with the right clock sees its clock go
// back, which is what broke the forwards' sequence base (see the store's
// TestOriginRestartClockBehind).
var skewOffsets = []time.Duration{0, 45 * time.Second, -45 * time.Second}

// The variables cmd/node reads for a skewed clock (its faults.go).
const (
	envClockRate   = "PADDOCK_CLOCK_RATE"
	envClockOffset = "PADDOCK_CLOCK_OFFSET"
)

// startSkewed starts node id on a clock running at rate and offset from
// the real one (envClockRate, envClockOffset in its environment).
func startSkewed(e *testkit.Ensemble, id int, rate float64, offset time.Duration) error {
	return e.StartEnv(id, envClockRate+"="+strconv.FormatFloat(rate, 'f', -1, 64), envClockOffset+"="+offset.String())
}

// clockSkew is the clock-skew fault: restart a node (half the time the
// leader) on a skewed clock for a while, then restart it with the right
// clock.
func (s *scheduler) clockSkew() error {
	id := s.random()
	if s.rng.Intn(2) == 0 {
		id = s.leader()
	}
	rate := skewRates[s.rng.Intn(len(skewRates))]
	offset := skewOffsets[s.rng.Intn(len(skewOffsets))]
	d := s.between(3*time.Second, 10*time.Second)
	s.tl.add("%s: restart node %d with its clock at %.1fx from %s off, for %s", ClockSkew, id, rate, offset, d)
	s.e.Kill9(id)
	if err := startSkewed(s.e, id, rate, offset); err != nil {
		return err
	}
	time.Sleep(d)
	s.tl.add("restart node %d with the right clock", id)
	s.e.Kill9(id)
	return s.e.Start(id)
}

// An overlapping fault is begun before the scheduler's next fault and
// healed after it, so the two are active together (a node killed during a
// partition, a pause during slow routes, …). It is one of these kinds, on
// a random node (the same as the first fault's or not); every one heals to
// the full ensemble, so a quorum comes back once both are over.
var overlapKinds = []Fault{KillRandom, PauseRandom, SlowNode, PartitionMinor, ClockSkew}

// overlapped are the kinds a second fault may overlap. Not kill-all (a
// node more down changes nothing), nor the storage kinds, which need
// writes to flow through a quorum to reach their crash point or fill
// the disk.
var overlapped = []Fault{KillRandom, KillLeader, PauseRandom, PauseLeader, PartitionMinor, PartitionLeader, PartitionBridge, SlowNode, FlakyRoutes, ClockSkew}

// routeFault reports whether f changes routes and heals them all with
// HealRoutes: another route fault under it would be healed early.
func routeFault(f Fault) bool {
	switch f {
	case PartitionMinor, PartitionLeader, PartitionBridge, SlowNode, FlakyRoutes:
		return true
	}
	return false
}

// beginOverlap maybe begins a fault to overlap f (at the scheduler's
// double rate) and returns how to heal it, or nil.
func (s *scheduler) beginOverlap(f Fault) (heal func() error, err error) {
	if s.double <= 0 || !contains(overlapped, f) || s.rng.Float64() >= s.double {
		return nil, nil
	}
	var kinds []Fault
	for _, k := range overlapKinds {
		if (!routeFault(f) || !routeFault(k)) && contains(s.faults, k) {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		return nil, nil
	}
	k := kinds[s.rng.Intn(len(kinds))]
	id := s.random()
	s.injected[k]++
	s.overlaps++
	switch k {
	case KillRandom:
		s.tl.add("overlap %s: kill -9 node %d until %s is over", k, id, f)
		s.e.Kill9(id)
		return func() error { s.tl.add("overlap over: restart node %d", id); return s.e.Start(id) }, nil
	case PauseRandom:
		s.tl.add("overlap %s: SIGSTOP node %d until %s is over", k, id, f)
		s.e.Pause(id)
		return func() error { s.tl.add("overlap over: SIGCONT node %d", id); s.e.Resume(id); return nil }, nil
	case SlowNode:
		delay := s.between(20*time.Millisecond, 300*time.Millisecond)
		s.tl.add("overlap %s: delay node %d's routes by %s until %s is over", k, id, delay, f)
		s.e.Delay(id, delay)
		return func() error { s.tl.add("overlap over: undelay node %d", id); s.e.Delay(id, 0); return nil }, nil
	case PartitionMinor:
		o := s.others(id)
		s.tl.add("overlap %s: cut node %d from %v until %s is over", k, id, o, f)
		s.e.Cut([]int{id}, o)
		return func() error {
			s.tl.add("overlap over: heal node %d's routes", id)
			s.e.HealCut([]int{id}, o)
			return nil
		}, nil
	case ClockSkew:
		rate := skewRates[s.rng.Intn(len(skewRates))]
		offset := skewOffsets[s.rng.Intn(len(skewOffsets))]
		s.tl.add("overlap %s: restart node %d with its clock at %.1fx from %s off until %s is over", k, id, rate, offset, f)
		s.e.Kill9(id)
		if err := startSkewed(s.e, id, rate, offset); err != nil {
			return nil, err
		}
		return func() error {
			s.tl.add("overlap over: restart node %d with the right clock", id)
			s.e.Kill9(id)
			return s.e.Start(id)
		}, nil
	}
	return nil, fmt.Errorf("gauntlet: no overlap for %q", k)
}
