// Package msg is Paddock's wire vocabulary: the Envelope every actor sends and
// receives, the Kind enum, and one body struct per kind with msgpack tags.
//
// It owns no behaviour and imports only the standard library, so every pure
// core (voter, replica, sessions, watcher) can depend on it without pulling in
// NATS, msgpack or the clock. The codec that turns an Envelope into bytes
// lives in actors/natsbus; NewBody is the registry it decodes with.
//
// Adding a kind: append a constant (never renumber: the number is on the
// wire), add its body struct with msgpack tags, and register it in bodies.
package msg
