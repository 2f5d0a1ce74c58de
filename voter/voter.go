package voter

import (
	"fmt"
	"math/rand"
	"sort"

	"github.com/paddock-zk/paddock/actors/msg"
)

// Config configures a Voter. Durations are in core ticks.
type Config struct {
	ID     msg.NodeID
	Voters []msg.NodeID
	// Observers are members that never vote: an observer's voter only
	// learns who leads from the voters and joins that leader's epoch, and
	// a leader neither counts observers towards a quorum nor waits for
	// them.
	Observers      []msg.NodeID
	HeartbeatTicks int
	SyncTicks      int
	InitTicks      int
	FinalizeTicks  int
	ResendTicks    int
	MaxResendTicks int
	// AwaitHistory makes a new round wait for the local replica's History
	// (answering Looking) before the first vote.
	AwaitHistory bool
	Rand         *rand.Rand // unused today; reserved for jitter
}

// Ready is what the shell must do: persist AcceptedEpoch (when non-zero)
// durably, then send Messages.
type Ready struct {
	AcceptedEpoch uint64
	Messages      []msg.Envelope
}

// Status is a snapshot of the voter.
type Status struct {
	State         msg.PeerState
	Leader        msg.NodeID
	Epoch         uint64
	Established   bool
	Round         uint64
	Vote          msg.Vote
	AcceptedEpoch uint64
	Members       []msg.NodeID
}

type member struct {
	heard int // ticks since the last Pong
	ack   msg.AckEpoch
}

// Voter is the pure election and leadership machine.
type Voter struct {
	cfg       Config
	self      msg.Addr
	voters    map[msg.NodeID]bool
	observers map[msg.NodeID]bool
	observer  bool // this node is an observer
	quorum    int

	state    msg.PeerState
	round    uint64
	hist     msg.History
	accepted uint64

	// LOOKING
	proposal    msg.Vote // Leader, Zxid, PeerEpoch
	recv        map[msg.NodeID]msg.Vote
	outOf       map[msg.NodeID]msg.Vote
	finalize    int // ticks left; -1 when not finalizing
	resendLeft  int
	resendEvery int
	awaitHist   bool
	// early: FollowerInfo from voters that decided we lead while we were
	// still looking (their finalize wait ended first). Dropping them cost
	// a resend period on every such failover; counting them once we lead
	// is the same as their delayed delivery, which discovery survives.
	early map[msg.NodeID]msg.FollowerInfo

	// down: voters whose route the bus reports lost (PeerDown, until
	// PeerUp or a message from them). No vote can come from them, so
	// the finalize wait need not wait for one (see complete).
	down map[msg.NodeID]bool

	// FOLLOWING / LEADING
	leader      msg.NodeID
	epoch       uint64
	established bool
	elapsed     int // ticks since deciding, bounded by InitTicks until established
	// follower
	sincePing int
	freshFor  map[uint64]msg.NodeID // epochs accepted fresh in this process, by leader
	// leader
	infos    map[msg.NodeID]msg.FollowerInfo
	acks     map[msg.NodeID]msg.AckEpoch
	members  map[msg.NodeID]*member
	hbLeft   int
	proposed uint64
	maxSeen  uint64 // highest accepted epoch any follower reported

	persist uint64
	out     []msg.Envelope
}

// New builds a voter that starts LOOKING. acceptedEpoch is the durable value.
func New(cfg Config, acceptedEpoch uint64) *Voter {
	if cfg.HeartbeatTicks <= 0 || cfg.SyncTicks <= 0 || cfg.InitTicks <= 0 || cfg.FinalizeTicks < 0 || cfg.ResendTicks <= 0 {
		panic(fmt.Sprintf("voter: invalid config %+v", cfg))
	}
	if cfg.MaxResendTicks < cfg.ResendTicks {
		cfg.MaxResendTicks = cfg.ResendTicks
	}
	v := &Voter{
		cfg:       cfg,
		self:      msg.Addr{Node: cfg.ID, Role: msg.RoleVoter},
		voters:    map[msg.NodeID]bool{},
		observers: map[msg.NodeID]bool{},
		accepted:  acceptedEpoch,
		freshFor:  map[uint64]msg.NodeID{},
		down:      map[msg.NodeID]bool{},
	}
	for _, id := range cfg.Voters {
		v.voters[id] = true
	}
	for _, id := range cfg.Observers {
		if v.voters[id] {
			panic(fmt.Sprintf("voter: node %d is both a voter and an observer", id))
		}
		v.observers[id] = true
	}
	v.observer = v.observers[cfg.ID]
	if !v.voters[cfg.ID] && !v.observer {
		panic(fmt.Sprintf("voter: own id %d is not among the voters %v or observers %v", cfg.ID, cfg.Voters, cfg.Observers))
	}
	v.quorum = len(v.voters)/2 + 1
	v.lookAgain()
	return v
}

