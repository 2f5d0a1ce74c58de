// Package zk is ZooKeeper's vocabulary, defined once for all of Paddock:
// the names and numbers that ZooKeeper's protocol, its txn log and
// Paddock's bus share.
//
// It owns:
//
//   - OpCode, ZooDefs.OpCode: request, txn and multi-op types;
//   - Code, KeeperException.Code, with its Java names and messages, and
//     Error (KeeperException: a code and a path) with one sentinel per
//     code for errors.Is, CodeOf and ErrorOf;
//   - Stat, data.Stat;
//   - ID and ACL, data.Id and data.ACL, the permission bits of
//     ZooDefs.Perms and the well-known lists of ZooDefs.Ids;
//   - CreateMode, CreateMode.java's flags, and its predicates;
//   - EventType, KeeperState and WatcherType of Watcher.java, and
//     AddWatchMode, ZooDefs.AddWatchModes.
//
// Every value is ZooKeeper's number, which is on the wire of the ZooKeeper
// protocol or in the txn log: never renumber. Stat and ACL carry the
// msgpack tags of their bus encoding so that package actors/msg can use
// them as they are; this package does not import msgpack, and a changed
// tag changes the bus format.
//
// What uses it: actors/msg (the bus bodies), znode (the tree and its txn
// log), watcher, store, zkwire and zkwire/jute (the ZooKeeper wire
// protocol), and the clients, whose public names are aliases of these.
//
// What it must not do: import anything but the standard library, do I/O,
// or hold behaviour beyond naming and classifying its values. How a value
// is encoded belongs to the codec that encodes it (zkwire/jute, znode's
// txn log, actors/buswire); what a request does with it, to znode.
package zk
