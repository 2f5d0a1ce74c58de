// Package actors is the runtime shell around Paddock's pure cores.
//
// It owns the seams every actor is run through: Bus (how envelopes travel
// between actors, and replies and watch events to clients, implemented by
// actors/natsbus for real nodes and actors/membus for simulation), Clock (the only way wall-clock time reaches an actor), and
// Machine (an actor's shell: it feeds its pure core with messages and ticks
// and carries out what the core asks for). Run gives a Machine one
// goroutine and one mailbox, ticks it, and restarts it after a panic.
//
// Bus callbacks only enqueue; all of a Machine's work happens on the goroutine
// Run gives it, so a Machine needs no locks for its own state.
//
// This package must not import NATS, msgpack or any disk code.
package actors
