// Package zkdata reads Apache ZooKeeper 3.8's on-disk data: the fuzzy
// snapshots (FileSnap: snapshot.<zxid>, plain, gz or snappy) and the
// transaction logs (FileTxnLog: log.<zxid>) of a version-2 directory, and
// restores the database the way ZooKeeper's FileTxnSnapLog.restore does:
// the newest valid snapshot, then every logged txn after it, applied with
// DataTree.processTxn's rules (which tolerate the txns a fuzzy snapshot
// already holds). It owns the jute record shapes of zookeeper.jute that
// appear on disk and a model of ZooKeeper's DataTree (Stat in its stored
// form, the ACL cache's references, sessions, ephemeral owners).
//
// It only reads: it never writes to a ZooKeeper directory, and it knows
// nothing of Paddock's own storage. The caller turns a restored Tree into
// whatever it needs (cmd/node's import-zk builds a znode.Tree from it).
//
// Damage is reported, never skipped silently: a snapshot whose checksum or
// structure is bad is passed over for an older one (ZooKeeper does the
// same) and named in the Report; a log record whose Adler32 checksum fails,
// an unreadable length, or a gap in the zxids is an error wrapping
// ErrCorrupt that says how far the data was read. A log that ends inside a
// record, or in the zero-filled preallocated tail, ends there: that is
// ZooKeeper's normal crash tail, and ZooKeeper stops reading there too.
//
// Departures from ZooKeeper, on purpose:
//   - A gap in zxids inside one epoch, and a zxid that goes backwards, are
//     errors; ZooKeeper logs the latter and applies the txn anyway.
//   - A multi holding an op type DataTree cannot apply is an error;
//     ZooKeeper stops applying that multi part-way without a word.
//   - Quota stats (zookeeper_stats) are recounted once the log is
//     replayed, as DataTree.setupQuota does on every load; ZooKeeper
//     recounts at the snapshot and adds the replayed txns incrementally,
//     which differs only for nested quotas.
package zkdata