func better(a, b msg.Vote) bool {
	if a.PeerEpoch != b.PeerEpoch {
		return a.PeerEpoch > b.PeerEpoch
	}
	if a.Zxid != b.Zxid {
		return a.Zxid > b.Zxid
	}
	return a.Leader > b.Leader
}

func sameProposal(a, b msg.Vote) bool {
	return a.Leader == b.Leader && a.Zxid == b.Zxid && a.PeerEpoch == b.PeerEpoch
}

func (v *Voter) ownVote() msg.Vote {
	if v.observer {
		// An observer's vote names nobody (ZooKeeper's getInitId gives
		// an observer Long.MIN_VALUE): it only asks the voters who leads.
		return msg.Vote{Zxid: v.hist.LastZxid, PeerEpoch: v.hist.CurrentEpoch}
	}
	return msg.Vote{Leader: v.cfg.ID, Zxid: v.hist.LastZxid, PeerEpoch: v.hist.CurrentEpoch}
}

func (v *Voter) current() *msg.Vote {
	vote := v.proposal
	vote.Round = v.round
	vote.State = v.state
	return &vote
}

func (v *Voter) send(to msg.Addr, body msg.Body) {
	v.out = append(v.out, msg.New(v.self, to, body))
}

func (v *Voter) toVoter(id msg.NodeID) msg.Addr { return msg.Addr{Node: id, Role: msg.RoleVoter} }

func (v *Voter) toReplica(body msg.Body) {
	v.send(msg.Addr{Node: v.cfg.ID, Role: msg.RoleStore}, body)
}

func (v *Voter) broadcastVote() {
	if len(v.voters) > 1 || v.observer {
		v.send(msg.Addr{Role: msg.RoleVoter}, v.current())
	}
	v.resendLeft = v.resendEvery
}

// lookAgain starts a new election round.
func (v *Voter) lookAgain() {
	if v.state != msg.StateLooking && v.epoch != 0 {
		v.toReplica(&msg.Looking{Epoch: v.epoch})
	}
	v.state = msg.StateLooking
	v.leader, v.epoch, v.established, v.proposed = 0, 0, false, 0
	v.infos, v.acks, v.members, v.early = nil, nil, nil, nil
	v.round++
	v.outOf = map[msg.NodeID]msg.Vote{}
	v.finalize = -1
	v.resendEvery = v.cfg.ResendTicks
	if v.cfg.AwaitHistory {
		v.awaitHist = true
		v.toReplica(&msg.Looking{Epoch: 0})
		return
	}
	v.startVoting()
}

func (v *Voter) startVoting() {
	v.awaitHist = false
	v.proposal = v.ownVote()
	v.recv = map[msg.NodeID]msg.Vote{v.cfg.ID: *v.current()}
	v.broadcastVote()
	v.checkQuorum()
}

func (v *Voter) setProposal(p msg.Vote) {
	v.proposal = msg.Vote{Leader: p.Leader, Zxid: p.Zxid, PeerEpoch: p.PeerEpoch}
	v.recv[v.cfg.ID] = *v.current()
	v.resendEvery = v.cfg.ResendTicks
	v.finalize = -1
	v.broadcastVote()
}

// count is how many of set agree with p: by full proposal among LOOKING
// votes, by leader and epoch for the votes of settled nodes.
func (v *Voter) count(set map[msg.NodeID]msg.Vote, p msg.Vote) int {
	n := 0
	for id, x := range set {
		if !v.voters[id] {
			continue
		}
		if x.State == msg.StateLooking || p.State == msg.StateLooking {
			if sameProposal(x, p) {
				n++
			}
		} else if x.Leader == p.Leader && x.PeerEpoch == p.PeerEpoch {
			n++
		}
	}
	return n
}

