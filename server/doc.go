// Package server assembles one Paddock node from its parts: it opens the
// data directories (replica/wal), starts the embedded NATS server clustered
// with the other nodes (actors/natsbus), runs the actors on it (voter,
// store and sessions: each package's Actor, the shell beside its pure
// core), and serves the client port (zkwire) and, unless switched off,
// the AdminServer (package admin: admin.go here answers its questions and
// says when the node is ready).
// It loads the PEM stores (internal/pemtls) and hands the TLS configs to
// zkwire and natsbus, which take a *tls.Config and read no files: the
// ssl.* stores serve secureClientPort and, with paddock.sslBus, the bus
// port, through one reloader; the ssl.quorum.* ones the routes.
//
// It owns the node's lifecycle — start, the data-dir lock, the pid file,
// graceful shutdown — and the wiring: zoo.cfg turned into each actor's
// config and options, and the actors' status and dumps turned into what
// the four-letter words print. No protocol logic and no actor lives here.
// cmd/node is a thin command line over this package, and tests use it to
// run nodes inside the test process.
//
// Fault injection comes in through Start's options — WithFS (a storage
// double), WithCrashHook (called at the crash points: the store's and the
// storage's Crash* constants), WithClock (a skewed clock) — so the
// package imports none of the fault machinery (internal/crashpoint,
// internal/faultfs, internal/memfs) and reads no environment variables;
// cmd/node wires the faults from its environment.
package server
