// Package walfs is the seam through which replica/wal touches storage:
// the FS and File interfaces and OS, the host's file system. It is its own
// package so that the test doubles (internal/memfs, internal/faultfs) can
// implement the seam without importing wal, whose internal tests use them
// (an import cycle otherwise). It holds no policy: what to write, fsync or
// recover is wal's.
package walfs

import (
	"io"
	"os"
	"slices"
)

// FS is the file system the log runs on. Paths are plain slash-separated
// host paths. It is deliberately small: only what the log needs.
type FS interface {
	// OpenFile opens name like os.OpenFile. The log always passes
	// O_APPEND when it writes, and a File's Write appends.
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	// Rename replaces newpath by oldpath. It is durable only after SyncDir
	// of the directory.
	Rename(oldpath, newpath string) error
	// Remove unlinks a file; durable only after SyncDir.
	Remove(name string) error
	// ReadDir lists the names (not paths) in dir, sorted.
	ReadDir(dir string) ([]string, error)
	// MkdirAll creates dir and its parents.
	MkdirAll(dir string, perm os.FileMode) error
	// SyncDir fsyncs a directory so creates, renames and removes in it
	// survive a power loss.
	SyncDir(dir string) error
}

// File is an open file of an FS.
type File interface {
	io.Writer // appends
	io.ReaderAt
	// Sync makes the file's contents durable (fsync).
	Sync() error
	// Truncate cuts the file to size; durable only after Sync.
	Truncate(size int64) error
	// Size is the file's current length.
	Size() (int64, error)
	Close() error
}

// OS is the FS of the host's file system.
var OS FS = osFS{}

type osFS struct{}

var _ FS = osFS{}

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error             { return os.Remove(name) }
func (osFS) MkdirAll(dir string, perm os.FileMode) error {
	return os.MkdirAll(dir, perm)
}

func (osFS) ReadDir(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(des))
	for _, d := range des {
		names = append(names, d.Name())
	}
	slices.Sort(names)
	return names, nil
}

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

type osFile struct{ *os.File }

func (f osFile) Size() (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
