package sessions

import (
	"cmp"
	"log/slog"
	"slices"

	"github.com/paddock-zk/paddock/actors/msg"
)

// Config configures a Tracker.
type Config struct {
	ID msg.NodeID
	// TickMs is the length of one core tick in ms, to turn session
	// timeouts (ms) into ticks.
	TickMs int64
	// BucketTicks is the expiry granularity (tickTime in ticks): expiry
	// times are rounded up to a multiple of it. Default 1.
	BucketTicks int64
	// ResendTicks: an Expire not yet answered by a closeSession is sent
	// again after this many ticks. Default 20.
	ResendTicks int64
	// Logger already names the node and the actor (the actor's log).
	Logger *slog.Logger
}

// Tracker is the session table and its expiry queue. Not safe for
// concurrent use.
type Tracker struct {
	cfg  Config
	log  *slog.Logger
	self msg.Addr

	now     int64 // ticks
	epoch   uint64
	leading bool
	table   map[int64]*entry
	buckets map[int64][]int64 // expiry tick -> sessions (entries may be stale)
	msgs    []msg.Envelope
}

type entry struct {
	timeout  int64 // ticks
	expireAt int64 // tick
	expiring int64 // tick the Expire was last sent, 0 if not expiring
}

// New builds a tracker that does not lead.
func New(cfg Config) *Tracker {
	if cfg.TickMs <= 0 {
		panic("sessions: Config.TickMs must be positive")
	}
	if cfg.BucketTicks <= 0 {
		cfg.BucketTicks = 1
	}
	if cfg.ResendTicks <= 0 {
		cfg.ResendTicks = 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Tracker{
		cfg:     cfg,
		log:     cfg.Logger,
		self:    msg.Addr{Node: cfg.ID, Role: msg.RoleSessions},
		table:   map[int64]*entry{},
		buckets: map[int64][]int64{},
	}
}

// Step handles one envelope.
func (t *Tracker) Step(env msg.Envelope) {
	switch b := env.Body.(type) {
	case *msg.SessionsUpdate:
		if env.From.Node != t.cfg.ID {
			return // only the local store speaks for the replicated state
		}
		t.update(b)
	case *msg.Touch:
		if t.leading && b.Epoch == t.epoch {
			for _, id := range b.Sessions {
				t.touch(id)
			}
		}
	}
}

func (t *Tracker) update(u *msg.SessionsUpdate) {
	if u.Reset {
		t.epoch, t.leading = u.Epoch, u.Leading
		clear(t.table)
		clear(t.buckets)
		if t.leading {
			t.log.Info("tracking sessions", "epoch", u.Epoch, "sessions", len(u.Opened))
		}
	} else if !t.leading || u.Epoch != t.epoch {
		return
	}
	if !t.leading {
		return
	}
	for _, s := range u.Opened {
		to := max(1, (int64(s.Timeout)+t.cfg.TickMs-1)/t.cfg.TickMs)
		t.table[s.ID] = &entry{timeout: to}
		t.touch(s.ID)
	}
	for _, id := range u.Closed {
		delete(t.table, id)
	}
}

// touch moves a session's expiry to its timeout from now, rounded up to
// the next bucket.
func (t *Tracker) touch(id int64) {
	e := t.table[id]
	if e == nil || e.expiring != 0 {
		return // unknown, or already being closed: a touch cannot save it
	}
	at := t.now + e.timeout
	b := t.cfg.BucketTicks
	at = (at + b - 1) / b * b
	if at == e.expireAt {
		return
	}
	e.expireAt = at
	t.buckets[at] = append(t.buckets[at], id)
}

// Tick advances time by one tick and expires what is due.
func (t *Tracker) Tick() {
	t.now++
	if !t.leading {
		return
	}
	var expired []int64
	if ids, ok := t.buckets[t.now]; ok {
		delete(t.buckets, t.now)
		for _, id := range ids {
			if e := t.table[id]; e != nil && e.expiring == 0 && e.expireAt == t.now {
				e.expiring = t.now
				expired = append(expired, id)
			}
		}
	}
	// Ask again for sessions whose closeSession has not applied yet (the
	// Expire, or the leader's epoch, may have been lost).
	for id, e := range t.table {
		if e.expiring != 0 && t.now-e.expiring >= t.cfg.ResendTicks {
			e.expiring = t.now
			expired = append(expired, id)
		}
	}
	if len(expired) == 0 {
		return
	}
	slices.Sort(expired)
	t.log.Info("sessions expired", "epoch", t.epoch, "count", len(expired))
	t.msgs = append(t.msgs, msg.New(t.self, msg.Addr{Node: t.cfg.ID, Role: msg.RoleStore},
		&msg.Expire{Epoch: t.epoch, Sessions: expired}))
}

// Messages returns and clears the messages to send.
func (t *Tracker) Messages() []msg.Envelope {
	m := t.msgs
	t.msgs = nil
	return m
}

// Status is what the tracker knows, for tests and monitoring.
type Status struct {
	Leading  bool
	Epoch    uint64
	Sessions int
	Expiring int
}

// Expiry is a session's place in the leader's expiry queue.
type Expiry struct {
	Session int64
	In      int64 // ticks until its bucket expires it
}

// Expiries lists the sessions a leading tracker will expire, by id, with
// the ticks until it does: ZooKeeper's leader prints its expiry queue in
// the dump word. Sessions already expiring are left out, as ZooKeeper's
// queue no longer holds them; a tracker that does not lead has none.
func (t *Tracker) Expiries() []Expiry {
	if !t.leading {
		return nil
	}
	out := make([]Expiry, 0, len(t.table))
	for id, e := range t.table {
		if e.expiring == 0 {
			out = append(out, Expiry{Session: id, In: e.expireAt - t.now})
		}
	}
	slices.SortFunc(out, func(a, b Expiry) int { return cmp.Compare(a.Session, b.Session) })
	return out
}

// Status returns the tracker's status.
func (t *Tracker) Status() Status {
	st := Status{Leading: t.leading, Epoch: t.epoch, Sessions: len(t.table)}
	for _, e := range t.table {
		if e.expiring != 0 {
			st.Expiring++
		}
	}
	return st
}
