package voter

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/paddock-zk/paddock/actors"
	"github.com/paddock-zk/paddock/actors/msg"
)

type recBus struct{ sent []msg.Envelope }

func (b *recBus) Send(env msg.Envelope) error { b.sent = append(b.sent, env); return nil }
func (b *recBus) Subscribe(msg.Addr, func(msg.Envelope)) (func(), error) {
	return func() {}, nil
}

func (b *recBus) ToClient(msg.Addr, string, msg.Body) error { return nil }

func (b *recBus) acks() int {
	n := 0
	for _, env := range b.sent {
		if _, ok := env.Body.(*msg.AckEpoch); ok {
			n++
		}
	}
	return n
}

type failingStore struct {
	MemEpochStore
	err error
}

func (s *failingStore) SaveAcceptedEpoch(e uint64) error {
	if s.err != nil {
		return s.err
	}
	return s.MemEpochStore.SaveAcceptedEpoch(e)
}

var errFull = errors.New("disk full")

// followerActor is node 1 following 3, with epoch 5 offered and the
// accepted-epoch save failing with err.
func followerActor(t *testing.T, err error, fatal func(error)) (*Actor, *actors.Context, *recBus, *failingStore) {
	t.Helper()
	st := &failingStore{}
	a := NewActor(simConfig(1, ids(1, 2, 3)), st)
	a.SetStorageFaults(StorageFaults{Transient: func(err error) bool { return errors.Is(err, errFull) }, Fatal: fatal})
	bus := &recBus{}
	ctx := &actors.Context{Self: from(1), Bus: bus, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := a.Init(ctx); err != nil {
		t.Fatal(err)
	}
	a.Receive(ctx, msg.New(from(3), from(1), &msg.Vote{Leader: 3, Round: 1, State: msg.StateLeading}))
	a.Receive(ctx, msg.New(from(2), from(1), &msg.Vote{Leader: 3, Round: 1, State: msg.StateFollowing}))
	a.Flush(ctx)
	if s := a.Status(); s.State != msg.StateFollowing || s.Leader != 3 {
		t.Fatalf("setup: %+v", s)
	}
	st.err = err
	a.Receive(ctx, msg.New(from(3), from(1), &msg.NewEpoch{Epoch: 5}))
	a.Flush(ctx)
	return a, ctx, bus, st
}

// A full disk holds the Ready: no AckEpoch leaves until the epoch is
// durable, messages meanwhile are dropped, and a tick after space returns
// saves it and sends the ack.
func TestActorHoldsOnFullDisk(t *testing.T) {
	a, ctx, bus, st := followerActor(t, errFull, func(err error) { t.Fatalf("fatal: %v", err) })
	if n := bus.acks(); n != 0 {
		t.Fatalf("%d AckEpoch sent before the epoch was saved", n)
	}
	a.Receive(ctx, msg.New(from(3), from(1), &msg.NewEpoch{Epoch: 6}))
	a.Tick(ctx)
	a.Flush(ctx)
	if n := bus.acks(); n != 0 || st.v.Load() != 0 {
		t.Fatalf("while full: %d acks, accepted %d", n, st.v.Load())
	}
	st.err = nil
	a.Tick(ctx)
	a.Flush(ctx)
	if n := bus.acks(); n != 1 || st.v.Load() != 5 {
		t.Fatalf("after space returns: %d acks, accepted %d; want 1 and 5 (epoch 6 came while held)", n, st.v.Load())
	}
}

// Any other failure stops the actor once, through Fatal, with nothing
// acked.
func TestActorStopsOnStorageFailure(t *testing.T) {
	var fatal []error
	a, ctx, bus, st := followerActor(t, errors.New("EIO"), func(err error) { fatal = append(fatal, err) })
	st.err = nil
	a.Tick(ctx)
	a.Receive(ctx, msg.New(from(3), from(1), &msg.NewEpoch{Epoch: 5}))
	a.Flush(ctx)
	if len(fatal) != 1 || bus.acks() != 0 || st.v.Load() != 0 {
		t.Fatalf("fatal %v, %d acks, accepted %d", fatal, bus.acks(), st.v.Load())
	}
	if err := a.Init(ctx); err == nil {
		t.Fatal("a stopped actor restarted")
	}
}
