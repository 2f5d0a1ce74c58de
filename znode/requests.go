package znode

import "github.com/paddock-zk/paddock/zk"

// Request is a client write as the leader receives it (the native client,
// the wire protocol and the replica share these). Reads are served from the
// Tree directly.
type Request interface{ Op() zk.OpCode }

// Create makes a node. TTL (ms) is used only with the TTL modes; 0 (or
// ZooKeeper's -1) means none.
type Create struct {
	Path string
	Data []byte
	ACL  []zk.ACL
	Mode zk.CreateMode
	TTL  int64
}

// Delete removes a childless node; Version -1 matches any.
type Delete struct {
	Path    string
	Version int32
}

// DeleteContainer is the leader's own cleanup of an empty container or an
// expired TTL node (ContainerManager); no ACL check.
type DeleteContainer struct{ Path string }

// SetData replaces a node's data; Version -1 matches any.
type SetData struct {
	Path    string
	Data    []byte
	Version int32
}

// SetACL replaces a node's ACL; Version is the expected aversion, -1 any.
type SetACL struct {
	Path    string
	ACL     []zk.ACL
	Version int32
}

// Check asserts a node's version (-1: only that it exists); mostly in a Multi.
type Check struct {
	Path    string
	Version int32
}

// Multi is an atomic batch of Create, Delete, SetData and Check.
type Multi struct{ Ops []Request }

// CreateSession registers the header's session with its negotiated timeout
// (ms).
type CreateSession struct{ Timeout int32 }

// CloseSession ends the header's session and deletes its ephemerals.
type CloseSession struct{}

// Op returns the OpCode ZooKeeper uses for the request (create2 for Create
// of a non-container, non-TTL mode).
func (r Create) Op() zk.OpCode {
	switch {
	case r.Mode.IsContainer():
		return zk.OpCreateContainer
	case r.Mode.IsTTL():
		return zk.OpCreateTTL
	}
	return zk.OpCreate2
}
func (Delete) Op() zk.OpCode          { return zk.OpDelete }
func (DeleteContainer) Op() zk.OpCode { return zk.OpDeleteContainer }
func (SetData) Op() zk.OpCode         { return zk.OpSetData }
func (SetACL) Op() zk.OpCode          { return zk.OpSetACL }
func (Check) Op() zk.OpCode           { return zk.OpCheck }
func (Multi) Op() zk.OpCode           { return zk.OpMulti }
func (CreateSession) Op() zk.OpCode   { return zk.OpCreateSession }
func (CloseSession) Op() zk.OpCode    { return zk.OpCloseSession }

// Txn is the replicated, validated form of a write (ZooKeeper's txn
// records): what the leader proposes and every replica applies.
type Txn interface{ TxnOp() zk.OpCode }

// CreateTxn creates Path. EphemeralOwner is the final Stat field (session,
// ContainerOwner or TTLOwner), so the txn is self-contained.
// ParentCVersion is the parent's cversion after the create.
type CreateTxn struct {
	Path           string
	Data           []byte
	ACL            []zk.ACL
	EphemeralOwner int64
	ParentCVersion int32
}

// DeleteTxn deletes Path.
type DeleteTxn struct{ Path string }

// SetDataTxn sets Path's data; Version is the new version.
type SetDataTxn struct {
	Path    string
	Data    []byte
	Version int32
}

// SetACLTxn sets Path's ACL; Version is the new aversion.
type SetACLTxn struct {
	Path    string
	ACL     []zk.ACL
	Version int32
}

// CheckTxn is a passed version check (changes nothing).
type CheckTxn struct {
	Path    string
	Version int32
}

// CreateSessionTxn registers the header's session.
type CreateSessionTxn struct{ Timeout int32 }

// CloseSessionTxn ends the header's session; Paths are its ephemerals as
// the leader saw them (pending creates included), deleted in this order.
type CloseSessionTxn struct{ Paths []string }

// ErrorTxn is a failed request, or one op of a failed multi.
type ErrorTxn struct{ Err zk.Code }

// MultiTxn is an atomic batch; if any op is an ErrorTxn, all are and nothing
// changes.
type MultiTxn struct{ Ops []Txn }

// TxnOp is the txn's type in ZooKeeper's terms.
func (CreateTxn) TxnOp() zk.OpCode        { return zk.OpCreate }
func (DeleteTxn) TxnOp() zk.OpCode        { return zk.OpDelete }
func (SetDataTxn) TxnOp() zk.OpCode       { return zk.OpSetData }
func (SetACLTxn) TxnOp() zk.OpCode        { return zk.OpSetACL }
func (CheckTxn) TxnOp() zk.OpCode         { return zk.OpCheck }
func (CreateSessionTxn) TxnOp() zk.OpCode { return zk.OpCreateSession }
func (CloseSessionTxn) TxnOp() zk.OpCode  { return zk.OpCloseSession }
func (ErrorTxn) TxnOp() zk.OpCode         { return zk.OpError }
func (MultiTxn) TxnOp() zk.OpCode         { return zk.OpMulti }
