// Package membus is a deterministic in-memory actors.Bus for simulation.
//
// Nothing happens on its own: Send only queues, and the test moves time
// (Advance) and delivers (DeliverOne, DeliverAll, Stabilize), so a run is a
// pure function of its seed. Faults — partitions, per-link drop
// probability, duplication, delay (which reorders), crashes, hooks — apply
// only between different nodes; messages within one node arrive in order,
// once, without delay, as they do on a node's in-process NATS connection.
// So do replies and watch events to clients (ToClient, received with
// SubscribeClient): a client is no node, and its node's answers reach it
// unless that node crashes first.
//
// Bodies are delivered as the sender's pointers: receivers must not mutate
// them (the pure cores never do).
//
// It imports no NATS, no clock and no global randomness.
package membus
