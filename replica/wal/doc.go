// Package wal is Paddock's on-disk storage and the only package that writes
// a node's data directories.
//
// Layout (ZooKeeper's names): dataDir/version-2/acceptedEpoch and
// currentEpoch hold the ZAB epochs as decimal text. Each is replaced
// atomically — write a temporary file, fsync it, rename it over the old one,
// fsync the directory — so a crash leaves either the old or the new value,
// never a torn one. A file that does not parse is reported, never guessed
// at.
//
// The transaction log and snapshots (issue 3) will live beside them:
// dataLogDir/version-2/log.<zxid> and dataDir/version-2/snapshot.<zxid>.
package wal
