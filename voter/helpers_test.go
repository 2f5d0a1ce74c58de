package voter

import "github.com/paddock-zk/paddock/actors/msg"

// simConfig is the core config of the tests' nodes: one tick stands for
// 100 ms of a tickTime of 500 ms with initLimit 4 and syncLimit 2.
func simConfig(id msg.NodeID, voters []msg.NodeID) Config {
	return Config{ID: id, Voters: voters, HeartbeatTicks: 2, SyncTicks: 10, InitTicks: 20,
		FinalizeTicks: 2, ResendTicks: 2, MaxResendTicks: 5}
}

func ids(xs ...int) []msg.NodeID {
	out := make([]msg.NodeID, len(xs))
	for i, x := range xs {
		out[i] = msg.NodeID(x)
	}
	return out
}
