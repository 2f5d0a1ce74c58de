// Package gauntlet is the tier-3 reliability harness of issue 7: it runs
// real `node` processes on 127.0.0.1 (a 3-node ensemble with a fault proxy
// on every bus route), injects seeded faults (kill -9 of a random node, of
// the leader, of all nodes; SIGSTOP/SIGCONT pauses longer than the session
// timeout; minority, isolated-leader and bridge partitions), drives
// workloads (versioned-register operations recorded for porcupine through
// internal/linz; one ephemeral per client session) and checks the results
// (linearizability, the session promises, equal replica digests at equal
// zxids once healed).
//
// A run is bounded in time (its duration plus settling and checking) and
// load (a fixed number of clients issuing one request at a time). A failing
// run keeps everything needed to look at it in a directory it names: the
// seed, the fault timeline, the history and porcupine's visualisation, the
// data dirs and the node logs.
//
// Test infrastructure only: nothing in a running node imports it, and it
// does not reach into a node's internals (it sees what an operator sees:
// processes, TCP routes, client sessions, four-letter words).
package gauntlet
