package gauntlet

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/zk"
)

// The watch workload and its validator.
//
// Writers create, set and delete znodes under watchRoot (each writer owns
// a few paths; the data is "w<writer>:<seq>", seq increasing per writer).
// Watchers hold a persistent recursive watch on watchRoot; one-shot
// clients keep an exists/getData watch armed on every writer path,
// re-armed after each event. What is checked is what ZooKeeper promises:
//
//   - Order and uniqueness: a stream's events have strictly increasing
//     zxids (the writers use no multi, so one txn is one event).
//   - Persistent recursive watches are gap-free within a segment: from
//     the zxid R where a node registered the watch (AddWatch's reply, or
//     the Connected event after a re-attach) up to the segment's last
//     event (or the watcher's own fence write at the end), every
//     committed change under watchRoot is delivered, and none at or
//     before R. Across a Disconnected … Connected pair ZooKeeper replays
//     nothing to persistent watches (DataTree.setWatches only re-adds
//     them), so changes in between may be missing, and those that do
//     come (a node the session returns to may still hold the watch from
//     before) are only checked for order.
//   - One-shot watches: an event fires for the first committed change of
//     its path after the read that set it, with that change's zxid and
//     type; one fired by setWatches after a re-attach (its zxid is the
//     Connected's R) is ZooKeeper's coalesced catch-up: NodeDeleted if
//     the node is gone, NodeDataChanged if it changed after the client's
//     last zxid, NodeCreated if it appeared, so it only has to follow a
//     real change. A watch armed while connected and never re-attached
//     fires if its path changed before the end. Reads of one path never
//     go back (data seq and mzxid).
//   - Consistency: every client, and the writers' acknowledged results,
//     agree on what happened at a zxid (the same path and type), so any
//     two clients order the events of a path the same way; within a
//     segment the types of a path alternate validly (created, changed…,
//     deleted, created …).
//
// The reference history is the union of what was observed: the writers'
// acknowledged creates and sets (zxids from their Stat), every client's
// events, and the final scan; a change nobody saw and nobody acknowledged
// (a delete of unknown outcome) cannot be required of anyone, but the type
// sequence still catches a stream that skipped it.

const watchRoot = "/gauntlet-watch"

// change is one committed change under watchRoot as a recursive watch
// sees it.
type change struct {
	zxid int64
	path string
	typ  client.EventType
}

func (c change) String() string { return fmt.Sprintf("%s %s@0x%x", c.typ, c.path, c.zxid) }

// stream is one watcher session's events in the order received, with the
// markers: the registration (AddWatch's zxid), Connected/Disconnected,
// the fence (the watcher's own last write, whose event closes the
// final segment).
type stream struct {
	who    string
	events []client.Event // EventNone ones are markers
	start  int64          // AddWatch's zxid
	fence  int64          // the fence write's zxid, 0 if none
	fenced bool           // the fence's event arrived
	ended  string         // why the stream ended early ("" while live)
}

// shot is one one-shot watch of the one-shot clients: what the read
// arming it saw and the event it got.
type shot struct {
	who    string
	path   string
	exists bool
	mzxid  int64 // of the read (0 if absent)
	ev     *client.Event
}

type watches struct {
	e       *testkit.Ensemble
	timeout time.Duration
	seed    int64
	tl      *Timeline
	writers int
	paths   int // per writer

	mu       sync.Mutex
	acked    []change
	streams  []*stream
	shots    []*shot
	rezxids  map[string][]int64 // per one-shot session: the Connected zxids
	problems []string
	nEvents  int
	acks     map[int]int // acknowledged writes per writer
}

func (w *watches) problem(format string, args ...any) {
	p := fmt.Sprintf(format, args...)
	w.tl.add("WATCH ANOMALY: %s", p)
	w.mu.Lock()
	w.problems = append(w.problems, p)
	w.mu.Unlock()
}

func (w *watches) path(writer, k int) string { return fmt.Sprintf("%s/w%d-%d", watchRoot, writer, k) }

func (w *watches) setup(ctx context.Context, c *client.Conn) error {
	if _, err := c.Create(ctx, watchRoot, nil, zk.Persistent, nil); err != nil {
		return fmt.Errorf("gauntlet: setup: create %s: %w", watchRoot, err)
	}
	return nil
}

