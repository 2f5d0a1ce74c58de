// Package sim is the whole-ensemble simulation (tier 2 of the testing
// tiers): every node runs the production shells — voter.Actor,
// store.Actor and sessions.Actor, over a wal.Store on an in-memory file
// system (internal/memfs) — and the simulator plays their runners, one
// goroutine for everything: it delivers the envelopes a seeded membus has
// due into the actors' mailboxes, hands each actor its batch and calls
// Flush after it, as actors.Runner does, ticks every actor once per step
// on a simulated clock, and runs the store's background work (snapshot
// writing, store.ActorOptions.Go) at the end of the step. Nothing of the
// shells is copied here, so the simulation tests exactly what a node
// runs, persistence order included.
//
// Faults: membus's partitions, loss, duplication and delay; crashes,
// which drop everything a node's disk had not fsynced (memfs.Crash);
// crash points inside the handling of a Ready, a snapshot or an epoch,
// through the real CrashHook options (Arm): the hook panics, the
// simulator unwinds the actor there and crashes the node.
//
// History checks, at every Flush of a store: what each node applied is a
// prefix of one canonical history, with the reference tree's digest at
// every zxid, and at most one leader commits in each epoch.
//
// The tests: ensemble_test.go is the seeded simulation with clients
// checked against the reference tree (-store.seeds, -store.seed,
// -store.first; a failing seed prints its replay command);
// requests_test.go drives a settled ensemble request by request;
// election_test.go is the election's scenarios and seeds (-voter.seeds,
// -voter.seed); golden_test.go replays the scripts of testdata/*.txt and
// compares their message traces (refresh with -rewrite).
//
// It is test machinery, like memfs: only tests import it.
package sim
