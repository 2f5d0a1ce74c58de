package watcher

import (
	"strconv"

	"github.com/paddock-zk/paddock/zk"
)

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

// ModeOfAddWatch maps addWatch's mode field to a Mode; ok is false for an
// unknown value (ZooKeeper answers it with a marshalling error).
func ModeOfAddWatch(mode zk.AddWatchMode) (m Mode, ok bool) {
	switch mode {
	case zk.AddWatchPersistent:
		return Persistent, true
	case zk.AddWatchPersistentRecursive:
		return PersistentRecursive, true
	}
	return 0, false
}

// Notification is one event for one session: the WatcherEvent ZooKeeper
// sends with xid -1 (state SyncConnected).
type Notification struct {
	Session int64
	Type    zk.EventType
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
