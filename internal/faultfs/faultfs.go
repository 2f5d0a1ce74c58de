package faultfs

import (
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/paddock-zk/paddock/replica/wal/walfs"
)

// Mode is an injected storage failure of an FS.
type Mode int32

// The fault modes.
const (
	None    Mode = iota
	NoSpace      // writes and creates fail with ENOSPC
	SyncEIO      // fsyncs (files and directories) fail with EIO
)

// ParseMode reads a mode as a control file names it: "" or "none",
// "enospc", "eio-fsync".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "none":
		return None, nil
	case "enospc":
		return NoSpace, nil
	case "eio-fsync":
		return SyncEIO, nil
	}
	return None, fmt.Errorf("faultfs: unknown fault mode %q (want none, enospc or eio-fsync)", s)
}

func (m Mode) String() string {
	switch m {
	case NoSpace:
		return "enospc"
	case SyncEIO:
		return "eio-fsync"
	}
	return "none"
}

// FS wraps a real walfs.FS (walfs.OS) for a node process under test. It tracks,
// per file, how much of it an fsync has made durable, and which files were
// created since their directory was last fsynced. Crash makes the disk
// look as a power loss would leave it: each file is cut back to its synced
// length — keeping, half the time, a random prefix of the unsynced tail (a
// torn last record) — and files whose creation was never made durable are
// removed. After Crash every call blocks: the process is about to die (a
// crash point kills it right after its hooks).
//
// Unlike memfs.FS it does not undo renames or removes that a directory fsync
// did not cover, nor truncations not yet fsynced: the log fsyncs those at
// once. SetMode injects ENOSPC or fsync EIO until it is set back.
//
// The random choices come from the seed, so a crash at the same point of
// the same history tears the same way.
type FS struct {
	inner walfs.FS
	mode  atomic.Int32

	mu      sync.Mutex
	rng     *rand.Rand
	synced  map[string]int64  // path → durable length
	created map[string]string // path → its directory, while the creation is not durable
	crashed bool
}

var _ walfs.FS = (*FS)(nil)

// New wraps inner (usually walfs.OS) with tears drawn from seed.
func New(inner walfs.FS, seed int64) *FS {
	return &FS{inner: inner, rng: rand.New(rand.NewSource(seed)), synced: map[string]int64{}, created: map[string]string{}}
}

// SetMode injects m from now on (None stops injecting).
func (f *FS) SetMode(m Mode) { f.mode.Store(int32(m)) }

// Mode is the mode in force.
func (f *FS) Mode() Mode { return Mode(f.mode.Load()) }

// lock takes mu, or blocks for good after Crash.
func (f *FS) lock() {
	f.mu.Lock()
	if f.crashed {
		f.mu.Unlock()
		select {}
	}
}

// OpenFile implements walfs.FS.
func (f *FS) OpenFile(name string, flag int, perm os.FileMode) (walfs.File, error) {
	name = filepath.Clean(name)
	f.lock()
	defer f.mu.Unlock()
	_, known := f.synced[name]
	exists := known
	if !known && flag&os.O_CREATE != 0 {
		if probe, err := f.inner.OpenFile(name, os.O_RDONLY, 0); err == nil {
			_ = probe.Close()
			exists = true
		}
	}
	if flag&os.O_CREATE != 0 && !exists && f.Mode() == NoSpace {
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOSPC}
	}
	inner, err := f.inner.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	switch {
	case !exists && flag&os.O_CREATE != 0:
		f.synced[name] = 0
		f.created[name] = filepath.Dir(name)
	case flag&os.O_TRUNC != 0:
		f.synced[name] = 0
	case !known:
		// What was on disk before this process wrote to it is durable:
		// an earlier crash already cut it back.
		size, err := inner.Size()
		if err != nil {
			_ = inner.Close()
			return nil, err
		}
		f.synced[name] = size
	}
	return &faultFile{fs: f, inner: inner, path: name}, nil
}

// Rename implements walfs.FS. The new name inherits the old one's durable length.
func (f *FS) Rename(oldpath, newpath string) error {
	oldpath, newpath = filepath.Clean(oldpath), filepath.Clean(newpath)
	f.lock()
	defer f.mu.Unlock()
	if err := f.inner.Rename(oldpath, newpath); err != nil {
		return err
	}
	if n, ok := f.synced[oldpath]; ok {
		f.synced[newpath] = n
		delete(f.synced, oldpath)
	} else {
		delete(f.synced, newpath) // learnt from the disk at the next open
	}
	if _, ok := f.created[oldpath]; ok {
		delete(f.created, oldpath)
		f.created[newpath] = filepath.Dir(newpath)
	}
	return nil
}

// Remove implements walfs.FS.
func (f *FS) Remove(name string) error {
	name = filepath.Clean(name)
	f.lock()
	defer f.mu.Unlock()
	if err := f.inner.Remove(name); err != nil {
		return err
	}
	delete(f.synced, name)
	delete(f.created, name)
	return nil
}

