package memfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"sync"
	"syscall"

	"github.com/paddock-zk/paddock/replica/wal/walfs"
)

// FS is an in-memory walfs.FS that models durability. Per file it keeps
// what was written and what was made durable by Sync; per directory it
// keeps the live names and those made durable by SyncDir. Crash throws
// away everything not durable — unsynced bytes, truncations, creates,
// renames and removes — as a power loss would. Directories made by MkdirAll
// are durable at once.
//
// Fault injection: FailNextSync and FailSyncs make fsyncs fail, NoSpace
// makes writes run out of space (ENOSPC), TearLastWrite lets a prefix of
// the last write reach the disk, FlipByte rots a byte.
//
// An FS is safe for concurrent use. Handles opened before a Crash fail
// afterwards: the process that held them is gone.
type FS struct {
	mu      sync.Mutex
	dirs    map[string]bool
	live    map[string]*memNode // path → file
	durable map[string]*memNode
	gen     int

	syncErr     error
	syncErrOnce bool
	space       int64 // bytes still writable; <0: unlimited
	syncs       int64
	syncHook    func(path string)
	lies        func(path string) bool
	last        *lastWrite
}

type memNode struct {
	data    []byte
	durable []byte
}

type lastWrite struct {
	n        *memNode
	off, len int
}

var _ walfs.FS = (*FS)(nil)

// New returns an empty FS with the root directory.
func New() *FS {
	return &FS{
		dirs:    map[string]bool{"/": true, ".": true},
		live:    map[string]*memNode{},
		durable: map[string]*memNode{},
		space:   -1,
	}
}

func perr(op, p string, err error) error { return &fs.PathError{Op: op, Path: p, Err: err} }

// OpenFile implements walfs.FS. It honours O_CREATE, O_EXCL and O_TRUNC; writes
// always append.
func (m *FS) OpenFile(name string, flag int, _ os.FileMode) (walfs.File, error) {
	name = path.Clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirs[path.Dir(name)] {
		return nil, perr("open", name, fs.ErrNotExist)
	}
	if m.dirs[name] {
		return nil, perr("open", name, syscall.EISDIR)
	}
	n, ok := m.live[name]
	switch {
	case ok && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, perr("open", name, fs.ErrExist)
	case !ok && flag&os.O_CREATE == 0:
		return nil, perr("open", name, fs.ErrNotExist)
	case !ok:
		n = &memNode{}
		m.live[name] = n
	}
	if flag&os.O_TRUNC != 0 {
		n.data = n.data[:0:0]
	}
	writable := flag&(os.O_WRONLY|os.O_RDWR) != 0
	return &memFile{fs: m, n: n, name: name, gen: m.gen, write: writable, read: flag&os.O_WRONLY == 0}, nil
}

// Rename implements walfs.FS.
func (m *FS) Rename(oldpath, newpath string) error {
	oldpath, newpath = path.Clean(oldpath), path.Clean(newpath)
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.live[oldpath]
	if !ok {
		return perr("rename", oldpath, fs.ErrNotExist)
	}
	if !m.dirs[path.Dir(newpath)] {
		return perr("rename", newpath, fs.ErrNotExist)
	}
	delete(m.live, oldpath)
	m.live[newpath] = n
	return nil
}

// Remove implements walfs.FS.
func (m *FS) Remove(name string) error {
	name = path.Clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.live[name]; !ok {
		return perr("remove", name, fs.ErrNotExist)
	}
	delete(m.live, name)
	return nil
}

// ReadDir implements walfs.FS. It lists files only (the log keeps no subdirs).
func (m *FS) ReadDir(dir string) ([]string, error) {
	dir = path.Clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirs[dir] {
		return nil, perr("readdir", dir, fs.ErrNotExist)
	}
	var names []string
	for p := range m.live {
		if path.Dir(p) == dir {
			names = append(names, path.Base(p))
		}
	}
	slices.Sort(names)
	return names, nil
}

