package wal

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/paddock-zk/paddock/replica/wal/walfs"
)

// FS is the seam through which the log touches storage, so tests can
// inject faults and crashes (internal/memfs, internal/faultfs). It is
// defined in walfs, where those doubles can implement it without
// importing this package; the alias keeps it part of wal's API
// (Options.FS).
type FS = walfs.FS

// File is an open file of an FS.
type File = walfs.File

// OS is the FS of the host's file system.
var OS = walfs.OS

// readFile reads a whole (small) file through fsys.
func readFile(fsys FS, path string) ([]byte, error) {
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only: nothing to lose
	n, err := f.Size()
	if err != nil {
		return nil, err
	}
	if n > maxRecord {
		return nil, fmt.Errorf("wal: %s: %d bytes is too large to read whole", path, n)
	}
	b := make([]byte, n)
	if _, err := f.ReadAt(b, 0); err != nil && err != io.EOF {
		return nil, err
	}
	return b, nil
}

// isTmp reports whether a directory entry is a leftover temporary file.
func isTmp(name string) bool { return strings.HasSuffix(name, ".tmp") }
