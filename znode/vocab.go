package znode

import "github.com/paddock-zk/paddock/zk"

// ZooKeeper's vocabulary lives in package zk; these names keep code written
// against znode compiling.

type (
	ACL        = zk.ACL
	Code       = zk.Code
	CreateMode = zk.CreateMode
	Error      = zk.Error
	ID         = zk.ID
	OpCode     = zk.OpCode
	Stat       = zk.Stat
)

const (
	APIError                     = zk.APIError
	AuthFailed                   = zk.AuthFailed
	BadArguments                 = zk.BadArguments
	BadVersion                   = zk.BadVersion
	ConnectionLoss               = zk.ConnectionLoss
	Container                    = zk.Container
	DataInconsistency            = zk.DataInconsistency
	Ephemeral                    = zk.Ephemeral
	EphemeralOnLocalSession      = zk.EphemeralOnLocalSession
	EphemeralSequential          = zk.EphemeralSequential
	InvalidACL                   = zk.InvalidACL
	InvalidCallback              = zk.InvalidCallback
	MarshallingError             = zk.MarshallingError
	NewConfigNoQuorum            = zk.NewConfigNoQuorum
	NoAuth                       = zk.NoAuth
	NoChildrenForEphemerals      = zk.NoChildrenForEphemerals
	NoNode                       = zk.NoNode
	NoWatcher                    = zk.NoWatcher
	NodeExists                   = zk.NodeExists
	NotEmpty                     = zk.NotEmpty
	NotReadOnly                  = zk.NotReadOnly
	Ok                           = zk.Ok
	OpAddWatch                   = zk.OpAddWatch
	OpAuth                       = zk.OpAuth
	OpCheck                      = zk.OpCheck
	OpCheckWatches               = zk.OpCheckWatches
	OpCloseSession               = zk.OpCloseSession
	OpCreate                     = zk.OpCreate
	OpCreate2                    = zk.OpCreate2
	OpCreateContainer            = zk.OpCreateContainer
	OpCreateSession              = zk.OpCreateSession
	OpCreateTTL                  = zk.OpCreateTTL
	OpDelete                     = zk.OpDelete
	OpDeleteContainer            = zk.OpDeleteContainer
	OpError                      = zk.OpError
	OpExists                     = zk.OpExists
	OpGetACL                     = zk.OpGetACL
	OpGetAllChildrenNumber       = zk.OpGetAllChildrenNumber
	OpGetChildren                = zk.OpGetChildren
	OpGetChildren2               = zk.OpGetChildren2
	OpGetData                    = zk.OpGetData
	OpGetEphemerals              = zk.OpGetEphemerals
	OpMulti                      = zk.OpMulti
	OpMultiRead                  = zk.OpMultiRead
	OpNotification               = zk.OpNotification
	OpPing                       = zk.OpPing
	OpReconfig                   = zk.OpReconfig
	OpRemoveWatches              = zk.OpRemoveWatches
	OpSasl                       = zk.OpSasl
	OpSetACL                     = zk.OpSetACL
	OpSetData                    = zk.OpSetData
	OpSetWatches                 = zk.OpSetWatches
	OpSetWatches2                = zk.OpSetWatches2
	OpSync                       = zk.OpSync
	OpWhoAmI                     = zk.OpWhoAmI
	OperationTimeout             = zk.OperationTimeout
	PermAdmin                    = zk.PermAdmin
	PermAll                      = zk.PermAll
	PermCreate                   = zk.PermCreate
	PermDelete                   = zk.PermDelete
	PermRead                     = zk.PermRead
	PermWrite                    = zk.PermWrite
	Persistent                   = zk.Persistent
	PersistentSequential         = zk.PersistentSequential
	PersistentSequentialWithTTL  = zk.PersistentSequentialWithTTL
	PersistentWithTTL            = zk.PersistentWithTTL
	QuotaExceeded                = zk.QuotaExceeded
	ReconfigDisabled             = zk.ReconfigDisabled
	ReconfigInProgress           = zk.ReconfigInProgress
	RequestTimeout               = zk.RequestTimeout
	RuntimeInconsistency         = zk.RuntimeInconsistency
	SessionClosedRequireSaslAuth = zk.SessionClosedRequireSaslAuth
	SessionExpired               = zk.SessionExpired
	SessionMoved                 = zk.SessionMoved
	SystemError                  = zk.SystemError
	Throttled                    = zk.Throttled
	Unimplemented                = zk.Unimplemented
	UnknownSession               = zk.UnknownSession
)

var (
	AnyoneID                        = zk.AnyoneID
	AuthIDs                         = zk.AuthIDs
	CreatorAllACL                   = zk.CreatorAllACL
	ErrAPIError                     = zk.ErrAPIError
	ErrAuthFailed                   = zk.ErrAuthFailed
	ErrBadArguments                 = zk.ErrBadArguments
	ErrBadVersion                   = zk.ErrBadVersion
	ErrConnectionLoss               = zk.ErrConnectionLoss
	ErrDataInconsistency            = zk.ErrDataInconsistency
	ErrEphemeralOnLocalSession      = zk.ErrEphemeralOnLocalSession
	ErrInvalidACL                   = zk.ErrInvalidACL
	ErrInvalidCallback              = zk.ErrInvalidCallback
	ErrMarshallingError             = zk.ErrMarshallingError
	ErrNewConfigNoQuorum            = zk.ErrNewConfigNoQuorum
	ErrNoAuth                       = zk.ErrNoAuth
	ErrNoChildrenForEphemerals      = zk.ErrNoChildrenForEphemerals
	ErrNoNode                       = zk.ErrNoNode
	ErrNoWatcher                    = zk.ErrNoWatcher
	ErrNodeExists                   = zk.ErrNodeExists
	ErrNotEmpty                     = zk.ErrNotEmpty
	ErrNotReadOnly                  = zk.ErrNotReadOnly
	ErrOperationTimeout             = zk.ErrOperationTimeout
	ErrQuotaExceeded                = zk.ErrQuotaExceeded
	ErrReconfigDisabled             = zk.ErrReconfigDisabled
	ErrReconfigInProgress           = zk.ErrReconfigInProgress
	ErrRequestTimeout               = zk.ErrRequestTimeout
	ErrRuntimeInconsistency         = zk.ErrRuntimeInconsistency
	ErrSessionClosedRequireSaslAuth = zk.ErrSessionClosedRequireSaslAuth
	ErrSessionExpired               = zk.ErrSessionExpired
	ErrSessionMoved                 = zk.ErrSessionMoved
	ErrSystemError                  = zk.ErrSystemError
	ErrThrottled                    = zk.ErrThrottled
	ErrUnimplemented                = zk.ErrUnimplemented
	ErrUnknownSession               = zk.ErrUnknownSession
	OpenACLUnsafe                   = zk.OpenACLUnsafe
	ReadACLUnsafe                   = zk.ReadACLUnsafe
	CodeOf                          = zk.CodeOf
	ErrorOf                         = zk.ErrorOf
)
