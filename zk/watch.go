package zk

import "strconv"

// EventType is ZooKeeper's Watcher.Event.EventType: the type of a watch
// notification, on the wire and on the bus. Never renumber.
type EventType int32

// Watcher.Event.EventType values. EventNone is a change of the session's
// state rather than of a node; the watch-removed types are raised by a
// client when its removeWatches succeeds.
const (
	EventNone                   EventType = -1
	EventNodeCreated            EventType = 1
	EventNodeDeleted            EventType = 2
	EventNodeDataChanged        EventType = 3
	EventNodeChildrenChanged    EventType = 4
	EventDataWatchRemoved       EventType = 5
	EventChildWatchRemoved      EventType = 6
	EventPersistentWatchRemoved EventType = 7
)

// String is the Java enum constant name, e.g. "NodeCreated".
func (e EventType) String() string {
	switch e {
	case EventNone:
		return "None"
	case EventNodeCreated:
		return "NodeCreated"
	case EventNodeDeleted:
		return "NodeDeleted"
	case EventNodeDataChanged:
		return "NodeDataChanged"
	case EventNodeChildrenChanged:
		return "NodeChildrenChanged"
	case EventDataWatchRemoved:
		return "DataWatchRemoved"
	case EventChildWatchRemoved:
		return "ChildWatchRemoved"
	case EventPersistentWatchRemoved:
		return "PersistentWatchRemoved"
	}
	return "EventType(" + strconv.Itoa(int(e)) + ")"
}

// KeeperState is ZooKeeper's Watcher.Event.KeeperState: the session state
// a watch notification carries. Never renumber.
type KeeperState int32

// Watcher.Event.KeeperState values. A server sends SyncConnected with
// every node event; Closed is never sent, a client raises it on close.
const (
	StateUnknown           KeeperState = -1 // deprecated in ZooKeeper, never sent
	StateDisconnected      KeeperState = 0
	StateNoSyncConnected   KeeperState = 1 // deprecated in ZooKeeper, never sent
	StateSyncConnected     KeeperState = 3
	StateAuthFailed        KeeperState = 4
	StateConnectedReadOnly KeeperState = 5
	StateSaslAuthenticated KeeperState = 6
	StateExpired           KeeperState = -112
	StateClosed            KeeperState = 7
)

// String is the Java enum constant name, e.g. "SyncConnected".
func (s KeeperState) String() string {
	switch s {
	case StateUnknown:
		return "Unknown"
	case StateDisconnected:
		return "Disconnected"
	case StateNoSyncConnected:
		return "NoSyncConnected"
	case StateSyncConnected:
		return "SyncConnected"
	case StateAuthFailed:
		return "AuthFailed"
	case StateConnectedReadOnly:
		return "ConnectedReadOnly"
	case StateSaslAuthenticated:
		return "SaslAuthenticated"
	case StateExpired:
		return "Expired"
	case StateClosed:
		return "Closed"
	}
	return "KeeperState(" + strconv.Itoa(int(s)) + ")"
}

// WatcherType is ZooKeeper's Watcher.WatcherType: which watches of a path
// removeWatches and checkWatches select. Never renumber.
type WatcherType int32

// Watcher.WatcherType values; Persistent and PersistentRecursive are
// ZooKeeper 3.9's.
const (
	WatchChildren            WatcherType = 1
	WatchData                WatcherType = 2 // getData and exists watches
	WatchAny                 WatcherType = 3
	WatchPersistent          WatcherType = 4
	WatchPersistentRecursive WatcherType = 5
)

// Valid reports whether t is one of the five types.
func (t WatcherType) Valid() bool { return t >= WatchChildren && t <= WatchPersistentRecursive }

// String is the Java enum constant name, e.g. "Children".
func (t WatcherType) String() string {
	switch t {
	case WatchChildren:
		return "Children"
	case WatchData:
		return "Data"
	case WatchAny:
		return "Any"
	case WatchPersistent:
		return "Persistent"
	case WatchPersistentRecursive:
		return "PersistentRecursive"
	}
	return "WatcherType(" + strconv.Itoa(int(t)) + ")"
}

// AddWatchMode is ZooDefs.AddWatchModes: addWatch's mode field. Never
// renumber.
type AddWatchMode int32

// ZooDefs.AddWatchModes values.
const (
	AddWatchPersistent          AddWatchMode = 0
	AddWatchPersistentRecursive AddWatchMode = 1
)
