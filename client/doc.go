// Package client is Paddock's native Go client: it talks to a node over the
// ensemble's NATS bus, with the same operations, codes and errors as a
// ZooKeeper client.
//
// A Conn connects to one of the given bus URLs, learns from the NATS server
// name (pdk-<ensemble>-<id>) which node serves it, opens a session with
// createSession and then publishes every request (msg.Request, encoded by
// actors/natsbus, carrying the session's id and password) to that node's
// request subject, with one reply inbox per connection. WithCredentials
// and WithTLS match a node's paddock.clientUsers and paddock.sslBus. Requests carry
// increasing xids and are published in xid order under one lock; replies
// are matched to their callers by xid. A request a node refuses with
// ConnectionLoss (it is not serving: no leader, or not synced yet) is
// retried with backoff within the caller's context; a request that gets no
// reply before the context ends returns ErrConnectionLoss, since the write
// may or may not have happened. While idle the Conn pings its node every
// third of the session timeout to keep the session alive.
//
// # Failover
//
// The session outlives its node. The Conn attaches the session to one node
// at a time. The attachment is lost when NATS loses its connection, when
// nothing comes back for two thirds of the session timeout although
// something was sent, or when requests or pings keep being refused with
// ConnectionLoss. The Conn then goes StateDisconnected and re-attaches the
// session to the node NATS is connected to (NATS reconnects by itself to
// the given URLs and those it learnt from the cluster) with createSession
// carrying the session's id, password, timeout and LastZxid, the highest
// zxid it has seen in any reply or watch event. A node that has not applied up to
// LastZxid refuses with ConnectionLoss, so a read after the move never sees
// older state than the client already saw. Refusals are retried with
// backoff; after a few failures on one NATS connection the Conn dials
// again, the servers rotated so another node is tried. Success makes it
// StateConnected again, on the same session, with its ephemerals.
//
// The guarantees:
//   - A request outstanding when the attachment is lost fails at once with
//     ErrConnectionLoss: like ZooKeeper, the caller does not know whether a
//     write took effect and must check.
//   - A request issued while disconnected waits for the re-attach, bounded
//     by its context (and, without a deadline, by the session timeout), and
//     then goes out; a request NATS refused to publish is never sent and
//     is retried on the next attachment.
//   - Xids stay increasing across moves, and a session's requests reach
//     its node in xid order; no request is buffered by NATS across a
//     reconnect (ReconnectBufSize -1), so none is delivered late to a node
//     the session has left.
//   - A request answered SessionMoved (the leader knows another node as
//     the session's: this one was left, and its write was not applied)
//     fails with that error and the Conn re-attaches, claiming the
//     session again, as a ZooKeeper client reconnects when its server
//     drops it on SessionMoved.
//   - A node answering SessionExpired (to a request or to the re-attach),
//     or no successful re-attach within the session timeout of the last
//     answer that was not a refusal, expires the session: StateExpired,
//     every call returns ErrSessionExpired, no reconnect is tried. A new
//     Conn is needed.
//   - Close sends closeSession (waiting up to 3s, including for a
//     re-attach) unless the session expired, and ends in StateClosed.
//
// State changes are delivered in order and none is dropped, to
// WithStateListener callbacks (one goroutine each) and to the channels of
// States (an unbounded queue each, closed after StateClosed). Names follow
// ZooKeeper's KeeperState: SyncConnected, Disconnected, Expired, Closed.
//
// # Watches
//
// GetW, ExistsW and ChildrenW are reads that also set a one-shot watch at
// the serving node (a data watch; for ExistsW on a missing node an exist
// watch, which fires NodeCreated; a child watch). Each returns its own
// channel, buffered with capacity 1, that receives exactly one Event and
// is then closed; a failed read sets no watch and returns a nil channel.
// AddWatch sets a persistent watch (recursive: on the whole subtree) whose
// Watch.Events is an unbounded queue, in order, closed after
// PersistentWatchRemoved or None. RemoveWatches and CheckWatches take a
// WatcherType and return ErrNoWatcher when the node holds none; a
// successful removal raises DataWatchRemoved, ChildWatchRemoved or
// PersistentWatchRemoved on the local listeners and closes them, as
// ZooKeeper's Java client does (the node never sends these). Watch.Remove
// removes one Watch, and the node's watch only if no other Watch of the
// same kind on the path uses it (checkWatches otherwise).
//
// The node keeps one watch per session, path and kind, so listeners share
// it: a client-side manager (ZooKeeper's ZKWatchManager) maps path to the
// listeners of each kind (data, exist, child, persistent, recursive) and
// fans each event out as ZooKeeper's materialize does: NodeCreated and
// NodeDataChanged to the data and exist listeners, NodeDeleted to those
// and the child listeners, NodeChildrenChanged to the child listeners;
// persistent listeners on the path get every type, recursive ones on the
// path or an ancestor all but NodeChildrenChanged.
//
// Events come in the session's reply stream (a msg.WatchEvent on the reply
// inbox) and are pushed into their channels, without blocking, on the
// goroutine that hands replies to their callers, so an event is in its
// channel before the reply that follows it is returned: a read that shows
// a change returns after its event was delivered. A watch is registered
// in the manager, and removed, on that same goroutine as its reply goes
// by (a per-request hook carried in the call's context), at the point of
// the stream where the node registered or removed it.
//
// When the session re-attaches to another node, the manager's watches are
// sent there with setWatches2 before any other request, with RelZxid the
// LastZxid the re-attach carried (the re-attach's reply raises LastZxid to
// the new node's zxid). The node fires at once the one-shot watches whose
// node changed after it, and registers the others. Persistent watches are
// registered again but, as in ZooKeeper, changes made while the session
// was away are not replayed to them; their streams say so, as ZooKeeper's
// watchers get state events: Event{None, StateDisconnected} when the link
// is lost and Event{None, StateConnected, Zxid} once the new node has
// registered them, every change after Zxid following. Events are taken
// only from the node the session is attached (or being re-attached) to:
// a node the session left may still fire the watches it holds, and those
// would repeat or reorder the new node's. Expiry or Close delivers
// Event{Type: EventNone, State: StateExpired or StateClosed} to every
// listener and closes it; a Disconnected spell is not delivered to
// watches (it would use up a one-shot channel).
//
// ACLs. The node checks a native client's requests with the ids its
// session has on that node. This client sends no auth requests (yet), so
// it has no digest id, and it never has an ip id either:
// over NATS the node has no trustworthy source address (the request may
// come through any route), so an ACL of the ip scheme never matches a
// native client, and the bus drops any address a client puts in its
// requests (msg.Request.ClientAddr is for the node's own ZooKeeper front
// end only).
//
// Errors are *zk.Error values carrying the request path; compare them
// with errors.Is against the sentinels re-exported here (ErrNoNode, ...)
// or package zk's.
//
// ZooKeeper's vocabulary is package zk's: the client's EventType,
// WatcherType, State and their constants are aliases of zk's, and its
// calls take and return zk's Stat, ACL, ID and CreateMode (znode's old
// names for them are aliases too, so code written against those
// compiles).
//
// What it must not do: hold protocol state outside the conn struct, or
// import anything of the server side beyond the wire vocabulary
// (actors/msg and zk), the codec (actors/buswire) and znode's request
// types and path validation.
// Its tests may start real nodes (package server) in-process.
package client
