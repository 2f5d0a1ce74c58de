package wal

// The crash points of the storage layer: places where a crash of the
// process is most likely to lose or corrupt acknowledged data. Each site
// calls Options.CrashHook with its name; a crash test may kill the process
// there (cmd/node wires internal/crashpoint, which arms them by these
// names). Without a hook they cost a call to a no-op.
const (
	// CrashBeforeFsync: log records appended (buffered or written), not
	// yet fsynced.
	CrashBeforeFsync = "wal.before-fsync"
	// CrashAfterFsync: log records fsynced, before the acks (or the
	// leader's own count) that rely on them go out.
	CrashAfterFsync = "wal.after-fsync"
	// CrashSyncAfterTruncate: a follower in sync has durably truncated its
	// log to the leader's TRUNC point and has not yet appended the
	// leader's entries after it.
	CrashSyncAfterTruncate = "sync.after-truncate"
	// CrashSnapInstallBefore: a follower has the whole snapshot and has
	// written nothing of it yet.
	CrashSnapInstallBefore = "snap.install.before"
	// CrashSnapInstallMid: the snapshot file is durable, the old log and
	// newer snapshots are not yet discarded (the install marker is on
	// disk).
	CrashSnapInstallMid = "snap.install.mid"
	// CrashSnapInstallAfter: the install is complete and durable; the
	// entries after it are not yet appended and nothing is acked.
	CrashSnapInstallAfter = "snap.install.after"
	// CrashEpochBeforeAccepted / CrashEpochAfterAccepted: around writing
	// the acceptedEpoch file (discovery).
	CrashEpochBeforeAccepted = "epoch.before-accepted"
	CrashEpochAfterAccepted  = "epoch.after-accepted"
	// CrashEpochBeforeCurrent / CrashEpochAfterCurrent: around writing the
	// currentEpoch file, which follows the synced history (ZOOKEEPER-4785)
	// and precedes the NewLeaderAck.
	CrashEpochBeforeCurrent = "epoch.before-current"
	CrashEpochAfterCurrent  = "epoch.after-current"
)
