package watcher

import (
	"slices"
	"strings"

	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// entry is one session's watches on one path; bits 0 marks a tombstone
// (left by Remove or DropSession, swept lazily).
type entry struct {
	session int64
	bits    uint8
	sw      *sessionWatches // the session's index, set while bits != 0
}

// sessionWatches indexes one session's watches for DropSession and
// listings. paths is a superset of the paths where the session has a
// watch: a one-shot watch that fires is not taken out of it (that would be
// a map operation per notification); Add sweeps it when stale entries pile
// up.
type sessionWatches struct {
	paths map[*pathWatches]struct{}
	live  int // entries of the session with bits != 0
}

// pathWatches holds the watches on one path, sorted by session so that a
// trigger emits them in order without sorting.
type pathWatches struct {
	path      string
	entries   []entry
	live      int // entries with bits != 0
	recursive int // entries with bitRecursive
}

func (pw *pathWatches) find(session int64) (int, bool) {
	return slices.BinarySearchFunc(pw.entries, session, func(e entry, s int64) int {
		switch {
		case e.session < s:
			return -1
		case e.session > s:
			return 1
		}
		return 0
	})
}

// Registry is the watch registry of one node: ZooKeeper's dataWatches and
// childWatches together. The zero value is not usable; call New.
type Registry struct {
	paths     map[string]*pathWatches
	sessions  map[int64]*sessionWatches // kept until DropSession
	watching  int                       // sessions with live > 0
	watches   int                       // set bits over all entries
	recursive int                       // recursive watches in all: 0 skips the ancestor walk

	a, b []int64 // scratch for Trigger
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{
		paths:    make(map[string]*pathWatches),
		sessions: make(map[int64]*sessionWatches),
	}
}

// Add registers a watch of mode m for session on path (a valid, absolute
// znode path). Adding a watch the session already has is a no-op; different
// modes on one path coexist. It panics on an invalid Mode.
func (r *Registry) Add(session int64, path string, m Mode) {
	b := modeBit(m)
	pw := r.paths[path]
	if pw == nil {
		pw = &pathWatches{path: path}
		r.paths[path] = pw
	}
	i, ok := pw.find(session)
	if !ok {
		pw.entries = slices.Insert(pw.entries, i, entry{session: session})
	}
	e := &pw.entries[i]
	if e.bits&b != 0 {
		return
	}
	if e.bits == 0 {
		pw.live++
		sw := r.sessions[session]
		if sw == nil {
			sw = &sessionWatches{paths: make(map[*pathWatches]struct{})}
			r.sessions[session] = sw
		}
		if sw.live == 0 {
			r.watching++
		}
		sw.live++
		e.sw = sw
		e.bits = b
		if _, ok := sw.paths[pw]; !ok {
			sw.paths[pw] = struct{}{}
			if len(sw.paths) > 2*sw.live+8 {
				r.sweepIndex(session, sw) // after e.bits is set: keeps pw
			}
		}
	}
	e.bits |= b
	r.watches++
	if b == bitRecursive {
		pw.recursive++
		r.recursive++
	}
}

// holds reports whether pw is current and session has a watch on it,
// and where.
func (r *Registry) holds(pw *pathWatches, session int64) (int, bool) {
	if r.paths[pw.path] != pw {
		return 0, false
	}
	i, ok := pw.find(session)
	return i, ok && pw.entries[i].bits != 0
}

// sweepIndex drops the stale paths of a session's index.
func (r *Registry) sweepIndex(session int64, sw *sessionWatches) {
	for pw := range sw.paths {
		if _, ok := r.holds(pw, session); !ok {
			delete(sw.paths, pw)
		}
	}
}

// unset clears bits of entry i of pw (which holds them all) and keeps the
// counts; an entry left empty becomes a tombstone.
func (r *Registry) unset(pw *pathWatches, i int, bits uint8) {
	e := &pw.entries[i]
	e.bits &^= bits
	r.watches -= popcount(bits)
	if bits&bitRecursive != 0 {
		pw.recursive--
		r.recursive--
	}
	if e.bits == 0 {
		pw.live--
		r.release(e)
	}
}

// release accounts for entry e having emptied.
func (r *Registry) release(e *entry) {
	e.sw.live--
	if e.sw.live == 0 {
		r.watching--
	}
	e.sw = nil
}

// drop forgets an empty pw.
func (r *Registry) drop(pw *pathWatches) {
	delete(r.paths, pw.path)
	pw.entries = nil // stale index entries may still point at pw
}

// sweep drops pw when it is empty and compacts its tombstones when they
// outnumber the live entries.
func (r *Registry) sweep(pw *pathWatches) {
	switch {
	case pw.live == 0:
		r.drop(pw)
	case len(pw.entries)-pw.live > pw.live && len(pw.entries) > 8:
		pw.entries = slices.DeleteFunc(pw.entries, func(e entry) bool { return e.bits == 0 })
		r.shrink(pw)
	}
}

// shrink reallocates pw's entries once they use under a quarter of their
// capacity, so a large fan-out that fired does not pin its memory.
func (r *Registry) shrink(pw *pathWatches) {
	if c := cap(pw.entries); c > 64 && len(pw.entries) < c/4 {
		pw.entries = slices.Clone(pw.entries)
	}
}

// Trigger turns the changes of one applied txn (znode.Result.Changes, in
// their order) into notifications, as DataTree's triggerWatch calls do, and
// removes the one-shot watches that fired. Within one change each session
// is notified at most once, sessions in ascending order.
func (r *Registry) Trigger(changes []znode.Change) []Notification {
	return r.AppendTrigger(nil, changes)
}

// AppendTrigger is Trigger appending to dst, so a caller can reuse a
// buffer.
func (r *Registry) AppendTrigger(dst []Notification, changes []znode.Change) []Notification {
	for _, c := range changes {
		switch c.Type {
		case znode.Created:
			r.a = r.fireData(r.a[:0], c.Path)
			dst = emit(dst, r.a, zk.EventNodeCreated, c.Path)
		case znode.DataChanged:
			r.a = r.fireData(r.a[:0], c.Path)
			dst = emit(dst, r.a, zk.EventNodeDataChanged, c.Path)
		case znode.ChildrenChanged:
			r.a = r.fireChild(r.a[:0], c.Path)
			dst = emit(dst, r.a, zk.EventNodeChildrenChanged, c.Path)
		case znode.Deleted:
			// dataWatches then childWatches on the path, the latter
			// suppressing whoever the former notified: one event each.
			r.a = r.fireData(r.a[:0], c.Path)
			r.b = r.fireChild(r.b[:0], c.Path)
			dst = emitUnion(dst, r.a, r.b, zk.EventNodeDeleted, c.Path)
		}
	}
	return dst
}

// fireData is dataWatches.triggerWatch(path): every data, persistent or
// recursive watch on path fires (one-shot ones go), and every recursive
// watch on an ancestor. It appends the sessions, sorted and unique.
func (r *Registry) fireData(dst []int64, path string) []int64 {
	if pw := r.paths[path]; pw != nil {
		dst = r.fire(dst, pw, inData, bitData)
	}
	if r.recursive == 0 {
		return dst
	}
	n := len(dst)
	for p := path; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 || p == "/" {
			break
		}
		if i == 0 {
			p = "/"
		} else {
			p = p[:i]
		}
		pw := r.paths[p]
		if pw == nil || pw.recursive == 0 {
			continue
		}
		for _, e := range pw.entries {
			if e.bits&bitRecursive != 0 {
				dst = append(dst, e.session)
			}
		}
	}
	if len(dst) > n {
		slices.Sort(dst)
		dst = slices.Compact(dst)
	}
	return dst
}

