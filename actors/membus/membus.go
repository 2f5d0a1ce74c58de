package membus

import (
	"errors"
	"fmt"
	"math/rand"
	"sort"

	"github.com/paddock-zk/paddock/actors"
	"github.com/paddock-zk/paddock/actors/msg"
)

// ErrNoSubscriber is never returned (the bus is at-most-once); it names the
// drop reason in Stats.
var ErrNoSubscriber = errors.New("membus: no subscriber")

// Stats counts what happened to messages.
type Stats struct {
	Sent, Delivered, Duplicated                       uint64
	DroppedFault, DroppedPartition, DroppedNoReceiver uint64
}

type flight struct {
	due    int64
	seq    uint64
	env    msg.Envelope
	client string // for a client (ToClient): its replyTo; env.To is zero
}

type sub struct {
	id      uint64
	addr    msg.Addr
	client  string // a client's replyTo (SubscribeClient); addr is zero
	deliver func(msg.Envelope)
}

type link struct{ from, to msg.NodeID }

// Bus is the simulated bus.
type Bus struct {
	rng      *rand.Rand
	now      int64
	seq      uint64
	queue    []flight
	subs     []sub
	nextSub  uint64
	group    map[msg.NodeID]int // partition group; absent = everyone's group 0 unless partitioned
	parted   bool
	isolated map[msg.NodeID]bool
	drops    map[link]float64
	dup      float64
	dmin     int64
	dmax     int64
	hooks    []func(msg.Envelope) bool
	stats    Stats
}

var _ actors.Bus = (*Bus)(nil)

// New returns a bus whose randomness all comes from seed.
func New(seed int64) *Bus {
	return &Bus{rng: rand.New(rand.NewSource(seed)), isolated: map[msg.NodeID]bool{}, drops: map[link]float64{}}
}

// Rand is the bus's seeded source.
func (b *Bus) Rand() *rand.Rand { return b.rng }

// Now is the current step.
func (b *Bus) Now() int64 { return b.now }

// Advance moves time forward without delivering.
func (b *Bus) Advance(steps int64) { b.now += steps }

// Stats returns the counters.
func (b *Bus) Stats() Stats { return b.stats }

// Pending is the number of messages in flight.
func (b *Bus) Pending() int { return len(b.queue) }

// Subscribe registers deliver for addr and for broadcasts to addr.Role.
func (b *Bus) Subscribe(addr msg.Addr, deliver func(msg.Envelope)) (func(), error) {
	return b.subscribe(sub{addr: addr, deliver: deliver}), nil
}

// SubscribeClient registers deliver, as a client, for what actors send to
// replyTo with ToClient; the envelopes it gets have a zero To.
func (b *Bus) SubscribeClient(replyTo string, deliver func(msg.Envelope)) (unsubscribe func()) {
	return b.subscribe(sub{client: replyTo, deliver: deliver})
}

func (b *Bus) subscribe(s sub) func() {
	b.nextSub++
	s.id = b.nextSub
	b.subs = append(b.subs, s)
	return func() {
		for i, x := range b.subs {
			if x.id == s.id {
				b.subs = append(b.subs[:i], b.subs[i+1:]...)
				return
			}
		}
	}
}

// ToClient queues body for the client subscribed to replyTo. A client's
// connection to its node is no link between nodes, so no fault or hook
// applies: it arrives once, in order, without delay, unless the sending
// node crashes first.
func (b *Bus) ToClient(from msg.Addr, replyTo string, body msg.Body) error {
	b.stats.Sent++
	b.seq++
	b.queue = append(b.queue, flight{due: b.now, seq: b.seq, env: msg.New(from, msg.Addr{}, body), client: replyTo})
	return nil
}

// Send queues env, applying faults.
func (b *Bus) Send(env msg.Envelope) error {
	b.stats.Sent++
	for _, h := range b.hooks {
		if !h(env) {
			b.stats.DroppedFault++
			return nil
		}
	}
	if env.To.Broadcast() {
		// Fan out now so each copy meets its own faults.
		var nodes []msg.NodeID
		seen := map[msg.NodeID]bool{}
		for _, s := range b.subs {
			if s.addr.Role == env.To.Role && s.addr.Node != env.From.Node && !seen[s.addr.Node] {
				seen[s.addr.Node] = true
				nodes = append(nodes, s.addr.Node)
			}
		}
		sort.Slice(nodes, func(i, j int) bool { return nodes[i] < nodes[j] })
		for _, n := range nodes {
			c := env
			c.To = msg.Addr{Node: n, Role: env.To.Role}
			b.enqueue(c)
		}
		return nil
	}
	b.enqueue(env)
	return nil
}

func (b *Bus) local(env msg.Envelope) bool {
	return env.From.Node == env.To.Node || env.From.Role == msg.RoleNone
}

