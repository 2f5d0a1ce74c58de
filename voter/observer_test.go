package voter

import (
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
)

func observerConfig(id msg.NodeID) Config {
	c := simConfig(id, ids(1, 2, 3))
	c.Observers = ids(4)
	return c
}

func sent[T msg.Body](rd Ready) (out []T, to []msg.NodeID) {
	for _, env := range rd.Messages {
		if b, ok := env.Body.(T); ok {
			out, to = append(out, b), append(to, env.To.Node)
		}
	}
	return out, to
}

// An observer's vote never counts, and an observer never leads: looking
// voters that agree among themselves do not make it decide either.
func TestObserverVoteDoesNotCount(t *testing.T) {
	v := New(observerConfig(1), 0)
	v.Step(msg.New(from(1), from(1), &msg.History{}))
	// The observer "votes" for voter 1: with voter 1's own vote that would
	// be two of three, but an observer is no voter.
	v.Step(msg.New(from(4), from(1), &msg.Vote{Leader: 1, Round: 1, State: msg.StateLooking}))
	for range 5 {
		v.Tick()
	}
	if st := v.Status(); st.State != msg.StateLooking {
		t.Fatalf("voter decided with an observer's vote: %+v", st)
	}

	o := New(observerConfig(4), 0)
	o.Step(msg.New(from(4), from(4), &msg.History{LastZxid: 99, CurrentEpoch: 9}))
	votes, _ := sent[*msg.Vote](o.Ready())
	if len(votes) == 0 || votes[0].Leader != 0 {
		t.Fatalf("observer's vote %+v, want one naming nobody", votes)
	}
	for _, id := range ids(1, 2, 3) {
		o.Step(msg.New(from(id), from(4), &msg.Vote{Leader: 3, Round: 1, State: msg.StateLooking}))
	}
	for range 10 {
		o.Tick()
	}
	if st := o.Status(); st.State != msg.StateLooking {
		t.Fatalf("observer decided on looking votes: %+v", st)
	}
}

// An observer follows the leader a quorum of settled voters names, once
// the leader itself says it leads, and joins only an established epoch.
func TestObserverJoinsEstablishedEpoch(t *testing.T) {
	o := New(observerConfig(4), 0)
	o.Step(msg.New(from(4), from(4), &msg.History{}))
	o.Advance(o.Ready())
	o.Step(msg.New(from(2), from(4), &msg.Vote{Leader: 3, Round: 1, PeerEpoch: 1, State: msg.StateFollowing}))
	o.Step(msg.New(from(1), from(4), &msg.Vote{Leader: 3, Round: 1, PeerEpoch: 1, State: msg.StateFollowing}))
	if st := o.Status(); st.State != msg.StateLooking {
		t.Fatalf("observer followed a leader that never said it leads: %+v", st)
	}
	o.Step(msg.New(from(3), from(4), &msg.Vote{Leader: 3, Round: 1, PeerEpoch: 1, State: msg.StateLeading}))
	if st := o.Status(); st.State != msg.StateFollowing || st.Leader != 3 {
		t.Fatalf("observer state %+v, want following 3", st)
	}
	if infos, to := sent[*msg.FollowerInfo](o.Ready()); len(infos) != 1 || to[0] != 3 {
		t.Fatalf("observer sent FollowerInfo %v to %v", infos, to)
	}

	// The leader: voters 1 and 2 establish epoch 1; the observer's info
	// before that is not answered, and never counts.
	l := New(observerConfig(3), 0)
	l.Step(msg.New(from(3), from(3), &msg.History{}))
	l.Step(msg.New(from(4), from(3), &msg.Vote{Round: 1, State: msg.StateLooking}))
	l.Step(msg.New(from(1), from(3), &msg.Vote{Leader: 3, Round: 1, State: msg.StateLooking}))
	for range 3 {
		l.Tick()
	}
	if st := l.Status(); st.State != msg.StateLeading {
		t.Fatalf("leader setup: %+v", st)
	}
	l.Advance(l.Ready())
	l.Step(msg.New(from(4), from(3), &msg.FollowerInfo{}))
	if eps, _ := sent[*msg.NewEpoch](l.Ready()); len(eps) != 0 {
		t.Fatalf("an observer's info started discovery: %v", eps)
	}
	l.Step(msg.New(from(1), from(3), &msg.FollowerInfo{}))
	eps, _ := sent[*msg.NewEpoch](l.Ready())
	if len(eps) != 1 {
		t.Fatalf("NewEpoch %v after a voter's info", eps)
	}
	e := eps[0].Epoch
	l.Advance(l.Ready())
	l.Step(msg.New(from(4), from(3), &msg.AckEpoch{Epoch: e, Fresh: true}))
	if l.Status().Established {
		t.Fatal("an observer's ack established the epoch")
	}
	l.Step(msg.New(from(1), from(3), &msg.AckEpoch{Epoch: e, Fresh: true}))
	if !l.Status().Established {
		t.Fatal("not established with a voter's ack")
	}
	l.Advance(l.Ready())
	l.Step(msg.New(from(4), from(3), &msg.FollowerInfo{}))
	if eps, to := sent[*msg.NewEpoch](l.Ready()); len(eps) != 1 || eps[0].Epoch != e || to[0] != 4 {
		t.Fatalf("established leader answered the observer with %v to %v", eps, to)
	}
	l.Advance(l.Ready())
	l.Step(msg.New(from(4), from(3), &msg.AckEpoch{Epoch: e}))
	joined, _ := sent[*msg.Joined](l.Ready())
	if len(joined) != 1 || joined[0].Member.Node != 4 {
		t.Fatalf("observer not joined: %v", joined)
	}
	if st := l.Status(); len(st.Members) != 2 {
		t.Fatalf("members %v, want voter 1 and observer 4", st.Members)
	}

	// Only the observer answers pings: that is no quorum, the leader
	// gives up within syncLimit.
	for range 12 {
		l.Step(msg.New(from(4), from(3), &msg.Pong{Epoch: e}))
		l.Tick()
	}
	if st := l.Status(); st.State != msg.StateLooking {
		t.Fatalf("leader kept leading with an observer only: %+v", st)
	}
}
