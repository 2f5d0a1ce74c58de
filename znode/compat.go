package znode

import "github.com/paddock-zk/paddock/zk"

// ZooKeeper's vocabulary moved to package zk, which every layer shares.
// These aliases keep code written against znode's names compiling, client
// code above all, whose calls took and returned them (znode.Persistent,
// znode.Stat, *znode.Error, ...). Paddock's own code uses zk.

// Stat is zk.Stat.
//
// Deprecated: use zk.Stat.
type Stat = zk.Stat

// ID is zk.ID.
//
// Deprecated: use zk.ID.
type ID = zk.ID

// ACL is zk.ACL.
//
// Deprecated: use zk.ACL.
type ACL = zk.ACL

// CreateMode is zk.CreateMode.
//
// Deprecated: use zk.CreateMode.
type CreateMode = zk.CreateMode

// OpCode is zk.OpCode.
//
// Deprecated: use zk.OpCode.
type OpCode = zk.OpCode

// Code is zk.Code.
//
// Deprecated: use zk.Code.
type Code = zk.Code

// Error is zk.Error.
//
// Deprecated: use zk.Error.
type Error = zk.Error

// Create modes, zk's.
//
// Deprecated: use zk's create modes.
const (
	Persistent                  = zk.Persistent
	Ephemeral                   = zk.Ephemeral
	PersistentSequential        = zk.PersistentSequential
	EphemeralSequential         = zk.EphemeralSequential
	Container                   = zk.Container
	PersistentWithTTL           = zk.PersistentWithTTL
	PersistentSequentialWithTTL = zk.PersistentSequentialWithTTL
)

// Permission bits, zk's.
//
// Deprecated: use zk's permission bits.
const (
	PermRead   = zk.PermRead
	PermWrite  = zk.PermWrite
	PermCreate = zk.PermCreate
	PermDelete = zk.PermDelete
	PermAdmin  = zk.PermAdmin
	PermAll    = zk.PermAll
)

// Well-known IDs and ACLs, zk's.
//
// Deprecated: use zk's well-known IDs and ACLs.
var (
	AnyoneID      = zk.AnyoneID
	AuthIDs       = zk.AuthIDs
	OpenACLUnsafe = zk.OpenACLUnsafe
	CreatorAllACL = zk.CreatorAllACL
	ReadACLUnsafe = zk.ReadACLUnsafe
)

// Error codes, zk's.
//
// Deprecated: use zk's error codes.
const (
	Ok                           = zk.Ok
	SystemError                  = zk.SystemError
	RuntimeInconsistency         = zk.RuntimeInconsistency
	DataInconsistency            = zk.DataInconsistency
	ConnectionLoss               = zk.ConnectionLoss
	MarshallingError             = zk.MarshallingError
	Unimplemented                = zk.Unimplemented
	OperationTimeout             = zk.OperationTimeout
	BadArguments                 = zk.BadArguments
	UnknownSession               = zk.UnknownSession
	NewConfigNoQuorum            = zk.NewConfigNoQuorum
	ReconfigInProgress           = zk.ReconfigInProgress
	APIError                     = zk.APIError
	NoNode                       = zk.NoNode
	NoAuth                       = zk.NoAuth
	BadVersion                   = zk.BadVersion
	NoChildrenForEphemerals      = zk.NoChildrenForEphemerals
	NodeExists                   = zk.NodeExists
	NotEmpty                     = zk.NotEmpty
	SessionExpired               = zk.SessionExpired
	InvalidCallback              = zk.InvalidCallback
	InvalidACL                   = zk.InvalidACL
	AuthFailed                   = zk.AuthFailed
	SessionMoved                 = zk.SessionMoved
	NotReadOnly                  = zk.NotReadOnly
	EphemeralOnLocalSession      = zk.EphemeralOnLocalSession
	NoWatcher                    = zk.NoWatcher
	RequestTimeout               = zk.RequestTimeout
	ReconfigDisabled             = zk.ReconfigDisabled
	SessionClosedRequireSaslAuth = zk.SessionClosedRequireSaslAuth
	QuotaExceeded                = zk.QuotaExceeded
	Throttled                    = zk.Throttled
)

