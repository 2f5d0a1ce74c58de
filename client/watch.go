package client

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paddock-zk/paddock/zk"

	"github.com/paddock-zk/paddock/actors/msg"
)

// ErrNoWatcher is RemoveWatches' and CheckWatches' error when the node
// holds no such watch.
var ErrNoWatcher = zk.ErrNoWatcher

// EventType is the type of a watch event, ZooKeeper's
// Watcher.Event.EventType; its String is ZooKeeper's name ("NodeCreated",
// ..., "None").
type EventType = zk.EventType

// Event types. EventNone is a session state change (the session expired or
// the Conn closed); the watch-removed types are raised by the client itself
// when a removal succeeds, as ZooKeeper's client does.
const (
	EventNone                   = zk.EventNone
	EventNodeCreated            = zk.EventNodeCreated
	EventNodeDeleted            = zk.EventNodeDeleted
	EventNodeDataChanged        = zk.EventNodeDataChanged
	EventNodeChildrenChanged    = zk.EventNodeChildrenChanged
	EventDataWatchRemoved       = zk.EventDataWatchRemoved
	EventChildWatchRemoved      = zk.EventChildWatchRemoved
	EventPersistentWatchRemoved = zk.EventPersistentWatchRemoved
)

// Event is one watch event (ZooKeeper's WatchedEvent). State is
// StateConnected for node events and removals, StateExpired or
// StateClosed for EventNone. Zxid is the txn that fired a node event (for
// one fired on re-registration after a move, the serving node's applied
// zxid then); 0 for events the client raises itself.
type Event struct {
	Type  EventType
	State State
	Path  string
	Zxid  int64
}

// String is zkCli's rendering: "WatchedEvent state:SyncConnected
// type:NodeChildrenChanged path:/serverList" ("path:null" when there is no
// path).
func (e Event) String() string {
	p := e.Path
	if p == "" {
		p = "null"
	}
	return "WatchedEvent state:" + e.State.String() + " type:" + e.Type.String() + " path:" + p
}

// WatcherType selects watches for RemoveWatches and CheckWatches,
// ZooKeeper's Watcher.WatcherType.
type WatcherType = zk.WatcherType

// Watcher types.
const (
	WatchChildren            = zk.WatchChildren
	WatchData                = zk.WatchData // getData and exists watches
	WatchAny                 = zk.WatchAny
	WatchPersistent          = zk.WatchPersistent
	WatchPersistentRecursive = zk.WatchPersistentRecursive
)

// kind is a listener set of the watch manager, ZKWatchManager's maps.
type kind uint8

const (
	kData      kind = iota // getData, exists on an existing node
	kExist                 // exists on a missing node
	kChild                 // getChildren
	kPersist               // addWatch PERSISTENT
	kRecursive             // addWatch PERSISTENT_RECURSIVE
	nKinds
)

// removed is the event a removal raises on a listener of kind k.
func (k kind) removed() EventType {
	switch k {
	case kData, kExist:
		return EventDataWatchRemoved
	case kChild:
		return EventChildWatchRemoved
	}
	return EventPersistentWatchRemoved
}

// kindsOf is the listener sets a WatcherType selects (as ZooKeeper's
// ZKWatchManager.removeWatcher reads it).
func kindsOf(t WatcherType) []kind {
	switch t {
	case WatchChildren:
		return []kind{kChild}
	case WatchData:
		return []kind{kData, kExist}
	case WatchPersistent:
		return []kind{kPersist}
	case WatchPersistentRecursive:
		return []kind{kRecursive}
	case WatchAny:
		return []kind{kData, kExist, kChild, kPersist, kRecursive}
	}
	return nil
}

// queue delivers events to one channel in order without ever blocking the
// pusher: an event goes straight into the channel's buffer when it has
// room and nothing is queued before it; otherwise it is queued and a
// goroutine (alive only while the queue is not empty) feeds the channel.
// The last event closes the channel once delivered.
type queue struct {
	mu       sync.Mutex
	ch       chan Event
	q        []Event
	draining bool // the feeding goroutine runs
	closing  bool // close ch once q is delivered
	closed   bool // the last event was pushed
}

func newQueue(buf int) *queue { return &queue{ch: make(chan Event, buf)} }

