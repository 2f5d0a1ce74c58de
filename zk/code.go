package zk

import (
	"errors"
	"strconv"
)

// Code is a ZooKeeper error code (KeeperException.Code). The values are on
// the wire of the ZooKeeper protocol, on the bus and in the txn log: never
// renumber.
type Code int32

// Every KeeperException.Code of ZooKeeper 3.9.
const (
	Ok                           Code = 0
	SystemError                  Code = -1
	RuntimeInconsistency         Code = -2
	DataInconsistency            Code = -3
	ConnectionLoss               Code = -4
	MarshallingError             Code = -5
	Unimplemented                Code = -6
	OperationTimeout             Code = -7
	BadArguments                 Code = -8
	UnknownSession               Code = -12
	NewConfigNoQuorum            Code = -13
	ReconfigInProgress           Code = -14
	APIError                     Code = -100
	NoNode                       Code = -101
	NoAuth                       Code = -102
	BadVersion                   Code = -103
	NoChildrenForEphemerals      Code = -108
	NodeExists                   Code = -110
	NotEmpty                     Code = -111
	SessionExpired               Code = -112
	InvalidCallback              Code = -113
	InvalidACL                   Code = -114
	AuthFailed                   Code = -115
	SessionMoved                 Code = -118
	NotReadOnly                  Code = -119
	EphemeralOnLocalSession      Code = -120
	NoWatcher                    Code = -121
	RequestTimeout               Code = -122
	ReconfigDisabled             Code = -123
	SessionClosedRequireSaslAuth Code = -124
	QuotaExceeded                Code = -125
	Throttled                    Code = -127
)

// codeInfo holds the Java enum name and KeeperException.getCodeMessage's
// text. UNKNOWNSESSION and REQUESTTIMEOUT have no case in getCodeMessage, so
// Java prints "Unknown error <NAME>" for them; that is kept.
var codeInfo = map[Code]struct{ name, msg string }{
	Ok:                           {"OK", "ok"},
	SystemError:                  {"SYSTEMERROR", "SystemError"},
	RuntimeInconsistency:         {"RUNTIMEINCONSISTENCY", "RuntimeInconsistency"},
	DataInconsistency:            {"DATAINCONSISTENCY", "DataInconsistency"},
	ConnectionLoss:               {"CONNECTIONLOSS", "ConnectionLoss"},
	MarshallingError:             {"MARSHALLINGERROR", "MarshallingError"},
	Unimplemented:                {"UNIMPLEMENTED", "Unimplemented"},
	OperationTimeout:             {"OPERATIONTIMEOUT", "OperationTimeout"},
	BadArguments:                 {"BADARGUMENTS", "BadArguments"},
	UnknownSession:               {"UNKNOWNSESSION", "Unknown error UNKNOWNSESSION"},
	NewConfigNoQuorum:            {"NEWCONFIGNOQUORUM", "NewConfigNoQuorum"},
	ReconfigInProgress:           {"RECONFIGINPROGRESS", "ReconfigInProgress"},
	APIError:                     {"APIERROR", "APIError"},
	NoNode:                       {"NONODE", "NoNode"},
	NoAuth:                       {"NOAUTH", "NoAuth"},
	BadVersion:                   {"BADVERSION", "BadVersion"},
	NoChildrenForEphemerals:      {"NOCHILDRENFOREPHEMERALS", "NoChildrenForEphemerals"},
	NodeExists:                   {"NODEEXISTS", "NodeExists"},
	NotEmpty:                     {"NOTEMPTY", "Directory not empty"},
	SessionExpired:               {"SESSIONEXPIRED", "Session expired"},
	InvalidCallback:              {"INVALIDCALLBACK", "Invalid callback"},
	InvalidACL:                   {"INVALIDACL", "InvalidACL"},
	AuthFailed:                   {"AUTHFAILED", "AuthFailed"},
	SessionMoved:                 {"SESSIONMOVED", "Session moved"},
	NotReadOnly:                  {"NOTREADONLY", "Not a read-only call"},
	EphemeralOnLocalSession:      {"EPHEMERALONLOCALSESSION", "Ephemeral node on local session"},
	NoWatcher:                    {"NOWATCHER", "No such watcher"},
	RequestTimeout:               {"REQUESTTIMEOUT", "Unknown error REQUESTTIMEOUT"},
	ReconfigDisabled:             {"RECONFIGDISABLED", "Reconfig is disabled"},
	SessionClosedRequireSaslAuth: {"SESSIONCLOSEDREQUIRESASLAUTH", "Session closed because client failed to authenticate"},
	QuotaExceeded:                {"QUOTAEXCEEDED", "Quota has exceeded"},
	Throttled:                    {"THROTTLEDOP", "Op throttled due to high load"},
}

// Known reports whether c is one of ZooKeeper's codes.
func (c Code) Known() bool { _, ok := codeInfo[c]; return ok }

