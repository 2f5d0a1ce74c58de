package wal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/replica"
)

// installMarker names the file that makes installing a received snapshot
// atomic. It holds the snapshot's zxid (in the checksummed epoch format)
// and exists from before the snapshot file is renamed into place until
// the log has been discarded; OpenStore finishes an install it finds
// half done.
const installMarker = "installSnapshot"

// ErrStaleSnapshot is returned when SaveSnapshot's zxid is no longer (or never was) a point
// of the durable history, e.g. a snapshot was installed while it was being
// written. Nothing was saved; take the next one from the current state.
var ErrStaleSnapshot = errors.New("wal: snapshot zxid is not in the durable history")

// Store is a Log seen as a replica.Storage, with the write side a shell
// needs: Persist carries out a Ready, SaveSnapshot and Purge keep the
// snapshots, Latest tells recovery where to start.
//
// The log is contiguous from the point it continues from (its base): the
// zxid of an installed snapshot, 0 for a log that started empty, or the
// newest snapshot older than the first entry left by Purge. Unlike
// MemStorage, a local snapshot does not drop log entries: they stay until
// Purge removes whole files, so Entries serves from before the latest
// snapshot while they last.
//
// Concurrency: one owner goroutine calls Persist, SetAcceptedEpoch and the
// Storage methods. SaveSnapshot and Purge may run on another goroutine at
// the same time: SaveSnapshot writes the file without blocking the owner
// and takes the store mutex only to rename it into place; Purge holds it
// while it removes files. A snapshot saved while Persist installs a
// received one fails with ErrStaleSnapshot rather than land a snapshot of
// a tree the install replaced.
type Store struct {
	log *Log

	// mu guards the fields below. The owner holds it briefly to read them,
	// and for a whole snapshot install; SaveSnapshot only to commit.
	mu      sync.Mutex
	snaps   []uint64         // zxids of the snapshot files, ascending (without known-corrupt ones)
	latest  uint64           // newest valid snapshot
	sizes   map[uint64]int64 // content size of the snapshots known valid
	base    uint64           // the log holds every entry in (base, LastZxid]
	hasBase bool             // base is known
	gen     uint64           // bumped by every install
	err     error            // a failed Persist: refuse further writes

	// resume is how far a Persist that ran out of space got, for its
	// retry (owner goroutine only).
	resume *persistProgress
}

// persistProgress records the steps of a Ready already carried out when
// Persist returned ErrNoSpace.
type persistProgress struct {
	rd                   readyKey // which Ready
	truncated, installed bool
	appending            bool // the log's entries above the start are the Ready's
}

// readyKey tells a retried Ready from another one, in case a caller
// breaks the contract and persists a different Ready after ErrNoSpace:
// that one starts from scratch rather than skip steps it never did.
type readyKey struct {
	truncate, snap, epoch uint64
	hasTrunc, hasSnap     bool
	n                     int
	first, last           uint64
}

func keyOf(rd replica.Ready) readyKey {
	k := readyKey{epoch: rd.CurrentEpoch, n: len(rd.Entries)}
	if rd.Truncate != nil {
		k.truncate, k.hasTrunc = *rd.Truncate, true
	}
	if rd.Snapshot != nil {
		k.snap, k.hasSnap = rd.Snapshot.Zxid, true
	}
	if k.n > 0 {
		k.first, k.last = rd.Entries[0].Zxid, rd.Entries[k.n-1].Zxid
	}
	return k
}

var _ replica.Storage = (*Store)(nil)