func (v *Voter) checkQuorum() {
	if v.observer {
		return // an observer decides only on the word of settled voters
	}
	if v.finalize < 0 && v.count(v.recv, *v.current()) >= v.quorum {
		v.finalize = v.cfg.FinalizeTicks
	}
	if v.finalize == 0 || v.finalize > 0 && v.complete() {
		v.decide(v.proposal.Leader, v.proposal)
	}
}

// complete reports whether every voter has either voted for our proposal
// in this round or is cut off from us by the bus. The finalize wait is
// there for a better vote still on its way; when no voter is left to send
// one, waiting only delays the leader (ZooKeeper 3.4's FastLeaderElection
// likewise ends at once when it has heard from every voter). After a
// leader's kill -9 the survivors are in this case as soon as their buses
// report the route lost. Deciding early is no less safe than a finalize
// wait that expires: discovery, not the election, keeps an epoch to one
// leader with every committed txn.
func (v *Voter) complete() bool {
	for id := range v.voters {
		if v.down[id] && id != v.cfg.ID {
			continue
		}
		x, ok := v.recv[id]
		if !ok || !sameProposal(x, v.proposal) {
			return false
		}
	}
	return true
}

// decide ends the election with leader.
func (v *Voter) decide(leader msg.NodeID, vote msg.Vote) {
	v.proposal = msg.Vote{Leader: vote.Leader, Zxid: vote.Zxid, PeerEpoch: vote.PeerEpoch}
	v.finalize = -1
	v.leader = leader
	v.elapsed = 0
	v.recv, v.outOf = nil, nil
	if leader == v.cfg.ID {
		v.state = msg.StateLeading
		v.infos = map[msg.NodeID]msg.FollowerInfo{v.cfg.ID: {AcceptedEpoch: v.accepted, CurrentEpoch: v.hist.CurrentEpoch, LastZxid: v.hist.LastZxid}}
		v.acks = map[msg.NodeID]msg.AckEpoch{}
		v.members = map[msg.NodeID]*member{}
		for _, id := range sortedIDs(v.early) {
			v.maxSeen = max(v.maxSeen, v.early[id].AcceptedEpoch)
			v.infos[id] = v.early[id]
		}
		v.early = nil
		v.maybePropose()
		return
	}
	v.early = nil
	v.state = msg.StateFollowing
	v.sincePing = 0
	v.sendInfo()
}

func (v *Voter) sendInfo() {
	v.send(v.toVoter(v.leader), &msg.FollowerInfo{AcceptedEpoch: v.accepted, CurrentEpoch: v.hist.CurrentEpoch, LastZxid: v.hist.LastZxid})
	v.resendLeft = v.cfg.ResendTicks
}

func (v *Voter) accept(e uint64) {
	v.accepted = e
	v.persist = e
}

func (v *Voter) maybePropose() {
	if v.proposed != 0 || len(v.infos) < v.quorum {
		return
	}
	e := max(v.accepted, v.maxSeen)
	for _, in := range v.infos {
		if in.AcceptedEpoch > e {
			e = in.AcceptedEpoch
		}
	}
	e++
	v.proposed = e
	v.accept(e)
	v.acks[v.cfg.ID] = msg.AckEpoch{Epoch: e, CurrentEpoch: v.hist.CurrentEpoch, LastZxid: v.hist.LastZxid, Fresh: true}
	for _, id := range sortedIDs(v.infos) {
		if id != v.cfg.ID {
			v.send(v.toVoter(id), &msg.NewEpoch{Epoch: e})
		}
	}
	v.maybeEstablish()
}

func (v *Voter) maybeEstablish() {
	if v.established || len(v.acks) < v.quorum {
		return
	}
	v.established = true
	v.epoch = v.proposed
	v.advertiseEpoch()
	lead := &msg.Lead{Epoch: v.epoch}
	for _, id := range sortedIDs(v.acks) {
		if id == v.cfg.ID {
			continue
		}
		a := v.acks[id]
		v.members[id] = &member{ack: a}
		lead.Members = append(lead.Members, msg.Member{Node: id, CurrentEpoch: a.CurrentEpoch, LastZxid: a.LastZxid})
	}
	v.toReplica(lead)
	v.ping()
}

