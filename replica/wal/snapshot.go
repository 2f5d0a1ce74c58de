package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Snapshot trailer: [u64 content length][u32 CRC-32C of the content][magic].
const (
	snapMagic   = "PDKSNAP1"
	snapTrailer = 8 + 4 + 8 // length, CRC, magic
)

// SaveSnapshot writes a snapshot of the state at zxid: write streams the
// content, which goes to a temporary file with a length and CRC-32C
// trailer, is fsynced and renamed to snapshot.<hex zxid>, and the
// directory is fsynced. It touches no log state, so it may run on its own
// goroutine while Append and Sync go on; the caller must give write a
// consistent view. A failure removes the temporary file and leaves the
// log usable; a full disk while writing (not while fsyncing) is
// ErrNoSpace.
func (l *Log) SaveSnapshot(zxid uint64, write func(io.Writer) error) error {
	path := filepath.Join(l.dataDir, snapName(zxid))
	tmp := fmt.Sprintf("%s.%d.tmp", path, l.snapSeq.Add(1))
	if err := l.writeSnapshot(tmp, write); err != nil {
		_ = l.fs.Remove(tmp)
		return fmt.Errorf("wal: save snapshot %s: %w", path, err)
	}
	if err := l.fs.Rename(tmp, path); err != nil {
		_ = l.fs.Remove(tmp)
		return fmt.Errorf("wal: save snapshot %s: %w", path, noSpace(err))
	}
	if err := l.fs.SyncDir(l.dataDir); err != nil {
		return fmt.Errorf("wal: save snapshot %s: fsync dir: %w", path, err)
	}
	return nil
}

// snapWriter counts and checksums what it passes on.
type snapWriter struct {
	w   io.Writer
	n   uint64
	crc hash.Hash32
}

func (s *snapWriter) Write(b []byte) (int, error) {
	n, err := s.w.Write(b)
	s.n += uint64(n)
	s.crc.Write(b[:n])
	return n, err
}

// writeSnapshot writes and fsyncs tmp (see writeSnapshotFile).
func (l *Log) writeSnapshot(tmp string, write func(io.Writer) error) error {
	return writeSnapshotFile(l.fs, tmp, write)
}

