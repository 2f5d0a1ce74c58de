package msg

import "fmt"

// Messages between replicas: ZAB's synchronization and broadcast phases.
// Every one carries the epoch it belongs to; a replica ignores messages of
// any epoch but the one it is in, so a late message from an old leader can
// never change a log. The protocol itself is described in package replica.

// Entry is one transaction of the replicated log. Data is opaque to the
// replication layer (the znode txn encoding).
type Entry struct {
	Zxid uint64 `msgpack:"z"`
	Data []byte `msgpack:"d"`
}

// SyncMode is how the leader brings a follower to its history.
type SyncMode uint8

// Sync modes, as ZooKeeper's LearnerHandler names them. The numbers are on
// the wire: never renumber.
const (
	SyncDiff  SyncMode = 1 // the follower's log is a prefix of the leader's: entries follow
	SyncTrunc SyncMode = 2 // truncate after Zxid, then entries follow
	SyncSnap  SyncMode = 3 // replace state with the snapshot at Zxid, then entries follow
)

func (m SyncMode) String() string {
	switch m {
	case SyncDiff:
		return "DIFF"
	case SyncTrunc:
		return "TRUNC"
	case SyncSnap:
		return "SNAP"
	}
	return fmt.Sprintf("SyncMode(%d)", uint8(m))
}

// SyncReq is a follower's request to be synchronized, resent until the
// leader answers. Session names the attempt (upper 32 bits: the follower
// process's random incarnation, lower 32: a counter), so answers to an old
// attempt are recognised and ignored. NoTrunc says a TRUNC to a point the
// follower does not hold was refused: the leader must truncate to Committed
// (which both hold) or send a snapshot.
type SyncReq struct {
	Epoch        uint64 `msgpack:"e"`
	Session      uint64 `msgpack:"s"`
	CurrentEpoch uint64 `msgpack:"ce"`
	LastZxid     uint64 `msgpack:"z"`
	Committed    uint64 `msgpack:"c"`
	NoTrunc      bool   `msgpack:"nt,omitempty"`
}

// SyncStart opens the leader's answer to one SyncReq. For DIFF, Zxid is the
// follower's position the entries continue from; for TRUNC, the point to
// truncate after; for SNAP, the snapshot's zxid, and SnapSize its length in
// bytes (sent as SnapChunks).
type SyncStart struct {
	Epoch    uint64   `msgpack:"e"`
	Session  uint64   `msgpack:"s"`
	Mode     SyncMode `msgpack:"m"`
	Zxid     uint64   `msgpack:"z"`
	SnapSize int64    `msgpack:"sz,omitempty"`
}

// SnapChunk is bytes [Offset, Offset+len(Data)) of the snapshot at Zxid.
type SnapChunk struct {
	Epoch   uint64 `msgpack:"e"`
	Session uint64 `msgpack:"s"`
	Zxid    uint64 `msgpack:"z"`
	Offset  int64  `msgpack:"o"`
	Data    []byte `msgpack:"d"`
}

// Proposal carries log entries that directly follow PrevZxid in the
// leader's log, and the leader's commit point. A follower accepts it only if
// it holds PrevZxid as its last entry (or already holds the overlap);
// otherwise it asks for a Resend, so a gap is never skipped.
type Proposal struct {
	Epoch    uint64  `msgpack:"e"`
	PrevZxid uint64  `msgpack:"p"`
	Commit   uint64  `msgpack:"c"`
	Entries  []Entry `msgpack:"es"`
}

// NewLeader tells a follower that it now holds the leader's history up to
// Zxid; it answers with NewLeaderAck once that history and its currentEpoch
// are durable.
type NewLeader struct {
	Epoch   uint64 `msgpack:"e"`
	Session uint64 `msgpack:"s"`
	Zxid    uint64 `msgpack:"z"`
}

// NewLeaderAck acknowledges NewLeader; Zxid is the follower's durable last.
type NewLeaderAck struct {
	Epoch   uint64 `msgpack:"e"`
	Session uint64 `msgpack:"s"`
	Zxid    uint64 `msgpack:"z"`
}

// UpToDate tells a synchronized follower to serve; Commit is the leader's
// commit point. Session is the sync session it ends (0 from an older
// leader: any). Serving numbers the follower's serving periods in this
// leader's term, increasing, so that a follower's forwards of one period
// are numbered above those of every earlier one, its own before a restart
// included (the store's sequence base); a clock cannot do that, since a
// restarted node's may be behind its previous incarnation's.
type UpToDate struct {
	Epoch   uint64 `msgpack:"e"`
	Commit  uint64 `msgpack:"c"`
	Session uint64 `msgpack:"s,omitempty"`
	Serving uint64 `msgpack:"n,omitempty"`
}

// Ack says the follower's log is durable up to Zxid (cumulative).
type Ack struct {
	Epoch uint64 `msgpack:"e"`
	Zxid  uint64 `msgpack:"z"`
}

// Commit says every entry up to Zxid is committed.
type Commit struct {
	Epoch uint64 `msgpack:"e"`
	Zxid  uint64 `msgpack:"z"`
}

// Resend asks the leader for its entries after After: the follower saw a
// proposal that does not follow its last entry.
type Resend struct {
	Epoch uint64 `msgpack:"e"`
	After uint64 `msgpack:"a"`
}

func (*SyncReq) Kind() Kind      { return KindSyncReq }
func (*SyncStart) Kind() Kind    { return KindSyncStart }
func (*SnapChunk) Kind() Kind    { return KindSnapChunk }
func (*Proposal) Kind() Kind     { return KindProposal }
func (*NewLeader) Kind() Kind    { return KindNewLeader }
func (*NewLeaderAck) Kind() Kind { return KindNewLeaderAck }
func (*UpToDate) Kind() Kind     { return KindUpToDate }
func (*Ack) Kind() Kind          { return KindAck }
func (*Commit) Kind() Kind       { return KindCommit }
func (*Resend) Kind() Kind       { return KindResend }

func (s *SyncReq) EpochOf() uint64      { return s.Epoch }
func (s *SyncReq) ZxidOf() uint64       { return s.LastZxid }
func (s *SyncStart) EpochOf() uint64    { return s.Epoch }
func (s *SyncStart) ZxidOf() uint64     { return s.Zxid }
func (s *SnapChunk) EpochOf() uint64    { return s.Epoch }
func (s *SnapChunk) ZxidOf() uint64     { return s.Zxid }
func (p *Proposal) EpochOf() uint64     { return p.Epoch }
func (n *NewLeader) EpochOf() uint64    { return n.Epoch }
func (n *NewLeader) ZxidOf() uint64     { return n.Zxid }
func (n *NewLeaderAck) EpochOf() uint64 { return n.Epoch }
func (n *NewLeaderAck) ZxidOf() uint64  { return n.Zxid }
func (u *UpToDate) EpochOf() uint64     { return u.Epoch }
func (u *UpToDate) ZxidOf() uint64      { return u.Commit }
func (a *Ack) EpochOf() uint64          { return a.Epoch }
func (a *Ack) ZxidOf() uint64           { return a.Zxid }
func (c *Commit) EpochOf() uint64       { return c.Epoch }
func (c *Commit) ZxidOf() uint64        { return c.Zxid }
func (r *Resend) EpochOf() uint64       { return r.Epoch }
func (r *Resend) ZxidOf() uint64        { return r.After }

// ZxidOf of a Proposal is its last entry's zxid (PrevZxid when empty).
func (p *Proposal) ZxidOf() uint64 {
	if n := len(p.Entries); n > 0 {
		return p.Entries[n-1].Zxid
	}
	return p.PrevZxid
}
