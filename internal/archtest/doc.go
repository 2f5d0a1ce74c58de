// Package archtest holds tests that enforce Paddock's layering on the
// source tree, so a violation fails the default test run even where
// golangci-lint is not installed: NATS and msgpack stay inside
// actors/natsbus (and the native client); natsbus, internal/pemtls and
// store import nothing of Paddock's beyond their short lists; zk, the
// ZooKeeper vocabulary every layer imports, is a pure leaf (a few standard
// packages that do no I/O, nothing else); the cores
// (voter, replica, sessions, watcher, znode, store), shells included,
// link no NATS; the pure cores never read the wall clock or the global
// random source, and their files other than the shell (actor.go, which
// runs the core as an actor) start no goroutine and import no I/O, time,
// concurrency or runtime-shell package; and the production packages
// (replica/..., store, server) neither depend on the fault machinery
// (internal/crashpoint, internal/faultfs, internal/memfs), directly or
// through another package of the module, nor read environment
// variables.
package archtest
