package replica

import (
	"fmt"
	"sort"

	"github.com/paddock-zk/paddock/actors/msg"
)

// stepLead makes this replica the leader of l.Epoch. The epoch must be above
// the currentEpoch: a zxid is never reused, because a leader only proposes
// after its currentEpoch names its own epoch, and it refuses to lead an
// epoch it already entered.
func (r *Replica) stepLead(l *msg.Lead) {
	if r.role == RoleLeader && r.epoch == l.Epoch {
		return
	}
	if ce := r.currentEpoch(); l.Epoch <= ce {
		r.log.Warn("refusing to lead an epoch not above currentEpoch", "epoch", l.Epoch, "currentEpoch", ce)
		r.msgs = append(r.msgs, msg.New(r.self, r.voter, &msg.Abdicate{Epoch: l.Epoch, Reason: "epoch not above currentEpoch"}))
		return
	}
	r.reset(RoleLeader, l.Epoch, r.cfg.ID)
	r.peers = map[msg.NodeID]*peer{}
	r.members = map[msg.NodeID]msg.Member{}
	for _, m := range l.Members {
		r.members[m.Node] = m
	}
	r.histEnd = r.last()
	if msg.ZxidEpoch(r.histEnd) == l.Epoch {
		r.counter = msg.ZxidCounter(r.histEnd)
	}
	// Our own NEWLEADER ack: the history is durable before the epoch file
	// (Ready order), and the leader counts itself only after Advance.
	r.pendEpoch = l.Epoch
	r.log.Info("leading", "epoch", l.Epoch, "history", msg.FormatZxid(r.histEnd))
	early := r.earlySync
	r.earlySync = nil
	for _, id := range sortedPeers(early) {
		if req := early[id]; req.Epoch == l.Epoch {
			if err := r.onSyncReq(id, req); err != nil {
				r.log.Error("sync request that came before the epoch", "follower", id, "err", err)
			}
		}
	}
}

func (r *Replica) stepLeader(from msg.NodeID, body msg.Body) error {
	if from == r.cfg.ID || !r.member(from) {
		return nil
	}
	if e, ok := body.(msg.Epoched); !ok || e.EpochOf() != r.epoch {
		return nil
	}
	switch b := body.(type) {
	case *msg.SyncReq:
		return r.onSyncReq(from, b)
	case *msg.Ack:
		if p := r.peers[from]; p != nil {
			r.onAck(p, b.Zxid)
		}
	case *msg.NewLeaderAck:
		p := r.peers[from]
		if p == nil || b.Session != p.session {
			return nil
		}
		r.onAck(p, b.Zxid)
		if !p.synced {
			p.synced = true
			r.log.Info("follower synchronized", "follower", from, "zxid", msg.FormatZxid(b.Zxid))
		}
		if r.serving {
			p.uptodate = true
			r.send(from, r.upToDate(p))
			r.maybeCommit()
		} else {
			r.maybeServe()
		}
	case *msg.Resend:
		p := r.peers[from]
		if p == nil {
			return nil
		}
		ok, err := r.has(b.After)
		if err != nil {
			return err
		}
		if ok {
			p.next, p.inflight, p.stalled, p.idle = b.After, nil, false, 0
		}
	}
	return nil
}

// upToDate tells p to serve. Its serving period gets its number the
// first time; a repeat carries the same.
func (r *Replica) upToDate(p *peer) *msg.UpToDate {
	if p.serving == 0 {
		r.servings++
		p.serving = r.servings
	}
	return &msg.UpToDate{Epoch: r.epoch, Commit: r.commit, Session: p.session, Serving: p.serving}
}

// newerSession reports whether session a supersedes b: another incarnation
// of the follower, or a later attempt of the same one.
func newerSession(a, b uint64) bool {
	if a>>32 != b>>32 {
		return true
	}
	return uint32(a) > uint32(b)
}

// chooseSync picks how to bring a follower at req to our history
// (ZooKeeper's LearnerHandler.syncFollower, with the truncation point
// checked rather than assumed).
func (r *Replica) chooseSync(req *msg.SyncReq) (msg.SyncMode, uint64, error) {
	if req.NoTrunc {
		// The follower does not hold the point we chose. Its applied
		// point is committed, so it is in our history, and the follower
		// holds it: truncate there, or send a snapshot if we compacted it.
		ok, err := r.has(req.Committed)
		if err != nil || !ok {
			return msg.SyncSnap, 0, err
		}
		return msg.SyncTrunc, req.Committed, nil
	}
	p := req.LastZxid
	ok, err := r.has(p)
	if err != nil {
		return 0, 0, err
	}
	if ok {
		return msg.SyncDiff, p, nil
	}
	// The follower has entries we lack (an old epoch's uncommitted tail, or
	// it is ahead of us): truncate them, at the largest zxid we hold below.
	t, ok, err := r.floor(p)
	if err != nil {
		return 0, 0, err
	}
	if ok {
		return msg.SyncTrunc, t, nil
	}
	return msg.SyncSnap, 0, nil
}

