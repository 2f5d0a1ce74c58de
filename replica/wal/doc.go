// Package wal is Paddock's on-disk storage: the transaction log, snapshots
// and the ZAB epoch files. It is the only package that writes a node's
// data directories. It stores opaque bytes: the txn and snapshot encodings
// belong to the tree package, the protocol (what to write when) to package
// replica and its shell. It must not interpret entry data, start
// goroutines, or talk to the bus.
//
// # Layout
//
// ZooKeeper's names, under a version-2 directory:
//
//	dataLogDir/version-2/log.<hex zxid of its first entry>
//	dataDir/version-2/snapshot.<hex zxid>
//	dataDir/version-2/acceptedEpoch, currentEpoch
//	dataDir/version-2/installSnapshot (only while a received snapshot is installed)
//
// dataLogDir defaults to dataDir. Files ending in .tmp in dataDir are
// leftovers of an interrupted write and are removed by Open.
//
// # Log format
//
// A log file starts with the 8-byte magic "PDKLOG1\n", followed by
// records, little-endian:
//
//	[u32 data length][u32 CRC-32C over length, zxid and data][u64 zxid][data]
//
// Data is at most 64 MiB, so a flipped length byte can't make recovery
// allocate gigabytes. Zxids ascend strictly across records and files, and
// a file's name is the zxid of its first record. A file is closed and the
// next one started when appending would take it past Options.SegmentBytes
// (64 MiB by default); the old file is fsynced before the new one is
// created (and the new one's header and directory entry are fsynced), so
// only the last file can ever hold an unsynced, possibly torn, tail.
//
// # Recovery
//
// Open reads every log file in order and checks every record. A bad record
// — short, over-long, running past the end of the file, or failing its CRC
// — is a torn tail only if it is in the last file and no valid record
// (with a zxid above the last good one) starts anywhere after it: that is
// all a torn write, a zero-filled or garbage tail can leave. The last file
// is then cut at the bad record and fsynced, with a Warn log naming the
// file and offset; a last file left with no record (or a torn header) is
// removed. Like ZooKeeper we treat a bad CRC at the very end as torn; but a
// complete record with a bad CRC followed by valid records, a bad record
// anywhere in a non-last file, a zxid out of order, or a header that is
// not ours is corruption: Open returns an error wrapping ErrCorrupt naming
// the file and byte offset, and changes nothing on disk.
//
// # Durability
//
// Append only buffers (and writes in 1 MiB chunks); Sync writes and fsyncs,
// after which every appended entry is durable. TruncateAfter is durable
// when it returns. A failed fsync (or a write failing for any reason but
// space) poisons the Log: every later call returns ErrPoisoned wrapping
// the first error, because after a failed fsync the kernel may have
// dropped the dirty pages and a retried fsync would "succeed"
// (fsyncgate). Reopening recovers from what is on disk.
//
// A write, create or rename that finds the disk full (ENOSPC, EDQUOT) is
// ErrNoSpace and does not poison: nothing durable was touched, so the log
// steps back to its durable state — the unsynced records are forgotten
// and cut off the active file (a partial write may have left some of
// them), a new segment with no durable record is removed — and the same
// work can be retried once space returns. The active segment's synced
// length is tracked for this. ENOSPC from an fsync is not ErrNoSpace: it
// poisons like EIO. Epoch and snapshot files are written to a temporary
// file that a full disk removes, so the old one stays in force.
// Store.Persist after ErrNoSpace must be called again with the same Ready:
// it skips the steps already done (truncation, install) and appends only
// the entries the log lost.
//
// Group commit is the caller's: one Persist (or Append+Sync) covers every
// entry appended so far, so a caller that persists once per batch shares an
// fsync among the batch (the node's store actor persists once per
// mailbox drain).
//
// # Snapshots and epochs
//
// A snapshot file is the content followed by a 20-byte trailer: [u64
// content length][u32 CRC-32C of the content]["PDKSNAP1"]. It is written to
// a temporary file, fsynced, renamed into place and the directory fsynced.
// OpenSnapshot verifies the whole file before returning a reader. Purge
// keeps the newest retain (>= 3) snapshots and every log file holding an
// entry newer than the oldest kept one.
//
// An epoch file holds the decimal epoch, a space and the CRC-32C of the
// digits in hex ("7 1a2b3c4d\n"), replaced atomically (temporary file,
// fsync, rename, directory fsync). A corrupt snapshot or epoch file is an
// ErrCorrupt error naming it, never used.
//
// # Concurrency
//
// Every Log method is safe to call from any goroutine. The log methods
// (Append, Sync, Entries, TruncateAfter, Close, and Purge's log-file part)
// serialize on one mutex, held across an fsync, so a Sync in flight delays
// an Append. LastZxid, DurableZxid, FirstZxid, AcceptedEpoch and
// CurrentEpoch never block. SaveSnapshot, Snapshots and OpenSnapshot never
// take the log mutex, so a snapshot can be written on its own goroutine
// while the log appends and syncs. Entries calls its fn with the mutex
// held: fn must not call the Log.
//
// # Store
//
// Store wraps a Log as package replica's Storage and carries out a
// replica.Ready with Persist in the order Ready demands: truncate, install
// the received snapshot, append, fsync, currentEpoch. Installing a snapshot
// is made atomic with the installSnapshot marker: marker, snapshot file,
// then newer snapshot files and the whole log are removed and the marker
// last; OpenStore finishes an install whose snapshot reached the disk and
// forgets one whose snapshot did not, so a crash leaves the old state or
// the new one. The log is contiguous from its base — an installed
// snapshot, 0, or the newest snapshot older than the first entry after
// Purge — and Entries returns replica.ErrCompacted only below it. A local
// snapshot (SaveSnapshot, safe on its own goroutine) drops no entries;
// Purge drops whole files. OpenStore starts from the newest snapshot whose
// checksum holds; like ZooKeeper it falls back to an older one, with a
// Warn, but only if the log holds every entry after it, else it fails
// naming the file. A fresh store gets an empty snapshot.0.
//
// # Backups and restore
//
// A backup (package backup) is a snapshot file of the same format kept
// outside a data directory: WriteSnapshotFile writes one atomically
// (temporary file, fsync, rename), OpenSnapshotFile verifies one whole
// before it returns a reader. Restore builds a fresh store from a
// snapshot: the snapshot file and both epoch files, written into
// version-2.restore beside the data directory's version-2, fsynced, and
// renamed into place, so a crash leaves no store or the whole one (the
// next Restore removes a leftover stage). It refuses a version-2, in
// dataDir or logDir, that holds anything (ErrNotEmpty). The log
// directory is left empty: OpenStore's log continues after the snapshot.
//
// # Fault injection
//
// All file access goes through FS, defined in package walfs with OS, the
// host's file system. The doubles that inject faults live outside the
// production import graph: internal/memfs models what is durable and can
// crash (dropping unsynced bytes, creates, renames and removes), fail
// fsyncs, run out of space, tear the last write and flip bytes;
// internal/faultfs wraps the host's file system for crash tests of real
// node processes (cmd/node puts it under the storage when PADDOCK_FAULTFS
// is set) and, when a crash point fires, cuts files back to what was
// fsynced. The crash points of this package (the Crash* constants) are in
// Log.Sync (before the fsync), Store.Persist (after the fsync, after a
// truncation, around a snapshot install) and the epoch writes; each calls
// Options.CrashHook, so the machinery that arms them and kills the process
// (internal/crashpoint) stays out of this package's imports.
package wal
