package replica

import (
	"github.com/paddock-zk/paddock/actors/msg"
)

// stepFollow makes this replica follow f.Leader in f.Epoch.
func (r *Replica) stepFollow(f *msg.Follow) {
	if r.role == RoleFollower && r.epoch == f.Epoch && r.leader == f.Leader {
		return
	}
	if ce := r.currentEpoch(); f.Epoch < ce || f.Leader == r.cfg.ID {
		r.log.Warn("refusing to follow", "leader", f.Leader, "epoch", f.Epoch, "currentEpoch", ce)
		r.msgs = append(r.msgs, msg.New(r.self, r.voter, &msg.Abdicate{Epoch: f.Epoch, Reason: "epoch below currentEpoch"}))
		return
	}
	r.reset(RoleFollower, f.Epoch, f.Leader)
	r.log.Info("following", "leader", f.Leader, "epoch", f.Epoch, "last", msg.FormatZxid(r.last()))
	r.newSession(false)
}

// newSession starts a sync attempt: a fresh session id and a SyncReq with
// our position. Answers to earlier attempts are ignored from now on.
func (r *Replica) newSession(noTrunc bool) {
	r.seq++
	r.sess = r.inc | uint64(r.seq)
	r.noTrunc = noTrunc
	r.started, r.aligned, r.recvSnap, r.snapBuf = false, false, nil, nil
	r.snapParts, r.early = nil, nil
	r.nlAcked, r.needAck = false, false
	r.sessTicks, r.idle = 0, 0
	if r.uptodate {
		// Falling behind while serving: stop serving, and give the new
		// sync the full initLimit before abdicating.
		r.uptodate = false
		r.setServing(false)
		r.ticks, r.abdicated = 0, false
	}
	r.send(r.leader, &msg.SyncReq{Epoch: r.epoch, Session: r.sess, CurrentEpoch: r.currentEpoch(),
		LastZxid: r.last(), Committed: r.applied, NoTrunc: noTrunc})
}

func (r *Replica) stepFollower(body msg.Body) error {
	if e, ok := body.(msg.Epoched); !ok || e.EpochOf() != r.epoch {
		return nil
	}
	switch b := body.(type) {
	case *msg.SyncStart:
		return r.onSyncStart(b)
	case *msg.SnapChunk:
		r.onSnapChunk(b)
	case *msg.Proposal:
		r.onProposal(b)
	case *msg.NewLeader:
		if b.Session != r.sess || !r.aligned || r.last() < b.Zxid {
			return nil
		}
		// The history is in the view; this Ready makes it durable, then
		// the epoch file, then sends the ack (ZOOKEEPER-3642/-4785).
		if r.currentEpoch() < r.epoch {
			r.pendEpoch = r.epoch
		}
		r.send(r.leader, &msg.NewLeaderAck{Epoch: r.epoch, Session: r.sess, Zxid: r.last()})
		r.nlAcked, r.idle = true, 0
	case *msg.UpToDate:
		if !r.nlAcked || (b.Session != 0 && b.Session != r.sess) {
			return nil // an earlier sync session's, whose number is lower
		}
		r.raiseCommit(b.Commit)
		r.idle = 0
		if !r.uptodate {
			r.uptodate, r.period = true, b.Serving
			r.setServing(true)
			r.log.Info("up to date", "epoch", r.epoch, "commit", msg.FormatZxid(r.commit))
		}
	case *msg.Commit:
		if !r.aligned {
			return nil
		}
		r.raiseCommit(b.Zxid)
		if b.Zxid > r.last() {
			r.askResend()
		}
	}
	return nil
}

func (r *Replica) raiseCommit(z uint64) {
	if z > r.commit {
		r.commit = z
	}
}

func (r *Replica) onSyncStart(b *msg.SyncStart) error {
	if b.Session != r.sess || r.started {
		return nil
	}
	r.started, r.idle = true, 0
	switch b.Mode {
	case msg.SyncDiff:
		if r.last() != b.Zxid && !r.aligned {
			r.log.Warn("DIFF from a position we no longer hold", "zxid", msg.FormatZxid(b.Zxid), "last", msg.FormatZxid(r.last()))
			r.newSession(false)
			return nil
		}
	case msg.SyncTrunc:
		if r.aligned {
			break // proposals already showed our log is a prefix of the leader's
		}
		ok, err := r.has(b.Zxid)
		if err != nil {
			return err
		}
		if !ok || b.Zxid < r.applied {
			// Truncating there would leave a gap or undo applied state
			// (the ZooKeeper bug of TRUNC across epochs): ask for a point
			// we are sure to share.
			r.log.Info("refusing TRUNC", "zxid", msg.FormatZxid(b.Zxid), "applied", msg.FormatZxid(r.applied))
			r.newSession(true)
			return nil
		}
		r.truncateView(b.Zxid)
	case msg.SyncSnap:
		if r.aligned && r.last() >= b.Zxid {
			break // we already hold the leader's history past the snapshot
		}
		r.recvSnap = b
		r.snapBuf = make([]byte, 0, min(b.SnapSize, 64<<20))
		r.collectChunks()
		return nil
	default:
		r.log.Warn("unknown sync mode", "mode", b.Mode)
		return nil
	}
	r.aligned, r.needAck = true, true
	r.applyEarly()
	return nil
}