// String is the Java enum constant name, e.g. "NONODE".
func (c Code) String() string {
	if i, ok := codeInfo[c]; ok {
		return i.name
	}
	return "Code(" + strconv.Itoa(int(c)) + ")"
}

// Message is KeeperException.getCodeMessage's text, e.g. "NoNode".
func (c Code) Message() string {
	if i, ok := codeInfo[c]; ok {
		return i.msg
	}
	return "Unknown error " + c.String()
}

// Error is a ZooKeeper error for one path, as KeeperException. Its message
// is the Java one ("KeeperErrorCode = NoNode for /a"). Compare with
// errors.Is(err, ErrNoNode): any *Error matches the sentinel of its code,
// whatever the path.
type Error struct {
	Code Code
	Path string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "KeeperErrorCode = " + e.Code.Message()
	}
	return "KeeperErrorCode = " + e.Code.Message() + " for " + e.Path
}

// Is makes errors.Is(err, ErrX) match on the code alone.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Path == "" || t.Path == e.Path)
}

// CLIMessage is how zkCli (CliWrapperException) words the error.
func (e *Error) CLIMessage() string {
	switch e.Code {
	case NoNode:
		return "Node does not exist: " + e.Path
	case NoChildrenForEphemerals:
		return "Ephemerals cannot have children: " + e.Path
	case NodeExists:
		return "Node already exists: " + e.Path
	case NotEmpty:
		return "Node not empty: " + e.Path
	case NotReadOnly:
		return "Not a read-only call: " + e.Path
	case InvalidACL:
		return "Acl is not valid : " + e.Path
	case NoAuth:
		return "Insufficient permission : " + e.Path
	case BadArguments:
		return "Arguments are not valid : " + e.Path
	case BadVersion:
		return "version No is not valid : " + e.Path
	case ReconfigInProgress:
		return "Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)"
	case NewConfigNoQuorum:
		return "No quorum of new config is connected and up-to-date with the leader of last committed config - try invoking reconfiguration after new servers are connected and synced"
	case QuotaExceeded:
		return "Quota has exceeded : " + e.Path
	}
	return e.Error()
}

// CodeOf returns the ZooKeeper code of err: Ok for nil, the code of a
// wrapped *Error, SystemError otherwise.
func CodeOf(err error) Code {
	if err == nil {
		return Ok
	}
	var ze *Error
	if errors.As(err, &ze) {
		return ze.Code
	}
	return SystemError
}

// Sentinels, one per code, for errors.Is.
var (
	ErrSystemError                  = &Error{Code: SystemError}
	ErrRuntimeInconsistency         = &Error{Code: RuntimeInconsistency}
	ErrDataInconsistency            = &Error{Code: DataInconsistency}
	ErrConnectionLoss               = &Error{Code: ConnectionLoss}
	ErrMarshallingError             = &Error{Code: MarshallingError}
	ErrUnimplemented                = &Error{Code: Unimplemented}
	ErrOperationTimeout             = &Error{Code: OperationTimeout}
	ErrBadArguments                 = &Error{Code: BadArguments}
	ErrUnknownSession               = &Error{Code: UnknownSession}
	ErrNewConfigNoQuorum            = &Error{Code: NewConfigNoQuorum}
	ErrReconfigInProgress           = &Error{Code: ReconfigInProgress}
	ErrAPIError                     = &Error{Code: APIError}
	ErrNoNode                       = &Error{Code: NoNode}
	ErrNoAuth                       = &Error{Code: NoAuth}
	ErrBadVersion                   = &Error{Code: BadVersion}
	ErrNoChildrenForEphemerals      = &Error{Code: NoChildrenForEphemerals}
	ErrNodeExists                   = &Error{Code: NodeExists}
	ErrNotEmpty                     = &Error{Code: NotEmpty}
	ErrSessionExpired               = &Error{Code: SessionExpired}
	ErrInvalidCallback              = &Error{Code: InvalidCallback}
	ErrInvalidACL                   = &Error{Code: InvalidACL}
	ErrAuthFailed                   = &Error{Code: AuthFailed}
	ErrSessionMoved                 = &Error{Code: SessionMoved}
	ErrNotReadOnly                  = &Error{Code: NotReadOnly}
	ErrEphemeralOnLocalSession      = &Error{Code: EphemeralOnLocalSession}
	ErrNoWatcher                    = &Error{Code: NoWatcher}
	ErrRequestTimeout               = &Error{Code: RequestTimeout}
	ErrReconfigDisabled             = &Error{Code: ReconfigDisabled}
	ErrSessionClosedRequireSaslAuth = &Error{Code: SessionClosedRequireSaslAuth}
	ErrQuotaExceeded                = &Error{Code: QuotaExceeded}
	ErrThrottled                    = &Error{Code: Throttled}
)

// ErrorOf returns an *Error without path for c (nil for Ok); errors.Is
// matches it against the sentinel of c.
func ErrorOf(c Code) error {
	if c == Ok {
		return nil
	}
	return &Error{Code: c}
}
