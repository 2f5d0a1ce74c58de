package zkclient

import (
	"sort"
	"strings"
	"sync"

	"github.com/paddock-zk/paddock/zk"

	"github.com/paddock-zk/paddock/zkwire/jute"
)

// Event is one watch event (ZooKeeper's WatchedEvent), its path without
// the chroot.
type Event struct {
	Type  zk.EventType
	State zk.KeeperState
	Path  string
}

// sink delivers events to a channel in order without ever blocking the
// sender: a goroutine, alive only while events are queued, feeds it. The
// channel closes after the last event.
type sink struct {
	ch chan Event

	mu      sync.Mutex
	q       []Event
	last    bool // close ch once q is delivered
	running bool
	shut    bool // ch is closed
}

func newSink() *sink { return &sink{ch: make(chan Event, 1)} }

func (s *sink) push(e Event, last bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last {
		return
	}
	s.q = append(s.q, e)
	s.last = last
	s.kickLocked()
}

// end closes the channel after what is queued.
func (s *sink) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = true
	s.kickLocked()
}

func (s *sink) kickLocked() {
	if !s.running {
		s.running = true
		go s.drain()
	}
}

func (s *sink) drain() {
	for {
		s.mu.Lock()
		if len(s.q) == 0 {
			s.running = false
			if s.last && !s.shut {
				s.shut = true
				close(s.ch)
			}
			s.mu.Unlock()
			return
		}
		e := s.q[0]
		s.q = s.q[1:]
		s.mu.Unlock()
		s.ch <- e
	}
}

// Watch kinds, ZKWatchManager's maps.
const (
	kData = iota
	kExist
	kChild
	kPersist
	kRecursive
	nKinds
)

// watches is the client's watch registry, by kind and client path.
type watches struct {
	mu sync.Mutex
	m  [nKinds]map[string][]*sink
}

func (w *watches) init() {
	for k := range w.m {
		w.m[k] = map[string][]*sink{}
	}
}

func (w *watches) add(k int, path string, s *sink) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.m[k][path] = append(w.m[k][path], s)
}

// fire routes a notification as ZKWatchManager.materialize does: one-shot
// watches of the types the event concerns are removed and fired,
// persistent ones on the path and recursive ones on it or an ancestor
// (but not for child events) are fired and kept.
func (w *watches) fire(e Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var once []int
	switch e.Type {
	case zk.EventNodeCreated, zk.EventNodeDataChanged:
		once = []int{kData, kExist}
	case zk.EventNodeDeleted:
		once = []int{kData, kExist, kChild}
	case zk.EventNodeChildrenChanged:
		once = []int{kChild}
	default:
		return
	}
	for _, k := range once {
		for _, s := range w.m[k][e.Path] {
			s.push(e, true)
		}
		delete(w.m[k], e.Path)
	}
	for _, s := range w.m[kPersist][e.Path] {
		s.push(e, false)
	}
	if e.Type == zk.EventNodeChildrenChanged {
		return
	}
	for p := e.Path; ; p = parent(p) {
		for _, s := range w.m[kRecursive][p] {
			s.push(e, false)
		}
		if p == "/" {
			return
		}
	}
}

func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// remove drops the watches of type t on path and tells each listener so,
// as a successful removeWatches does in ZooKeeper's client.
func (w *watches) remove(path string, t zk.WatcherType) {
	w.mu.Lock()
	defer w.mu.Unlock()
	drop := func(k int, typ zk.EventType) {
		for _, s := range w.m[k][path] {
			s.push(Event{Type: typ, State: zk.StateSyncConnected, Path: path}, true)
		}
		delete(w.m[k], path)
	}
	if t == zk.WatchData || t == zk.WatchAny {
		drop(kData, zk.EventDataWatchRemoved)
		drop(kExist, zk.EventDataWatchRemoved)
	}
	if t == zk.WatchChildren || t == zk.WatchAny {
		drop(kChild, zk.EventChildWatchRemoved)
	}
	if t == zk.WatchAny {
		drop(kPersist, zk.EventPersistentWatchRemoved)
		drop(kRecursive, zk.EventPersistentWatchRemoved)
	}
}

// endAll gives every watch a last event e and forgets them all.
func (w *watches) endAll(e Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k := range w.m {
		for p, ss := range w.m[k] {
			for _, s := range ss {
				s.push(e, true)
			}
			delete(w.m[k], p)
		}
	}
}

// setWatches is the record that re-registers every watch (server paths,
// sorted for a stable frame), and false when there is none.
func (w *watches) setWatches(rel int64, server func(string) string) (*jute.SetWatches, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	paths := func(k int) []string {
		v := []string{}
		for p := range w.m[k] {
			v = append(v, server(p))
		}
		sort.Strings(v)
		return v
	}
	sw := &jute.SetWatches{RelativeZxid: rel, DataWatches: paths(kData), ExistWatches: paths(kExist),
		ChildWatches: paths(kChild), PersistentWatches: paths(kPersist), PersistentRecursiveWatches: paths(kRecursive)}
	sw.Two = len(sw.PersistentWatches)+len(sw.PersistentRecursiveWatches) > 0
	n := len(sw.DataWatches) + len(sw.ExistWatches) + len(sw.ChildWatches)
	return sw, n > 0 || sw.Two
}