// onSnapChunk keeps chunks of the current session, in whatever order they
// come (the bus may reorder), and assembles them once SyncStart is known.
func (r *Replica) onSnapChunk(c *msg.SnapChunk) {
	if c.Session != r.sess || c.Offset < 0 || len(c.Data) == 0 {
		return
	}
	if s := r.recvSnap; s != nil && (c.Zxid != s.Zxid || c.Offset+int64(len(c.Data)) > s.SnapSize) {
		return
	}
	if r.recvSnap == nil && r.started {
		return // not a SNAP session, or already installed
	}
	if r.snapParts == nil {
		r.snapParts = map[int64][]byte{}
	}
	r.snapParts[c.Offset] = c.Data
	r.idle = 0
	if r.recvSnap != nil {
		r.collectChunks()
	}
}

// collectChunks appends the chunks that continue the snapshot buffer, and
// installs the snapshot once it is whole.
func (r *Replica) collectChunks() {
	s := r.recvSnap
	for {
		d, ok := r.snapParts[int64(len(r.snapBuf))]
		if !ok {
			break
		}
		delete(r.snapParts, int64(len(r.snapBuf)))
		r.snapBuf = append(r.snapBuf, d...)
	}
	if int64(len(r.snapBuf)) == s.SnapSize {
		r.snapParts = nil
		r.installSnap()
	}
}

// installSnap hands the received snapshot to the shell: it replaces the
// state and the log, durably, before we ack anything after it.
func (r *Replica) installSnap() {
	z := r.recvSnap.Zxid
	if z < r.applied {
		// Installing it would move applied state backwards; our applied
		// point must be in the leader's log, so ask to truncate to it.
		r.log.Info("refusing snapshot older than applied state", "zxid", msg.FormatZxid(z), "applied", msg.FormatZxid(r.applied))
		r.newSession(true)
		return
	}
	r.snap = &SnapshotData{Zxid: z, Data: r.snapBuf}
	r.trunc, r.unstable = nil, nil
	r.applied = z
	r.raiseCommit(z)
	r.applyErr = false
	r.recvSnap, r.snapBuf = nil, nil
	r.aligned, r.needAck = true, true
	r.applyEarly()
}

// maxEarly bounds the proposals kept for later when they arrive out of
// order.
const maxEarly = 256

func (r *Replica) onProposal(b *msg.Proposal) {
	if !r.acceptProposal(b) {
		// Out of order, or its sync point not reached yet: keep it, as
		// the bus may reorder. A gap that persists is repaired on Tick.
		if b.PrevZxid > r.last() || r.recvSnap != nil || !r.started {
			if r.early == nil {
				r.early = map[uint64]*msg.Proposal{}
			}
			if len(r.early) < maxEarly {
				r.early[b.PrevZxid] = b
			}
		}
		return
	}
	r.applyEarly()
}

// applyEarly appends kept proposals that now follow the log.
func (r *Replica) applyEarly() {
	for len(r.early) > 0 && r.recvSnap == nil {
		last := r.last()
		progress := false
		for prev, b := range r.early {
			if prev > last {
				continue
			}
			delete(r.early, prev)
			if r.acceptProposal(b) {
				progress = true
			}
		}
		if !progress {
			return
		}
	}
}

// acceptProposal appends b's entries if they follow our log; false if
// they cannot be placed now.
func (r *Replica) acceptProposal(b *msg.Proposal) bool {
	if r.recvSnap != nil {
		return false // entries continue after the snapshot being received
	}
	last := r.last()
	switch {
	case b.PrevZxid > last:
		return false // a gap: never skip it
	case b.PrevZxid < last && !r.aligned:
		return false // cannot tell whether our tail is the leader's
	}
	// PrevZxid == last: the leader holds our last zxid, so our log is a
	// prefix of its (see doc.go). PrevZxid < last with aligned: the overlap
	// is the same entries.
	prev := b.PrevZxid
	for _, e := range b.Entries {
		if e.Zxid <= prev {
			r.log.Warn("proposal entries out of order; dropped", "prev", msg.FormatZxid(prev), "zxid", msg.FormatZxid(e.Zxid))
			return true
		}
		prev = e.Zxid
	}
	r.aligned = true
	for _, e := range b.Entries {
		if e.Zxid > last {
			r.unstable = append(r.unstable, e)
			r.idle = 0
		}
	}
	r.needAck = true
	r.raiseCommit(b.Commit)
	return true
}

// askResend asks the leader for its entries after our last, at most once
// per ResendTicks for the same position.
func (r *Replica) askResend() {
	last := r.last()
	if r.resendFrom == last+1 && r.sessTicks-r.resendTick < r.cfg.ResendTicks {
		return
	}
	r.resendFrom, r.resendTick = last+1, r.sessTicks
	r.send(r.leader, &msg.Resend{Epoch: r.epoch, After: last})
}

func (r *Replica) tickFollower() {
	r.ticks++
	r.sessTicks++
	r.idle++
	if !r.uptodate && r.ticks >= r.cfg.InitTicks {
		r.abdicate("not synchronized within initLimit")
	}
	if len(r.early) > 0 && r.started && r.recvSnap == nil {
		r.askResend() // a gap that reordering did not fill
	}
	switch {
	case !r.started:
		if r.sessTicks >= r.cfg.ResendTicks {
			r.newSession(r.noTrunc) // the request or its answer was lost
		}
	case !r.uptodate:
		if r.idle >= r.cfg.SyncTicks {
			r.newSession(false)
		} else if r.nlAcked && r.sessTicks%r.cfg.ResendTicks == 0 {
			r.send(r.leader, &msg.NewLeaderAck{Epoch: r.epoch, Session: r.sess, Zxid: r.last()})
		}
	case r.commit > r.last():
		// Up to date but behind the commit point: proposals were lost.
		if r.idle >= r.cfg.SyncTicks {
			r.newSession(false)
		} else {
			r.askResend()
		}
	}
}
