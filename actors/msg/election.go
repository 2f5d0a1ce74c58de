package msg

// PeerState is a server's role in the ensemble, as ZooKeeper names it.
type PeerState uint8

// Peer states.
const (
	StateLooking PeerState = iota
	StateFollowing
	StateLeading
	StateObserving
)

var peerStateNames = [...]string{"LOOKING", "FOLLOWING", "LEADING", "OBSERVING"}

func (s PeerState) String() string {
	if int(s) < len(peerStateNames) {
		return peerStateNames[s]
	}
	return "UNKNOWN"
}

// Vote is FastLeaderElection's notification: the sender's current proposal
// for leader, in election round Round, and the sender's own state. Proposals
// are ordered by (PeerEpoch, Zxid, Leader).
type Vote struct {
	Leader    NodeID    `msgpack:"l"`
	Zxid      uint64    `msgpack:"z"`
	PeerEpoch uint64    `msgpack:"pe"`
	Round     uint64    `msgpack:"r"` // ZooKeeper's electionEpoch / logicalclock
	State     PeerState `msgpack:"s"`
}

// FollowerInfo is sent by a node that decided to follow Leader. It is
// resent every tick until the leader answers with NewEpoch.
type FollowerInfo struct {
	AcceptedEpoch uint64 `msgpack:"ae"`
	CurrentEpoch  uint64 `msgpack:"ce"`
	LastZxid      uint64 `msgpack:"z"`
}

// NewEpoch is the leader's proposal of the epoch it will lead (ZAB's
// LEADERINFO). A follower accepts it at most once per epoch.
type NewEpoch struct {
	Epoch uint64 `msgpack:"e"`
}

// AckEpoch acknowledges NewEpoch after the accepted epoch is durable, with
// the follower's history position so the leader can check it is not behind.
type AckEpoch struct {
	Epoch        uint64 `msgpack:"e"`
	CurrentEpoch uint64 `msgpack:"ce"`
	LastZxid     uint64 `msgpack:"z"`
	// Fresh is false when the follower had accepted Epoch before, from a
	// leader it cannot vouch for (ZooKeeper's -1): the leader must not count
	// such an ack towards establishing the epoch.
	Fresh bool `msgpack:"f"`
}

// Ping is the leader's heartbeat, sent every half tick.
type Ping struct {
	Epoch uint64 `msgpack:"e"`
}

// Pong answers a Ping.
type Pong struct {
	Epoch uint64 `msgpack:"e"`
}

func (*Vote) Kind() Kind         { return KindVote }
func (*FollowerInfo) Kind() Kind { return KindFollowerInfo }
func (*NewEpoch) Kind() Kind     { return KindNewEpoch }
func (*AckEpoch) Kind() Kind     { return KindAckEpoch }
func (*Ping) Kind() Kind         { return KindPing }
func (*Pong) Kind() Kind         { return KindPong }

func (v *Vote) EpochOf() uint64         { return v.PeerEpoch }
func (v *Vote) ZxidOf() uint64          { return v.Zxid }
func (f *FollowerInfo) EpochOf() uint64 { return f.AcceptedEpoch }
func (f *FollowerInfo) ZxidOf() uint64  { return f.LastZxid }
func (n *NewEpoch) EpochOf() uint64     { return n.Epoch }
func (a *AckEpoch) EpochOf() uint64     { return a.Epoch }
func (a *AckEpoch) ZxidOf() uint64      { return a.LastZxid }
func (p *Ping) EpochOf() uint64         { return p.Epoch }
func (p *Pong) EpochOf() uint64         { return p.Epoch }
