// Package store owns a node's replicated database and its request path, as
// one pure state machine: it drives replica.Replica with the znode tree as
// the replicated state machine, prepares writes on the leader (znode.Prep:
// ZooKeeper's PrepRequestProcessor), and serves the client requests of the
// sessions connected to this node in their order.
//
// The request path. A client Request arrives at the node serving its
// session. Reads are answered from the applied tree; writes and sync are
// forwarded to the leader (msg.Forward). The leader stamps each write with
// the next zxid and the leader's time, validates it against the applied
// tree plus its pending txns, and proposes the encoded txn; a refused
// write never reaches the log: the leader answers with msg.ForwardReply
// instead, carrying the zxid of its last proposal. The serving node
// answers a write when it applies the committed txn (the txn header names
// the session and xid) and a refusal or a sync once it has applied up to
// the zxid the leader gave. A session's requests are answered strictly in
// order: a read waits for the writes before it.
//
// Loss and change of leader. A forward that stays unanswered is sent again
// every ResendTicks; the leader recognises duplicates by (session, xid)
// and answers a refused one again. When the epoch ends, the node stops
// serving or the leader changes, every unanswered request fails with
// ConnectionLoss: the client does not know whether such a write happened,
// as with ZooKeeper.
//
// It must not do I/O, read clocks or use global randomness: the shell
// carries out Ready (persist, then send), sets the time with SetNow, and
// hands over received messages with Step.
package store
