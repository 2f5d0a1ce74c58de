package server

import (
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/actors/natsbus"
	"github.com/paddock-zk/paddock/zkwire"
)

// zkBus gives the ZooKeeper front end streams to this node's request
// subject over the node's in-process bus connection.
type zkBus struct{ b *natsbus.Bus }

var _ zkwire.Bus = zkBus{}

func (z zkBus) Open(deliver func(msg.Body)) (zkwire.Stream, error) {
	return z.b.OpenClientStream(deliver)
}
