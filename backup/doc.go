// Package backup owns Paddock's backup file: a consistent snapshot of one
// node's tree with what a restore needs, and the three things done with
// one — save it (Save, over a transfer the caller supplies), check it
// (Inspect) and make a node's fresh data directory start from it
// (Restore).
//
// # Format
//
// A backup file is a snapshot file in the data directory's format
// (package wal): content, then [u64 content length][u32 CRC-32C of the
// content]["PDKSNAP1"]. Its content is
//
//	"PDKBKUP1"  magic
//	u32 LE      length of the header
//	header      JSON: ensemble, node, zxid, epoch, znodes, sessions,
//	            digest, created, version
//	snapshot    the tree in package znode's snapshot format, with its own
//	            CRC-32C and digest
//
// so one damaged byte fails the file's checksum, and a file that is not a
// backup fails its trailer or its magic. Inspect and Restore load the
// whole tree before they report anything or touch a directory, and check
// the header against it (zxid, counts, digest).
//
// # Restore and epochs
//
// Restore writes the tree's snapshot as the data directory's only
// snapshot, an empty log, and acceptedEpoch = currentEpoch = the header's
// epoch + 1 (package wal's Restore, which refuses a directory that holds
// data). The header's epoch is the highest the saving node knew of, so
// every restored node votes with an epoch above any history the old
// ensemble wrote up to the save, and the leader they elect starts the
// epoch after: a node that was not restored cannot win the election with
// a longer old log, and is truncated to the restored history when it
// syncs. Restoring the same file on every node gives every node the same
// zxid and tree, so the sync after the election sends nothing, and the
// digest is the saved one.
//
// It must not talk to a node: the bus transfer is package natsbus's, the
// view of the tree the store actor's.
package backup