// advertiseEpoch makes the vote this node shows looking nodes carry the
// established epoch, as ZooKeeper's QuorumPeer.updateElectionVote does
// (ZOOKEEPER-2164 scenario): otherwise members that joined the epoch from
// different elections advertise different peer epochs for one leader, a
// looking node counts no quorum for either, and never joins
// (TestVoterJoinsLeaderWithStaleFollowerVote, found by the store
// simulation, seed 11181).
func (v *Voter) advertiseEpoch() { v.proposal.PeerEpoch = v.epoch }

func (v *Voter) ping() {
	for _, id := range sortedIDs(v.members) {
		v.send(v.toVoter(id), &msg.Ping{Epoch: v.epoch})
	}
	v.hbLeft = v.cfg.HeartbeatTicks
}

// behind reports whether a's history is ahead of the leader's own.
func (v *Voter) behind(a msg.AckEpoch) bool {
	if a.CurrentEpoch != v.hist.CurrentEpoch {
		return a.CurrentEpoch > v.hist.CurrentEpoch
	}
	return a.LastZxid > v.hist.LastZxid
}

// Step handles one envelope addressed to this voter.
func (v *Voter) Step(env msg.Envelope) {
	from := env.From.Node
	switch b := env.Body.(type) {
	case *msg.Vote:
		v.stepVote(from, *b)
	case *msg.History:
		v.hist = *b
		if v.state == msg.StateLooking {
			if v.awaitHist {
				v.startVoting()
			} else if v.proposal.Leader == v.cfg.ID && !sameProposal(v.proposal, v.ownVote()) {
				v.setProposal(v.ownVote())
				v.checkQuorum()
			}
		}
	case *msg.FollowerInfo:
		if v.state == msg.StateLooking && v.voters[from] && from != v.cfg.ID {
			if v.early == nil {
				v.early = map[msg.NodeID]msg.FollowerInfo{}
			}
			v.early[from] = *b
			return
		}
		if v.state == msg.StateLeading && v.observers[from] {
			// An observer joins an established epoch only: it neither
			// helps establish one nor holds it back. It resends its
			// info until then.
			if v.established {
				v.send(v.toVoter(from), &msg.NewEpoch{Epoch: v.epoch})
			}
			return
		}
		if v.state != msg.StateLeading || !v.voters[from] {
			return
		}
		v.maxSeen = max(v.maxSeen, b.AcceptedEpoch)
		if v.established && b.AcceptedEpoch > v.epoch {
			// It promised a later epoch and can never join this one; lead
			// again in an epoch above every one seen so it can.
			v.lookAgain()
			return
		}
		if v.proposed == 0 {
			v.infos[from] = *b
			v.maybePropose()
		} else {
			v.send(v.toVoter(from), &msg.NewEpoch{Epoch: v.proposed})
		}
	case *msg.NewEpoch:
		v.stepNewEpoch(from, b.Epoch)
	case *msg.AckEpoch:
		v.stepAckEpoch(from, *b)
	case *msg.Ping:
		if v.state == msg.StateFollowing && from == v.leader && v.established && b.Epoch == v.epoch {
			v.sincePing = 0
			v.send(env.From, &msg.Pong{Epoch: v.epoch})
		}
	case *msg.Pong:
		if v.state == msg.StateLeading && v.established && b.Epoch == v.epoch {
			if m := v.members[from]; m != nil {
				m.heard = 0
			}
		}
	case *msg.PeerUp:
		delete(v.down, b.Node)
	case *msg.PeerDown:
		if v.voters[b.Node] && b.Node != v.cfg.ID {
			v.down[b.Node] = true
		}
		switch {
		case v.state == msg.StateLooking && v.finalize > 0 && v.complete():
			v.decide(v.proposal.Leader, v.proposal)
		case v.state == msg.StateFollowing && b.Node == v.leader:
			v.lookAgain()
		case v.state == msg.StateLeading && v.established:
			if m := v.members[b.Node]; m != nil {
				m.heard = v.cfg.SyncTicks + 1
				v.checkLeaderQuorum()
			}
		}
	case *msg.Abdicate:
		if v.state != msg.StateLooking && b.Epoch == v.epoch && v.epoch != 0 {
			v.lookAgain()
		}
	}
}

