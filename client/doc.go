// Package client is Paddock's native Go client: it talks to a node over the
// ensemble's NATS bus, with the same operations, codes and errors as a
// ZooKeeper client.
//
// A Conn connects to one of the given bus URLs, learns from the NATS server
// name (pdk-<ensemble>-<id>) which node serves it, opens a session with
// createSession and then publishes every request (msg.Request, encoded by
// actors/natsbus) to that node's request subject, with one reply inbox per
// connection. Requests carry increasing xids and are published in xid order
// under one lock; replies are matched to their callers by xid. A request a
// node refuses with ConnectionLoss (it is not serving: no leader, or not
// synced yet) is retried with backoff within the caller's context; a request
// that gets no reply before the context ends returns ErrConnectionLoss,
// since the write may or may not have happened. While idle the Conn pings
// its node every third of the session timeout to keep the session alive.
//
// Errors are *znode.Error values carrying the request path; compare them
// with errors.Is against the sentinels re-exported here (ErrNoNode, ...).
//
// What it must not do: hold protocol state outside the conn struct (watches
// and failover to another node, with session re-establishment by id and
// password and lastZxid, are added later on top of that state), or import
// anything of the server side beyond the wire vocabulary (actors/msg), the
// codec (actors/natsbus) and the tree's types (znode).
package client