func (u *queue) push(e Event, last bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return
	}
	u.closed = last
	if len(u.q) == 0 {
		select {
		case u.ch <- e:
			if last {
				close(u.ch)
			}
			return
		default:
		}
	}
	u.q = append(u.q, e)
	u.closing = last
	if !u.draining {
		u.draining = true
		go u.drain()
	}
}

func (u *queue) drain() {
	for {
		u.mu.Lock()
		if len(u.q) == 0 {
			u.draining = false
			if u.closing {
				close(u.ch)
			}
			u.mu.Unlock()
			return
		}
		e := u.q[0] // stays queued until sent, so later pushes queue behind it
		u.mu.Unlock()
		u.ch <- e
		u.mu.Lock()
		u.q[0] = Event{}
		u.q = u.q[1:]
		u.mu.Unlock()
	}
}

// listener is one caller's interest: a one-shot channel or a Watch.
type listener struct {
	q *queue
}

// watchManager is the client side of the watches (ZooKeeper's
// ZKWatchManager): path to listeners, per kind. The node keeps one watch
// per session, path and kind, so several listeners share it; an event is
// fanned out to every listener it concerns. Listeners are added and
// removed on the reply goroutine, in stream order with the events.
type watchManager struct {
	mu    sync.Mutex
	sets  [nKinds]map[string][]*listener
	ended bool
	end   State // StateExpired or StateClosed once ended
}

// add registers l under path; on an ended manager it gets the final event
// at once.
func (m *watchManager) add(k kind, path string, l *listener) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ended {
		l.q.push(Event{Type: EventNone, State: m.end}, true)
		return
	}
	if m.sets[k] == nil {
		m.sets[k] = make(map[string][]*listener)
	}
	m.sets[k][path] = append(m.sets[k][path], l)
}

// take removes and returns path's listeners of kind k.
func (m *watchManager) takeLocked(k kind, path string) []*listener {
	ls := m.sets[k][path]
	delete(m.sets[k], path)
	return ls
}

// deliver fans a node event out, following ZKWatchManager.materialize:
// created and data-changed go to the data and exist listeners, deleted to
// those and the child listeners, children-changed to the child listeners
// (one-shot listeners are then removed); persistent listeners on the path
// get every type, recursive ones on the path or an ancestor every type
// but children-changed.
func (m *watchManager) deliver(e Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ended {
		return
	}
	var fire []*listener
	switch e.Type {
	case EventNodeCreated, EventNodeDataChanged:
		fire = append(m.takeLocked(kData, e.Path), m.takeLocked(kExist, e.Path)...)
	case EventNodeDeleted:
		fire = append(m.takeLocked(kData, e.Path), m.takeLocked(kExist, e.Path)...)
		fire = append(fire, m.takeLocked(kChild, e.Path)...)
	case EventNodeChildrenChanged:
		fire = m.takeLocked(kChild, e.Path)
	default:
		return
	}
	for _, l := range fire {
		l.q.push(e, true)
	}
	for _, l := range m.sets[kPersist][e.Path] {
		l.q.push(e, false)
	}
	if e.Type == EventNodeChildrenChanged || len(m.sets[kRecursive]) == 0 {
		return
	}
	for p := e.Path; ; p = parent(p) {
		for _, l := range m.sets[kRecursive][p] {
			l.q.push(e, false)
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

// removeLocal drops path's listeners of the kinds t selects (or only
// only, when set) and raises the removed event on each.
func (m *watchManager) removeLocal(path string, t WatcherType, only *listener) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range kindsOf(t) {
		ls := m.sets[k][path]
		var keep []*listener
		for _, l := range ls {
			if only != nil && l != only {
				keep = append(keep, l)
				continue
			}
			l.q.push(Event{Type: k.removed(), State: StateConnected, Path: path}, true)
		}
		if len(keep) == 0 {
			delete(m.sets[k], path)
		} else {
			m.sets[k][path] = keep
		}
	}
}

// others reports whether path has listeners of kind k besides l.
func (m *watchManager) others(k kind, path string, l *listener) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.sets[k][path] {
		if o != l {
			return true
		}
	}
	return false
}

// watchSet lists the watches held, for setWatches2 after a move.
func (m *watchManager) watchSet(relZxid int64) *msg.WatchSet {
	m.mu.Lock()
	defer m.mu.Unlock()
	paths := func(k kind) []string {
		var ps []string
		for p, ls := range m.sets[k] {
			if len(ls) > 0 {
				ps = append(ps, p)
			}
		}
		slices.Sort(ps)
		return ps
	}
	ws := &msg.WatchSet{RelZxid: relZxid, Data: paths(kData), Exist: paths(kExist), Child: paths(kChild),
		Persistent: paths(kPersist), Recursive: paths(kRecursive)}
	if len(ws.Data)+len(ws.Exist)+len(ws.Child)+len(ws.Persistent)+len(ws.Recursive) == 0 {
		return nil
	}
	return ws
}

// state tells the persistent listeners of a change of the session's link,
// in their stream: Event{None, StateDisconnected} when it is lost (what
// follows may have missed changes; Zxid is set when the node dropped the
// link after replacing its state with a snapshot, and one-shot events at
// that zxid were its setWatches-like catch-up), Event{None,
// StateConnected, Zxid} once the watches are registered again on a node,
// Zxid being the point of that node's history from which every change is
// delivered.
func (m *watchManager) state(st State, zxid int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ended {
		return
	}
	for _, k := range []kind{kPersist, kRecursive} {
		for _, ls := range m.sets[k] {
			for _, l := range ls {
				l.q.push(Event{Type: EventNone, State: st, Zxid: zxid}, false)
			}
		}
	}
}

// terminate delivers Event{None, st} to every listener, closes them, and
// makes later registrations end at once.
func (m *watchManager) terminate(st State) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ended {
		return
	}
	m.ended, m.end = true, st
	for k := range m.sets {
		for _, ls := range m.sets[k] {
			for _, l := range ls {
				l.q.push(Event{Type: EventNone, State: st}, true)
			}
		}
		m.sets[k] = nil
	}
}