// fireChild is childWatches.triggerWatch(path): child and persistent
// watches on path fire, one-shot ones go. Recursive watches are not child
// watches, so they never see NodeChildrenChanged.
func (r *Registry) fireChild(dst []int64, path string) []int64 {
	if pw := r.paths[path]; pw != nil {
		dst = r.fire(dst, pw, inChild, bitChild)
	}
	return dst
}

// fire appends the sessions of pw's entries with a bit in mask, clears the
// one-shot bit once from each, and sweeps tombstones in the same pass.
func (r *Registry) fire(dst []int64, pw *pathWatches, mask, oneShot uint8) []int64 {
	w := 0
	for i := range pw.entries {
		e := pw.entries[i]
		if e.bits&mask != 0 {
			dst = append(dst, e.session)
			if e.bits&oneShot != 0 {
				e.bits &^= oneShot
				r.watches--
				if e.bits == 0 {
					pw.live--
					r.release(&e)
				}
			}
		}
		if e.bits != 0 {
			pw.entries[w] = e
			w++
		}
	}
	pw.entries = pw.entries[:w]
	if pw.live == 0 {
		r.drop(pw)
	} else {
		r.shrink(pw)
	}
	return dst
}

func emit(dst []Notification, sessions []int64, t zk.EventType, path string) []Notification {
	dst = slices.Grow(dst, len(sessions))
	for _, s := range sessions {
		dst = append(dst, Notification{Session: s, Type: t, Path: path})
	}
	return dst
}

