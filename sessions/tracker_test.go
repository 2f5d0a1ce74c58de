package sessions

import (
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
)

func newTracker() *Tracker {
	return New(Config{ID: 1, TickMs: 50, BucketTicks: 4, ResendTicks: 10,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

var local = msg.Addr{Node: 1, Role: msg.RoleStore}

func update(t *Tracker, u *msg.SessionsUpdate) { t.Step(msg.New(local, t.self, u)) }

// expiredBy ticks until `until` and returns the tick of each session's
// first Expire.
func expiredBy(t *Tracker, until int64) map[int64]int64 {
	at := map[int64]int64{}
	for t.now < until {
		t.Tick()
		for _, env := range t.Messages() {
			for _, id := range env.Body.(*msg.Expire).Sessions {
				if _, ok := at[id]; !ok {
					at[id] = t.now
				}
			}
		}
	}
	return at
}

func TestExpiryAfterTimeoutRoundedToBucket(t *testing.T) {
	tr := newTracker()
	// 500 ms = 10 ticks; expiry at the first bucket (4 ticks) at or after 10.
	update(tr, &msg.SessionsUpdate{Epoch: 1, Leading: true, Reset: true, Opened: []msg.SessionInfo{{ID: 7, Timeout: 500}}})
	got := expiredBy(tr, 30)
	if got[7] != 12 {
		t.Fatalf("session expired at tick %d, want 12 (timeout 10 ticks rounded up to the 4-tick bucket)", got[7])
	}
}

func TestTouchesKeepASessionAlive(t *testing.T) {
	tr := newTracker()
	update(tr, &msg.SessionsUpdate{Epoch: 1, Leading: true, Reset: true, Opened: []msg.SessionInfo{{ID: 7, Timeout: 500}, {ID: 8, Timeout: 500}}})
	touch := func(epoch uint64) {
		tr.Step(msg.New(msg.Addr{Node: 2, Role: msg.RoleStore}, tr.self, &msg.Touch{Epoch: epoch, Sessions: []int64{7}}))
	}
	for tr.now < 40 {
		if tr.now%5 == 0 {
			touch(1)
			touch(9) // another epoch's touches count for nothing
		}
		tr.Tick()
		for _, env := range tr.Messages() {
			if ids := env.Body.(*msg.Expire).Sessions; slices.Contains(ids, 7) {
				t.Fatalf("touched session expired at tick %d", tr.now)
			}
		}
	}
	if st := tr.Status(); st.Sessions != 2 || st.Expiring != 1 {
		t.Fatalf("status %+v, want session 8 expiring", st)
	}
}

func TestClosedSessionsAndFollowersDoNotExpire(t *testing.T) {
	tr := newTracker()
	update(tr, &msg.SessionsUpdate{Epoch: 1, Leading: true, Reset: true, Opened: []msg.SessionInfo{{ID: 7, Timeout: 500}}})
	update(tr, &msg.SessionsUpdate{Epoch: 1, Leading: true, Closed: []int64{7}})
	update(tr, &msg.SessionsUpdate{Epoch: 1, Leading: true, Opened: []msg.SessionInfo{{ID: 9, Timeout: 500}}})
	// A stale delta of another epoch changes nothing.
	update(tr, &msg.SessionsUpdate{Epoch: 0, Leading: true, Opened: []msg.SessionInfo{{ID: 10, Timeout: 50}}})
	// Only the local store speaks for the table.
	tr.Step(msg.New(msg.Addr{Node: 2, Role: msg.RoleStore}, tr.self, &msg.SessionsUpdate{Epoch: 1, Leading: true, Opened: []msg.SessionInfo{{ID: 11, Timeout: 50}}}))
	got := expiredBy(tr, 30)
	if len(got) != 1 || got[9] == 0 {
		t.Fatalf("expired %v, want only 9", got)
	}
	tr = newTracker()
	update(tr, &msg.SessionsUpdate{Epoch: 1, Leading: false, Reset: true, Opened: []msg.SessionInfo{{ID: 7, Timeout: 50}}})
	if got := expiredBy(tr, 30); len(got) != 0 {
		t.Fatalf("a tracker that does not lead expired %v", got)
	}
}

// A new leader starts every clock afresh, and asks again while the
// closeSession has not applied.
func TestNewLeaderRestartsClocksAndExpireIsResent(t *testing.T) {
	tr := newTracker()
	update(tr, &msg.SessionsUpdate{Epoch: 1, Leading: true, Reset: true, Opened: []msg.SessionInfo{{ID: 7, Timeout: 500}}})
	expiredBy(tr, 8)
	update(tr, &msg.SessionsUpdate{Epoch: 2, Leading: true, Reset: true, Opened: []msg.SessionInfo{{ID: 7, Timeout: 500}}})
	var sends []int64
	for tr.now < 40 {
		tr.Tick()
		for range tr.Messages() {
			sends = append(sends, tr.now)
		}
	}
	if want := []int64{20, 30, 40}; !slices.Equal(sends, want) {
		t.Fatalf("Expire sent at ticks %v, want %v (first at 8+10 rounded to 20, then every 10)", sends, want)
	}
}

// The leader's expiry queue as dump lists it: each session's ticks to its
// bucket, without the ones already expiring; none on a follower.
func TestExpiries(t *testing.T) {
	tr := newTracker()
	update(tr, &msg.SessionsUpdate{Epoch: 1, Leading: true, Reset: true,
		Opened: []msg.SessionInfo{{ID: 8, Timeout: 500}, {ID: 7, Timeout: 100}}})
	tr.Tick()
	// 10 and 2 ticks rounded up to 4-tick buckets, one tick ago.
	if got, want := tr.Expiries(), []Expiry{{7, 3}, {8, 11}}; !slices.Equal(got, want) {
		t.Errorf("expiries %v, want %v", got, want)
	}
	expiredBy(tr, 5)
	if got, want := tr.Expiries(), []Expiry{{8, 7}}; !slices.Equal(got, want) {
		t.Errorf("after 7's expiry: %v, want %v", got, want)
	}
	update(tr, &msg.SessionsUpdate{Epoch: 2, Leading: false, Reset: true})
	if got := tr.Expiries(); got != nil {
		t.Errorf("a follower's expiries: %v", got)
	}
}
