package zk

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeValuesAndMessages(t *testing.T) {
	tests := []struct {
		c    Code
		v    int32
		name string
		msg  string
	}{
		{Ok, 0, "OK", "ok"},
		{SystemError, -1, "SYSTEMERROR", "SystemError"},
		{RuntimeInconsistency, -2, "RUNTIMEINCONSISTENCY", "RuntimeInconsistency"},
		{DataInconsistency, -3, "DATAINCONSISTENCY", "DataInconsistency"},
		{ConnectionLoss, -4, "CONNECTIONLOSS", "ConnectionLoss"},
		{MarshallingError, -5, "MARSHALLINGERROR", "MarshallingError"},
		{Unimplemented, -6, "UNIMPLEMENTED", "Unimplemented"},
		{OperationTimeout, -7, "OPERATIONTIMEOUT", "OperationTimeout"},
		{BadArguments, -8, "BADARGUMENTS", "BadArguments"},
		{UnknownSession, -12, "UNKNOWNSESSION", "Unknown error UNKNOWNSESSION"},
		{NewConfigNoQuorum, -13, "NEWCONFIGNOQUORUM", "NewConfigNoQuorum"},
		{ReconfigInProgress, -14, "RECONFIGINPROGRESS", "ReconfigInProgress"},
		{APIError, -100, "APIERROR", "APIError"},
		{NoNode, -101, "NONODE", "NoNode"},
		{NoAuth, -102, "NOAUTH", "NoAuth"},
		{BadVersion, -103, "BADVERSION", "BadVersion"},
		{NoChildrenForEphemerals, -108, "NOCHILDRENFOREPHEMERALS", "NoChildrenForEphemerals"},
		{NodeExists, -110, "NODEEXISTS", "NodeExists"},
		{NotEmpty, -111, "NOTEMPTY", "Directory not empty"},
		{SessionExpired, -112, "SESSIONEXPIRED", "Session expired"},
		{InvalidCallback, -113, "INVALIDCALLBACK", "Invalid callback"},
		{InvalidACL, -114, "INVALIDACL", "InvalidACL"},
		{AuthFailed, -115, "AUTHFAILED", "AuthFailed"},
		{SessionMoved, -118, "SESSIONMOVED", "Session moved"},
		{NotReadOnly, -119, "NOTREADONLY", "Not a read-only call"},
		{EphemeralOnLocalSession, -120, "EPHEMERALONLOCALSESSION", "Ephemeral node on local session"},
		{NoWatcher, -121, "NOWATCHER", "No such watcher"},
		{RequestTimeout, -122, "REQUESTTIMEOUT", "Unknown error REQUESTTIMEOUT"},
		{ReconfigDisabled, -123, "RECONFIGDISABLED", "Reconfig is disabled"},
		{SessionClosedRequireSaslAuth, -124, "SESSIONCLOSEDREQUIRESASLAUTH", "Session closed because client failed to authenticate"},
		{QuotaExceeded, -125, "QUOTAEXCEEDED", "Quota has exceeded"},
		{Throttled, -127, "THROTTLEDOP", "Op throttled due to high load"},
	}
	if len(tests) != len(codeInfo) {
		t.Fatalf("table has %d codes, package %d", len(tests), len(codeInfo))
	}
	for _, tt := range tests {
		if int32(tt.c) != tt.v || tt.c.String() != tt.name || tt.c.Message() != tt.msg || !tt.c.Known() {
			t.Errorf("%d: got %d %q %q", tt.v, int32(tt.c), tt.c.String(), tt.c.Message())
		}
	}
	if Code(-9).Known() || Code(-9).String() != "Code(-9)" {
		t.Errorf("unknown code: %v", Code(-9))
	}
}

func TestErrorTextsAndIs(t *testing.T) {
	tests := []struct {
		err      *Error
		msg, cli string
		sentinel error
	}{
		{&Error{Code: NoNode, Path: "/b"}, "KeeperErrorCode = NoNode for /b", "Node does not exist: /b", ErrNoNode},
		{&Error{Code: NodeExists, Path: "/a"}, "KeeperErrorCode = NodeExists for /a", "Node already exists: /a", ErrNodeExists},
		{&Error{Code: BadVersion, Path: "/a"}, "KeeperErrorCode = BadVersion for /a", "version No is not valid : /a", ErrBadVersion},
		{&Error{Code: NotEmpty, Path: "/a"}, "KeeperErrorCode = Directory not empty for /a", "Node not empty: /a", ErrNotEmpty},
		{&Error{Code: NoAuth, Path: "/a"}, "KeeperErrorCode = NoAuth for /a", "Insufficient permission : /a", ErrNoAuth},
		{&Error{Code: InvalidACL, Path: "/a"}, "KeeperErrorCode = InvalidACL for /a", "Acl is not valid : /a", ErrInvalidACL},
		{&Error{Code: BadArguments, Path: "/a/"}, "KeeperErrorCode = BadArguments for /a/", "Arguments are not valid : /a/", ErrBadArguments},
		{&Error{Code: NoChildrenForEphemerals, Path: "/e/x"}, "KeeperErrorCode = NoChildrenForEphemerals for /e/x", "Ephemerals cannot have children: /e/x", ErrNoChildrenForEphemerals},
		{&Error{Code: SessionExpired, Path: ""}, "KeeperErrorCode = Session expired", "KeeperErrorCode = Session expired", ErrSessionExpired},
	}
	for _, tt := range tests {
		if tt.err.Error() != tt.msg || tt.err.CLIMessage() != tt.cli {
			t.Errorf("%v: got %q / %q", tt.err.Code, tt.err.Error(), tt.err.CLIMessage())
		}
		wrapped := fmt.Errorf("ctx: %w", tt.err)
		if !errors.Is(wrapped, tt.sentinel) || errors.Is(wrapped, ErrSystemError) || CodeOf(wrapped) != tt.err.Code {
			t.Errorf("%v: errors.Is / CodeOf broken", tt.err.Code)
		}
	}
	if CodeOf(nil) != Ok || CodeOf(errors.New("x")) != SystemError || ErrorOf(Ok) != nil || !errors.Is(ErrorOf(NoNode), ErrNoNode) {
		t.Error("CodeOf/ErrorOf")
	}
}
