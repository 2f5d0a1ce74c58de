package gauntlet

import (
	"strings"
	"testing"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/zk"
)

// The watch validator itself: each spoiled record must be reported, and
// what ZooKeeper allows (a gap across Disconnected … Connected, a
// coalesced setWatches catch-up) must not be.
func TestWatchValidator(t *testing.T) {
	const a, b = watchRoot + "/w1-0", watchRoot + "/w1-1"
	ev := func(z int64, p string, typ client.EventType) client.Event {
		return client.Event{Type: typ, State: client.StateConnected, Path: p, Zxid: z}
	}
	disc := client.Event{Type: client.EventNone, State: client.StateDisconnected}
	conn := func(z int64) client.Event {
		return client.Event{Type: client.EventNone, State: client.StateConnected, Zxid: z}
	}
	cr, ch, del := client.EventNodeCreated, client.EventNodeDataChanged, client.EventNodeDeleted
	// The committed history: 10 create a, 11 create b, 12 set a, 13 set b,
	// 14 delete a, 15 set b.
	full := []client.Event{ev(10, a, cr), ev(11, b, cr), ev(12, a, ch), ev(13, b, ch), ev(14, a, del), ev(15, b, ch)}
	final := map[string]zk.Stat{b: {Czxid: 11, Mzxid: 15}}
	tests := []struct {
		name   string
		other  []client.Event // a second watcher's stream
		shots  []*shot
		rez    []int64
		want   string // "" for no anomaly, else a substring of one
		stream []client.Event
	}{
		{name: "complete", stream: full},
		{name: "gap", stream: []client.Event{ev(10, a, cr), ev(11, b, cr), ev(13, b, ch), ev(14, a, del), ev(15, b, ch)}, other: full, want: "missed NodeDataChanged"},
		{name: "gap seen by the type sequence only", stream: []client.Event{ev(10, a, cr), ev(11, b, cr), ev(12, a, ch), ev(13, b, ch), ev(15, b, ch), ev(16, a, cr)}, want: "NodeCreated follows NodeDataChanged"},
		{name: "duplicate", stream: append(append([]client.Event(nil), full...), ev(15, b, ch)), want: "duplicate"},
		{name: "out of order", stream: []client.Event{ev(10, a, cr), ev(12, a, ch), ev(11, b, cr)}, want: "not in zxid order"},
		{name: "gap across a reconnect", stream: []client.Event{ev(10, a, cr), ev(11, b, cr), disc, conn(13), ev(14, a, del), ev(15, b, ch)}, other: full},
		{name: "missed after the reconnect", stream: []client.Event{ev(10, a, cr), disc, conn(12), ev(14, a, del), ev(15, b, ch)}, other: full, want: "missed"},
		{name: "in the gap: only ordered", stream: []client.Event{ev(10, a, cr), disc, ev(12, a, ch), conn(13), ev(14, a, del), ev(15, b, ch)}, other: full},
		{name: "in the gap: out of order", stream: []client.Event{ev(10, a, cr), ev(12, a, ch), disc, ev(11, b, cr), conn(13)}, want: "not in zxid order"},
		{name: "replayed before the re-registration", stream: []client.Event{ev(10, a, cr), disc, conn(13), ev(13, b, ch)}, want: "at or before its registration"},
		{name: "clients disagree", stream: full, other: []client.Event{ev(12, b, ch)}, want: "zxid 0xc is"},
		{name: "one-shot exact", stream: full, shots: []*shot{{who: "o", path: a, exists: true, mzxid: 10, ev: &client.Event{Type: ch, Path: a, Zxid: 12}}}},
		{name: "one-shot skipped a change", stream: full, shots: []*shot{{who: "o", path: a, exists: true, mzxid: 10, ev: &client.Event{Type: del, Path: a, Zxid: 14}}}, want: "not for the earlier"},
		{name: "one-shot catch-up coalesced", stream: full, rez: []int64{15}, shots: []*shot{{who: "o", path: a, exists: true, mzxid: 10, ev: &client.Event{Type: del, Path: a, Zxid: 15}}}},
		{name: "one-shot never fired", stream: full, shots: []*shot{{who: "o", path: b, exists: true, mzxid: 13}}, want: "never fired"},
		{name: "one-shot spurious catch-up", stream: full, rez: []int64{16}, shots: []*shot{{who: "o", path: b, exists: true, mzxid: 15, ev: &client.Event{Type: ch, Path: b, Zxid: 16}}}, want: "never changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &watches{tl: &Timeline{}, rezxids: map[string][]int64{"o": tt.rez}}
			w.streams = append(w.streams, &stream{who: "w1", start: 9, events: tt.stream})
			if tt.other != nil {
				w.streams = append(w.streams, &stream{who: "w2", start: 9, events: tt.other})
			}
			w.shots = tt.shots
			got := w.check(final)
			switch {
			case tt.want == "" && len(got) > 0:
				t.Fatalf("anomalies in a valid record: %v", got)
			case tt.want != "" && !strings.Contains(strings.Join(got, "\n"), tt.want):
				t.Fatalf("want an anomaly with %q, got %v", tt.want, got)
			}
		})
	}
}
