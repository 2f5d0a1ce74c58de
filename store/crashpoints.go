package store

// The crash points of the store actor, around what it sends once a Ready
// is durable: a crash here tests that nothing was acked before it was on
// disk. ActorOptions.CrashHook receives them (server.WithCrashHook passes
// the same hook to the storage, for the wal.Crash* constants); a crash
// test may kill the process there.
const (
	// CrashAckAfterSend: a follower has sent an Ack for entries it
	// persisted (an Ack sent before the fsync would lose them here).
	CrashAckAfterSend = "ack.after-send"
	// CrashSyncBeforeAck: a follower has made the history the leader sent
	// in sync (DIFF, TRUNC or SNAP, up to NEWLEADER) durable, and its
	// currentEpoch, and not yet sent its NewLeaderAck.
	CrashSyncBeforeAck = "sync.before-ack"
	// CrashSyncAfterAck: the NewLeaderAck has gone out; the history it
	// claims must be on disk (ZOOKEEPER-3911, -3642).
	CrashSyncAfterAck = "sync.after-ack"
	// CrashSnapSend: a leader is about to send a snapshot chunk to a
	// follower.
	CrashSnapSend = "snap.send"
	// CrashSnapReceive: a follower has received a snapshot chunk (the
	// snapshot is still being assembled in memory).
	CrashSnapReceive = "snap.receive"
)
