// Package watcher is Paddock's watch registry: ZooKeeper's two
// WatchManagers (dataWatches and childWatches of DataTree) as one pure,
// deterministic Go value.
//
// It owns the watches a node's connected sessions registered (one-shot data,
// exist and child watches; persistent and persistent-recursive watches from
// addWatch), turns the changes an applied txn made (znode.Result.Changes)
// into notifications, answers removeWatches and checkWatches, re-registers a
// reconnecting session's watches with ZooKeeper's setWatches catch-up rule,
// and lists watches for the wchc/wchp/wchs four-letter words.
//
// It must not do I/O, start goroutines, read clocks or randomness, or know
// about NATS or the wire: the caller (package store) calls Trigger right
// after it applies each committed txn, in zxid order, and carries the
// returned notifications to the sessions. A Registry is not safe for
// concurrent use; the caller serializes access, as it does for the tree. It
// imports only the standard library, package znode and package zk, whose
// EventType and WatcherType its notifications and Remove/Check take.
//
// Use, on the node that serves the sessions:
//
//   - a read with watch=true registers after it is served: getData → Data,
//     exists → Exist (whether or not the node exists), getChildren → Child;
//     addWatch → ModeOfAddWatch(mode);
//   - after each applied txn: Trigger(result.Changes), then deliver; a
//     client must see the event before any read of the data that caused it;
//   - removeWatches → Remove, checkWatches → Check (false: NoWatcher, -121);
//   - setWatches/setWatches2 on reconnect → SetWatches with the client's
//     relative zxid and the applied tree's Exists;
//   - session closed, expired or moved away → DropSession (after the
//     closeSession txn's Trigger, as ZooKeeper closes the connection after
//     applying it). A session's index entry lives until DropSession.
//
// Cost: a trigger touches only the changed path and, when any recursive
// watch exists, the path's ancestors (one map lookup each); notifying k
// watchers of one path is O(k) with no allocation beyond the returned slice
// (AppendTrigger reuses the caller's). Watches of a path are kept sorted by
// session, so notifications come out sorted without a sort (one sort only
// when recursive watches on ancestors add sessions).
//
// Semantics follow ZooKeeper (DataTree, WatchManager):
//
//   - create P fires NodeCreated for data watches on P and
//     NodeChildrenChanged for child watches on P's parent;
//   - delete P fires NodeDeleted for data and child watches on P (a session
//     holding both gets one event) and NodeChildrenChanged on the parent;
//   - setData P fires NodeDataChanged for data watches on P;
//   - exists registers a data watch, whether or not the node exists;
//   - a persistent watch is both a data and a child watch on its path and
//     is kept when it fires;
//   - a persistent-recursive watch fires NodeCreated, NodeDeleted and
//     NodeDataChanged for its path and every descendant, never
//     NodeChildrenChanged;
//   - every change is one triggerWatch call: a session is notified at most
//     once per change, one-shot watches go as they fire. A multi or a
//     closeSession makes several changes, each fired in order, so a
//     persistent watch may see the same (type, path) twice in one txn, as
//     in ZooKeeper.
//
// Notifications of one change are sorted by session, so a simulation
// replays exactly (ZooKeeper iterates a HashSet).
//
// Departures from ZooKeeper 3.8, on purpose:
//   - A session's watch modes on one path coexist, as in ZooKeeper 3.9
//     (ZOOKEEPER-4466, WatchStats): in 3.8 a getData watch on a path with a
//     persistent watch replaced the persistent mode, so the persistent watch
//     was lost after one event. Here the one-shot watch goes and the
//     persistent one stays; removeWatches and checkWatches of type Data or
//     Children concern only the one-shot watches, as in 3.9, and the 3.9
//     WatcherTypes Persistent (4) and PersistentRecursive (5) are accepted.
//   - Remove reports the watch-removed events (DataWatchRemoved,
//     ChildWatchRemoved, PersistentWatchRemoved) a client observes. A
//     ZooKeeper server never sends them: the Java client makes them itself
//     from the OK reply. The zkwire front end must drop them; the native
//     client may deliver them.
//   - Delivery does not check the watched node's READ ACL against the
//     session's auth (ZooKeeper 3.8.4's fix of CVE-2024-23944 for
//     persistent-recursive watches): the caller, which knows ACLs and auth,
//     filters if it must.
package watcher
