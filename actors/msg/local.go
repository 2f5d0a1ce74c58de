package msg

// Messages between the voter and the replica of one node. They are bus
// messages like any other, so tracing and simulation see them, and each
// carries the epoch it is about so a late or repeated one is recognised.

// History is the replica's position: the epoch of the last history it
// installed (ZooKeeper's currentEpoch) and its last logged zxid. The voter
// votes with it, so the replica sends it at start and whenever it leaves an
// epoch.
type History struct {
	CurrentEpoch uint64 `msgpack:"ce"`
	LastZxid     uint64 `msgpack:"z"`
}

// Member is a follower of an established epoch and where its history stood
// when it acknowledged the epoch.
type Member struct {
	Node         NodeID `msgpack:"n"`
	CurrentEpoch uint64 `msgpack:"ce"`
	LastZxid     uint64 `msgpack:"z"`
}

// Lead tells the replica that a quorum accepted this node as leader of Epoch.
type Lead struct {
	Epoch   uint64   `msgpack:"e"`
	Members []Member `msgpack:"m"`
}

// Joined tells the leading replica that another follower accepted Epoch.
type Joined struct {
	Epoch  uint64 `msgpack:"e"`
	Member Member `msgpack:"m"`
}

// Follow tells the replica that this node accepted Leader for Epoch.
type Follow struct {
	Leader NodeID `msgpack:"l"`
	Epoch  uint64 `msgpack:"e"`
}

// Looking tells the replica that the epoch it served has ended.
type Looking struct {
	Epoch uint64 `msgpack:"e"`
}

// Abdicate asks the voter to end Epoch and elect again, because the replica
// cannot make progress in it (for example a follower could not be synced).
type Abdicate struct {
	Epoch  uint64 `msgpack:"e"`
	Reason string `msgpack:"why"`
}

func (*History) Kind() Kind  { return KindHistory }
func (*Lead) Kind() Kind     { return KindLead }
func (*Joined) Kind() Kind   { return KindJoined }
func (*Follow) Kind() Kind   { return KindFollow }
func (*Looking) Kind() Kind  { return KindLooking }
func (*Abdicate) Kind() Kind { return KindAbdicate }

func (h *History) EpochOf() uint64  { return h.CurrentEpoch }
func (h *History) ZxidOf() uint64   { return h.LastZxid }
func (l *Lead) EpochOf() uint64     { return l.Epoch }
func (j *Joined) EpochOf() uint64   { return j.Epoch }
func (f *Follow) EpochOf() uint64   { return f.Epoch }
func (l *Looking) EpochOf() uint64  { return l.Epoch }
func (a *Abdicate) EpochOf() uint64 { return a.Epoch }

// PeerDown is sent by the bus to its node's voter when the route to Node is
// lost, so a dead leader or follower is noticed before any timeout.
type PeerDown struct {
	Node NodeID `msgpack:"n"`
}

// PeerUp is sent by the bus when the route to Node is (re)established.
type PeerUp struct {
	Node NodeID `msgpack:"n"`
}

func (*PeerDown) Kind() Kind { return KindPeerDown }
func (*PeerUp) Kind() Kind   { return KindPeerUp }