// Sentinel errors, CodeOf and ErrorOf, zk's.
//
// Deprecated: use zk's sentinel errors, CodeOf and ErrorOf.
var (
	ErrSystemError                  = zk.ErrSystemError
	ErrRuntimeInconsistency         = zk.ErrRuntimeInconsistency
	ErrDataInconsistency            = zk.ErrDataInconsistency
	ErrConnectionLoss               = zk.ErrConnectionLoss
	ErrMarshallingError             = zk.ErrMarshallingError
	ErrUnimplemented                = zk.ErrUnimplemented
	ErrOperationTimeout             = zk.ErrOperationTimeout
	ErrBadArguments                 = zk.ErrBadArguments
	ErrUnknownSession               = zk.ErrUnknownSession
	ErrNewConfigNoQuorum            = zk.ErrNewConfigNoQuorum
	ErrReconfigInProgress           = zk.ErrReconfigInProgress
	ErrAPIError                     = zk.ErrAPIError
	ErrNoNode                       = zk.ErrNoNode
	ErrNoAuth                       = zk.ErrNoAuth
	ErrBadVersion                   = zk.ErrBadVersion
	ErrNoChildrenForEphemerals      = zk.ErrNoChildrenForEphemerals
	ErrNodeExists                   = zk.ErrNodeExists
	ErrNotEmpty                     = zk.ErrNotEmpty
	ErrSessionExpired               = zk.ErrSessionExpired
	ErrInvalidCallback              = zk.ErrInvalidCallback
	ErrInvalidACL                   = zk.ErrInvalidACL
	ErrAuthFailed                   = zk.ErrAuthFailed
	ErrSessionMoved                 = zk.ErrSessionMoved
	ErrNotReadOnly                  = zk.ErrNotReadOnly
	ErrEphemeralOnLocalSession      = zk.ErrEphemeralOnLocalSession
	ErrNoWatcher                    = zk.ErrNoWatcher
	ErrRequestTimeout               = zk.ErrRequestTimeout
	ErrReconfigDisabled             = zk.ErrReconfigDisabled
	ErrSessionClosedRequireSaslAuth = zk.ErrSessionClosedRequireSaslAuth
	ErrQuotaExceeded                = zk.ErrQuotaExceeded
	ErrThrottled                    = zk.ErrThrottled
	CodeOf                          = zk.CodeOf
	ErrorOf                         = zk.ErrorOf
)

// Opcodes, zk's.
//
// Deprecated: use zk's opcodes.
const (
	OpNotification         = zk.OpNotification
	OpCreate               = zk.OpCreate
	OpDelete               = zk.OpDelete
	OpExists               = zk.OpExists
	OpGetData              = zk.OpGetData
	OpSetData              = zk.OpSetData
	OpGetACL               = zk.OpGetACL
	OpSetACL               = zk.OpSetACL
	OpGetChildren          = zk.OpGetChildren
	OpSync                 = zk.OpSync
	OpPing                 = zk.OpPing
	OpGetChildren2         = zk.OpGetChildren2
	OpCheck                = zk.OpCheck
	OpMulti                = zk.OpMulti
	OpCreate2              = zk.OpCreate2
	OpReconfig             = zk.OpReconfig
	OpCheckWatches         = zk.OpCheckWatches
	OpRemoveWatches        = zk.OpRemoveWatches
	OpCreateContainer      = zk.OpCreateContainer
	OpDeleteContainer      = zk.OpDeleteContainer
	OpCreateTTL            = zk.OpCreateTTL
	OpMultiRead            = zk.OpMultiRead
	OpAuth                 = zk.OpAuth
	OpSetWatches           = zk.OpSetWatches
	OpSasl                 = zk.OpSasl
	OpGetEphemerals        = zk.OpGetEphemerals
	OpGetAllChildrenNumber = zk.OpGetAllChildrenNumber
	OpSetWatches2          = zk.OpSetWatches2
	OpAddWatch             = zk.OpAddWatch
	OpWhoAmI               = zk.OpWhoAmI
	OpCreateSession        = zk.OpCreateSession
	OpCloseSession         = zk.OpCloseSession
	OpError                = zk.OpError
)
