package msg

import "fmt"

// NodeID is a server's myid. Zero means "no node": a broadcast destination or
// an unset leader.
type NodeID uint64

// Role names an actor inside a node. One actor of each role runs per node.
type Role uint8

// Roles. The numbers appear in subjects and on the wire: never renumber.
const (
	RoleNone     Role = 0
	RoleVoter    Role = 1
	RoleStore    Role = 2 // the node's database and request path (package store)
	RoleSessions Role = 3
	// 4 was set aside for a watch actor that never came: the watch
	// registry runs inside the store, so that an event always precedes
	// the replies that show its change.
)

var roleNames = [...]string{"none", "voter", "store", "sessions"}

func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// Addr is an actor's address: a role on a node. Addr{Node: 0, Role: r} as a
// destination means every node's r actor except the sender's own node.
type Addr struct {
	Node NodeID `msgpack:"n"`
	Role Role   `msgpack:"r"`
}

// Broadcast reports whether a is the every-node address of its role.
func (a Addr) Broadcast() bool { return a.Node == 0 }

func (a Addr) String() string {
	if a.Node == 0 {
		return "*." + a.Role.String()
	}
	return fmt.Sprintf("%d.%s", a.Node, a.Role)
}

// Body is implemented by every message body. Bodies travel as pointers.
type Body interface {
	Kind() Kind
}

// Envelope is one message between actors. Kind always equals Body.Kind();
// it is kept as a field so a codec or tracer can dispatch without a type switch.
type Envelope struct {
	From Addr
	To   Addr
	Kind Kind
	Body Body
}

// New builds an envelope, taking the kind from the body.
func New(from, to Addr, body Body) Envelope {
	return Envelope{From: from, To: to, Kind: body.Kind(), Body: body}
}

func (e Envelope) String() string {
	return fmt.Sprintf("%s->%s %s %+v", e.From, e.To, e.Kind, e.Body)
}

// Epoched is implemented by bodies that carry a ZAB epoch, so tracing can
// show it without knowing every kind.
type Epoched interface{ EpochOf() uint64 }

// Zxided is implemented by bodies that carry a zxid.
type Zxided interface{ ZxidOf() uint64 }

// Zxid helpers: zxid = epoch<<32 | counter.

// MakeZxid joins an epoch and a counter.
func MakeZxid(epoch uint64, counter uint32) uint64 { return epoch<<32 | uint64(counter) }

// ZxidEpoch is the epoch half of a zxid.
func ZxidEpoch(zxid uint64) uint64 { return zxid >> 32 }

// ZxidCounter is the counter half of a zxid.
func ZxidCounter(zxid uint64) uint32 { return uint32(zxid) }

// FormatZxid prints a zxid as ZooKeeper does (0x followed by hex).
func FormatZxid(zxid uint64) string { return fmt.Sprintf("0x%x", zxid) }