// emitUnion emits the union of two sorted, unique session lists.
func emitUnion(dst []Notification, a, b []int64, t zk.EventType, path string) []Notification {
	dst = slices.Grow(dst, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		var s int64
		switch {
		case len(b) == 0 || (len(a) > 0 && a[0] < b[0]):
			s, a = a[0], a[1:]
		case len(a) == 0 || b[0] < a[0]:
			s, b = b[0], b[1:]
		default:
			s, a, b = a[0], a[1:], b[1:]
		}
		dst = append(dst, Notification{Session: s, Type: t, Path: path})
	}
	return dst
}

// typeBits is the bits a Type selects, as DataTree.removeWatch and
// containsWatcher of ZooKeeper 3.9 read them.
func typeBits(wt zk.WatcherType) uint8 {
	switch wt {
	case zk.WatchChildren:
		return bitChild
	case zk.WatchData:
		return bitData
	case zk.WatchPersistent:
		return bitPersist
	case zk.WatchPersistentRecursive:
		return bitRecursive
	case zk.WatchAny:
		return bitAll
	}
	return 0
}

func (r *Registry) lookup(session int64, path string) (*pathWatches, int, uint8) {
	pw := r.paths[path]
	if pw == nil {
		return nil, 0, 0
	}
	i, ok := pw.find(session)
	if !ok {
		return nil, 0, 0
	}
	return pw, i, pw.entries[i].bits
}

// Remove is removeWatches: it removes session's watches of type wt on path
// (exactly path: a recursive watch on an ancestor is not touched). ok is
// false when there was none (or wt is invalid): the caller answers
// NoWatcher (-121). removed lists the watch-removed events a client
// observes, in EventType order: DataWatchRemoved for the one-shot data
// watch, ChildWatchRemoved for the one-shot child watch,
// PersistentWatchRemoved for persistent or recursive ones. A ZooKeeper
// server does not send these (see the package doc).
func (r *Registry) Remove(session int64, path string, wt zk.WatcherType) (removed []Notification, ok bool) {
	pw, i, bits := r.lookup(session, path)
	got := bits & typeBits(wt)
	if got == 0 {
		return nil, false
	}
	r.unset(pw, i, got)
	r.sweep(pw)
	if got&bitData != 0 {
		removed = append(removed, Notification{session, zk.EventDataWatchRemoved, path})
	}
	if got&bitChild != 0 {
		removed = append(removed, Notification{session, zk.EventChildWatchRemoved, path})
	}
	if got&(bitPersist|bitRecursive) != 0 {
		removed = append(removed, Notification{session, zk.EventPersistentWatchRemoved, path})
	}
	return removed, true
}

