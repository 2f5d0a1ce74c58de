// Package hostile is hostile ZooKeeper client traffic for tests: a wire
// fuzzer (well-formed frames of every opcode and their mutations), a
// flooder that pipelines writes as fast as a node takes them, connection
// floods, half-open and dribbled handshakes, over-size frames and writes on
// the client port, and over-size requests on the native (bus) path.
//
// The node's own tests (package server) and the process tests (cmd/node)
// share it, so both attack with the same traffic. Every attack is
// deterministic for a seed where it draws randomness, takes the address to
// dial from (a Dialer, so one test can spread its attackers over many
// loopback addresses, each under maxClientCnxns), and reports what the node
// did that it must not: a connection kept open past a limit, an over-size
// request accepted, a session moved. It must never be imported by the
// node's production code.
package hostile
