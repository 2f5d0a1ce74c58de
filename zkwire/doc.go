// Package zkwire is Paddock's ZooKeeper-compatible front end on clientPort.
//
// It owns the TCP listener that ZooKeeper clients, tools and load balancers
// connect to. A connection whose first four bytes spell a four-letter word
// (srvr, ruok, …) is answered in plain text and closed, as ZooKeeper does;
// the words are gated by the 4lw.commands.whitelist allow-list. Anything
// else is the jute-framed client protocol (subpackage jute has the codec).
//
// Four-letter words answered, in ZooKeeper 3.8's formats line for line
// (checked against its sources and a running 3.8 by the differential
// test): srvr, stat (srvr with the "Clients:" list), ruok, isro, conf,
// mntr, cons (one line per connection, as ZooKeeper's
// dumpConnectionInfo), wchs, wchc and wchp (the data watches: data, exists
// and persistent ones, as ZooKeeper's data watch manager holds them), dump
// and envi (Go's figures under Java's names: java.version is the Go
// version), dirs, and the resets crst (every connection's counters) and
// srst (the server's). gtmk, stmk and hash (ZooKeeper's trace mask and
// digest history, which Paddock has not) are answered "not supported by
// this server.". A node that is not serving answers as ZooKeeper's commands do
// without a running server: ruok and envi as ever, isro "null", the
// others "not currently serving" (but mntr still answers on a full disk,
// to show paddock_disk_full). srvr is always allowed, as in ZooKeeper.
// The figures come from three places: the node's Status callback (mode,
// zxid, node count, the watch count the store actor publishes), the
// node's Dump, Conf and Watches callbacks, asked only for the words that
// print them, and the front end's own counters (Server.fill):
// packets received and sent, outstanding requests and response latencies
// in ms, over every connection, and per connection for cons. As in
// ZooKeeper, the asking connection is a connection too: stat, cons and
// dump list it, Connections counts it, and its word and reply are
// packets. dump prints, as ZooKeeper, a leader's or standalone node's
// session expiry queue (Config.Expiries, from the sessions actor) and on a
// follower every session and its timeout (from the replicated tree).
//
// A reply is written whole in one Write, then the write side is shut
// (FIN) and what the client still sends (the newline of `echo srvr | nc`)
// is read and dropped until it closes or a short linger ends: closing a
// socket with unread bytes makes the kernel reset it, which can destroy a
// reply the client has not read yet. A client's half-close after the word
// is only the end of that read.
//
// The client protocol. Every frame is a 4-byte big-endian length and a
// jute record; a length over jute.maxbuffer (Config.MaxBuffer) closes the
// connection. The first frame is a ConnectRequest: it becomes a
// createSession msg.Request (Session 0 for a new session; sessionId,
// passwd and lastZxidSeen to re-attach one; ClientAddr, the TCP peer's IP
// address, which the serving node gives the session as its ip scheme id,
// as ZooKeeper gives every connection ip:<address>) on the node's own
// request path, reached through the Bus interface (a stream per connection, with
// its own reply subject). The answer is a ConnectResponse with the trailing
// readOnly byte only if the client sent one; a session the node refuses
// as expired gets timeOut 0 (the client reports SessionExpired), any other
// refusal (not serving, behind the client's zxid) closes the connection so
// the client tries another server. Then each frame is a RequestHeader and
// the opcode's record, sent on as a msg.Request with the session, its
// password and the client's xid, in order; the node answers in order, and
// its msg.Reply becomes ReplyHeader{xid, zxid, err} plus the response
// record (a failed request is its header alone, a multi has header err 0
// and per-op results, as in ZooKeeper), its msg.WatchEvent a notification
// (xid -1, state SyncConnected). Pings (xid -2) go to the node too, since
// they touch the session. The front end answers itself, in order with the
// rest: unknown opcodes (Unimplemented) and undecodable records
// (MarshallingError). Auth packets (xid -4) go to the node, which knows the
// digest and ip schemes (any other fails with AuthFailed) and keeps the ids per session on the serving node (a
// client re-sends them after moving, as ZooKeeper clients do); a failed
// one closes the connection, as in ZooKeeper. A frame too short for a
// header, closeSession's reply, SessionExpired and ConnectionLoss close
// the connection too. A
// connection that drops without closeSession leaves its session to
// expire by its timeout, as ZooKeeper does.
//
// Hostile clients. Besides maxClientCnxns, jute.maxbuffer, the first-frame
// timeout and the outstanding limit per connection, the front end shares
// the node among its connections (admission.go): a request read while its
// connection had none in flight goes on at once; one read while it had
// some waits for one of a few places over the node, handed out in turn
// and paced while clients that wait for their answers are active, so a
// connection that pipelines or floods cannot fill the node's request queue
// and group commits ahead of everyone else. A closed connection's places
// are given back only as the replies of its requests come (settle). The
// connections held are bounded by the file limit less a reserve for the
// rest of the node; at the bound nothing more is accepted until one ends
// or the oldest connection without a session has had a second, which is
// then closed to make room (server.go). Each client address may open
// maxClientCnxns sessions at once and then SessionRate a second
// (churn.go). A reader waiting for room or admission is woken when its
// connection's writer ends, not only by replies.
//
// The node's state reaches this package only through the Status callback,
// and its request path through Bus, so zkwire imports only the message
// vocabulary (actors/msg and zk, whose types the jute records and the
// bus bodies share, so a request passes from one to the other without
// conversion of its ACLs, Stats or codes), never the actors runtime, NATS
// or the consensus packages.
package zkwire