// MkdirAll implements walfs.FS.
func (m *FS) MkdirAll(dir string, _ os.FileMode) error {
	dir = path.Clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	for d := dir; !m.dirs[d]; d = path.Dir(d) {
		if _, ok := m.live[d]; ok {
			return perr("mkdir", d, syscall.ENOTDIR)
		}
		m.dirs[d] = true
	}
	return nil
}

// SyncDir implements walfs.FS: the directory's live names become durable.
func (m *FS) SyncDir(dir string) error {
	dir = path.Clean(dir)
	if err := m.beforeSync(dir); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirs[dir] {
		return perr("fsync", dir, fs.ErrNotExist)
	}
	for p := range m.durable {
		if path.Dir(p) == dir {
			delete(m.durable, p)
		}
	}
	for p, n := range m.live {
		if path.Dir(p) == dir {
			m.durable[p] = n
		}
	}
	return nil
}

// beforeSync counts an fsync, runs the hook (outside the lock, so a test
// can hold an fsync "in flight") and returns an injected failure.
func (m *FS) beforeSync(p string) error {
	m.mu.Lock()
	m.syncs++
	hook := m.syncHook
	m.mu.Unlock()
	if hook != nil {
		hook(p)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.syncErr; err != nil {
		if m.syncErrOnce {
			m.syncErr = nil
		}
		return perr("fsync", p, err)
	}
	return nil
}

// Crash simulates a power loss: only durable state survives, and every
// handle opened before it stops working.
func (m *FS) Crash() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	m.live = make(map[string]*memNode, len(m.durable))
	for p, n := range m.durable {
		n.data = slices.Clone(n.durable)
		m.live[p] = n
	}
	m.last = nil
}

// FailNextSync makes the next fsync (of a file or directory) fail with err.
func (m *FS) FailNextSync(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.syncErr, m.syncErrOnce = err, true
}

// FailSyncs makes every fsync fail with err until FailSyncs(nil).
func (m *FS) FailSyncs(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.syncErr, m.syncErrOnce = err, false
}

// NoSpace lets only `after` more bytes be written; writes past that write
// what fits and fail with ENOSPC until ClearNoSpace.
func (m *FS) NoSpace(after int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.space = max(after, 0)
}

// ClearNoSpace lifts NoSpace.
func (m *FS) ClearNoSpace() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.space = -1
}

// Syncs is the number of fsyncs (files and directories) attempted so far.
func (m *FS) Syncs() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.syncs
}

// SetSyncHook installs fn to run at the start of every fsync, outside the
// FS lock (nil removes it). Tests use it to hold an fsync in flight.
func (m *FS) SetSyncHook(fn func(path string)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.syncHook = fn
}

// LieAboutSyncs makes the fsyncs of the files for which lies returns true
// succeed without making anything durable (nil: fsyncs tell the truth
// again), as a disk with a volatile write cache that ignores flushes
// does. A simulation uses it to check that its checks catch lost
// acknowledged writes.
func (m *FS) LieAboutSyncs(lies func(path string) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lies = lies
}

// TearLastWrite models a power loss in the middle of the last write: the
// file's durable content becomes everything before that write plus its
// first keep bytes (the pages that made it to disk). Call Crash next. It
// fails if there is no write, the write was synced, the file changed
// since, or keep is not within it.
func (m *FS) TearLastWrite(keep int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.last
	if w == nil || keep < 0 || keep > w.len || w.off+w.len > len(w.n.data) {
		return errors.New("memfs: no write to tear, or keep outside it")
	}
	if len(w.n.durable) > w.off {
		return errors.New("memfs: the last write was synced already")
	}
	w.n.durable = slices.Clone(w.n.data[:w.off+keep])
	return nil
}

