// Package msg is Paddock's wire vocabulary: the Envelope every actor sends and
// receives, the Kind enum, and one body struct per kind with msgpack tags.
//
// It owns no behaviour and imports only the standard library and package zk,
// so every pure core (voter, replica, sessions, watcher) can depend on it
// without pulling in NATS, msgpack or the clock. ZooKeeper's values in the
// request bodies (opcodes, error codes, Stat, ACL, event types) are zk's
// types, which carry the msgpack tags of their encoding here; msg defines
// no copy of them. The codec that turns an Envelope into bytes
// lives in actors/natsbus; NewBody is the registry it decodes with.
//
// Adding a kind: append a constant (never renumber: the number is on the
// wire), add its body struct with msgpack tags, and register it in bodies.
package msg
