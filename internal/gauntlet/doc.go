// Package gauntlet is the tier-3 reliability harness: it runs
// real `node` processes on 127.0.0.1 (a 3-node ensemble with a fault proxy
// on every bus route), injects seeded faults (kill -9 of a random node, of
// the leader, of all nodes; SIGSTOP/SIGCONT pauses longer than the session
// timeout; minority, isolated-leader and bridge partitions; a slow node;
// flapping routes; a node restarted on a fast or slow clock, through
// actors.SkewedClock, then on the right one), at a seeded rate with a
// second fault overlapping the first (skew.go), drives workloads
// (versioned-register operations recorded for porcupine through
// internal/linz; one ephemeral per client session; writers under a
// subtree that persistent recursive and one-shot watches follow) and
// checks the results (linearizability, the session promises, the watch
// promises as watches.go states them, equal replica digests at equal
// zxids once healed, and writes acknowledged again after the final
// heal).
//
// Crash points and storage faults: every node runs on a faultfs.FS
// (internal/faultfs) and polls two control files in its directory, one
// arming crash points (package internal/crashpoint;
// testkit.Ensemble.ArmCrash), one failing its storage
// (testkit.Ensemble.SetStorageFault: ENOSPC, fsync EIO); the ensemble
// itself, the processes and their routes, is internal/testkit's. The
// scheduler's crash-point, disk-full and fsync-eio faults use them
// (crash.go, storagefaults.go). RunCrash is the crash-point campaign: each
// point hit a given number of times on the node and in the situation that
// reaches it (a follower restarted into a DIFF, TRUNC or SNAP; the
// followers of a killed leader for the epoch files), every crash dropping
// what was not fsynced, and after each one every acknowledged write
// checked on every node and the digests compared.
//
// A run is bounded in time (its duration plus settling and checking) and
// load (a fixed number of clients issuing one request at a time). A failing
// run keeps everything needed to look at it in a directory it names: the
// seed, the fault timeline, the history and porcupine's visualisation, the
// data dirs and the node logs.
//
// Test infrastructure only: nothing in a running node imports it, and it
// does not reach into a node's internals (it sees what an operator sees:
// processes, TCP routes, client sessions, four-letter words, plus the
// test-only control files and the lines a crash writes to the log).
package gauntlet