// ReadDir implements walfs.FS.
func (f *FS) ReadDir(dir string) ([]string, error) {
	f.lock()
	f.mu.Unlock()
	return f.inner.ReadDir(dir)
}

// MkdirAll implements walfs.FS.
func (f *FS) MkdirAll(dir string, perm os.FileMode) error {
	f.lock()
	f.mu.Unlock()
	return f.inner.MkdirAll(dir, perm)
}

// SyncDir implements walfs.FS: the creations in dir become durable.
func (f *FS) SyncDir(dir string) error {
	dir = filepath.Clean(dir)
	f.lock()
	defer f.mu.Unlock()
	if f.Mode() == SyncEIO {
		return &fs.PathError{Op: "sync", Path: dir, Err: syscall.EIO}
	}
	if err := f.inner.SyncDir(dir); err != nil {
		return err
	}
	for p, d := range f.created {
		if d == dir {
			delete(f.created, p)
		}
	}
	return nil
}

// CrashReport says what a Crash did to the disk.
type CrashReport struct {
	Removed      []string // files whose creation was not durable
	Cut          int      // files cut back to their synced length
	DroppedBytes int64    // unsynced bytes dropped
	Torn         int      // files left with a prefix of their unsynced tail
	Cuts         []string // "path: size -> kept" of each file cut
}

func (r CrashReport) String() string {
	return fmt.Sprintf("removed %d files not made durable, cut %d files dropping %d unsynced bytes, %d left torn", len(r.Removed), r.Cut, r.DroppedBytes, r.Torn)
}

// Crash drops what a power loss would drop (see FS) and blocks every
// later call. A file it cannot cut is skipped (the first such error is
// returned) and the others are still cut.
func (f *FS) Crash() (CrashReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var rep CrashReport
	if f.crashed {
		return rep, nil
	}
	f.crashed = true
	var firstErr error
	keep := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	created := make([]string, 0, len(f.created))
	for p := range f.created {
		created = append(created, p)
	}
	slices.Sort(created) // map order would make the seeded tears unreplayable
	for _, p := range created {
		if err := f.inner.Remove(p); err != nil {
			keep(fmt.Errorf("faultfs: crash: remove %s: %w", p, err))
			continue
		}
		rep.Removed = append(rep.Removed, p)
		delete(f.synced, p)
	}
	paths := make([]string, 0, len(f.synced))
	for p := range f.synced {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		durable := f.synced[p]
		h, err := f.inner.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			keep(fmt.Errorf("faultfs: crash: open %s: %w", p, err))
			continue
		}
		size, err := h.Size()
		if err == nil && size > durable {
			cut := durable
			if f.rng.Intn(2) == 0 {
				cut += f.rng.Int63n(size - durable)
				if cut > durable {
					rep.Torn++
				}
			}
			if err = h.Truncate(cut); err == nil {
				err = h.Sync()
			}
			rep.Cut++
			rep.DroppedBytes += size - cut
			rep.Cuts = append(rep.Cuts, fmt.Sprintf("%s: %d -> %d (synced %d)", p, size, cut, durable))
		}
		if err != nil {
			keep(fmt.Errorf("faultfs: crash: cut %s: %w", p, err))
		}
		_ = h.Close()
	}
	return rep, firstErr
}

type faultFile struct {
	fs    *FS
	inner walfs.File
	path  string
}

func (h *faultFile) Write(b []byte) (int, error) {
	h.fs.lock()
	h.fs.mu.Unlock()
	if h.fs.Mode() == NoSpace {
		return 0, &fs.PathError{Op: "write", Path: h.path, Err: syscall.ENOSPC}
	}
	return h.inner.Write(b)
}

func (h *faultFile) ReadAt(b []byte, off int64) (int, error) { return h.inner.ReadAt(b, off) }

// Sync fsyncs without holding the FS's mutex, so the log's fsync and
// a snapshot's run in parallel as on the host. The length is read after
// the fsync: the log never writes a file while it syncs it. A Crash during
// the fsync drops the tail, as it may: the fsync had not returned.
func (h *faultFile) Sync() error {
	h.fs.lock()
	h.fs.mu.Unlock()
	if h.fs.Mode() == SyncEIO {
		return &fs.PathError{Op: "sync", Path: h.path, Err: syscall.EIO}
	}
	if err := h.inner.Sync(); err != nil {
		return err
	}
	size, err := h.inner.Size()
	if err != nil {
		return err
	}
	h.fs.lock()
	defer h.fs.mu.Unlock()
	if _, ok := h.fs.synced[h.path]; ok { // not removed meanwhile
		h.fs.synced[h.path] = size
	}
	return nil
}

func (h *faultFile) Truncate(size int64) error {
	h.fs.lock()
	defer h.fs.mu.Unlock()
	if err := h.inner.Truncate(size); err != nil {
		return err
	}
	if n, ok := h.fs.synced[h.path]; ok && n > size {
		h.fs.synced[h.path] = size
	}
	return nil
}

func (h *faultFile) Size() (int64, error) { return h.inner.Size() }
func (h *faultFile) Close() error         { return h.inner.Close() }
