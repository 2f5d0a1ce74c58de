package znode

import (
	"strconv"

	"github.com/paddock-zk/paddock/zk"
)

// Ephemeral-owner encodings of EphemeralType.java: a container has the
// minimum int64; a TTL node has 0xFF in the top byte, the extended-type bits
// (16 bits under it) zero, and the TTL in ms in the low 40 bits.
const (
	ContainerOwner int64 = -1 << 63
	MaxTTL         int64 = 0xFF_FFFF_FFFF // EphemeralType.TTL.maxValue(), ~34 years in ms

	extendedMask     = -1 << 56 // 0xff00000000000000
	reservedBitsMask = 0x00ffff0000000000
)

// TTLOwner is the ephemeralOwner of a TTL node with this ttl (ms); ttl must
// be in (0, MaxTTL].
func TTLOwner(ttl int64) int64 { return extendedMask | ttl }

// NodeKind is EphemeralType: how a node's ephemeralOwner reads.
type NodeKind uint8

// EphemeralType values.
const (
	KindPersistent NodeKind = iota // VOID: owner 0
	KindEphemeral                  // NORMAL: owner is a session
	KindContainer
	KindTTL
)

// KindOf decodes an ephemeralOwner as EphemeralType.get does with extended
// types enabled (Paddock always enables TTL nodes).
func KindOf(owner int64) NodeKind {
	switch {
	case owner == 0:
		return KindPersistent
	case owner == ContainerOwner:
		return KindContainer
	case owner&extendedMask == extendedMask && owner&reservedBitsMask == 0:
		return KindTTL
	}
	return KindEphemeral
}

// TTLOf is the TTL (ms) of a TTL node's ephemeralOwner, 0 for other kinds.
func TTLOf(owner int64) int64 {
	if KindOf(owner) != KindTTL {
		return 0
	}
	return owner &^ (extendedMask | reservedBitsMask)
}

// TxnHeader is stamped by the leader on every txn; Apply uses Zxid and Time
// (so that every replica computes the same Stat) and Session for
// closeSession. Type is the request's OpCode (create vs create2 only
// matters for the reply).
type TxnHeader struct {
	Session int64
	Cxid    int32
	Zxid    int64
	Time    int64
	Type    zk.OpCode
}

// ChangeType is what an applied txn did to one path, for the watch system.
type ChangeType uint8

// Change types; they map to ZooKeeper's watch event types.
const (
	Created ChangeType = iota + 1
	Deleted
	DataChanged
	ChildrenChanged
)

func (c ChangeType) String() string {
	switch c {
	case Created:
		return "Created"
	case Deleted:
		return "Deleted"
	case DataChanged:
		return "DataChanged"
	case ChildrenChanged:
		return "ChildrenChanged"
	}
	return "ChangeType(" + strconv.Itoa(int(c)) + ")"
}

// Change is one watch-relevant effect of an applied txn.
type Change struct {
	Type ChangeType
	Path string
}

// OpResult is the outcome of one op of a multi (ZooKeeper's OpResult): Err
// Ok with Path/Stat filled for a success; for a failed multi every op has
// ErrorResult semantics (Ok before the failing op, its code, then
// RuntimeInconsistency).
type OpResult struct {
	Type zk.OpCode // the txn's op; OpError for error results
	Err  zk.Code
	Path string
	Stat zk.Stat
}

// Result is what Apply did. Err is the client-visible outcome (an ErrorTxn's
// code, a failed multi's first error); Fault is non-nil only if the txn could
// not be applied to this tree at all, which means the replicas diverged: the
// tree is then unchanged.
type Result struct {
	Zxid    int64
	Type    zk.OpCode // the txn's op
	Err     zk.Code
	Path    string  // created/deleted/changed path
	Stat    zk.Stat // the node's Stat after create, setData, setACL
	Multi   []OpResult
	Changes []Change
	Fault   error
}
