// Package memfs is an in-memory walfs.FS for tests of the storage layer
// and of nodes run inside a test process: it models what an fsync made
// durable and can crash (dropping everything else, as a power loss
// would), fail fsyncs, run out of space, tear the last write and flip
// bytes.
//
// It is test machinery: production packages (replica/..., store, server)
// must not import it (internal/archtest checks), only their tests.
package memfs
