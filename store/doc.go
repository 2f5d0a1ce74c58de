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
// every ResendTicks; the leader takes a session's forwards from one origin
// in Forward.Seq order only, recognises duplicates by that number and
// answers a refused one again. Sequences restart in every epoch (the new
// leader knows none) and, within an epoch, above the previous incarnation's
// when the origin restarts (Store.seqBase). When the epoch ends, the node
// stops serving or the leader changes, every unanswered request fails with
// ConnectionLoss: the client does not know whether such a write happened,
// as with ZooKeeper. A session handshake (createSession, new or a
// re-attach) that comes while the node does not serve, or a re-attach
// from a client that has seen more than the node applied, is held for up
// to Config.HoldTicks and taken up when the node serves and has caught
// up, instead of being refused at once as ZooKeeper does: a client that
// lost its node's leader reconnects at once, and a refusal sent it into
// its back-off while the next leader was only milliseconds away.
//
// Sessions. Every request carries the session's password, and every one is
// checked. A node that does not know a session (it may be behind its
// creation), or to which a session re-attaches, asks the leader with a
// sync before it answers, as ZooKeeper's follower revalidates a session
// with the leader; that sync (msg.Forward.Attach) also makes the node the
// session's owner at the leader, which refuses with SessionMoved the
// forwards of the session from any other node: a node the session left
// (paused, cut off) cannot apply, late, a write sent before the move after
// the writes sent since. A closeSession applied anywhere ends the session
// on every node that serves it.
//
// ACLs, as ZooKeeper checks them: per node, never inherited. The serving
// node checks reads (READ for getData, getChildren and getACL; exists
// needs nothing) with the session's ids; the leader's Prep checks writes
// (CREATE and DELETE on the parent, WRITE for setData, ADMIN for setACL)
// with the ids the forward carries. A session's ids are its digest auths
// (addAuth) and the ip id its front end gave it (msg.Request.ClientAddr on
// createSession: ip:<client address>); a native client over NATS has no
// trustworthy source address, so it gets no ip id and ip ACLs never match
// it. Config.SuperDigest passes every check.
//
// Tests. internal/sim runs whole ensembles of the production actors
// (voter, store and sessions, over the wal on an in-memory file system)
// over a seeded membus with partitions, loss, duplication, delay,
// crash-restarts, crash points, whole-ensemble crashes and snapshots, with
// clients whose replies are checked against a reference tree
// (-store.seeds=N runs more seeds, -store.seed=N replays one with its event
// log); its requests_test.go and acl_test.go test the request path and the
// ACL checks over a settled ensemble. actor_test.go here tests the shell
// alone: one node driven by hand, storage faults.
//
// The shell. Actor (actor.go) runs the Store as the node's store actor,
// on actors.Runner like every other actor: it restores the tree from the
// newest snapshot, carries out each Ready (persist through Disk, then
// send, with client replies going out through the Bus's ToClient), sets
// the time with SetNow from the actors.Clock, hands over received messages
// with Step, writes snapshots on a goroutine of its own, and holds or stops
// on storage failures (ActorOptions.Faults). The node (package server)
// only builds it: config in, Disk, options. Crash points and fault
// file systems reach it through ActorOptions, never by import.
//
// Every other file is the pure core: it must not do I/O, read clocks,
// start goroutines or use global randomness (internal/archtest checks).
package store