// Check is checkWatches: whether session has a watch of type wt on exactly
// path. False answers NoWatcher (-121).
func (r *Registry) Check(session int64, path string, wt zk.WatcherType) bool {
	_, _, bits := r.lookup(session, path)
	return bits&typeBits(wt) != 0
}

// DropSession removes all of session's watches (session closed, expired or
// moved to another node), as DataTree.removeCnxn does.
func (r *Registry) DropSession(session int64) {
	sw := r.sessions[session]
	if sw == nil {
		return
	}
	delete(r.sessions, session)
	for pw := range sw.paths {
		if i, ok := r.holds(pw, session); ok {
			r.unset(pw, i, pw.entries[i].bits)
			r.sweep(pw)
		}
	}
	if sw.live != 0 {
		panic("watcher: session index misses some of the session's watches")
	}
}

// SetWatches is setWatches/setWatches2 of a reconnecting session, as
// DataTree.setWatches does it against the node's applied tree (lookup,
// e.g. (*znode.Tree).Exists): relZxid is the last zxid the client saw.
//
//   - data: NodeDeleted if the node is gone, NodeDataChanged if its mzxid
//     is after relZxid, else the data watch is registered again;
//   - exist: NodeCreated if the node exists, else registered again;
//   - child: NodeDeleted if the node is gone, NodeChildrenChanged if its
//     pzxid is after relZxid, else registered again;
//   - persistent and persistentRecursive: registered again, never fired.
//
// A watch that fires here is not registered again (it was one-shot). The
// notifications come in the order of the lists.
func (r *Registry) SetWatches(session, relZxid int64, data, exist, child, persistent, persistentRecursive []string,
	lookup func(path string) (zk.Stat, bool)) []Notification {
	var out []Notification
	for _, p := range data {
		st, ok := lookup(p)
		switch {
		case !ok:
			out = append(out, Notification{session, zk.EventNodeDeleted, p})
		case st.Mzxid > relZxid:
			out = append(out, Notification{session, zk.EventNodeDataChanged, p})
		default:
			r.Add(session, p, Data)
		}
	}
	for _, p := range exist {
		if _, ok := lookup(p); ok {
			out = append(out, Notification{session, zk.EventNodeCreated, p})
		} else {
			r.Add(session, p, Exist)
		}
	}
	for _, p := range child {
		st, ok := lookup(p)
		switch {
		case !ok:
			out = append(out, Notification{session, zk.EventNodeDeleted, p})
		case st.Pzxid > relZxid:
			out = append(out, Notification{session, zk.EventNodeChildrenChanged, p})
		default:
			r.Add(session, p, Child)
		}
	}
	for _, p := range persistent {
		r.Add(session, p, Persistent)
	}
	for _, p := range persistentRecursive {
		r.Add(session, p, PersistentRecursive)
	}
	return out
}

// Watches lists session's watches: path to modes (in Mode order; an exist
// watch is listed as Data), for wchc and dump.
func (r *Registry) Watches(session int64) map[string][]Mode {
	sw := r.sessions[session]
	if sw == nil || sw.live == 0 {
		return nil
	}
	out := make(map[string][]Mode, sw.live)
	for pw := range sw.paths {
		if i, ok := r.holds(pw, session); ok {
			out[pw.path] = modesOf(pw.entries[i].bits)
		}
	}
	return out
}

// Dump lists every watch, sorted by path, then session, then mode, for
// wchp, wchc and dump.
func (r *Registry) Dump() []Watch {
	paths := make([]string, 0, len(r.paths))
	for p := range r.paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	out := make([]Watch, 0, r.watches)
	for _, p := range paths {
		for _, e := range r.paths[p].entries {
			for _, m := range modesOf(e.bits) {
				out = append(out, Watch{Session: e.session, Path: p, Mode: m})
			}
		}
	}
	return out
}

// Counts returns the sessions with watches, the watched paths and the
// number of (session, path, mode) registrations, for wchs and mntr.
func (r *Registry) Counts() Counts {
	return Counts{Sessions: r.watching, Paths: len(r.paths), Watches: r.watches}
}
