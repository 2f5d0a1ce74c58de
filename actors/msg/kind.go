package msg

import "fmt"

// Kind identifies a message body. The number is the first byte of every
// encoded message: append only, never renumber or reuse.
type Kind uint8

// Kinds.
const (
	KindInvalid Kind = iota

	// Election and leadership (voter ↔ voter).
	KindVote         // FastLeaderElection notification
	KindFollowerInfo // follower → leader: I follow you, here is my accepted epoch
	KindNewEpoch     // leader → follower: the epoch I lead (LEADERINFO)
	KindAckEpoch     // follower → leader: accepted, with my history position
	KindPing         // leader → follower heartbeat
	KindPong         // follower → leader heartbeat answer

	// Local, within one node (voter ↔ replica).
	KindHistory  // replica → voter: my current epoch and last zxid
	KindLead     // voter → replica: you lead this epoch
	KindJoined   // voter → replica (leader): a follower joined the epoch
	KindFollow   // voter → replica: follow this leader in this epoch
	KindLooking  // voter → replica: the epoch ended, stop serving
	KindAbdicate // replica → voter: this epoch cannot go on, elect again

	// Local, from the bus to the node's voter.
	KindPeerDown // the bus lost its route to a peer node
	KindPeerUp   // the bus (re)gained its route to a peer node

	// Replication (replica ↔ replica): ZAB synchronization and broadcast.
	KindSyncReq      // follower → leader: my position, sync me (resent until answered)
	KindSyncStart    // leader → follower: DIFF, TRUNC or SNAP for one sync session
	KindSnapChunk    // leader → follower: a piece of the snapshot (SNAP)
	KindProposal     // leader → follower: entries after PrevZxid
	KindNewLeader    // leader → follower: you hold my history up to Zxid; persist and ack
	KindNewLeaderAck // follower → leader: history and currentEpoch durable
	KindUpToDate     // leader → follower: serve; commit point
	KindAck          // follower → leader: log durable up to Zxid (cumulative)
	KindCommit       // leader → follower: committed up to Zxid
	KindResend       // follower → leader: gap after After, send again

	// Client requests (request.go).
	KindRequest      // client → serving node
	KindReply        // serving node → client
	KindForward      // serving node → leader: a write or sync to prepare
	KindForwardReply // leader → serving node: a refused write, or a sync point

	// Session tracking (sessions.go).
	KindSessionsUpdate // store → local sessions actor: the replicated session table
	KindTouch          // serving node → leader's sessions actor: sessions heard from
	KindExpire         // leader's sessions actor → its store: close these

	KindWatchEvent // serving node → client: a watch fired

	kindCount // keep last
)

var kindNames = [...]string{
	KindInvalid:        "Invalid",
	KindVote:           "Vote",
	KindFollowerInfo:   "FollowerInfo",
	KindNewEpoch:       "NewEpoch",
	KindAckEpoch:       "AckEpoch",
	KindPing:           "Ping",
	KindPong:           "Pong",
	KindHistory:        "History",
	KindLead:           "Lead",
	KindJoined:         "Joined",
	KindFollow:         "Follow",
	KindLooking:        "Looking",
	KindAbdicate:       "Abdicate",
	KindPeerDown:       "PeerDown",
	KindPeerUp:         "PeerUp",
	KindSyncReq:        "SyncReq",
	KindSyncStart:      "SyncStart",
	KindSnapChunk:      "SnapChunk",
	KindProposal:       "Proposal",
	KindNewLeader:      "NewLeader",
	KindNewLeaderAck:   "NewLeaderAck",
	KindUpToDate:       "UpToDate",
	KindAck:            "Ack",
	KindCommit:         "Commit",
	KindResend:         "Resend",
	KindRequest:        "Request",
	KindReply:          "Reply",
	KindForward:        "Forward",
	KindForwardReply:   "ForwardReply",
	KindSessionsUpdate: "SessionsUpdate",
	KindTouch:          "Touch",
	KindExpire:         "Expire",
	KindWatchEvent:     "WatchEvent",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ParseKind is the inverse of Kind.String (case-sensitive).
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if n == s && i != 0 {
			return Kind(i), true
		}
	}
	return KindInvalid, false
}

// Valid reports whether k names a registered kind.
func (k Kind) Valid() bool { return k > KindInvalid && k < kindCount }

// NewBody returns a pointer to a zero body of kind k, for decoding into.
func NewBody(k Kind) (Body, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("msg: unknown kind %d", uint8(k))
	}
	return bodies[k](), nil
}

var bodies = [kindCount]func() Body{
	KindInvalid:        nil,
	KindVote:           func() Body { return new(Vote) },
	KindFollowerInfo:   func() Body { return new(FollowerInfo) },
	KindNewEpoch:       func() Body { return new(NewEpoch) },
	KindAckEpoch:       func() Body { return new(AckEpoch) },
	KindPing:           func() Body { return new(Ping) },
	KindPong:           func() Body { return new(Pong) },
	KindHistory:        func() Body { return new(History) },
	KindLead:           func() Body { return new(Lead) },
	KindJoined:         func() Body { return new(Joined) },
	KindFollow:         func() Body { return new(Follow) },
	KindLooking:        func() Body { return new(Looking) },
	KindAbdicate:       func() Body { return new(Abdicate) },
	KindPeerDown:       func() Body { return new(PeerDown) },
	KindPeerUp:         func() Body { return new(PeerUp) },
	KindSyncReq:        func() Body { return new(SyncReq) },
	KindSyncStart:      func() Body { return new(SyncStart) },
	KindSnapChunk:      func() Body { return new(SnapChunk) },
	KindProposal:       func() Body { return new(Proposal) },
	KindNewLeader:      func() Body { return new(NewLeader) },
	KindNewLeaderAck:   func() Body { return new(NewLeaderAck) },
	KindUpToDate:       func() Body { return new(UpToDate) },
	KindAck:            func() Body { return new(Ack) },
	KindCommit:         func() Body { return new(Commit) },
	KindResend:         func() Body { return new(Resend) },
	KindRequest:        func() Body { return new(Request) },
	KindReply:          func() Body { return new(Reply) },
	KindForward:        func() Body { return new(Forward) },
	KindForwardReply:   func() Body { return new(ForwardReply) },
	KindSessionsUpdate: func() Body { return new(SessionsUpdate) },
	KindTouch:          func() Body { return new(Touch) },
	KindExpire:         func() Body { return new(Expire) },
	KindWatchEvent:     func() Body { return new(WatchEvent) },
}

// AllKinds lists every valid kind, for tests and tracing filters.
func AllKinds() []Kind {
	ks := make([]Kind, 0, kindCount-1)
	for k := KindInvalid + 1; k < kindCount; k++ {
		ks = append(ks, k)
	}
	return ks
}