func (v *Voter) stepVote(from msg.NodeID, n msg.Vote) {
	if v.observers[from] && !v.observer {
		// An observer asks who leads; a settled voter tells it (its vote
		// never counts). A looking voter has nothing to tell yet.
		if v.state != msg.StateLooking && n.State == msg.StateLooking {
			v.send(v.toVoter(from), v.current())
		}
		return
	}
	if !v.voters[from] || from == v.cfg.ID {
		return
	}
	delete(v.down, from) // it reaches us, whatever the bus last said
	if v.state == msg.StateFollowing && from == v.leader && n.State == msg.StateLooking {
		// Our leader gave up its epoch (ZooKeeper closes the follower
		// sockets); do not wait syncLimit to notice.
		v.lookAgain()
		v.stepVote(from, n)
		return
	}
	if v.state != msg.StateLooking {
		// Tell a looking node who leads.
		if n.State == msg.StateLooking && !v.observer {
			v.send(v.toVoter(from), v.current())
		}
		return
	}
	if v.awaitHist {
		return
	}
	if v.observer {
		v.observe(from, n)
		return
	}
	if n.State == msg.StateLooking {
		switch {
		case n.Round > v.round:
			v.round = n.Round
			v.recv = map[msg.NodeID]msg.Vote{}
			if better(n, v.ownVote()) {
				v.setProposal(n)
			} else {
				v.setProposal(v.ownVote())
			}
		case n.Round < v.round:
			v.send(v.toVoter(from), v.current())
			return
		case better(n, v.proposal):
			v.setProposal(n)
		default:
			if _, was := v.outOf[from]; was && !sameProposal(n, v.proposal) {
				// It answered our vote while it still followed, and now
				// looks with a worse one: it never saw ours while
				// looking. Tell it now rather than at our next resend,
				// which after a leader's kill -9 held both survivors
				// for a resend period when one noticed first.
				delete(v.outOf, from)
				v.send(v.toVoter(from), v.current())
			}
		}
		v.recv[from] = n
		v.checkQuorum()
		return
	}
	// n comes from a node that is FOLLOWING or LEADING.
	if n.Round == v.round {
		v.recv[from] = n
		if v.count(v.recv, n) >= v.quorum && v.checkLeader(v.recv, n.Leader) {
			v.decide(n.Leader, n)
			return
		}
	}
	v.outOf[from] = n
	if n.Leader != v.cfg.ID && v.count(v.outOf, n) >= v.quorum && v.checkLeader(v.outOf, n.Leader) {
		v.round = n.Round
		v.decide(n.Leader, n)
	}
}

// observe is an observer's election: it follows the leader a quorum of
// settled voters names, once that leader itself says it leads.
func (v *Voter) observe(from msg.NodeID, n msg.Vote) {
	if n.State == msg.StateLooking {
		return
	}
	v.outOf[from] = n
	if v.count(v.outOf, n) >= v.quorum && v.checkLeader(v.outOf, n.Leader) {
		v.round = max(v.round, n.Round)
		v.decide(n.Leader, n)
	}
}

// checkLeader is ZooKeeper's rule: a leader other than us must itself have
// said it leads.
func (v *Voter) checkLeader(set map[msg.NodeID]msg.Vote, leader msg.NodeID) bool {
	if leader == v.cfg.ID {
		return true
	}
	x, ok := set[leader]
	return ok && x.State == msg.StateLeading
}

func (v *Voter) stepNewEpoch(from msg.NodeID, e uint64) {
	if v.state != msg.StateFollowing || from != v.leader {
		return
	}
	fresh := false
	switch {
	case e < v.accepted:
		v.lookAgain()
		return
	case e > v.accepted:
		v.accept(e)
		v.freshFor[e] = from
		fresh = true
	default:
		fresh = v.freshFor[e] == from
	}
	if v.established && e != v.epoch {
		v.lookAgain()
		return
	}
	v.send(v.toVoter(from), &msg.AckEpoch{Epoch: e, CurrentEpoch: v.hist.CurrentEpoch, LastZxid: v.hist.LastZxid, Fresh: fresh})
	if !v.established {
		v.established = true
		v.epoch = e
		v.advertiseEpoch()
		v.sincePing = 0
		v.toReplica(&msg.Follow{Leader: from, Epoch: e})
	}
}

