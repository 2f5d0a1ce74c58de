package store

import (
	"slices"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/watcher"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// Watches. The registry (package watcher) of the sessions served here
// lives in this machine rather than in an actor of its own: an event must
// reach the client before any reply that shows its change, and one
// sequence of replies and events, published in order on one connection,
// gives that for free. Watches are registered when a read is served (in
// the session's order) and fired right after the txn that triggers them is
// applied, before the replies that follow it.

// fire sends the notifications an applied txn triggers.
func (s *Store) fire(zxid int64, changes []znode.Change) {
	if len(changes) == 0 {
		return
	}
	s.notify(zxid, s.watches.Trigger(changes))
}

func (s *Store) notify(zxid int64, notes []watcher.Notification) {
	for _, n := range notes {
		ss := s.sessions[n.Session]
		if ss == nil || ss.replyTo == "" {
			continue
		}
		s.replies = append(s.replies, Reply{To: ss.replyTo,
			Event: &msg.WatchEvent{Session: n.Session, Type: n.Type, Path: n.Path, Zxid: zxid}})
	}
}

// watchRead registers the watch a successful (or, for exists, any) read
// with Watch set asks for, as ZooKeeper's DataTree does.
func (s *Store) watchRead(ss *session, o *msg.Op, rp *msg.Reply) {
	if !o.Watch {
		return
	}
	switch op := o.Op; {
	case op == zk.OpExists && rp.Err == 0:
		s.watches.Add(ss.id, o.Path, watcher.Data)
	case op == zk.OpExists && rp.Err == zk.NoNode:
		s.watches.Add(ss.id, o.Path, watcher.Exist)
	case op == zk.OpGetData && rp.Err == 0:
		s.watches.Add(ss.id, o.Path, watcher.Data)
	case (op == zk.OpGetChildren || op == zk.OpGetChildren2) && rp.Err == 0:
		s.watches.Add(ss.id, o.Path, watcher.Child)
	}
}

// watchOp serves addWatch, removeWatches, checkWatches and setWatches.
func (s *Store) watchOp(ss *session, req *msg.Request) *msg.Reply {
	o := &req.Op
	switch o.Op {
	case zk.OpSetWatches, zk.OpSetWatches2:
		w := o.Watches
		if w == nil {
			return &msg.Reply{}
		}
		notes := s.watches.SetWatches(ss.id, w.RelZxid, w.Data, w.Exist, w.Child, w.Persistent, w.Recursive, s.tree.Exists)
		s.notify(s.tree.LastZxid(), notes)
		return &msg.Reply{}
	}
	if err := znode.ValidatePath(o.Path, false); err != nil {
		return &msg.Reply{Err: zk.CodeOf(err), Path: o.Path}
	}
	switch o.Op {
	case zk.OpAddWatch:
		m, ok := watcher.ModeOfAddWatch(zk.AddWatchMode(o.Mode))
		if !ok {
			return &msg.Reply{Err: zk.MarshallingError, Path: o.Path}
		}
		s.watches.Add(ss.id, o.Path, m)
		return &msg.Reply{}
	case zk.OpRemoveWatches:
		wt := zk.WatcherType(o.Mode)
		if !wt.Valid() {
			return &msg.Reply{Err: zk.BadArguments, Path: o.Path}
		}
		// The watch-removed events are the client library's to raise,
		// as in ZooKeeper; the node only drops the registration.
		if _, ok := s.watches.Remove(ss.id, o.Path, wt); !ok {
			return &msg.Reply{Err: zk.NoWatcher, Path: o.Path}
		}
		return &msg.Reply{}
	case zk.OpCheckWatches:
		wt := zk.WatcherType(o.Mode)
		if !wt.Valid() {
			return &msg.Reply{Err: zk.BadArguments, Path: o.Path}
		}
		if !s.watches.Check(ss.id, o.Path, wt) {
			return &msg.Reply{Err: zk.NoWatcher, Path: o.Path}
		}
		return &msg.Reply{}
	}
	return &msg.Reply{Err: zk.Unimplemented}
}

// rewatch re-checks every registered watch against a tree that replaced
// old wholesale (a snapshot from the leader): the watches whose node
// changed fire now, as a client's setWatches after a reconnect would make
// them, so no change hidden inside the snapshot goes unreported. A
// persistent watch cannot be caught up that way (ZooKeeper replays
// nothing to it), and its session stays attached here, where a ZooKeeper
// follower would have closed the connection when it lost its leader: the
// session is told with an EventNone at the snapshot's zxid, on which a
// client drops the link and re-attaches, so the gap shows in its watches'
// streams as ZooKeeper's Disconnected and SyncConnected do
// (TestSnapshotSyncBreaksPersistentWatches).
func (s *Store) rewatch(old *znode.Tree) {
	rel := old.LastZxid()
	for _, ss := range s.sortedSessions() {
		ws := s.watches.Watches(ss.id)
		if len(ws) == 0 {
			continue
		}
		var data, exist, child, persistent, recursive []string
		for _, p := range sortedKeys(ws) {
			for _, m := range ws[p] {
				switch m {
				case watcher.Data, watcher.Exist:
					if _, ok := old.Exists(p); ok {
						data = append(data, p)
					} else {
						exist = append(exist, p)
					}
				case watcher.Child:
					child = append(child, p)
				case watcher.Persistent:
					persistent = append(persistent, p)
				case watcher.PersistentRecursive:
					recursive = append(recursive, p)
				}
			}
		}
		s.watches.DropSession(ss.id)
		s.notify(s.tree.LastZxid(), s.watches.SetWatches(ss.id, rel, data, exist, child, persistent, recursive, s.tree.Exists))
		if len(persistent)+len(recursive) > 0 && ss.replyTo != "" {
			s.replies = append(s.replies, Reply{To: ss.replyTo,
				Event: &msg.WatchEvent{Session: ss.id, Type: zk.EventNone, Zxid: s.tree.LastZxid()}})
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
