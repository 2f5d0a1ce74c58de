// Package voter owns leadership: who leads the ensemble and in which epoch.
//
// It is ZooKeeper's FastLeaderElection, followed by ZAB's discovery phase
// (the leader establishes a new epoch with a quorum) and peer liveness
// (heartbeats), as one pure state machine (Voter: Step, Tick, Ready,
// Advance — no goroutines, clock, bus or disk) and a thin actor shell
// (Actor). Discovery lives here rather than in replica, departing from
// design.md's table, because leaders must be established, with epochs and
// liveness, before there is a log to synchronise; replica takes over at
// synchronisation when the voter sends it Lead, Follow or Looking.
//
// Election: a vote proposes (PeerEpoch, Zxid, Leader), ordered in that
// order; PeerEpoch and Zxid of a node's own vote come from its replica's
// History. A node adopts a better vote and rebroadcasts, and decides once a
// quorum holds its proposal and no better vote arrived within the finalize
// wait. LEADING and FOLLOWING nodes answer a LOOKING node with their
// leader, so a late starter follows at once (ZooKeeper's out-of-election
// rule with checkLeader).
//
// Three departures from ZooKeeper's FastLeaderElection make a leader's
// kill -9 cost tens of milliseconds rather than the finalize wait and a
// resend period. The finalize wait ends at once when every other voter
// has voted for our proposal or its route is down (PeerDown, until PeerUp
// or a message from it): no better vote can come, and discovery, not the
// election, keeps an epoch to one leader. A LOOKING node that sees a node
// it saw following now look with a worse vote tells it its own at once.
// And FollowerInfo that arrives while we still look is kept and counted if
// we decide to lead, as its delayed delivery would be.
//
// Discovery: followers send FollowerInfo; with a quorum of them (itself
// included) the leader proposes epoch = max(accepted epochs) + 1 and
// accepts it itself; a follower accepts an epoch only if it is above its
// accepted epoch, makes it durable (Ready.AcceptedEpoch is persisted before
// Ready.Messages are sent) and acks. The leader is established once a
// quorum of fresh acks, its own included, arrive.
//
// Safety: at most one leader is established per epoch. A node acks an epoch
// fresh at most once — acceptedEpoch only grows and is durable before the
// ack; a re-ack to the same leader after message loss is fresh only within
// the same process lifetime, a restarted node's ack of an already-accepted
// epoch is not fresh — so two leaders of one epoch would need two quorums of
// fresh acks, which would share a node that acked fresh twice.
//
// Liveness: the established leader pings its members every half tickTime.
// A follower that hears no ping within syncLimit, or whose bus reports the
// leader's route down, and a leader that has not heard a quorum within
// syncLimit, go back to LOOKING. Every duration is in core ticks; the
// shell converts ZooKeeper's settings with ConfigFor.
//
// Tests: voter_test.go drives one core directly; the election over whole
// simulated nodes (ZooKeeper's scenarios, seeded runs, golden traces) is
// in internal/sim.
package voter
