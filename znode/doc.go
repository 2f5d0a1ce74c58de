// Package znode is Paddock's replicated state machine: ZooKeeper's znode
// tree (DataTree) as a pure, deterministic Go value.
//
// It owns two halves, as ZooKeeper does:
//
//   - Prep (leader only, PrepRequestProcessor): Prepare turns a client
//     Request plus the session's auth ids into a Txn or a ZooKeeper error
//     code, checking paths, versions, ACLs, sequence numbers, ephemeral and
//     TTL/container rules against the applied tree plus the overlay of
//     txns prepared but not yet applied. Applied trims the overlay; Reset
//     drops it.
//   - Tree (every replica): Apply applies committed txns in zxid order with
//     ZooKeeper's exact Stat bookkeeping and keeps an order-independent
//     64-bit Digest up to date, so replicas can compare state at equal
//     zxids. Reads (Get, Children, ACL, ...) and ACL checks for the read
//     path are served from it.
//
// It also owns the Txn log encoding (EncodeTxn/DecodeTxn, EncodeRecord),
// snapshots (WriteSnapshot/ReadSnapshot), path validation, quotas (quota.go: the tree keeps each quota's stats node
// as txns apply, Prep refuses writes past a hard limit with
// QuotaExceeded when enforcement is on) and /zookeeper/config's content
// (InitConfig).
//
// Znode data is nil for ZooKeeper's null and a zero-length slice for an
// empty byte[]: the tree, the txn encoding, snapshots and the digest keep
// the two apart, as ZooKeeper does, and the built-in nodes are empty as
// in ZooKeeper. Logs and snapshots of format 1, which could not tell the
// two apart, still load; their zero-length data reads as null, but on
// the built-in nodes (codec.go).
//
// It must not do I/O beyond the io.Writer/io.Reader it is handed, start
// goroutines, read clocks or randomness: time enters only as the leader's
// TxnHeader.Time. It imports only the standard library and package zk,
// which defines the ZooKeeper vocabulary it speaks (opcodes, error codes,
// Stat, ACLs, create modes); the aliases in compat.go keep znode's old
// names for those working.
//
// Departures from ZooKeeper, on purpose:
//   - A CreateTxn carries the final ephemeralOwner (session, container or
//     TTL encoding) instead of ZooKeeper's three create txn records.
//   - Apply refuses (Result.Fault, tree unchanged) txns that would break the
//     tree (create under a missing parent, delete of a node with children,
//     a zxid not after the last one); ZooKeeper tolerates some of these to
//     replay fuzzy snapshots, which Paddock does not take.
//   - Prepare refuses an ephemeral create from a session the replicated
//     state does not know (CreateSession not prepared) or that is closing,
//     with SessionExpired, and any write from a closing session, so an
//     ephemeral can never outlive its session.
//   - TTL nodes are always enabled (ZooKeeper's extendedTypesEnabled), so
//     session ids must not have 0xFF as their top byte.
//   - The tree records live sessions (CreateSession/CloseSession txns) so a
//     snapshot restores them, as ZooKeeper's ZKDatabase does.
//   - Quota stats (/zookeeper/quota/<path>/zookeeper_stats) are rewritten
//     inside Apply, as DataTree does, but within the digest (ZooKeeper
//     leaves all of /zookeeper/ out of its digest because its stats are
//     updated outside it). A loaded snapshot's stats are kept, not
//     recounted as ZooKeeper's setupQuota does, so a restarted replica
//     keeps the digest of the others; its quota roots are rebuilt from
//     the limits nodes. A quota on "/" is never tracked (ZooKeeper
//     ignores it too, or throws).
//   - With enforcement on (SetQuotaEnforced), Prep counts the writes it
//     has prepared and not yet applied, earlier ops of the same multi
//     included, against a hard limit; ZooKeeper checks each op against
//     the applied tree only, so its hard limits can be overrun by a
//     multi or by pipelined writes. Stats or limits that do not parse are
//     left alone by Apply (ZooKeeper throws mid-txn) and refused by Prep
//     with MarshallingError (as ZooKeeper's caught parse error becomes).
//   - /zookeeper/config is set by InitConfig from the node's own server
//     lines with a Stat that depends on the data only (ZooKeeper stamps
//     the local clock into mtime), and its data stays out of the digest
//     until a txn writes it (ZooKeeper leaves all of /zookeeper/ out);
//     see InitConfig and nodeHash.
package znode
