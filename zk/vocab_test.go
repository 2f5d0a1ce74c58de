package zk

import (
	"strconv"
	"testing"
)

// The numbers are ZooKeeper's (ZooDefs.java, Watcher.java,
// CreateMode.java): they are on the wire, so a change here is a
// compatibility break, not a refactoring.
func TestOpCodes(t *testing.T) {
	tests := []struct {
		op   OpCode
		v    int32
		name string
	}{
		{OpNotification, 0, "notification"}, {OpCreate, 1, "create"}, {OpDelete, 2, "delete"},
		{OpExists, 3, "exists"}, {OpGetData, 4, "getData"}, {OpSetData, 5, "setData"},
		{OpGetACL, 6, "getACL"}, {OpSetACL, 7, "setACL"}, {OpGetChildren, 8, "getChildren"},
		{OpSync, 9, "sync"}, {OpPing, 11, "ping"}, {OpGetChildren2, 12, "getChildren2"},
		{OpCheck, 13, "check"}, {OpMulti, 14, "multi"}, {OpCreate2, 15, "create2"},
		{OpReconfig, 16, "reconfig"}, {OpCheckWatches, 17, "checkWatches"},
		{OpRemoveWatches, 18, "removeWatches"}, {OpCreateContainer, 19, "createContainer"},
		{OpDeleteContainer, 20, "deleteContainer"}, {OpCreateTTL, 21, "createTTL"},
		{OpMultiRead, 22, "multiRead"}, {OpAuth, 100, "auth"}, {OpSetWatches, 101, "setWatches"},
		{OpSasl, 102, "sasl"}, {OpGetEphemerals, 103, "getEphemerals"},
		{OpGetAllChildrenNumber, 104, "getAllChildrenNumber"}, {OpSetWatches2, 105, "setWatches2"},
		{OpAddWatch, 106, "addWatch"}, {OpWhoAmI, 107, "whoAmI"}, {OpCreateSession, -10, "createSession"},
		{OpCloseSession, -11, "closeSession"}, {OpError, -1, "error"},
	}
	if len(tests) != len(opNames) {
		t.Fatalf("table has %d opcodes, package %d", len(tests), len(opNames))
	}
	for _, tt := range tests {
		if int32(tt.op) != tt.v || tt.op.String() != tt.name {
			t.Errorf("%d: got %d %q", tt.v, int32(tt.op), tt.op.String())
		}
	}
	if OpCode(10).String() != "OpCode(10)" {
		t.Errorf("unknown opcode: %v", OpCode(10))
	}
}

func TestCreateModes(t *testing.T) {
	tests := []struct {
		m                                     CreateMode
		v                                     int32
		name                                  string
		ephemeral, sequential, container, ttl bool
	}{
		{Persistent, 0, "PERSISTENT", false, false, false, false},
		{Ephemeral, 1, "EPHEMERAL", true, false, false, false},
		{PersistentSequential, 2, "PERSISTENT_SEQUENTIAL", false, true, false, false},
		{EphemeralSequential, 3, "EPHEMERAL_SEQUENTIAL", true, true, false, false},
		{Container, 4, "CONTAINER", false, false, true, false},
		{PersistentWithTTL, 5, "PERSISTENT_WITH_TTL", false, false, false, true},
		{PersistentSequentialWithTTL, 6, "PERSISTENT_SEQUENTIAL_WITH_TTL", false, true, false, true},
	}
	for _, tt := range tests {
		m := tt.m
		if int32(m) != tt.v || m.String() != tt.name || !m.Valid() || m.IsEphemeral() != tt.ephemeral ||
			m.IsSequential() != tt.sequential || m.IsContainer() != tt.container || m.IsTTL() != tt.ttl {
			t.Errorf("%s (%d): wrong value or predicates", tt.name, tt.v)
		}
	}
	for _, m := range []CreateMode{-1, 7} {
		if m.Valid() || m.String() != "CreateMode("+strconv.Itoa(int(m))+")" {
			t.Errorf("CreateMode(%d) reads as valid or %q", int32(m), m.String())
		}
	}
}

func TestWatchVocabulary(t *testing.T) {
	events := map[EventType]string{
		-1: "None", 1: "NodeCreated", 2: "NodeDeleted", 3: "NodeDataChanged", 4: "NodeChildrenChanged",
		5: "DataWatchRemoved", 6: "ChildWatchRemoved", 7: "PersistentWatchRemoved", 8: "EventType(8)",
	}
	for e, name := range events {
		if e.String() != name {
			t.Errorf("EventType(%d) = %q, want %q", int32(e), e.String(), name)
		}
	}
	states := map[KeeperState]string{
		-1: "Unknown", 0: "Disconnected", 1: "NoSyncConnected", 3: "SyncConnected", 4: "AuthFailed",
		5: "ConnectedReadOnly", 6: "SaslAuthenticated", -112: "Expired", 7: "Closed", 2: "KeeperState(2)",
	}
	for s, name := range states {
		if s.String() != name {
			t.Errorf("KeeperState(%d) = %q, want %q", int32(s), s.String(), name)
		}
	}
	types := map[WatcherType]string{
		1: "Children", 2: "Data", 3: "Any", 4: "Persistent", 5: "PersistentRecursive", 0: "WatcherType(0)", 6: "WatcherType(6)",
	}
	for w, name := range types {
		if w.String() != name || w.Valid() != (w >= 1 && w <= 5) {
			t.Errorf("WatcherType(%d) = %q valid %v, want %q", int32(w), w.String(), w.Valid(), name)
		}
	}
	if AddWatchPersistent != 0 || AddWatchPersistentRecursive != 1 {
		t.Error("AddWatchModes renumbered")
	}
}

func TestWellKnownACLs(t *testing.T) {
	if PermAll != 31 || AnyoneID != (ID{Scheme: "world", ID: "anyone"}) || AuthIDs != (ID{Scheme: "auth", ID: ""}) {
		t.Error("ZooDefs.Perms or ZooDefs.Ids changed")
	}
	if OpenACLUnsafe[0] != (ACL{PermAll, AnyoneID}) || CreatorAllACL[0] != (ACL{PermAll, AuthIDs}) ||
		ReadACLUnsafe[0] != (ACL{PermRead, AnyoneID}) {
		t.Error("well-known ACL lists changed")
	}
}
