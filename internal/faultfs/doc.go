// Package faultfs is a fault-injecting walfs.FS for crash tests of real
// node processes: wrapped around the host's file system, it tracks what
// each file has fsynced and, on Crash, cuts files back to it (tearing
// tails from a seed) as a power loss would; SetMode injects ENOSPC or
// fsync EIO. cmd/node puts it under the storage when PADDOCK_FAULTFS is
// set and runs its Crash from a firing crash point (internal/crashpoint).
//
// It is test machinery: production packages (replica/..., store, server)
// must not import it (internal/archtest checks); only cmd/node's fault
// wiring and tests do.
package faultfs