// writeSnapshotFile writes and fsyncs the snapshot file tmp: the content,
// then the trailer. Errors before the fsync that say the disk is full are
// ErrNoSpace; the fsync's own are not (fsyncgate).
func writeSnapshotFile(fsys FS, tmp string, write func(io.Writer) error) error {
	f, err := fsys.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return noSpace(err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 256<<10)
	sw := &snapWriter{w: bw, crc: crc32.New(castagnoli)}
	if err := write(sw); err != nil {
		return noSpace(err)
	}
	var tr [snapTrailer]byte
	binary.LittleEndian.PutUint64(tr[0:8], sw.n)
	binary.LittleEndian.PutUint32(tr[8:12], sw.crc.Sum32())
	copy(tr[12:], snapMagic)
	if _, err := bw.Write(tr[:]); err != nil {
		return noSpace(err)
	}
	if err := bw.Flush(); err != nil {
		return noSpace(err)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// Snapshots lists the zxids of the snapshot files, newest first (none if
// the directory can't be read; the error is logged).
func (l *Log) Snapshots() []uint64 {
	zs, err := l.listSnapshots()
	if err != nil {
		l.log.Warn("wal: cannot list snapshots", "err", err)
	}
	return zs
}

func (l *Log) listSnapshots() ([]uint64, error) {
	names, err := l.fs.ReadDir(l.dataDir)
	if err != nil {
		return nil, fmt.Errorf("wal: list snapshots in %s: %w", l.dataDir, err)
	}
	var zs []uint64
	for _, n := range names {
		if z, ok := parseName(n, "snapshot"); ok {
			zs = append(zs, z)
		}
	}
	slices.Sort(zs)
	slices.Reverse(zs)
	return zs, nil
}

// OpenSnapshot opens the snapshot at zxid after verifying its whole
// content against the trailer: a damaged file is an ErrCorrupt error
// naming it, never a reader. The reader yields the content without the
// trailer; the caller closes it.
func (l *Log) OpenSnapshot(zxid uint64) (io.ReadCloser, error) {
	path := filepath.Join(l.dataDir, snapName(zxid))
	f, err := l.fs.OpenFile(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoSnapshot, path)
	}
	if err != nil {
		return nil, fmt.Errorf("wal: open snapshot %s: %w", path, err)
	}
	n, err := verifySnapshot(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return snapReader{io.NewSectionReader(f, 0, n), f}, nil
}

type snapReader struct {
	*io.SectionReader
	f File
}

func (r snapReader) Close() error { return r.f.Close() }

// verifySnapshot checks the trailer and the CRC and returns the content
// length.
func verifySnapshot(f File, path string) (int64, error) {
	size, err := f.Size()
	if err != nil {
		return 0, fmt.Errorf("wal: stat %s: %w", path, err)
	}
	if size < snapTrailer {
		return 0, fmt.Errorf("%w: %s: %d bytes, shorter than the trailer", ErrCorrupt, path, size)
	}
	var tr [snapTrailer]byte
	if _, err := f.ReadAt(tr[:], size-snapTrailer); err != nil && err != io.EOF {
		return 0, fmt.Errorf("wal: read %s: %w", path, err)
	}
	n := int64(binary.LittleEndian.Uint64(tr[0:8]))
	if string(tr[12:]) != snapMagic || n != size-snapTrailer {
		return 0, fmt.Errorf("%w: %s: bad trailer (length %d, file %d bytes)", ErrCorrupt, path, n, size)
	}
	crc := crc32.New(castagnoli)
	if _, err := io.Copy(crc, io.NewSectionReader(f, 0, n)); err != nil {
		return 0, fmt.Errorf("wal: read %s: %w", path, err)
	}
	if crc.Sum32() != binary.LittleEndian.Uint32(tr[8:12]) {
		return 0, fmt.Errorf("%w: %s: checksum mismatch", ErrCorrupt, path)
	}
	return n, nil
}

// ErrRetain is returned when Purge is asked to keep fewer than 3 snapshots.
var ErrRetain = errors.New("wal: purge must retain at least 3 snapshots")

// Purge keeps the newest retain (>= 3) snapshots and every log file that
// holds an entry newer than the oldest of them, and deletes older
// snapshots and log files. The active log file is never deleted. With no
// snapshot nothing is deleted.
func (l *Log) Purge(retain int) error {
	if retain < 3 {
		return fmt.Errorf("%w: got %d", ErrRetain, retain)
	}
	snaps, err := l.listSnapshots()
	if err != nil {
		return err
	}
	if len(snaps) == 0 {
		return nil
	}
	keep := snaps[:min(retain, len(snaps))]
	oldest := keep[len(keep)-1]
	for _, z := range snaps[len(keep):] {
		p := filepath.Join(l.dataDir, snapName(z))
		if err := l.fs.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("wal: purge %s: %w", p, err)
		}
	}
	if len(snaps) > len(keep) {
		if err := l.fs.SyncDir(l.dataDir); err != nil {
			return fmt.Errorf("wal: purge: fsync dir %s: %w", l.dataDir, err)
		}
	}
	return l.purgeLogs(oldest)
}

// purgeLogs deletes the log files whose entries are all <= upTo, oldest
// first (so the log stays contiguous if a crash interrupts it).
func (l *Log) purgeLogs(upTo uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	// Oldest first, each removal durable before the next, so a crash
	// part-way never leaves a gap in the log.
	for len(l.segs) > 1 && l.segs[0].last <= upTo {
		if err := l.removeFile(l.segs[0].path); err != nil {
			return fmt.Errorf("wal: purge: %w", err)
		}
		l.segs = l.segs[1:]
		l.first.Store(l.segs[0].first)
	}
	return nil
}
