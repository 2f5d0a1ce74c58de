// Package bustrace turns raw bus messages into what `node trace` prints:
// every msg kind decoded into named fields — ZooKeeper's op names, paths,
// data lengths (never the bytes), versions, session ids and zxids in hex,
// each transaction of a proposal decoded from its znode log record (a
// multi's sub-transactions too), watch events by type and path, votes
// with (epoch, zxid, leader) — rendered as one text line or one JSON
// object per message, and selected by kind, session and path.
//
// It owns the presentation only: the subscription is natsbus.Tap's, the
// codec buswire's and the txn encoding znode's. It never fails on what
// it is given: a message that does not decode is shown as such, with its
// kind byte and size, and so is a proposal entry that does not.
//
// Secrets stay out: a session's password, znode data and a client
// connection's token (in its request and reply subjects, cut to a prefix
// that tells connections apart) are never printed.
package bustrace
