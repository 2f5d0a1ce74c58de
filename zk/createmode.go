package zk

import "strconv"

// CreateMode is ZooKeeper's CreateMode, as its flag value: create's flags
// on the wire. Never renumber.
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

// String is the Java enum constant name, e.g. "EPHEMERAL_SEQUENTIAL".
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
