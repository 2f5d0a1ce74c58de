// Package natsbus is the only package that imports NATS or msgpack. It
// owns a node's embedded NATS server (clustered with the other nodes
// through routes), the subject scheme, the message codec, the actors.Bus
// over NATS, peer liveness from the routes, and tracing.
//
// Subjects (the const block in subjects.go is the single source):
//
//	pdk.<ensemble>.elect              voter broadcasts (votes)
//	pdk.<ensemble>.all.<role>         broadcasts to another role on every node
//	pdk.<ensemble>.peer.<id>.<role>   messages to one actor
//
// Later issues add the client request and watch subjects to the same block.
// `node trace` subscribes to pdk.<ensemble>.>.
//
// Codec: one byte of msg.Kind, a msgpack array [fromNode, fromRole,
// toNode, toRole], then the msgpack body. Decode rejects unknown kinds,
// malformed msgpack and trailing bytes with ErrBadMessage, never panics.
//
// Peer liveness: every 50 ms the bus compares the server's routes (remote
// server names are "pdk-<ensemble>-<id>") with the last look and tells the
// node's voter PeerDown/PeerUp, so a killed peer — whose TCP route the
// kernel resets at once — is noticed without waiting for a timeout.
package natsbus
