package watcher

import "strconv"

// EventType is ZooKeeper's Watcher.Event.EventType, as numbered on the wire.
type EventType int32

// Watcher.Event.EventType values. Never renumber.
const (
	None                   EventType = -1
	NodeCreated            EventType = 1
	NodeDeleted            EventType = 2
	NodeDataChanged        EventType = 3
	NodeChildrenChanged    EventType = 4
	DataWatchRemoved       EventType = 5
	ChildWatchRemoved      EventType = 6
	PersistentWatchRemoved EventType = 7
)

func (e EventType) String() string {
	switch e {
	case None:
		return "None"
	case NodeCreated:
		return "NodeCreated"
	case NodeDeleted:
		return "NodeDeleted"
	case NodeDataChanged:
		return "NodeDataChanged"
	case NodeChildrenChanged:
		return "NodeChildrenChanged"
	case DataWatchRemoved:
		return "DataWatchRemoved"
	case ChildWatchRemoved:
		return "ChildWatchRemoved"
	case PersistentWatchRemoved:
		return "PersistentWatchRemoved"
	}
	return "EventType(" + strconv.Itoa(int(e)) + ")"
}

// Type is ZooKeeper's Watcher.WatcherType, the type field of
// removeWatches and checkWatches.
type Type int32

// Watcher.WatcherType values; Persistent and PersistentRecursive are
// ZooKeeper 3.9's.
const (
	WatchChildren            Type = 1
	WatchData                Type = 2
	WatchAny                 Type = 3
	WatchPersistent          Type = 4
	WatchPersistentRecursive Type = 5
)

// Valid reports whether t is one of the five types.
func (t Type) Valid() bool { return t >= WatchChildren && t <= WatchPersistentRecursive }

func (t Type) String() string {
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
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Mode is the kind of a watch registration.
type Mode uint8

// Watch modes. Exist is what exists(watch=true) registers; like ZooKeeper,
// the registry keeps it as a Data watch (so it fires NodeCreated,
// NodeDeleted and NodeDataChanged), and lists it as Data.
const (
	Data                Mode = iota + 1 // getData, or exists
	Exist                               // exists: stored as Data
	Child                               // getChildren
	Persistent                          // addWatch PERSISTENT
	PersistentRecursive                 // addWatch PERSISTENT_RECURSIVE
)

func (m Mode) String() string {
	switch m {
	case Data:
		return "Data"
	case Exist:
		return "Exist"
	case Child:
		return "Child"
	case Persistent:
		return "Persistent"
	case PersistentRecursive:
		return "PersistentRecursive"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// AddWatchMode values of the addWatch request (ZooDefs.AddWatchModes).
const (
	AddWatchPersistent          int32 = 0
	AddWatchPersistentRecursive int32 = 1
)

// ModeOfAddWatch maps addWatch's mode field to a Mode; ok is false for an
// unknown value (ZooKeeper answers it with a marshalling error).
func ModeOfAddWatch(mode int32) (m Mode, ok bool) {
	switch mode {
	case AddWatchPersistent:
		return Persistent, true
	case AddWatchPersistentRecursive:
		return PersistentRecursive, true
	}
	return 0, false
}

// Notification is one event for one session: the WatcherEvent ZooKeeper
// sends with xid -1 (state SyncConnected).
type Notification struct {
	Session int64
	Type    EventType
	Path    string
}

// Watch is one registration, for listings.
type Watch struct {
	Session int64
	Path    string
	Mode    Mode // never Exist
}

// Counts sums up the registry, for wchs and mntr.
type Counts struct {
	Sessions int // sessions with at least one watch
	Paths    int // paths with at least one watch
	Watches  int // (session, path, mode) registrations
}

// bits of one session's watches on one path.
const (
	bitData      uint8 = 1 << iota // one-shot, in dataWatches
	bitChild                       // one-shot, in childWatches
	bitPersist                     // persistent: in both managers
	bitRecursive                   // persistent recursive: dataWatches only
	bitAll       = bitData | bitChild | bitPersist | bitRecursive

	// inData and inChild: the bits each of ZooKeeper's managers holds.
	inData  = bitData | bitPersist | bitRecursive
	inChild = bitChild | bitPersist
)

func modeBit(m Mode) uint8 {
	switch m {
	case Data, Exist:
		return bitData
	case Child:
		return bitChild
	case Persistent:
		return bitPersist
	case PersistentRecursive:
		return bitRecursive
	}
	panic("watcher: invalid Mode " + m.String())
}

// modesOf lists the modes of bits in Mode order.
func modesOf(bits uint8) []Mode {
	var ms []Mode
	for _, m := range []Mode{Data, Child, Persistent, PersistentRecursive} {
		if bits&modeBit(m) != 0 {
			ms = append(ms, m)
		}
	}
	return ms
}

func popcount(b uint8) int {
	n := 0
	for ; b != 0; b &= b - 1 {
		n++
	}
	return n
}
