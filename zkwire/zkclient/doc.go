// Package zkclient is a small ZooKeeper client over the jute wire protocol
// (package jute's records), for tools that must talk to any ZooKeeper
// clientPort: Paddock's or Apache ZooKeeper's. `node cli -server` uses it.
//
// A Conn owns one session. Connect takes zkCli's connect string
// ("host:port[,host:port...][/chroot]"), shuffles the servers as
// ZooKeeper's StaticHostProvider does and opens the session on the first
// that answers. Requests are framed (4-byte length, RequestHeader,
// record), numbered with increasing xids and written in order under one
// lock; the server answers in order, so the reader matches every reply to
// the oldest pending request, and a reply whose xid is not that one is a
// protocol error. Special xids: -1 notifications, -2 pings (sent every
// third of the negotiated timeout), -4 auth replies, -8 the setWatches
// reply.
//
// Failover: when the connection breaks (read error, nothing heard for two
// thirds of the timeout, a malformed or out-of-order reply), requests in
// flight fail with ConnectionLoss, as in ZooKeeper's client, and the
// session is re-attached on the next server with its id, password and the
// last zxid seen; then the watches are re-registered with one
// setWatches (setWatches2 when there are persistent ones) relative to that
// zxid, and the auth packets are sent again. Requests made while no
// connection is up wait for one (within their context). A server that
// answers the handshake with timeout 0 expired the session: every call
// then fails with SessionExpired and every watch gets an Expired event.
//
// Watches are kept client side as ZooKeeper's ZKWatchManager keeps them:
// a one-shot data, exist or child watch per call (registered by the
// reader when the reply says so, before any later notification is read),
// persistent and persistent-recursive ones by path; a notification is
// routed by its type and path. Event channels never block the reader.
//
// The chroot suffix is prepended to every request path and stripped from
// paths the server returns, except for GetConfig, which reads
// /zookeeper/config absolutely, as ZooKeeper.getConfig does.
//
// Replies are decoded with jute's Decoder, which never panics; a frame
// longer than MaxFrame, a short frame or a record that does not decode is
// ErrBadReply and closes the connection.
package zkclient