func (v *Voter) stepAckEpoch(from msg.NodeID, a msg.AckEpoch) {
	if v.state != msg.StateLeading || v.proposed == 0 || a.Epoch != v.proposed {
		return
	}
	if v.observers[from] {
		if v.established {
			v.join(from, a)
		}
		return
	}
	if !v.voters[from] {
		return
	}
	if !v.established && v.behind(a) {
		// A follower has history we lack: we must not lead (ZAB discovery).
		// Once established, a joiner can hold nothing committed that we
		// lack, only txns of this epoch (ours) or uncommitted ones the
		// replica truncates; our voter's history is from election time.
		v.lookAgain()
		return
	}
	if !v.established {
		if a.Fresh {
			v.acks[from] = a
			v.maybeEstablish()
		}
		return
	}
	v.join(from, a)
}

// join adds a member to the established epoch: the replica syncs it and
// the heartbeat includes it.
func (v *Voter) join(from msg.NodeID, a msg.AckEpoch) {
	if m := v.members[from]; m != nil {
		m.heard = 0
		return
	}
	v.members[from] = &member{ack: a}
	v.toReplica(&msg.Joined{Epoch: v.epoch, Member: msg.Member{Node: from, CurrentEpoch: a.CurrentEpoch, LastZxid: a.LastZxid}})
	v.send(v.toVoter(from), &msg.Ping{Epoch: v.epoch})
}

func (v *Voter) checkLeaderQuorum() {
	heard := 1
	for id, m := range v.members {
		if m.heard <= v.cfg.SyncTicks && v.voters[id] {
			heard++
		}
	}
	if heard < v.quorum {
		v.lookAgain()
	}
}

// Tick advances time by one core tick.
func (v *Voter) Tick() {
	switch v.state {
	case msg.StateLooking:
		if v.awaitHist {
			v.toReplica(&msg.Looking{Epoch: 0})
			return
		}
		if v.finalize > 0 {
			v.finalize--
			if v.finalize == 0 {
				v.decide(v.proposal.Leader, v.proposal)
				return
			}
		}
		v.resendLeft--
		if v.resendLeft <= 0 {
			v.resendEvery *= 2
			if v.resendEvery > v.cfg.MaxResendTicks {
				v.resendEvery = v.cfg.MaxResendTicks
			}
			v.broadcastVote()
		}
	case msg.StateFollowing:
		v.elapsed++
		if !v.established {
			if v.elapsed > v.cfg.InitTicks {
				v.lookAgain()
				return
			}
			v.resendLeft--
			if v.resendLeft <= 0 {
				v.sendInfo()
			}
			return
		}
		v.sincePing++
		if v.sincePing > v.cfg.SyncTicks {
			v.lookAgain()
		}
	case msg.StateLeading:
		v.elapsed++
		if !v.established {
			if v.elapsed > v.cfg.InitTicks {
				v.lookAgain()
			}
			return
		}
		for _, m := range v.members {
			m.heard++
		}
		v.checkLeaderQuorum()
		if v.state != msg.StateLeading {
			return
		}
		v.hbLeft--
		if v.hbLeft <= 0 {
			v.ping()
		}
	}
}

// HasReady reports whether there is anything to persist or send.
func (v *Voter) HasReady() bool { return v.persist != 0 || len(v.out) > 0 }

// Ready returns the pending work; call Advance after carrying it out.
func (v *Voter) Ready() Ready { return Ready{AcceptedEpoch: v.persist, Messages: v.out} }

// Advance acknowledges that rd has been carried out.
func (v *Voter) Advance(rd Ready) {
	if rd.AcceptedEpoch == v.persist {
		v.persist = 0
	}
	v.out = v.out[len(rd.Messages):]
	if len(v.out) == 0 {
		v.out = nil
	}
}

// Status is a snapshot for status reports and tests.
func (v *Voter) Status() Status {
	st := Status{State: v.state, Leader: v.leader, Epoch: v.epoch, Established: v.established,
		Round: v.round, Vote: *v.current(), AcceptedEpoch: v.accepted}
	if v.state == msg.StateLeading {
		st.Members = sortedIDs(v.members)
	}
	return st
}

func sortedIDs[T any](m map[msg.NodeID]T) []msg.NodeID {
	ids := make([]msg.NodeID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
