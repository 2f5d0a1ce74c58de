package znode

import "strconv"

// OpCode is ZooKeeper's ZooDefs.OpCode: the request type on the wire and the
// type of a txn header. Never renumber.
type OpCode int32

// ZooDefs.OpCode values.
const (
	OpNotification         OpCode = 0
	OpCreate               OpCode = 1
	OpDelete               OpCode = 2
	OpExists               OpCode = 3
	OpGetData              OpCode = 4
	OpSetData              OpCode = 5
	OpGetACL               OpCode = 6
	OpSetACL               OpCode = 7
	OpGetChildren          OpCode = 8
	OpSync                 OpCode = 9
	OpPing                 OpCode = 11
	OpGetChildren2         OpCode = 12
	OpCheck                OpCode = 13
	OpMulti                OpCode = 14
	OpCreate2              OpCode = 15
	OpReconfig             OpCode = 16
	OpCheckWatches         OpCode = 17
	OpRemoveWatches        OpCode = 18
	OpCreateContainer      OpCode = 19
	OpDeleteContainer      OpCode = 20
	OpCreateTTL            OpCode = 21
	OpMultiRead            OpCode = 22
	OpAuth                 OpCode = 100
	OpSetWatches           OpCode = 101
	OpSasl                 OpCode = 102
	OpGetEphemerals        OpCode = 103
	OpGetAllChildrenNumber OpCode = 104
	OpSetWatches2          OpCode = 105
	OpAddWatch             OpCode = 106
	OpWhoAmI               OpCode = 107
	OpCreateSession        OpCode = -10
	OpCloseSession         OpCode = -11
	OpError                OpCode = -1
)

var opNames = map[OpCode]string{
	OpNotification: "notification", OpCreate: "create", OpDelete: "delete", OpExists: "exists",
	OpGetData: "getData", OpSetData: "setData", OpGetACL: "getACL", OpSetACL: "setACL",
	OpGetChildren: "getChildren", OpSync: "sync", OpPing: "ping", OpGetChildren2: "getChildren2",
	OpCheck: "check", OpMulti: "multi", OpCreate2: "create2", OpReconfig: "reconfig",
	OpCheckWatches: "checkWatches", OpRemoveWatches: "removeWatches", OpCreateContainer: "createContainer",
	OpDeleteContainer: "deleteContainer", OpCreateTTL: "createTTL", OpMultiRead: "multiRead",
	OpAuth: "auth", OpSetWatches: "setWatches", OpSasl: "sasl", OpGetEphemerals: "getEphemerals",
	OpGetAllChildrenNumber: "getAllChildrenNumber", OpSetWatches2: "setWatches2", OpAddWatch: "addWatch",
	OpWhoAmI: "whoAmI", OpCreateSession: "createSession", OpCloseSession: "closeSession", OpError: "error",
}

func (o OpCode) String() string {
	if n, ok := opNames[o]; ok {
		return n
	}
	return "OpCode(" + strconv.Itoa(int(o)) + ")"
}

// CreateMode is ZooKeeper's CreateMode flag value.
type CreateMode int32

// CreateMode flags, as CreateMode.java numbers them.
const (
	Persistent                  CreateMode = 0
	Ephemeral                   CreateMode = 1
	PersistentSequential        CreateMode = 2
	EphemeralSequential         CreateMode = 3
	Container                   CreateMode = 4
	PersistentWithTTL           CreateMode = 5
	PersistentSequentialWithTTL CreateMode = 6
)

// Valid reports whether m is one of the seven flags.
func (m CreateMode) Valid() bool { return m >= Persistent && m <= PersistentSequentialWithTTL }

// IsEphemeral reports EPHEMERAL and EPHEMERAL_SEQUENTIAL.
func (m CreateMode) IsEphemeral() bool { return m == Ephemeral || m == EphemeralSequential }

// IsSequential reports the modes that append a %010d counter.
func (m CreateMode) IsSequential() bool {
	return m == PersistentSequential || m == EphemeralSequential || m == PersistentSequentialWithTTL
}

// IsContainer reports CONTAINER.
func (m CreateMode) IsContainer() bool { return m == Container }

// IsTTL reports the two TTL modes.
func (m CreateMode) IsTTL() bool { return m == PersistentWithTTL || m == PersistentSequentialWithTTL }

func (m CreateMode) String() string {
	switch m {
	case Persistent:
		return "PERSISTENT"
	case Ephemeral:
		return "EPHEMERAL"
	case PersistentSequential:
		return "PERSISTENT_SEQUENTIAL"
	case EphemeralSequential:
		return "EPHEMERAL_SEQUENTIAL"
	case Container:
		return "CONTAINER"
	case PersistentWithTTL:
		return "PERSISTENT_WITH_TTL"
	case PersistentSequentialWithTTL:
		return "PERSISTENT_SEQUENTIAL_WITH_TTL"
	}
	return "CreateMode(" + strconv.Itoa(int(m)) + ")"
}

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

// Stat is ZooKeeper's org.apache.zookeeper.data.Stat.
type Stat struct {
	Czxid          int64 // zxid of the create
	Mzxid          int64 // zxid of the last setData (or the create)
	Ctime          int64 // ms, the create's leader time
	Mtime          int64 // ms, the last setData's leader time
	Version        int32 // data version
	Cversion       int32 // children version: +1 per child create
	Aversion       int32 // ACL version
	EphemeralOwner int64 // session, ContainerOwner, TTLOwner(ttl) or 0
	DataLength     int32
	NumChildren    int32
	Pzxid          int64 // zxid of the last child create/delete
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
	Type    OpCode
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
	Type OpCode // the txn's op; OpError for error results
	Err  Code
	Path string
	Stat Stat
}

// Result is what Apply did. Err is the client-visible outcome (an ErrorTxn's
// code, a failed multi's first error); Fault is non-nil only if the txn could
// not be applied to this tree at all, which means the replicas diverged: the
// tree is then unchanged.
type Result struct {
	Zxid    int64
	Type    OpCode // the txn's op
	Err     Code
	Path    string // created/deleted/changed path
	Stat    Stat   // the node's Stat after create, setData, setACL
	Multi   []OpResult
	Changes []Change
	Fault   error
}