// OpenStore opens the Log under dataDir and logDir, finishes an
// interrupted snapshot install, and picks the newest valid snapshot (see
// Latest). A fresh store gets an empty snapshot file at zxid 0, as
// ZooKeeper writes snapshot.0 on its first start.
func OpenStore(dataDir, logDir string, opts Options) (*Store, error) {
	l, err := Open(dataDir, logDir, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{log: l, sizes: map[uint64]int64{}}
	if err := s.recover(); err != nil {
		_ = l.Close()
		return nil, err
	}
	return s, nil
}

// Log is the underlying log. Writing to it directly bypasses the Store's
// bookkeeping of snapshots.
func (s *Store) Log() *Log { return s.log }

// Close closes the log.
func (s *Store) Close() error { return s.log.Close() }

// Roll makes the next append start a new log file (see Log.Roll).
func (s *Store) Roll() { s.log.Roll() }

func (s *Store) recover() error {
	if err := s.finishInstall(); err != nil {
		return err
	}
	files, err := s.log.listSnapshots()
	if err != nil {
		return err
	}
	slices.Sort(files)
	if len(files) == 0 {
		// Fresh, or a log written without snapshots (so it starts at the
		// beginning, since Purge deletes nothing without snapshots): the
		// empty state at 0 is its snapshot. Writing it keeps the log's
		// base known once later snapshots exist.
		if err := s.log.SaveSnapshot(0, func(io.Writer) error { return nil }); err != nil {
			return err
		}
		files = []uint64{0}
	}
	s.snaps = files
	s.recompute()
	// Newest valid snapshot first; an older one only if the log still
	// holds every entry after it (and up to the newer, corrupt ones).
	var firstErr error
	for i := len(files) - 1; i >= 0; i-- {
		z := files[i]
		size, err := s.verify(z)
		if err != nil {
			s.log.log.Warn("wal: snapshot is unusable, trying an older one", "snapshot", s.snapPath(z), "err", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if firstErr != nil {
			if !s.heldLocked(z) || s.endLocked() < files[len(files)-1] {
				return fmt.Errorf("wal: open store: newest snapshot unusable (%w), and the log does not hold every entry after the older snapshot %s", firstErr, s.snapPath(z))
			}
			s.log.log.Warn("wal: recovering from an older snapshot; the log holds everything after it", "snapshot", s.snapPath(z))
			s.snaps = files[:i+1] // the corrupt newer ones lie inside the log's range
			s.recompute()
		}
		if end := s.endLocked(); z > end {
			return fmt.Errorf("%w: snapshot %s is ahead of the log, which ends at %s", ErrCorrupt, s.snapPath(z), msg.FormatZxid(end))
		}
		if !s.heldLocked(z) {
			return fmt.Errorf("%w: the log in %s does not continue from snapshot %s (first entry %s)", ErrCorrupt, s.log.logDir, s.snapPath(z), msg.FormatZxid(s.log.FirstZxid()))
		}
		s.latest, s.sizes[z] = z, size
		return nil
	}
	return fmt.Errorf("wal: open store: no usable snapshot: %w", firstErr)
}

// finishInstall completes (or forgets) a snapshot install a crash
// interrupted: if the marker's snapshot made it to disk intact, the rest
// of the install is redone; otherwise the old state stands.
func (s *Store) finishInstall() error {
	p := filepath.Join(s.log.dataDir, installMarker)
	names, err := s.log.fs.ReadDir(s.log.dataDir)
	if err != nil {
		return fmt.Errorf("wal: list %s: %w", s.log.dataDir, err)
	}
	if !slices.Contains(names, installMarker) {
		return nil
	}
	z, err := readEpoch(s.log.fs, p)
	if err != nil {
		return fmt.Errorf("wal: open store: %w", err)
	}
	if _, err := s.verify(z); err != nil {
		s.log.log.Warn("wal: a snapshot install was interrupted before the snapshot was saved; keeping the old state", "snapshot", s.snapPath(z), "err", err)
		return s.log.removeFile(p)
	}
	s.log.log.Warn("wal: finishing an interrupted snapshot install", "snapshot", s.snapPath(z))
	return s.completeInstall(z)
}

// completeInstall makes the log continue after the snapshot at z: newer
// snapshot files (not of this history) and the whole log go, then the
// marker. Idempotent, so a crash anywhere in it is finished on reopen.
func (s *Store) completeInstall(z uint64) error {
	files, err := s.log.listSnapshots()
	if err != nil {
		return err
	}
	removed := false
	for _, f := range files {
		if f > z {
			p := s.snapPath(f)
			if err := s.log.fs.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("wal: install snapshot: remove %s: %w", p, err)
			}
			removed = true
		}
	}
	if removed {
		if err := s.log.fs.SyncDir(s.log.dataDir); err != nil {
			return fmt.Errorf("wal: install snapshot: fsync dir %s: %w", s.log.dataDir, err)
		}
	}
	// Every entry goes, also those <= z: the log must not hold entries
	// that are not of the installed history, and it continues after z.
	if err := s.log.TruncateAfter(0); err != nil {
		return fmt.Errorf("wal: install snapshot: discard the log: %w", err)
	}
	// Durable before anything is appended after the snapshot, or a
	// reopen would discard those entries again.
	return s.log.removeFile(filepath.Join(s.log.dataDir, installMarker))
}

func (s *Store) snapPath(z uint64) string { return filepath.Join(s.log.dataDir, snapName(z)) }

// verify checks the snapshot file at z and returns its content size.
func (s *Store) verify(z uint64) (int64, error) {
	p := s.snapPath(z)
	f, err := s.log.fs.OpenFile(p, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("%w: %s", ErrNoSnapshot, p)
	}
	if err != nil {
		return 0, fmt.Errorf("wal: open snapshot %s: %w", p, err)
	}
	defer f.Close()
	return verifySnapshot(f, p)
}

// recompute derives the log's base from the snapshot files and the log:
// the newest snapshot older than the first entry (every snapshot if the
// log is empty). Install discards the log, and Purge keeps every file with
// an entry newer than the oldest kept snapshot, so the log continues from
// that snapshot. mu held.
func (s *Store) recompute() {
	first := s.log.FirstZxid()
	s.base, s.hasBase = 0, false
	for _, z := range s.snaps {
		if first == 0 || z < first {
			s.base, s.hasBase = z, true
		}
	}
}

// endLocked is LastZxid. mu held.
func (s *Store) endLocked() uint64 {
	if l := s.log.LastZxid(); l > 0 {
		return l
	}
	return s.base
}

// heldLocked reports whether the entries right after `after` are held.
// mu held.
func (s *Store) heldLocked(after uint64) bool {
	if after >= s.endLocked() {
		return true
	}
	if s.hasBase && after >= s.base {
		return true
	}
	f := s.log.FirstZxid()
	return f != 0 && after >= f
}

// LastZxid implements replica.Storage.
func (s *Store) LastZxid() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endLocked()
}

// FirstZxid implements replica.Storage.
func (s *Store) FirstZxid() uint64 { return s.log.FirstZxid() }

// CurrentEpoch implements replica.Storage.
func (s *Store) CurrentEpoch() uint64 { return s.log.CurrentEpoch() }

// AcceptedEpoch implements replica.Storage.
func (s *Store) AcceptedEpoch() uint64 { return s.log.AcceptedEpoch() }

// SetAcceptedEpoch durably writes the accepted epoch.
func (s *Store) SetAcceptedEpoch(e uint64) error { return s.log.SetAcceptedEpoch(e) }

// LoadAcceptedEpoch and SaveAcceptedEpoch make a Store the voter's
// EpochStore.
func (s *Store) LoadAcceptedEpoch() (uint64, error) { return s.log.AcceptedEpoch(), nil }

// SaveAcceptedEpoch is SetAcceptedEpoch.
func (s *Store) SaveAcceptedEpoch(e uint64) error { return s.log.SetAcceptedEpoch(e) }

var errEnough = errors.New("enough entries")

// Entries implements replica.Storage.
func (s *Store) Entries(after uint64, maxBytes int) ([]Entry, error) {
	// mu is held across the scan so a concurrent Purge can't remove the
	// files between the check and the read.
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.heldLocked(after) {
		base, first := s.base, s.log.FirstZxid()
		return nil, fmt.Errorf("%w: entries after %s (log continues from %s, first entry %s)", replica.ErrCompacted, msg.FormatZxid(after), msg.FormatZxid(base), msg.FormatZxid(first))
	}
	var out []Entry
	size := 0
	err := s.log.Entries(after, func(e Entry) error {
		if len(out) > 0 && size+len(e.Data) > maxBytes {
			return errEnough
		}
		size += len(e.Data)
		out = append(out, e)
		return nil
	})
	if err != nil && err != errEnough {
		return nil, fmt.Errorf("wal: entries after %s: %w", msg.FormatZxid(after), err)
	}
	return out, nil
}

// Snapshot implements replica.Storage: the newest valid snapshot.
func (s *Store) Snapshot() (uint64, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest, s.sizes[s.latest], nil
}

// ReadSnapshot implements replica.Storage. Any snapshot this Store knows
// to be valid can be read while its file exists, so a transfer in
// progress survives a newer snapshot; a purged one is ErrNoSnapshot.
func (s *Store) ReadSnapshot(zxid uint64, off int64, n int) ([]byte, error) {
	s.mu.Lock()
	size, ok := s.sizes[zxid]
	s.mu.Unlock()
	p := s.snapPath(zxid)
	if !ok {
		return nil, fmt.Errorf("%w: %w: %s", replica.ErrNoSnapshot, ErrNoSnapshot, p)
	}
	if off < 0 || off > size {
		return nil, fmt.Errorf("wal: snapshot %s: offset %d outside [0,%d]", p, off, size)
	}
	f, err := s.log.fs.OpenFile(p, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w: %s", replica.ErrNoSnapshot, ErrNoSnapshot, p)
	}
	if err != nil {
		return nil, fmt.Errorf("wal: open snapshot %s: %w", p, err)
	}
	defer f.Close()
	b := make([]byte, min(int64(n), size-off))
	if k, err := f.ReadAt(b, off); err != nil && (err != io.EOF || k != len(b)) {
		return nil, fmt.Errorf("wal: read snapshot %s at %d: %w", p, off, err)
	}
	return b, nil
}

// Latest returns the snapshot recovery starts from: the newest one whose
// checksum holds. OpenStore already chose it — skipping, with a Warn, a
// newer corrupt one only if the log holds every entry after the older
// one — so the caller restores its tree from data and replays
// Entries(zxid, ...) after it. A fresh store's snapshot is the empty one at 0.
func (s *Store) Latest() (uint64, []byte, error) {
	s.mu.Lock()
	z := s.latest
	s.mu.Unlock()
	r, err := s.log.OpenSnapshot(z)
	if err != nil {
		return 0, nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, nil, fmt.Errorf("wal: read snapshot %s: %w", s.snapPath(z), err)
	}
	return z, data, nil
}

// Persist carries out the storage part of rd in the order Ready demands:
// truncate, install the received snapshot, append, fsync, then write the
// currentEpoch. When it returns nil all of it is durable.
//
// ErrNoSpace (the disk is full) damages nothing: the caller must hold rd
// (ack nothing of it) and call Persist again with the same rd, and
// nothing else, until it returns nil or another error; the retry skips
// the steps already done and appends only the entries the log lost. After
// any other error the Store refuses further Persist calls: the caller must
// stop the node (and never ack) and reopen, which recovers from what is
// on disk.
func (s *Store) Persist(rd replica.Ready) error {
	s.mu.Lock()
	failed := s.err
	s.mu.Unlock()
	if failed != nil {
		return fmt.Errorf("%w: %w", ErrPoisoned, failed)
	}
	p := s.resume
	if p == nil || p.rd != keyOf(rd) {
		p = &persistProgress{rd: keyOf(rd)}
	}
	s.resume = nil
	if err := s.persist(rd, p); err != nil {
		if errors.Is(err, ErrNoSpace) {
			s.resume = p
			return err
		}
		s.mu.Lock()
		if s.err == nil {
			s.err = err
		}
		s.mu.Unlock()
		return err
	}
	return nil
}

func (s *Store) persist(rd replica.Ready, p *persistProgress) error {
	if rd.Truncate != nil && !p.truncated {
		if err := s.truncateAfter(*rd.Truncate); err != nil {
			return err
		}
		p.truncated = true
		s.log.crash(CrashSyncAfterTruncate)
	}
	if rd.Snapshot != nil && !p.installed {
		s.log.crash(CrashSnapInstallBefore)
		if err := s.install(rd.Snapshot.Zxid, rd.Snapshot.Data); err != nil {
			return err
		}
		p.installed = true
		s.log.crash(CrashSnapInstallAfter)
	}
	entries := rd.Entries
	if p.appending {
		// A retry: the log kept (durably) a prefix of these entries.
		for len(entries) > 0 && entries[0].Zxid <= s.log.LastZxid() {
			entries = entries[1:]
		}
	}
	wasEmpty := s.log.FirstZxid() == 0
	if len(entries) > 0 {
		if last := s.LastZxid(); entries[0].Zxid <= last {
			return fmt.Errorf("%w: append %s after %s", ErrOutOfOrder, msg.FormatZxid(entries[0].Zxid), msg.FormatZxid(last))
		}
		p.appending = true
		if err := s.log.Append(entries...); err != nil {
			s.recomputeIf(wasEmpty)
			return err
		}
	}
	err := s.log.Sync()
	s.recomputeIf(wasEmpty)
	if err != nil {
		return err
	}
	if len(rd.Entries) > 0 {
		s.log.crash(CrashAfterFsync)
	}
	if rd.CurrentEpoch != 0 {
		if err := s.log.SetCurrentEpoch(rd.CurrentEpoch); err != nil {
			return err
		}
	}
	return nil
}

// recomputeIf recomputes the log's base if the log was empty before an
// append: its first entry (kept, or dropped again by a full disk) moves
// the base.
func (s *Store) recomputeIf(wasEmpty bool) {
	if wasEmpty {
		s.mu.Lock()
		s.recompute()
		s.mu.Unlock()
	}
}

// truncateAfter drops the entries after zxid durably; it cannot cut into
// the latest snapshot.
func (s *Store) truncateAfter(zxid uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if zxid < s.latest {
		return fmt.Errorf("wal: truncate after %s below the snapshot at %s", msg.FormatZxid(zxid), msg.FormatZxid(s.latest))
	}
	if err := s.log.TruncateAfter(zxid); err != nil {
		return err
	}
	s.recompute()
	return nil
}

// install makes the snapshot at z this node's state, durably, and the log
// continue after it, atomically across a crash: the marker is written
// first, then the snapshot file, then the log and newer snapshots are
// discarded and the marker removed. A crash before the snapshot file is in
// place leaves the old state; after it, OpenStore finishes the install.
func (s *Store) install(z uint64, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	if err := writeEpoch(s.log.fs, s.log.dataDir, installMarker, z); err != nil {
		return fmt.Errorf("wal: install snapshot: %w", err)
	}
	if err := s.log.SaveSnapshot(z, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return fmt.Errorf("wal: install snapshot: %w", err)
	}
	s.log.crash(CrashSnapInstallMid)
	if err := s.completeInstall(z); err != nil {
		return err
	}
	s.snaps = slices.DeleteFunc(s.snaps, func(f uint64) bool { return f >= z })
	s.snaps = append(s.snaps, z)
	for f := range s.sizes {
		if f > z {
			delete(s.sizes, f)
		}
	}
	s.latest, s.sizes[z] = z, int64(len(data))
	s.recompute()
	return nil
}

// SaveSnapshot durably saves data as the snapshot at zxid: the applied
// state, which must be a point of the durable history (the base, the
// latest snapshot or a synced log entry). It may run on its own goroutine
// while the owner keeps calling Persist: the content is written and
// fsynced without the store mutex; renaming it into place is checked
// against installs that happened meanwhile (ErrStaleSnapshot).
func (s *Store) SaveSnapshot(zxid uint64, data []byte) error {
	s.mu.Lock()
	gen, ok := s.gen, s.savableLocked(zxid)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrStaleSnapshot, msg.FormatZxid(zxid))
	}
	path := s.snapPath(zxid)
	tmp := fmt.Sprintf("%s.%d.tmp", path, s.log.snapSeq.Add(1))
	if err := s.log.writeSnapshot(tmp, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		_ = s.log.fs.Remove(tmp)
		return fmt.Errorf("wal: save snapshot %s: %w", path, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen || !s.savableLocked(zxid) {
		_ = s.log.fs.Remove(tmp)
		return fmt.Errorf("%w: %s (the history changed while it was written)", ErrStaleSnapshot, msg.FormatZxid(zxid))
	}
	if err := s.log.fs.Rename(tmp, path); err != nil {
		_ = s.log.fs.Remove(tmp)
		return fmt.Errorf("wal: save snapshot %s: %w", path, noSpace(err))
	}
	if err := s.log.fs.SyncDir(s.log.dataDir); err != nil {
		return fmt.Errorf("wal: save snapshot %s: fsync dir: %w", path, err)
	}
	if !slices.Contains(s.snaps, zxid) {
		s.snaps = append(s.snaps, zxid)
		slices.Sort(s.snaps)
	}
	s.sizes[zxid] = int64(len(data))
	if zxid >= s.latest {
		s.latest = zxid
	}
	s.recompute()
	return nil
}

// savableLocked: zxid is a durable point of the current history. mu held.
func (s *Store) savableLocked(zxid uint64) bool {
	if zxid == s.latest {
		return true
	}
	f := s.log.FirstZxid()
	return f != 0 && f <= zxid && zxid <= s.log.DurableZxid()
}

// Purge keeps the newest retain (>= 3, ZooKeeper's
// autopurge.snapRetainCount) snapshots and the log files they need, and
// deletes the rest. It may run concurrently with the owner (it holds the
// store mutex while it removes files).
func (s *Store) Purge(retain int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.log.Purge(retain); err != nil {
		return err
	}
	files, err := s.log.listSnapshots()
	if err != nil {
		return err
	}
	slices.Sort(files)
	// Keep out the corrupt files recovery skipped (above the latest).
	files = slices.DeleteFunc(files, func(f uint64) bool {
		_, ok := s.sizes[f]
		return f > s.latest && !ok
	})
	s.snaps = files
	for f := range s.sizes {
		if !slices.Contains(files, f) {
			delete(s.sizes, f)
		}
	}
	s.recompute()
	return nil
}