func (b *Bus) enqueue(env msg.Envelope) {
	if b.local(env) {
		b.push(b.now, env)
		return
	}
	if !b.connected(env.From.Node, env.To.Node) {
		b.stats.DroppedPartition++
		return
	}
	if p := b.dropP(env.From.Node, env.To.Node); p > 0 && b.rng.Float64() < p {
		b.stats.DroppedFault++
		return
	}
	b.push(b.now+b.delay(), env)
	if b.dup > 0 && b.rng.Float64() < b.dup {
		b.stats.Duplicated++
		b.push(b.now+b.delay(), env)
	}
}

func (b *Bus) delay() int64 {
	if b.dmax <= b.dmin {
		return b.dmin
	}
	return b.dmin + b.rng.Int63n(b.dmax-b.dmin+1)
}

func (b *Bus) push(due int64, env msg.Envelope) {
	b.seq++
	b.queue = append(b.queue, flight{due: due, seq: b.seq, env: env})
}

func (b *Bus) dropP(from, to msg.NodeID) float64 {
	for _, l := range []link{{from, to}, {from, 0}, {0, to}, {0, 0}} {
		if p, ok := b.drops[l]; ok {
			return p
		}
	}
	return 0
}

func (b *Bus) connected(x, y msg.NodeID) bool {
	if b.isolated[x] || b.isolated[y] {
		return false
	}
	if !b.parted {
		return true
	}
	gx, okx := b.group[x]
	gy, oky := b.group[y]
	return okx && oky && gx == gy
}

// DeliverOne delivers the earliest due message (FIFO among equals).
func (b *Bus) DeliverOne() bool {
	best := -1
	for i, f := range b.queue {
		if f.due > b.now {
			continue
		}
		if best < 0 || f.due < b.queue[best].due || (f.due == b.queue[best].due && f.seq < b.queue[best].seq) {
			best = i
		}
	}
	if best < 0 {
		return false
	}
	f := b.queue[best]
	b.queue = append(b.queue[:best], b.queue[best+1:]...)
	// A partition that began while the message was in flight cuts it too.
	if f.client == "" && !b.local(f.env) && !b.connected(f.env.From.Node, f.env.To.Node) {
		b.stats.DroppedPartition++
		return true
	}
	delivered := false
	for _, s := range append([]sub(nil), b.subs...) {
		if s.client == f.client && (f.client != "" || s.addr == f.env.To) {
			s.deliver(f.env)
			delivered = true
		}
	}
	if delivered {
		b.stats.Delivered++
	} else {
		b.stats.DroppedNoReceiver++
	}
	return true
}

// DeliverAll delivers until nothing is due and returns the count.
func (b *Bus) DeliverAll() int {
	n := 0
	for b.DeliverOne() {
		n++
		if n > 1_000_000 {
			panic("membus: more than a million deliveries in one step: the actors livelock")
		}
	}
	return n
}

// Stabilize delivers and advances until nothing is in flight, for at most
// maxSteps steps; it returns the steps used.
func (b *Bus) Stabilize(maxSteps int) int {
	for i := 0; i < maxSteps; i++ {
		b.DeliverAll()
		if len(b.queue) == 0 {
			return i
		}
		b.Advance(1)
	}
	return maxSteps
}

// Partition splits nodes into groups that cannot talk to each other; nodes
// in no group are cut from everyone.
func (b *Bus) Partition(groups ...[]msg.NodeID) {
	b.parted = true
	b.group = map[msg.NodeID]int{}
	for i, g := range groups {
		for _, n := range g {
			b.group[n] = i
		}
	}
}

// Isolate cuts n from every other node.
func (b *Bus) Isolate(n msg.NodeID) { b.isolated[n] = true }

// Heal removes partitions and isolations.
func (b *Bus) Heal() {
	b.parted, b.group = false, nil
	b.isolated = map[msg.NodeID]bool{}
}

// Drop sets the loss probability of link from→to (0 = any node).
func (b *Bus) Drop(from, to msg.NodeID, p float64) {
	if p <= 0 {
		delete(b.drops, link{from, to})
		return
	}
	b.drops[link{from, to}] = p
}

// SetDuplicate sets the probability that a message arrives twice.
func (b *Bus) SetDuplicate(p float64) { b.dup = p }

// SetDelay makes cross-node messages due after uniform[min,max] steps.
func (b *Bus) SetDelay(lo, hi int64) {
	if lo < 0 || hi < lo {
		panic(fmt.Sprintf("membus: bad delay range [%d,%d]", lo, hi))
	}
	b.dmin, b.dmax = lo, hi
}

// Crash discards everything in flight to or from n and n's subscriptions.
func (b *Bus) Crash(n msg.NodeID) {
	q := b.queue[:0]
	for _, f := range b.queue {
		if f.env.From.Node != n && f.env.To.Node != n {
			q = append(q, f)
		}
	}
	b.queue = q
	s := b.subs[:0]
	for _, x := range b.subs {
		if x.addr.Node != n {
			s = append(s, x)
		}
	}
	b.subs = s
}

// AddHook observes every message at send time; returning false drops it.
func (b *Bus) AddHook(h func(msg.Envelope) bool) { b.hooks = append(b.hooks, h) }
