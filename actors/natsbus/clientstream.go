package natsbus

import (
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
)

// ClientStream is one ZooKeeper wire connection's path to this node's
// request subject, over the node's in-process connection: requests go out
// in order with the stream's own reply subject, and the replies and watch
// events the node sends there come back to deliver in order.
type ClientStream struct {
	b       *Bus
	subject string
	sub     *nats.Subscription
}

// OpenClientStream subscribes a fresh reply subject. deliver is called
// from one goroutine per stream, in order, with *msg.Reply and
// *msg.WatchEvent bodies; it may block (the stream's pending buffer then
// fills), but should only hand the body over.
func (b *Bus) OpenClientStream(deliver func(msg.Body)) (*ClientStream, error) {
	s := &ClientStream{b: b, subject: buswire.ClientStreamSubject(b.ens, b.self, nuid.Next())}
	sub, err := b.nc.Subscribe(s.subject, func(m *nats.Msg) {
		env, err := buswire.Decode(m.Data)
		if err != nil {
			b.decodeErrors.Add(1)
			return
		}
		b.recv.Add(1)
		b.countReceived(env.Kind, len(m.Data))
		deliver(env.Body)
	})
	if err != nil {
		return nil, fmt.Errorf("natsbus: subscribe client stream: %w", err)
	}
	_ = sub.SetPendingLimits(1<<16, 256<<20)
	s.sub = sub
	return s, nil
}

// Send publishes req to this node's front-end request subject
// (WireSubject), where its ClientAddr is trusted.
func (s *ClientStream) Send(req *msg.Request) error {
	data, err := buswire.Encode(msg.New(msg.Addr{}, msg.Addr{Node: s.b.self, Role: msg.RoleStore}, req))
	if err != nil {
		return err
	}
	if err := s.b.nc.PublishRequest(buswire.WireSubject(s.b.ens, s.b.self), s.subject, data); err != nil {
		return fmt.Errorf("natsbus: client stream request: %w", err)
	}
	s.b.sent.Add(1)
	s.b.countSent(msg.KindRequest, len(data))
	return nil
}

// Close unsubscribes the reply subject.
func (s *ClientStream) Close() { _ = s.sub.Unsubscribe() }