// FlipByte inverts the byte at off of the file at p, in the written and
// the durable content alike (bit rot).
func (m *FS) FlipByte(p string, off int64) error {
	p = path.Clean(p)
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.live[p]
	if !ok {
		return perr("flip", p, fs.ErrNotExist)
	}
	if off < 0 || off >= int64(len(n.data)) {
		return fmt.Errorf("memfs: flip %s at %d: outside the file (%d bytes)", p, off, len(n.data))
	}
	n.data[off] ^= 0xff
	if off < int64(len(n.durable)) {
		n.durable[off] ^= 0xff
	}
	return nil
}

// WriteFile creates or replaces p durably with b (file and directory
// synced): a test helper for crafting on-disk states.
func (m *FS) WriteFile(p string, b []byte) error {
	p = path.Clean(p)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirs[path.Dir(p)] {
		return perr("write", p, fs.ErrNotExist)
	}
	n := &memNode{data: slices.Clone(b), durable: slices.Clone(b)}
	m.live[p], m.durable[p] = n, n
	return nil
}

// ReadFile returns the live content of p.
func (m *FS) ReadFile(p string) ([]byte, error) {
	p = path.Clean(p)
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.live[p]
	if !ok {
		return nil, perr("read", p, fs.ErrNotExist)
	}
	return slices.Clone(n.data), nil
}

type memFile struct {
	fs          *FS
	n           *memNode
	name        string
	gen         int
	read, write bool
	closed      bool
}

var errStale = errors.New("memfs: handle opened before a crash")

// check returns an error if the handle can't be used; m.fs.mu held.
func (f *memFile) check(op string) error {
	switch {
	case f.closed:
		return perr(op, f.name, fs.ErrClosed)
	case f.gen != f.fs.gen:
		return perr(op, f.name, errStale)
	}
	return nil
}

func (f *memFile) Write(b []byte) (int, error) {
	m := f.fs
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := f.check("write"); err != nil {
		return 0, err
	}
	if !f.write {
		return 0, perr("write", f.name, syscall.EBADF)
	}
	n := len(b)
	var err error
	if m.space >= 0 && int64(n) > m.space {
		n = int(m.space)
		err = perr("write", f.name, syscall.ENOSPC)
	}
	if m.space >= 0 {
		m.space -= int64(n)
	}
	off := len(f.n.data)
	f.n.data = append(f.n.data, b[:n]...)
	if n > 0 {
		m.last = &lastWrite{n: f.n, off: off, len: n}
	}
	return n, err
}

func (f *memFile) ReadAt(b []byte, off int64) (int, error) {
	m := f.fs
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := f.check("read"); err != nil {
		return 0, err
	}
	if !f.read {
		return 0, perr("read", f.name, syscall.EBADF)
	}
	if off < 0 {
		return 0, perr("read", f.name, syscall.EINVAL)
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(b, f.n.data[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Sync() error {
	m := f.fs
	m.mu.Lock()
	err := f.check("fsync")
	m.mu.Unlock()
	if err != nil {
		return err
	}
	if err := m.beforeSync(f.name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := f.check("fsync"); err != nil {
		return err
	}
	if m.lies != nil && m.lies(f.name) {
		return nil
	}
	f.n.durable = slices.Clone(f.n.data)
	return nil
}

func (f *memFile) Truncate(size int64) error {
	m := f.fs
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := f.check("truncate"); err != nil {
		return err
	}
	if !f.write {
		return perr("truncate", f.name, syscall.EBADF)
	}
	if size < 0 {
		return perr("truncate", f.name, syscall.EINVAL)
	}
	if size <= int64(len(f.n.data)) {
		f.n.data = f.n.data[:size:size]
	} else {
		f.n.data = append(f.n.data, make([]byte, size-int64(len(f.n.data)))...)
	}
	return nil
}

func (f *memFile) Size() (int64, error) {
	m := f.fs
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := f.check("stat"); err != nil {
		return 0, err
	}
	return int64(len(f.n.data)), nil
}

func (f *memFile) Close() error {
	m := f.fs
	m.mu.Lock()
	defer m.mu.Unlock()
	if f.closed {
		return perr("close", f.name, fs.ErrClosed)
	}
	f.closed = true
	return nil
}