func (r *Replica) onSyncReq(from msg.NodeID, req *msg.SyncReq) error {
	if p := r.peers[from]; p != nil && !newerSession(req.Session, p.session) {
		return nil
	}
	mode, z, err := r.chooseSync(req)
	if err != nil {
		return fmt.Errorf("replica: choose sync for %d: %w", from, err)
	}
	out := []msg.Body{}
	if mode == msg.SyncSnap {
		zx, size, err := r.s.Snapshot()
		if err != nil {
			return fmt.Errorf("replica: snapshot for %d: %w", from, err)
		}
		z = zx
		out = append(out, &msg.SyncStart{Epoch: r.epoch, Session: req.Session, Mode: mode, Zxid: z, SnapSize: size})
		for off := int64(0); off < size; {
			data, err := r.s.ReadSnapshot(zx, off, r.cfg.SnapshotChunk)
			if err != nil {
				return fmt.Errorf("replica: read snapshot %s for %d: %w", msg.FormatZxid(zx), from, err)
			}
			if len(data) == 0 {
				return fmt.Errorf("replica: snapshot %s shorter than its size %d", msg.FormatZxid(zx), size)
			}
			out = append(out, &msg.SnapChunk{Epoch: r.epoch, Session: req.Session, Zxid: zx, Offset: off, Data: data})
			off += int64(len(data))
		}
	} else {
		out = append(out, &msg.SyncStart{Epoch: r.epoch, Session: req.Session, Mode: mode, Zxid: z})
	}
	for _, b := range out {
		r.send(from, b)
	}
	r.peers[from] = &peer{id: from, session: req.Session, mode: mode, start: z, next: z}
	r.log.Info("syncing follower", "follower", from, "mode", mode, "zxid", msg.FormatZxid(z),
		"followerLast", msg.FormatZxid(req.LastZxid), "last", msg.FormatZxid(r.last()))
	return nil
}

func (r *Replica) onAck(p *peer, z uint64) {
	if z > r.last() {
		return // not ours: acks name zxids of our log
	}
	if z > p.match {
		p.match, p.idle = z, 0
	}
	i := 0
	for i < len(p.inflight) && p.inflight[i] <= p.match {
		i++
	}
	p.inflight = p.inflight[i:]
	if p.synced {
		r.maybeCommit()
	}
}

// maybeServe starts serving once a quorum, the leader included, holds its
// history durably under its epoch. The whole initial history is then
// committed.
func (r *Replica) maybeServe() {
	if r.serving || !r.selfAcked {
		return
	}
	n := 1
	for id, p := range r.peers {
		if p.synced && r.voters[id] {
			n++
		}
	}
	if n < r.quorum {
		return
	}
	r.setServing(true)
	if r.histEnd > r.commit {
		r.commit = r.histEnd
	}
	r.commitChanged = true
	for _, id := range sortedPeers(r.peers) {
		if p := r.peers[id]; p.synced {
			p.uptodate = true
			r.send(id, r.upToDate(p))
		}
	}
	r.log.Info("serving", "epoch", r.epoch, "commit", msg.FormatZxid(r.commit))
	r.maybeCommit()
}

// maybeCommit advances the commit point to the highest zxid a quorum holds
// durably. Only followers that acknowledged NEWLEADER count: their logs are
// our history under our epoch.
func (r *Replica) maybeCommit() {
	if !r.serving {
		return
	}
	ms := make([]uint64, 0, len(r.voters))
	ms = append(ms, r.durable)
	for id := range r.voters {
		if id == r.cfg.ID {
			continue
		}
		if p := r.peers[id]; p != nil && p.synced {
			ms = append(ms, p.match)
		} else {
			ms = append(ms, 0)
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i] > ms[j] })
	if q := ms[r.quorum-1]; q > r.commit {
		r.commit = q
		r.commitChanged = true
	}
}

func (r *Replica) wantsSend(p *peer, last uint64) bool {
	if p.stalled {
		return false
	}
	return (p.next < last && len(p.inflight) < r.cfg.MaxInflight) || (!p.nlSent && p.next == last)
}

// flushLeader sends each follower what it lacks, batched, and the commit
// point to those that got no proposal to carry it.
func (r *Replica) flushLeader() {
	last := r.last()
	for _, id := range sortedPeers(r.peers) {
		p := r.peers[id]
		sent := r.sendAppend(p, last)
		if r.commitChanged && p.synced && !sent {
			r.send(id, &msg.Commit{Epoch: r.epoch, Zxid: r.commit})
		}
	}
	r.commitChanged = false
}

func (r *Replica) sendAppend(p *peer, last uint64) (sent bool) {
	for !p.stalled && p.next < last && len(p.inflight) < r.cfg.MaxInflight {
		es, err := r.entries(p.next, r.cfg.MaxBatchBytes)
		if err != nil || len(es) == 0 {
			// Compacted under a slow follower: it notices it lags and
			// starts a new sync session, which will use the snapshot.
			r.log.Warn("cannot send entries", "follower", p.id, "after", msg.FormatZxid(p.next), "err", err)
			p.stalled = true
			break
		}
		r.send(p.id, &msg.Proposal{Epoch: r.epoch, PrevZxid: p.next, Commit: r.commit, Entries: es})
		p.next = es[len(es)-1].Zxid
		p.inflight = append(p.inflight, p.next)
		sent = true
	}
	if !p.nlSent && p.next == last {
		r.send(p.id, &msg.NewLeader{Epoch: r.epoch, Session: p.session, Zxid: last})
		p.nlSent = true
	}
	return sent
}

func (r *Replica) tickLeader() {
	r.ticks++
	if !r.serving && r.ticks >= r.cfg.InitTicks {
		r.abdicate("no quorum synchronized within initLimit")
	}
	for _, p := range r.peers {
		p.idle++
		if p.idle < r.cfg.ResendTicks {
			continue
		}
		p.idle = 0
		if p.match < p.next {
			// No ack progress: proposals or acks were lost. Send again.
			p.next, p.inflight, p.stalled = max(p.match, p.start), nil, false
		}
		if !p.synced {
			p.nlSent = false
		}
	}
	if r.serving && r.ticks%r.cfg.ResendTicks == 0 {
		r.commitChanged = true // heartbeat of the commit point
	}
}
