// Package replica owns atomic broadcast: ZAB's synchronization and
// broadcast phases, as a pure state machine (Replica: Step, Tick, Propose,
// Ready, Advance, in the manner of etcd-io/raft's RawNode), the Storage
// interface it reads its durable history through, and MemStorage, an
// in-memory Storage that models fsync and crashes for tests.
//
// MemStorage stays for this package's own tests, which drive one Replica
// (or a few, by hand) and cannot use replica/wal, which imports this
// package; its Persist is the one sequence those tests carry a Ready out
// with. The wal's tests also compare the wal against it as a model. Whole
// ensembles, with the production shells over the wal, are simulated in
// internal/sim.
//
// It must not do I/O, start goroutines, read the clock or use global
// randomness: time is Tick, randomness is Config.Rand, the disk is the
// shell's (replica/wal), and the bus is Ready.Messages. Entry.Data is
// opaque. Election and ZAB discovery belong to package voter, which tells
// the replica Lead, Follow or Looking; the replica answers Looking (and
// starts) with its History and may Abdicate an epoch it cannot serve.
//
// # Protocol
//
// Synchronization. On Follow{Leader, Epoch} a follower opens a sync session
// (an id: random incarnation in the upper 32 bits, a counter below) and
// sends SyncReq with its last zxid p and applied zxid a; it opens a new
// session (never resends an old one) until the leader answers. A SyncReq
// for an epoch above the replica's own (its voter has not said Lead yet)
// is kept, the newest per voter, and answered on Lead for that epoch.
// The leader answers with SyncStart:
//
//   - DIFF if it holds p (as an entry or its snapshot point): entries after
//     p follow;
//   - TRUNC t otherwise, t the largest zxid it holds <= p, then entries
//     after t — the follower has a tail the leader lacks;
//   - SNAP if p is below everything it holds: snapshot chunks, then entries
//     after the snapshot.
//
// Unlike ZooKeeper's LearnerHandler, the follower checks a TRUNC: it
// truncates only to a zxid it holds itself and not below what it applied.
// Across epochs the leader's floor(p) may be a zxid the follower never had
// (it followed an epoch that skipped it); the follower then asks again with
// NoTrunc and the leader truncates to a (committed, so both hold it) or
// sends a snapshot. Then NEWLEADER{Zxid}: once the follower holds the
// history up to Zxid, its Ready persists it, writes currentEpoch and only
// then sends NewLeaderAck. The leader counts itself once its own Ready with
// currentEpoch has been carried out; with a quorum of NEWLEADER acks it
// serves, commits its whole initial history and sends UPTODATE with the
// commit point. A late joiner (Follow after the epoch is established) is
// synced the same way while broadcast goes on: its DIFF simply runs on to
// the leader's current last zxid.
//
// Broadcast. Propose assigns zxid = epoch<<32 | counter. Proposal{PrevZxid,
// Entries, Commit} batches entries (MaxBatchBytes, at most MaxInflight
// unacknowledged per follower). A follower appends only entries directly
// after its last zxid (or overlapping ones it already holds); a proposal
// that leaves a gap makes it ask Resend{After: last} and is dropped, so no
// zxid is ever skipped. It acks cumulatively in the Ready that persists
// the entries, so an ack implies fsync. The leader commits the largest zxid
// held durably by a quorum of itself and the followers that acked NEWLEADER,
// and sends Commit (piggy-backed on proposals, and every ResendTicks). Every
// replica hands out Committed entries strictly in zxid order and never
// beyond its commit point or its own log.
//
// Loss, duplication, delay and reordering: messages carry the epoch and are
// ignored in any other; sync messages carry the session and are ignored in
// any other. A follower keeps snapshot chunks and proposals that arrive
// ahead of their turn (bounded) and places them when their turn comes; a
// gap still open on the next Tick is repaired with Resend.
// Unacked proposals are resent after ResendTicks, unanswered NEWLEADER and
// NewLeaderAck likewise; a follower without progress for SyncTicks, or
// behind the commit point it was told, starts a new session. A leader not
// serving, or a follower not up to date, InitTicks after the epoch began
// sends Abdicate to its voter.
//
// # Invariants
//
// Every log is a prefix of the log some epoch's leader had at some time:
// sync leaves the follower with a prefix of the leader's log (TRUNC keeps a
// prefix of its own log ending at a zxid the leader holds, SNAP replaces
// everything) and broadcast appends the leader's entries in order. Since
// one epoch has one leader (the voter's guarantee) and a leader never
// reuses a zxid (it leads only epochs above its currentEpoch, and proposes
// only after that epoch file is durable), two logs that hold the same zxid
// agree up to it. This is why "the leader holds p" is enough for DIFF and
// why PrevZxid == last is enough to append.
//
// Hence: a committed zxid is held by a quorum of durable logs under the
// current epoch, so every later leader (elected by (currentEpoch, zxid) from
// a quorum) holds it, and it is never lost or reordered; applied prefixes
// agree; gaps are repaired, never skipped; only the leader of an epoch
// commits in it.
//
// # Crash points
//
// Ready is carried out in order: truncate, install snapshot, append, fsync;
// then currentEpoch; then apply; then send. A crash anywhere leaves the
// currentEpoch naming a history that is durable (ZOOKEEPER-4785), a
// snapshot from sync durable before any ack that depends on it
// (ZOOKEEPER-3911), and no ack, NEWLEADER ack included, for data not yet
// durable (ZOOKEEPER-3642). Applied state is not durable: after a restart
// the shell restores the state machine from the storage's snapshot and the
// replica hands out committed entries after it again.
package replica