// Hooks into the request path (client.go and failover.go).

// replyHookKey carries, in a call's context, a function run on the reply
// goroutine with the call's reply before the caller gets it, in order with
// the events: it registers a watch at the point of the stream where the
// node registered it. A context value (as net/http/httptrace does) keeps
// the request path's signatures as they are.
type replyHookKey struct{}

func withReplyHook(ctx context.Context, h func(*msg.Reply)) context.Context {
	return context.WithValue(ctx, replyHookKey{}, h)
}

func replyHookOf(ctx context.Context) func(*msg.Reply) {
	h, _ := ctx.Value(replyHookKey{}).(func(*msg.Reply))
	return h
}

// onEvent runs on the reply goroutine for a watch event from node from.
func (c *Conn) onEvent(ev *msg.WatchEvent, from msg.NodeID) {
	if ev.Session != c.session {
		c.log.Debug("watch event for another session dropped", "session", ev.Session)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if from != c.evNode {
		c.log.Debug("watch event from a node the session left dropped", "node", from, "path", ev.Path, "zxid", fmt.Sprintf("0x%x", ev.Zxid))
		return
	}
	if ev.Type == EventNone {
		// The node replaced its tree with a snapshot: its one-shot
		// watches have fired as setWatches would, its persistent ones
		// missed what the snapshot holds. Re-attach, as a ZooKeeper
		// client does when its follower closes the connection; the
		// Disconnected carries the zxid of that catch-up.
		if c.link != nil && c.link.node == from && c.dropLinkLocked("the node's state was replaced by a snapshot") {
			c.setStateLocked(StateDisconnected)
			c.watches.state(StateDisconnected, ev.Zxid)
			c.poke(c.kick)
		}
		return
	}
	now := c.mono()
	c.lastRecv.Store(now)
	c.lastTouch.Store(now)
	// The event shows the state at its zxid: a re-attach must not go to a
	// node behind it, or that node would fire the change again (and show
	// older data than the event announced).
	for {
		z := c.lastZxid.Load()
		if ev.Zxid <= z || c.lastZxid.CompareAndSwap(z, ev.Zxid) {
			break
		}
	}
	c.watches.deliver(Event{Type: ev.Type, State: StateConnected, Path: ev.Path, Zxid: ev.Zxid})
}

// endWatches ends every listener when the Conn stops.
func (c *Conn) endWatches() {
	st := StateClosed
	if c.State() == StateExpired {
		st = StateExpired
	}
	c.watches.terminate(st)
}

// resendWatches re-registers the watches held on l's node (setWatches2)
// before l becomes the session's link, so no other request goes before
// it; the node fires at once those whose node changed after rel. rel is
// LastZxid as the re-attach request carried it: the re-attach's own reply
// raises LastZxid to the new node's applied zxid, which would hide the
// changes made while the session was away.
func (c *Conn) resendWatches(l *link, rel int64, timeout time.Duration) error {
	ws := c.watches.watchSet(rel)
	if ws == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Connected goes to the persistent watches on the reply goroutine, in
	// stream order: after the events setWatches2 fired, before any change
	// the node applies next.
	ctx = withReplyHook(ctx, func(rep *msg.Reply) {
		if rep.Err == 0 {
			c.watches.state(StateConnected, rep.Zxid)
		}
	})
	rep, _, err := c.send(ctx, msg.Request{Op: msg.Op{Op: zk.OpSetWatches2, Watches: ws}}, l)
	if err != nil {
		return err
	}
	if code := rep.Err; code != zk.Ok {
		return &zk.Error{Code: code}
	}
	return nil
}

// readW is a read with Watch set whose listener is registered, on
// success, as the reply goes by.
func (c *Conn) readW(ctx context.Context, op zk.OpCode, path string) (*msg.Reply, <-chan Event, error) {
	if err := validate(path, false); err != nil {
		return nil, nil, err
	}
	l := &listener{q: newQueue(1)}
	var registered atomic.Bool
	hook := func(rep *msg.Reply) {
		var k kind
		switch code := rep.Err; {
		case code == zk.Ok && op == zk.OpGetChildren2:
			k = kChild
		case code == zk.Ok:
			k = kData
		case code == zk.NoNode && op == zk.OpExists:
			k = kExist
		default:
			return
		}
		registered.Store(true)
		c.watches.add(k, path, l)
	}
	rep, err := c.call(withReplyHook(ctx, hook), msg.Op{Op: op, Path: path, Watch: true})
	if !registered.Load() {
		return rep, nil, err
	}
	return rep, l.q.ch, err
}

// GetW is Get that also sets a data watch on path. The channel (buffered,
// capacity 1) receives exactly one event, NodeDataChanged or NodeDeleted
// (or None when the session expires or the Conn closes, or
// DataWatchRemoved), and is then closed. No watch is set when Get fails.
func (c *Conn) GetW(ctx context.Context, path string) ([]byte, zk.Stat, <-chan Event, error) {
	rep, ch, err := c.readW(ctx, zk.OpGetData, path)
	if err != nil {
		return nil, zk.Stat{}, nil, err
	}
	return rep.Data, msg.StatOf(rep.Stat), ch, nil
}

// ExistsW is Exists that also sets a watch on path: a data watch if the
// node exists (NodeDataChanged or NodeDeleted), an exist watch if not
// (NodeCreated). The channel is one-shot as GetW's.
func (c *Conn) ExistsW(ctx context.Context, path string) (zk.Stat, bool, <-chan Event, error) {
	rep, ch, err := c.readW(ctx, zk.OpExists, path)
	switch {
	case zk.CodeOf(err) == zk.NoNode:
		return zk.Stat{}, false, ch, nil
	case err != nil:
		return zk.Stat{}, false, nil, err
	}
	return msg.StatOf(rep.Stat), true, ch, nil
}

// ChildrenW is Children that also sets a child watch on path
// (NodeChildrenChanged, or NodeDeleted). The channel is one-shot as
// GetW's.
func (c *Conn) ChildrenW(ctx context.Context, path string) ([]string, zk.Stat, <-chan Event, error) {
	rep, ch, err := c.readW(ctx, zk.OpGetChildren2, path)
	if err != nil {
		return nil, zk.Stat{}, nil, err
	}
	return rep.Children, msg.StatOf(rep.Stat), ch, nil
}

// Watch is a persistent watch set by AddWatch. Events receives every
// event of the watch in order, from an unbounded queue (the Conn never
// waits for the reader); it is closed after PersistentWatchRemoved (Remove
// or RemoveWatches) or None with StateExpired or StateClosed. As with
// ZooKeeper's watchers, a lost link shows as None with StateDisconnected
// and the re-attach as None with StateConnected, whose Zxid is where the
// new node registered the watch again: changes between the two are not
// replayed (a node the session returns to may still deliver some, from
// the watch it held before), every change after that Zxid is. Read
// Events until it is closed, or its events stay queued.
type Watch struct {
	Events    <-chan Event
	Path      string
	Recursive bool
	// Zxid is where the node registered the watch: every change after it
	// is delivered, until a Disconnected event (see Events).
	Zxid int64

	c *Conn
	l *listener
}

// AddWatch sets a persistent watch on path (addWatch): it stays until
// removed and gets NodeCreated, NodeDeleted, NodeDataChanged and
// NodeChildrenChanged of path; recursive, it gets NodeCreated, NodeDeleted
// and NodeDataChanged of path and of every node below it.
func (c *Conn) AddWatch(ctx context.Context, path string, recursive bool) (*Watch, error) {
	if err := validate(path, false); err != nil {
		return nil, err
	}
	k, mode := kPersist, zk.AddWatchPersistent
	if recursive {
		k, mode = kRecursive, zk.AddWatchPersistentRecursive
	}
	l := &listener{q: newQueue(64)}
	hook := func(rep *msg.Reply) {
		if rep.Err == 0 {
			c.watches.add(k, path, l)
		}
	}
	rep, err := c.call(withReplyHook(ctx, hook), msg.Op{Op: zk.OpAddWatch, Path: path, Mode: int32(mode)})
	if err != nil {
		return nil, err
	}
	return &Watch{Events: l.q.ch, Path: path, Recursive: recursive, Zxid: rep.Zxid, c: c, l: l}, nil
}

// Remove removes the watch: PersistentWatchRemoved is delivered and Events
// closed. The node's watch goes too (removeWatches) unless another Watch
// of the same kind on the same path still uses it (then the node is only
// asked whether it has it, checkWatches, as ZooKeeper's client does).
func (w *Watch) Remove(ctx context.Context) error {
	t, k := WatchPersistent, kPersist
	if w.Recursive {
		t, k = WatchPersistentRecursive, kRecursive
	}
	op := zk.OpRemoveWatches
	if w.c.watches.others(k, w.Path, w.l) {
		op = zk.OpCheckWatches
	}
	return w.c.removeWatches(ctx, op, w.Path, t, w.l)
}

// RemoveWatches removes the session's watches of type t on exactly path
// (removeWatches): the node drops them, and every local listener of those
// watches gets DataWatchRemoved, ChildWatchRemoved or
// PersistentWatchRemoved and is closed, as in ZooKeeper. WatchData covers
// the watches of GetW and ExistsW; WatchAny every kind. ErrNoWatcher
// (NoWatcher, -121) when the node holds none.
func (c *Conn) RemoveWatches(ctx context.Context, path string, t WatcherType) error {
	return c.removeWatches(ctx, zk.OpRemoveWatches, path, t, nil)
}

func (c *Conn) removeWatches(ctx context.Context, op zk.OpCode, path string, t WatcherType, only *listener) error {
	if err := validate(path, false); err != nil {
		return err
	}
	if kindsOf(t) == nil {
		return fmt.Errorf("client: watcher type %d: %w", t, &zk.Error{Code: zk.BadArguments, Path: path})
	}
	hook := func(rep *msg.Reply) {
		if rep.Err == 0 {
			c.watches.removeLocal(path, t, only)
		}
	}
	_, err := c.call(withReplyHook(ctx, hook), msg.Op{Op: op, Path: path, Mode: int32(t)})
	return err
}

// CheckWatches asks the node whether the session has a watch of type t on
// exactly path (checkWatches): nil if so, ErrNoWatcher if not.
func (c *Conn) CheckWatches(ctx context.Context, path string, t WatcherType) error {
	if err := validate(path, false); err != nil {
		return err
	}
	if kindsOf(t) == nil {
		return fmt.Errorf("client: watcher type %d: %w", t, &zk.Error{Code: zk.BadArguments, Path: path})
	}
	_, err := c.call(ctx, msg.Op{Op: zk.OpCheckWatches, Path: path, Mode: int32(t)})
	return err
}