func (w *watches) ack(writer int, ch change) {
	w.mu.Lock()
	w.acked = append(w.acked, ch)
	w.acks[writer]++
	w.mu.Unlock()
}

// ackCounts is how many writes each writer has had acknowledged.
func (w *watches) ackCounts() map[int]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[int]int{}
	for i := 1; i <= w.writers; i++ {
		out[i] = w.acks[i]
	}
	return out
}

// progress waits up to d for every writer to have a write acknowledged
// after since, and names those that did not.
func (w *watches) progress(since map[int]int, d time.Duration) []string {
	deadline := time.Now().Add(d)
	for {
		var stuck []string
		now := w.ackCounts()
		for i := 1; i <= w.writers; i++ {
			if now[i] <= since[i] {
				stuck = append(stuck, fmt.Sprintf("watch writer %d had no write acknowledged within %s of the final heal", i, d))
			}
		}
		if len(stuck) == 0 || time.Now().After(deadline) {
			return stuck
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writer mutates its paths until stop. An outcome it does not know is
// settled by reading the path again before the next write.
func (w *watches) writer(ctx context.Context, id int, stop <-chan struct{}) {
	rng := rand.New(rand.NewSource(w.seed*7919 + int64(id)))
	ids := w.e.IDs()
	var c *client.Conn
	defer func() {
		if c != nil {
			_ = c.Close()
		}
	}()
	exists := map[string]bool{}
	unsure := map[string]bool{}
	for i := 1; !stopped(stop); i++ {
		if c == nil {
			if c = connect(ctx, w.e, ids[(id+i)%len(ids)], w.timeout, stop); c == nil {
				return
			}
			for k := 0; k < w.paths; k++ {
				unsure[w.path(id, k)] = true
			}
		}
		p := w.path(id, rng.Intn(w.paths))
		data := []byte(fmt.Sprintf("w%d:%d", id, i))
		octx, cancel := context.WithTimeout(ctx, 3*time.Second)
		var err error
		switch {
		case unsure[p]:
			var ok bool
			if err = c.Sync(octx, p); err == nil {
				_, ok, err = c.Exists(octx, p)
			}
			if err == nil {
				exists[p], unsure[p] = ok, false
			}
		case !exists[p]:
			var st zk.Stat
			_, st, err = c.Create2(octx, p, data, zk.Persistent, nil)
			if err == nil {
				w.ack(id, change{st.Czxid, p, client.EventNodeCreated})
				exists[p] = true
			}
		case rng.Intn(10) < 7:
			var st zk.Stat
			st, err = c.Set(octx, p, data, -1)
			if err == nil {
				w.ack(id, change{st.Mzxid, p, client.EventNodeDataChanged})
			}
		default:
			err = c.Delete(octx, p, -1)
			if err == nil {
				exists[p] = false
			}
		}
		cancel()
		if err != nil {
			unsure[p] = true
		}
		if errors.Is(err, client.ErrSessionExpired) || c.State() == client.StateExpired {
			c.Close()
			c = nil
		}
		select {
		case <-stop:
		case <-time.After(time.Duration(5+rng.Intn(20)) * time.Millisecond):
		}
	}
}

// watcher holds a recursive watch on watchRoot, one session after
// another, recording each session's stream. At final it writes its fence
// and reads until the fence's event comes.
func (w *watches) watcher(ctx context.Context, id int, stop, final <-chan struct{}) {
	ids := w.e.IDs()
	fence := fmt.Sprintf("%s/fence-%d", watchRoot, id)
	for n := 0; ; n++ {
		c := connect(ctx, w.e, ids[(id+n)%len(ids)], w.timeout, stop)
		if c == nil {
			return
		}
		s := &stream{who: fmt.Sprintf("watcher %d session 0x%x", id, c.SessionID())}
		var wt *client.Watch
		for wt == nil && !stopped(stop) {
			octx, cancel := context.WithTimeout(ctx, 3*time.Second)
			var err error
			wt, err = c.AddWatch(octx, watchRoot, true)
			cancel()
			if c.State() == client.StateExpired {
				break
			}
			if err != nil {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if wt == nil {
			c.Close()
			if stopped(stop) {
				return
			}
			continue
		}
		s.start = wt.Zxid
		w.mu.Lock()
		w.streams = append(w.streams, s)
		w.mu.Unlock()
		done := w.follow(ctx, c, wt, s, fence, final)
		c.Close()
		if done {
			return
		}
	}
}

// follow records wt's events into s until the session ends (false) or,
// after final, the fence's event arrived or cannot (true).
func (w *watches) follow(ctx context.Context, c *client.Conn, wt *client.Watch, s *stream, fence string, final <-chan struct{}) bool {
	record := func(ev client.Event) {
		w.mu.Lock()
		s.events = append(s.events, ev)
		if ev.Type != client.EventNone {
			w.nEvents++
		}
		if s.fence != 0 && ev.Path == fence && ev.Zxid == s.fence {
			s.fenced = true
		}
		w.mu.Unlock()
	}
	finalC := final
	var deadline <-chan time.Time
	for {
		select {
		case ev, ok := <-wt.Events:
			if !ok {
				w.mu.Lock()
				s.ended = "events closed"
				w.mu.Unlock()
				return false
			}
			record(ev)
			if ev.Type == client.EventNone && (ev.State == client.StateExpired || ev.State == client.StateClosed) {
				w.mu.Lock()
				s.ended = "session " + ev.State.String()
				w.mu.Unlock()
				return false
			}
			w.mu.Lock()
			fenced := s.fenced
			w.mu.Unlock()
			if fenced {
				return true
			}
		case <-finalC:
			finalC = nil
			deadline = time.After(30 * time.Second)
			// The fence: a write of this watcher's own whose event must
			// come after every earlier change's.
			for tries := 0; ; tries++ {
				octx, cancel := context.WithTimeout(ctx, 3*time.Second)
				_, st, err := c.Create2(octx, fence, nil, zk.Persistent, nil)
				if errors.Is(err, client.ErrNodeExists) {
					st, err = c.Set(octx, fence, nil, -1)
				}
				cancel()
				if err == nil {
					w.mu.Lock()
					s.fence = st.Mzxid
					for _, ev := range s.events {
						s.fenced = s.fenced || (ev.Path == fence && ev.Zxid == s.fence)
					}
					w.mu.Unlock()
					break
				}
				if c.State() == client.StateExpired || tries >= 10 {
					w.mu.Lock()
					s.ended = fmt.Sprintf("no fence write: %v", err)
					w.mu.Unlock()
					return true
				}
			}
		case <-deadline:
			w.mu.Lock()
			s.ended = "fence event not seen within 30s"
			w.mu.Unlock()
			return true
		}
	}
}

// oneshot keeps a one-shot watch armed on every writer path (getData if
// the node exists, exists if not), re-arming each after it fires; at
// final it syncs (the events of everything before are then in their
// channels) and records the watches still armed.
func (w *watches) oneshot(ctx context.Context, id int, stop, final <-chan struct{}) {
	ids := w.e.IDs()
	for n := 0; ; n++ {
		c := connect(ctx, w.e, ids[(id+n)%len(ids)], w.timeout, stop)
		if c == nil {
			return
		}
		who := fmt.Sprintf("one-shot %d session 0x%x", id, c.SessionID())
		// A persistent watch on a path nobody writes carries the
		// markers whose zxids name setWatches catch-ups: Connected, and
		// Disconnected with a zxid (the node replaced its state with a
		// snapshot and caught the one-shot watches up itself).
		var marks *client.Watch
		for marks == nil && !stopped(stop) && c.State() != client.StateExpired {
			octx, cancel := context.WithTimeout(ctx, 3*time.Second)
			marks, _ = c.AddWatch(octx, fmt.Sprintf("%s-none-%d", watchRoot, id), false)
			cancel()
		}
		if marks == nil {
			c.Close()
			if stopped(stop) {
				return
			}
			continue
		}
		go func() {
			for ev := range marks.Events {
				if ev.Type == client.EventNone && (ev.State == client.StateConnected || ev.State == client.StateDisconnected && ev.Zxid != 0) {
					w.mu.Lock()
					w.rezxids[who] = append(w.rezxids[who], ev.Zxid)
					w.mu.Unlock()
				}
			}
		}()
		armed := map[string]*shot{}
		chans := map[string]<-chan client.Event{}
		lastSeq, lastM := map[string]int{}, map[string]int64{}
		finished := false
		for !finished && c.State() != client.StateExpired {
			isFinal := false
			select {
			case <-final:
				isFinal = true
			default:
			}
			if isFinal {
				octx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err := c.Sync(octx, watchRoot)
				cancel()
				if err != nil {
					if c.State() == client.StateExpired {
						break
					}
					time.Sleep(100 * time.Millisecond)
					continue
				}
			}
			for wr := 1; wr <= w.writers; wr++ {
				for k := 0; k < w.paths; k++ {
					p := w.path(wr, k)
					if ch := chans[p]; ch != nil {
						select {
						case ev, ok := <-ch:
							if ok {
								sh := armed[p]
								sh.ev = &ev
								w.mu.Lock()
								w.shots = append(w.shots, sh)
								w.mu.Unlock()
							}
							delete(chans, p)
							delete(armed, p)
						default:
							continue
						}
					}
					if isFinal {
						continue
					}
					octx, cancel := context.WithTimeout(ctx, 3*time.Second)
					data, st, ch, err := c.GetW(octx, p)
					exists := err == nil
					if errors.Is(err, client.ErrNoNode) {
						var ok bool
						st, ok, ch, err = c.ExistsW(octx, p)
						exists = ok
					}
					cancel()
					if err != nil || ch == nil {
						continue
					}
					sh := &shot{who: who, path: p, exists: exists}
					if exists {
						sh.mzxid = st.Mzxid
						if st.Mzxid < lastM[p] {
							w.problem("%s read %s at mzxid 0x%x after 0x%x: a read went back", who, p, st.Mzxid, lastM[p])
						}
						lastM[p] = st.Mzxid
						if _, seq, ok := strings.Cut(string(data), ":"); ok {
							if n, err := strconv.Atoi(seq); err == nil {
								if n < lastSeq[p] {
									w.problem("%s read %s = %q after seq %d: a read went back", who, p, data, lastSeq[p])
								}
								lastSeq[p] = n
							}
						}
					}
					armed[p], chans[p] = sh, ch
				}
			}
			if isFinal {
				// Still armed: recorded without an event; the check
				// decides whether one was due.
				w.mu.Lock()
				for _, sh := range armed {
					w.shots = append(w.shots, sh)
				}
				w.mu.Unlock()
				finished = true
				break
			}
			select {
			case <-time.After(20 * time.Millisecond):
			case <-final:
			}
		}
		c.Close()
		if finished || stopped(stop) {
			return
		}
	}
}

// scan reads the final state under watchRoot: every node's creation and
// last change are committed changes.
func (w *watches) scan(ctx context.Context, c *client.Conn) (map[string]zk.Stat, error) {
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Sync(octx, watchRoot); err != nil {
		return nil, err
	}
	kids, _, err := c.Children(octx, watchRoot)
	if err != nil {
		return nil, err
	}
	out := map[string]zk.Stat{}
	for _, k := range kids {
		p := watchRoot + "/" + k
		st, ok, err := c.Exists(octx, p)
		if err != nil {
			return nil, err
		}
		if ok {
			out[p] = st
		}
	}
	return out, nil
}

// check validates everything recorded against the reference; final is
// the scan of watchRoot with the ensemble healed and every workload
// stopped.
func (w *watches) check(final map[string]zk.Stat) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := append([]string(nil), w.problems...)
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	// The reference: zxid → change; a disagreement is itself an anomaly.
	ref := map[int64]change{}
	src := map[int64]string{}
	add := func(ch change, from string) {
		if old, ok := ref[ch.zxid]; ok {
			if old.path != ch.path || old.typ != ch.typ {
				bad("zxid 0x%x is %s to %s but %s to %s", ch.zxid, old, src[ch.zxid], ch, from)
			}
			return
		}
		ref[ch.zxid], src[ch.zxid] = ch, from
	}
	for _, ch := range w.acked {
		add(ch, "a writer's acknowledgement")
	}
	for p, st := range final {
		add(change{st.Czxid, p, client.EventNodeCreated}, "the final scan")
		if st.Mzxid != st.Czxid {
			add(change{st.Mzxid, p, client.EventNodeDataChanged}, "the final scan")
		}
	}
	for _, s := range w.streams {
		for _, ev := range s.events {
			if ev.Type != client.EventNone {
				add(change{ev.Zxid, ev.Path, ev.Type}, s.who)
			}
		}
	}
	// One-shot events are observations too, but for setWatches
	// catch-ups: their zxid is the re-attach's, their type coalesced.
	for _, sh := range w.shots {
		if sh.ev != nil && sh.ev.Type != client.EventNone && !contains(w.rezxids[sh.who], sh.ev.Zxid) {
			add(change{sh.ev.Zxid, sh.ev.Path, sh.ev.Type}, sh.who)
		}
	}
	var zs []int64
	for z := range ref {
		zs = append(zs, z)
	}
	sort.Slice(zs, func(i, j int) bool { return zs[i] < zs[j] })

	// Persistent recursive streams.
	for _, s := range w.streams {
		type segment struct {
			from, to int64
			seen     map[int64]bool
		}
		var segs []*segment
		cur := &segment{from: s.start, to: s.start, seen: map[int64]bool{}}
		last := int64(0)
		kinds := map[string]client.EventType{}
		for _, ev := range s.events {
			if ev.Type == client.EventNone {
				switch ev.State {
				case client.StateDisconnected:
					if cur != nil {
						segs = append(segs, cur)
						cur = nil
					}
				case client.StateConnected:
					if cur != nil {
						segs = append(segs, cur)
					}
					cur = &segment{from: ev.Zxid, to: ev.Zxid, seen: map[int64]bool{}}
					if ev.Zxid < last {
						bad("%s: re-registered at 0x%x, behind its last event 0x%x (it will see changes again)", s.who, ev.Zxid, last)
					}
					clear(kinds)
				}
				continue
			}
			if ev.Zxid <= last {
				bad("%s: event %s after 0x%x: not in zxid order or a duplicate", s.who, change{ev.Zxid, ev.Path, ev.Type}, last)
			}
			last = max(last, ev.Zxid)
			if cur == nil {
				// Between Disconnected and Connected: the node being
				// re-attached to may still hold the watch from an earlier
				// attach and fire it. A real change, in order, but no
				// more is promised there.
				continue
			}
			if ev.Zxid <= cur.from {
				bad("%s: event %s at or before its registration at 0x%x", s.who, change{ev.Zxid, ev.Path, ev.Type}, cur.from)
			}
			cur.seen[ev.Zxid] = true
			cur.to = max(cur.to, ev.Zxid)
			if prev, ok := kinds[ev.Path]; ok && !validNext(prev, ev.Type) {
				bad("%s: %s follows %s on %s in one segment (a change was skipped)", s.who, ev.Type, prev, ev.Path)
			}
			kinds[ev.Path] = ev.Type
		}
		if cur != nil {
			if s.fence != 0 && !s.fenced && s.ended == "" {
				bad("%s: the fence write at 0x%x never came back as an event", s.who, s.fence)
			}
			segs = append(segs, cur)
		}
		for _, sg := range segs {
			for _, z := range zs {
				if z > sg.from && z <= sg.to && !sg.seen[z] {
					bad("%s: missed %s (registered at 0x%x, saw up to 0x%x without a disconnect)", s.who, ref[z], sg.from, sg.to)
				}
			}
		}
	}

	// One-shot watches.
	changesOf := func(p string, after, upTo int64) []change {
		var out []change
		for _, z := range zs {
			if z > after && z <= upTo && ref[z].path == p {
				out = append(out, ref[z])
			}
		}
		return out
	}
	for _, sh := range w.shots {
		if sh.ev == nil {
			continue
		}
		ev := *sh.ev
		if ev.Type == client.EventNone {
			continue // the session ended
		}
		want := []client.EventType{client.EventNodeCreated}
		if sh.exists {
			want = []client.EventType{client.EventNodeDataChanged, client.EventNodeDeleted}
		}
		if ev.Path != sh.path || !contains(want, ev.Type) {
			bad("%s: one-shot watch on %s (exists %v) got %s on %s", sh.who, sh.path, sh.exists, ev.Type, ev.Path)
			continue
		}
		if sh.exists && ev.Zxid <= sh.mzxid {
			bad("%s: one-shot watch set at mzxid 0x%x of %s fired for 0x%x", sh.who, sh.mzxid, sh.path, ev.Zxid)
			continue
		}
		catchUp := contains(w.rezxids[sh.who], ev.Zxid)
		if r, ok := ref[ev.Zxid]; ok && r.path == sh.path && r.typ == ev.Type {
			// The real change; nothing of the path may lie between.
			if !catchUp && sh.exists {
				if between := changesOf(sh.path, sh.mzxid, ev.Zxid-1); len(between) > 0 {
					bad("%s: one-shot watch set at 0x%x fired for %s, not for the earlier %s", sh.who, sh.mzxid, r, between[0])
				}
			}
			continue
		}
		if !catchUp {
			bad("%s: one-shot event %s on %s is no committed change", sh.who, ev.Type, change{ev.Zxid, ev.Path, ev.Type})
			continue
		}
		if st, ok := final[sh.path]; ok && sh.exists && st.Czxid <= sh.mzxid && st.Mzxid == sh.mzxid {
			bad("%s: setWatches fired %s on %s at 0x%x, but it never changed after 0x%x", sh.who, ev.Type, sh.path, ev.Zxid, sh.mzxid)
		}
	}
	for _, sh := range w.shots {
		if sh.ev != nil || !sh.exists || len(w.rezxids[sh.who]) > 0 {
			continue
		}
		// Armed on an existing node, never re-attached, synced at the
		// end: a change of its path after the read had to fire it.
		if ch := changesOf(sh.path, sh.mzxid, 1<<62); len(ch) > 0 {
			bad("%s: one-shot watch on %s set at 0x%x never fired for %s", sh.who, sh.path, sh.mzxid, ch[0])
		}
	}
	return out
}

// validNext reports whether a recursive watch may see b right after a on
// one path with nothing missed.
func validNext(a, b client.EventType) bool {
	switch a {
	case client.EventNodeCreated, client.EventNodeDataChanged:
		return b == client.EventNodeDataChanged || b == client.EventNodeDeleted
	case client.EventNodeDeleted:
		return b == client.EventNodeCreated
	}
	return true
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (w *watches) stats() WatchStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := WatchStats{Streams: len(w.streams), Events: w.nEvents, OneShots: len(w.shots)}
	for _, s := range w.streams {
		for _, ev := range s.events {
			if ev.Type == client.EventNone && ev.State == client.StateDisconnected {
				st.Reattached++
				break
			}
		}
	}
	return st
}

// save writes every stream and one-shot watch, the evidence of a failing
// run.
func (w *watches) save(path string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, s := range w.streams {
		fmt.Fprintf(&b, "stream %s: registered at 0x%x, fence 0x%x (seen %v), ended %q\n", s.who, s.start, s.fence, s.fenced, s.ended)
		for _, ev := range s.events {
			if ev.Type == client.EventNone {
				fmt.Fprintf(&b, "  -- %s 0x%x\n", ev.State, ev.Zxid)
			} else {
				fmt.Fprintf(&b, "  %s\n", change{ev.Zxid, ev.Path, ev.Type})
			}
		}
	}
	for _, sh := range w.shots {
		ev := "armed"
		if sh.ev != nil {
			ev = change{sh.ev.Zxid, sh.ev.Path, sh.ev.Type}.String()
		}
		fmt.Fprintf(&b, "one-shot %s on %s (exists %v, mzxid 0x%x): %s\n", sh.who, sh.path, sh.exists, sh.mzxid, ev)
	}
	for who, zs := range w.rezxids {
		fmt.Fprintf(&b, "catch-up zxids of %s: %x\n", who, zs)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
