package wal

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
)

// Entry is one transaction of the log; Data is opaque here. It is the
// replication layer's entry type, so a shell can hand Ready entries to
// Append without copying.
type Entry = msg.Entry

// Errors for expected conditions. Errors that name a file wrap these.
var (
	// ErrCorrupt marks a file that failed validation (checksum, framing,
	// zxid order). The message names the file and, for the log, the byte
	// offset.
	ErrCorrupt = errors.New("wal: corrupt file")
	// ErrOutOfOrder: Append got a zxid not above the last one.
	ErrOutOfOrder = errors.New("wal: zxids out of order")
	// ErrTooLarge: an entry's data is over the record limit (64 MiB).
	ErrTooLarge = errors.New("wal: entry too large")
	// ErrPoisoned: an earlier write or fsync failed; the log's durable state
	// is unknown until it is reopened (which recovers from the disk).
	ErrPoisoned = errors.New("wal: log failed earlier; reopen it")
	// ErrNoSpace: a write, create or rename found the disk full (ENOSPC
	// or EDQUOT, which the error also wraps). It does not poison the log:
	// the log is back at its durable state (LastZxid == DurableZxid, the
	// unsynced tail cut off the file), nothing on disk is damaged, and
	// the same work may be retried once space returns. ENOSPC from an
	// fsync is not this error: it poisons, like any failed fsync.
	ErrNoSpace = errors.New("wal: disk full")
	// ErrClosed: the log was closed.
	ErrClosed = errors.New("wal: closed")
	// ErrNoSnapshot: no snapshot file with the asked zxid.
	ErrNoSnapshot = errors.New("wal: no such snapshot")
)

// Options tunes Open. The zero value is usable.
type Options struct {
	// FS is the file system; nil means OS.
	FS FS
	// SegmentBytes: a log file is closed and a new one started once
	// appending would take it past this size. 0 means 64 MiB.
	SegmentBytes int64
	// Logger gets recovery warnings; nil means slog.Default().
	Logger *slog.Logger
	// CrashHook, if set, is called at each crash point (the Crash*
	// constants) with its name, on the goroutine that reaches it. A crash
	// test kills the process there; it must return at once otherwise.
	CrashHook func(point string)
	// OnFsync, if set, is told how long each fsync of the transaction
	// log that made appended entries durable took (ZooKeeper's
	// fsynctime), for the node's metrics. It runs with the log locked:
	// it must return at once.
	OnFsync func(time.Duration)
}

const (
	versionDir      = "version-2"
	defaultSegBytes = 64 << 20
	indexEvery      = 4096    // bytes between sparse index points
	flushAt         = 1 << 20 // buffered bytes that force a write
	readBuf         = 64 << 10
)

// Log is a node's durable storage: transaction log, snapshots and epoch
// files. See the package doc for which methods may run concurrently.
type Log struct {
	fs       FS
	dataDir  string // .../version-2
	logDir   string // .../version-2
	segBytes int64
	rollNext bool // start a new segment at the next append (Roll)
	log      *slog.Logger
	crash    func(point string) // Options.CrashHook, or a no-op

	onFsync func(time.Duration) // Options.OnFsync, or nil

	// mu guards the log files: every log method holds it, including for
	// the duration of an fsync.
	mu     sync.Mutex
	segs   []*segment // ascending; the last one is active
	active File       // open handle of the last segment, or nil
	buf    []byte     // encoded records not yet written
	synced int64      // bytes of the active segment known durable
	err    error      // poison: the first write/fsync failure
	closed bool

	// tail keeps the newest entries in memory, so applying what was just
	// committed, and a DIFF for a follower close behind, read no file:
	// it holds every entry with zxid in (tailFrom, last], whose data add
	// up to about tailBytes at most. mu held.
	tail     []Entry
	tailFrom uint64
	tailSize int
	tailMax  int // tailBytes; smaller in tests

	// Read without mu so callers can poll them during an fsync.
	last, durable, first atomic.Uint64

	epochMu           sync.Mutex
	accepted, current atomic.Uint64

	snapSeq atomic.Uint64 // unique temporary snapshot names
}

// segment is one log file.
type segment struct {
	path        string
	first, last uint64
	size        int64        // bytes, including any still in Log.buf
	index       []indexPoint // sparse: a point every indexEvery bytes
}

type indexPoint struct {
	zxid uint64
	off  int64
}

func (s *segment) add(zxid uint64, off int64) {
	if s.first == 0 {
		s.first = zxid
	}
	s.last = zxid
	if n := len(s.index); n == 0 || off-s.index[n-1].off >= indexEvery {
		s.index = append(s.index, indexPoint{zxid, off})
	}
}

// seek is an offset from which to scan for the first record with
// zxid > after: the last index point at or below after.
func (s *segment) seek(after uint64) int64 {
	i, _ := slices.BinarySearchFunc(s.index, after+1, func(p indexPoint, z uint64) int {
		switch {
		case p.zxid < z:
			return -1
		case p.zxid > z:
			return 1
		}
		return 0
	})
	if i == 0 {
		return fileHeader
	}
	return s.index[i-1].off
}

func logName(zxid uint64) string  { return fmt.Sprintf("log.%x", zxid) }
func snapName(zxid uint64) string { return fmt.Sprintf("snapshot.%x", zxid) }

// parseName returns the zxid of a "prefix.<hex>" file name.
func parseName(name, prefix string) (uint64, bool) {
	rest, ok := strings.CutPrefix(name, prefix+".")
	if !ok || rest == "" || isTmp(name) {
		return 0, false
	}
	z, err := strconv.ParseUint(rest, 16, 64)
	return z, err == nil
}

// Open opens (creating if needed) the storage under dataDir (snapshots and
// epochs) and logDir (the log; "" means dataDir), and recovers the log:
// every record is checked, a torn tail of the last file is cut off, and
// anything else that is wrong is an ErrCorrupt error, with nothing loaded.
func Open(dataDir, logDir string, opt Options) (*Log, error) {
	if logDir == "" {
		logDir = dataDir
	}
	l := &Log{
		fs:       opt.FS,
		dataDir:  filepath.Join(dataDir, versionDir),
		logDir:   filepath.Join(logDir, versionDir),
		segBytes: opt.SegmentBytes,
		log:      opt.Logger,
		crash:    opt.CrashHook,
		tailMax:  tailBytes,
		onFsync:  opt.OnFsync,
	}
	if l.fs == nil {
		l.fs = OS
	}
	if l.segBytes <= 0 {
		l.segBytes = defaultSegBytes
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.crash == nil {
		l.crash = func(string) {}
	}
	for _, d := range []string{l.dataDir, l.logDir} {
		if err := l.fs.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("wal: create %s: %w", d, err)
		}
	}
	if err := l.removeTmp(); err != nil {
		return nil, err
	}
	if err := l.loadEpochs(); err != nil {
		return nil, err
	}
	if err := l.recover(); err != nil {
		return nil, err
	}
	return l, nil
}

// removeTmp deletes temporary files a crash left behind (snapshots and
// epochs being written); they were never renamed into place, so they hold
// nothing anyone relies on.
func (l *Log) removeTmp() error {
	names, err := l.fs.ReadDir(l.dataDir)
	if err != nil {
		return fmt.Errorf("wal: list %s: %w", l.dataDir, err)
	}
	for _, n := range names {
		if isTmp(n) {
			p := filepath.Join(l.dataDir, n)
			l.log.Info("wal: removing leftover temporary file", "file", p)
			if err := l.fs.Remove(p); err != nil {
				return fmt.Errorf("wal: remove %s: %w", p, err)
			}
		}
	}
	return nil
}

func (l *Log) recover() error {
	names, err := l.fs.ReadDir(l.logDir)
	if err != nil {
		return fmt.Errorf("wal: list %s: %w", l.logDir, err)
	}
	type logFile struct {
		zxid uint64
		path string
	}
	var files []logFile
	for _, n := range names {
		if z, ok := parseName(n, "log"); ok {
			files = append(files, logFile{z, filepath.Join(l.logDir, n)})
		} else if strings.HasPrefix(n, "log.") {
			l.log.Warn("wal: ignoring unexpected file in the log directory", "file", filepath.Join(l.logDir, n))
		}
	}
	slices.SortFunc(files, func(a, b logFile) int {
		switch {
		case a.zxid < b.zxid:
			return -1
		case a.zxid > b.zxid:
			return 1
		}
		return 0
	})
	var segs []*segment
	prev := uint64(0)
	for i, f := range files {
		seg, err := l.scanSegment(f.path, f.zxid, i == len(files)-1, prev)
		if err != nil {
			return err
		}
		if seg != nil {
			segs = append(segs, seg)
			prev = seg.last
		}
	}
	if len(segs) > 0 {
		s := segs[len(segs)-1]
		f, err := l.fs.OpenFile(s.path, os.O_RDWR|os.O_APPEND, 0)
		if err != nil {
			return fmt.Errorf("wal: open %s: %w", s.path, err)
		}
		l.active = f
		l.synced = s.size
		l.first.Store(segs[0].first)
	}
	l.segs = segs
	l.last.Store(prev)
	l.durable.Store(prev)
	l.tailFrom = prev
	return nil
}

// scanSegment verifies one log file and indexes it. See doc.go for the
// torn-tail rule. It returns nil (and removes the file) for a last file
// that holds no complete record.
func (l *Log) scanSegment(path string, nameZxid uint64, last bool, prev uint64) (*segment, error) {
	flag := os.O_RDONLY
	if last {
		flag = os.O_RDWR
	}
	f, err := l.fs.OpenFile(path, flag, 0)
	if err != nil {
		return nil, fmt.Errorf("wal: open %s: %w", path, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return nil, fmt.Errorf("wal: stat %s: %w", path, err)
	}
	hdr := make([]byte, min(size, fileHeader))
	if _, err := f.ReadAt(hdr, 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("wal: read %s: %w", path, err)
	}
	if string(hdr) != logMagic {
		if last && (size < fileHeader && strings.HasPrefix(logMagic, string(hdr)) || allZero(f, size)) {
			l.log.Warn("wal: removing log file torn while it was created", "file", path, "bytes", size)
			return nil, l.removeFile(path)
		}
		return nil, fmt.Errorf("%w: %s at offset 0: bad file header %q", ErrCorrupt, path, hdr)
	}
	seg := &segment{path: path}
	rr := newRecordReader(f, fileHeader, size, 1<<20)
	for {
		off := rr.off
		e, err := rr.next()
		if err == io.EOF {
			break
		}
		if errors.Is(err, errBadRecord) {
			if last {
				torn, terr := l.tornTail(f, path, off, size, prev, err)
				if terr != nil {
					return nil, terr
				}
				if torn {
					break
				}
			}
			return nil, fmt.Errorf("%w: %s at offset %d: %v", ErrCorrupt, path, off, err)
		}
		if err != nil {
			return nil, fmt.Errorf("wal: read %s at offset %d: %w", path, off, err)
		}
		if e.Zxid <= prev {
			return nil, fmt.Errorf("%w: %s at offset %d: zxid %s does not follow %s", ErrCorrupt, path, off, msg.FormatZxid(e.Zxid), msg.FormatZxid(prev))
		}
		if seg.first == 0 && e.Zxid != nameZxid {
			return nil, fmt.Errorf("%w: %s at offset %d: first zxid %s does not match the file name", ErrCorrupt, path, off, msg.FormatZxid(e.Zxid))
		}
		seg.add(e.Zxid, off)
		prev = e.Zxid
	}
	seg.size = rr.off
	if seg.first == 0 {
		if last {
			l.log.Warn("wal: removing log file that holds no complete record", "file", path)
			return nil, l.removeFile(path)
		}
		return nil, fmt.Errorf("%w: %s holds no records", ErrCorrupt, path)
	}
	return seg, nil
}

// tornTail decides whether the bad record at off of the last file is a
// torn tail (nothing valid follows it) and if so cuts the file there
// durably.
func (l *Log) tornTail(f File, path string, off, size int64, prev uint64, why error) (bool, error) {
	tail := make([]byte, size-off)
	if _, err := f.ReadAt(tail, off); err != nil && err != io.EOF {
		return false, fmt.Errorf("wal: read %s at offset %d: %w", path, off, err)
	}
	if validRecordAfter(tail, prev) {
		return false, nil
	}
	l.log.Warn("wal: truncating torn tail of the log", "file", path, "offset", off, "bytes", size-off, "reason", why.Error())
	if err := f.Truncate(off); err != nil {
		return false, fmt.Errorf("wal: truncate %s at %d: %w", path, off, err)
	}
	if err := f.Sync(); err != nil {
		return false, fmt.Errorf("wal: fsync %s: %w", path, err)
	}
	return true, nil
}

func allZero(f File, size int64) bool {
	b := make([]byte, readBuf)
	for off := int64(0); off < size; off += int64(len(b)) {
		n, err := f.ReadAt(b[:min(int64(len(b)), size-off)], off)
		for _, c := range b[:n] {
			if c != 0 {
				return false
			}
		}
		if err != nil {
			return err == io.EOF && off+int64(n) >= size
		}
	}
	return true
}

func (l *Log) removeFile(path string) error {
	if err := l.fs.Remove(path); err != nil {
		return fmt.Errorf("wal: remove %s: %w", path, err)
	}
	if err := l.fs.SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("wal: fsync dir %s: %w", filepath.Dir(path), err)
	}
	return nil
}

// usable returns why the log can't be used, if it can't. mu held.
func (l *Log) usable() error {
	if l.closed {
		return ErrClosed
	}
	if l.err != nil {
		return fmt.Errorf("%w: %w", ErrPoisoned, l.err)
	}
	return nil
}

// poison records the first failure; from then on the log refuses work,
// because after a failed write or fsync nobody knows what is on disk
// (fsyncgate: a retried fsync may "succeed" with the data gone). mu held.
func (l *Log) poison(err error) error {
	if l.err == nil {
		l.err = err
		// Warn: the caller gets the error and says what it means (the
		// node logs the one Error as it stops).
		l.log.Warn("wal: log failed; refusing further writes until reopened", "err", err)
	}
	return err
}

// noSpace marks err as ErrNoSpace if a write, create or rename failed for
// want of space. Never for an fsync: ENOSPC there means pages the kernel
// had accepted are lost (fsyncgate), which is as bad as EIO.
func noSpace(err error) error {
	if isNoSpace(err) {
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	return err
}

func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// dropUnsynced handles a write that found the disk full: the records not
// yet fsynced are forgotten and cut off the active file (a partial write
// may have left some of their bytes), so the log is exactly its durable
// prefix again and a retry appends them afresh. A segment left with no
// durable record is removed, so a retry may start it with another first
// zxid. Only if that cleanup fails is the log poisoned. mu held.
func (l *Log) dropUnsynced(cause error) error {
	l.buf = l.buf[:0]
	if n := len(l.segs); n > 0 {
		seg := l.segs[n-1]
		if l.synced <= fileHeader {
			_ = l.active.Close()
			l.active = nil
			if err := l.removeFile(seg.path); err != nil {
				return l.poison(fmt.Errorf("wal: after a full disk: %w", err))
			}
			l.segs = l.segs[:n-1]
			l.synced = 0
			if n > 1 {
				prev := l.segs[n-2]
				f, err := l.fs.OpenFile(prev.path, os.O_RDWR|os.O_APPEND, 0)
				if err != nil {
					return l.poison(fmt.Errorf("wal: after a full disk: open %s: %w", prev.path, err))
				}
				l.active, l.synced = f, prev.size
				// The removed segment may have been a Roll; do it again.
				l.rollNext = true
			}
		} else {
			if err := l.active.Truncate(l.synced); err != nil {
				return l.poison(fmt.Errorf("wal: after a full disk: truncate %s at %d: %w", seg.path, l.synced, err))
			}
			if err := l.active.Sync(); err != nil {
				return l.poison(fmt.Errorf("wal: after a full disk: fsync %s: %w", seg.path, err))
			}
			seg.size, seg.last = l.synced, l.durable.Load()
			for len(seg.index) > 0 && seg.index[len(seg.index)-1].off >= l.synced {
				seg.index = seg.index[:len(seg.index)-1]
			}
		}
	}
	l.last.Store(l.durable.Load())
	l.forgetAfterLast()
	if len(l.segs) == 0 {
		l.first.Store(0)
	} else {
		l.first.Store(l.segs[0].first)
	}
	return fmt.Errorf("%w: %w", ErrNoSpace, cause)
}

// LastZxid is the zxid of the last appended entry (0 if the log is empty).
func (l *Log) LastZxid() uint64 { return l.last.Load() }

// DurableZxid is the zxid of the last entry known to be fsynced.
func (l *Log) DurableZxid() uint64 { return l.durable.Load() }

// FirstZxid is the zxid of the oldest entry still held (0 if none).
func (l *Log) FirstZxid() uint64 { return l.first.Load() }

// Append adds entries after the last one. It only buffers (or writes
// without fsync): call Sync to make them durable. Zxids must ascend
// strictly from above LastZxid, else ErrOutOfOrder and nothing is
// appended. After ErrNoSpace the log holds its durable entries only
// (which may include some of these, made durable by a segment roll).
func (l *Log) Append(entries ...Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	prev := l.last.Load()
	for _, e := range entries {
		if e.Zxid <= prev {
			return fmt.Errorf("%w: append %s after %s", ErrOutOfOrder, msg.FormatZxid(e.Zxid), msg.FormatZxid(prev))
		}
		if len(e.Data) > maxRecord {
			return fmt.Errorf("%w: %s has %d bytes (limit %d)", ErrTooLarge, msg.FormatZxid(e.Zxid), len(e.Data), maxRecord)
		}
		prev = e.Zxid
	}
	for _, e := range entries {
		if err := l.makeRoom(e); err != nil {
			return err
		}
		seg := l.segs[len(l.segs)-1]
		seg.add(e.Zxid, seg.size)
		l.buf = appendRecord(l.buf, e)
		seg.size += recordSize(e)
		l.last.Store(e.Zxid)
		l.remember(e)
		if len(l.buf) >= flushAt {
			if err := l.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// makeRoom makes sure the active segment can take e: it starts the first
// segment, or rolls to a new one when e would overflow the current one.
func (l *Log) makeRoom(e Entry) error {
	if l.active != nil {
		seg := l.segs[len(l.segs)-1]
		if seg.size == fileHeader || !l.rollNext && seg.size+recordSize(e) <= l.segBytes {
			return nil
		}
		// The old segment is made durable before the new one exists, so
		// only the last file can ever have a torn tail.
		if err := l.flush(); err != nil {
			return err
		}
		if err := l.active.Sync(); err != nil {
			return l.poison(fmt.Errorf("wal: fsync %s: %w", seg.path, err))
		}
		l.durable.Store(l.last.Load())
		l.synced = seg.size
	}
	// The old segment stays active until the new one is in place, so a
	// full disk here leaves the log as it was.
	path := filepath.Join(l.logDir, logName(e.Zxid))
	f, err := l.fs.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		if isNoSpace(err) {
			return fmt.Errorf("%w: create %s: %w", ErrNoSpace, path, err)
		}
		return l.poison(fmt.Errorf("wal: create %s: %w", path, err))
	}
	if _, err := f.Write([]byte(logMagic)); err != nil {
		f.Close()
		if isNoSpace(err) {
			if rerr := l.removeFile(path); rerr != nil {
				return l.poison(fmt.Errorf("wal: after a full disk: %w", rerr))
			}
			return fmt.Errorf("%w: write %s: %w", ErrNoSpace, path, err)
		}
		return l.poison(fmt.Errorf("wal: write %s: %w", path, err))
	}
	// The header and the directory entry are made durable now so that a
	// later Sync, which fsyncs only the file, covers the whole segment.
	if err := f.Sync(); err != nil {
		f.Close()
		return l.poison(fmt.Errorf("wal: fsync %s: %w", path, err))
	}
	if err := l.fs.SyncDir(l.logDir); err != nil {
		f.Close()
		return l.poison(fmt.Errorf("wal: fsync dir %s: %w", l.logDir, err))
	}
	if l.active != nil {
		err := l.active.Close()
		l.active = nil
		if err != nil {
			f.Close()
			return l.poison(fmt.Errorf("wal: close %s: %w", l.segs[len(l.segs)-1].path, err))
		}
	}
	l.active, l.rollNext, l.synced = f, false, fileHeader
	l.segs = append(l.segs, &segment{path: path, size: fileHeader})
	if l.first.Load() == 0 {
		l.first.Store(e.Zxid)
	}
	return nil
}

// Roll makes the next append start a new log file, as ZooKeeper rolls its
// log when it takes a snapshot: the files before it then hold only txns
// the snapshot covers, so Purge can delete them.
func (l *Log) Roll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rollNext = true
}

// flush writes the buffered records to the active file. mu held.
func (l *Log) flush() error {
	if len(l.buf) == 0 {
		return nil
	}
	if _, err := l.active.Write(l.buf); err != nil {
		err = fmt.Errorf("wal: write %s: %w", l.segs[len(l.segs)-1].path, err)
		if isNoSpace(err) {
			return l.dropUnsynced(err)
		}
		return l.poison(err)
	}
	if cap(l.buf) > 4*flushAt {
		l.buf = nil // don't pin a buffer grown by one huge entry
	} else {
		l.buf = l.buf[:0]
	}
	return nil
}

// Sync writes and fsyncs everything appended: when it returns nil, every
// entry up to LastZxid is durable. After ErrNoSpace (a write found the
// disk full) the unsynced entries are dropped; after any other failure
// the log is poisoned.
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	return l.syncLocked()
}

func (l *Log) syncLocked() error {
	last := l.last.Load()
	if l.durable.Load() == last && len(l.buf) == 0 {
		return nil
	}
	if err := l.flush(); err != nil {
		return err
	}
	// The records are in the file, not yet durable: a crash here leaves
	// whatever prefix of them the disk kept.
	l.crash(CrashBeforeFsync)
	seg := l.segs[len(l.segs)-1]
	start := time.Now()
	if err := l.active.Sync(); err != nil {
		return l.poison(fmt.Errorf("wal: fsync %s: %w", seg.path, err))
	}
	if l.onFsync != nil {
		l.onFsync(time.Since(start))
	}
	l.durable.Store(last)
	l.synced = seg.size
	return nil
}

// Entries calls fn with every entry with zxid > after, in order, including
// entries not yet synced. fn runs with the log locked: it must not call
// the Log, and appends wait until Entries returns. An error from fn stops
// the scan and is returned as is.
func (l *Log) Entries(after uint64, fn func(Entry) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	if after >= l.tailFrom && (after >= l.first.Load() || l.tailFrom >= l.first.Load()) {
		i := sort.Search(len(l.tail), func(i int) bool { return l.tail[i].Zxid > after })
		for _, e := range l.tail[i:] {
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	}
	if err := l.flush(); err != nil {
		return err
	}
	for i, seg := range l.segs {
		if seg.last <= after {
			continue
		}
		if err := l.scanFrom(seg, i == len(l.segs)-1, after, fn); err != nil {
			return err
		}
	}
	return nil
}

func (l *Log) scanFrom(seg *segment, active bool, after uint64, fn func(Entry) error) error {
	f := l.active
	if !active {
		var err error
		if f, err = l.fs.OpenFile(seg.path, os.O_RDONLY, 0); err != nil {
			return fmt.Errorf("wal: open %s: %w", seg.path, err)
		}
		defer f.Close()
	}
	rr := newRecordReader(f, seg.seek(after), seg.size, readBuf)
	for {
		off := rr.off
		e, err := rr.next()
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, errBadRecord):
			return fmt.Errorf("%w: %s at offset %d: %v", ErrCorrupt, seg.path, off, err)
		case err != nil:
			return fmt.Errorf("wal: read %s at offset %d: %w", seg.path, off, err)
		}
		if e.Zxid <= after {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

// tailBytes bounds the data the in-memory tail keeps: enough for the
// entries between a proposal and its commit under any sane load, and for
// a follower a few thousand writes behind.
const tailBytes = 4 << 20

// remember adds the entry just appended to the tail, dropping the oldest
// half when the tail outgrows tailMax (copied, so the array behind the
// slice does not grow without bound). mu held.
func (l *Log) remember(e Entry) {
	l.tail = append(l.tail, e)
	l.tailSize += len(e.Data)
	if l.tailSize <= l.tailMax || len(l.tail) < 2 {
		return
	}
	drop := len(l.tail) / 2
	for _, d := range l.tail[:drop] {
		l.tailSize -= len(d.Data)
	}
	l.tailFrom = l.tail[drop-1].Zxid
	l.tail = append([]Entry(nil), l.tail[drop:]...)
}

// forgetAfterLast drops from the tail what is no longer in the log after
// a truncation or a full disk. mu held.
func (l *Log) forgetAfterLast() {
	last := l.last.Load()
	if l.tailFrom > last {
		l.tail, l.tailFrom, l.tailSize = nil, last, 0
		return
	}
	i := sort.Search(len(l.tail), func(i int) bool { return l.tail[i].Zxid > last })
	for _, d := range l.tail[i:] {
		l.tailSize -= len(d.Data)
	}
	l.tail = l.tail[:i:i]
}

// TruncateAfter durably drops every entry with zxid > zxid (ZAB's TRUNC):
// later files are removed, the file holding zxid is cut at the record
// boundary and fsynced. Afterwards LastZxid is the last entry kept (which
// may be below zxid) and everything kept is durable.
func (l *Log) TruncateAfter(zxid uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usable(); err != nil {
		return err
	}
	if zxid >= l.last.Load() {
		return nil
	}
	if err := l.flush(); err != nil {
		return err
	}
	// Newest first, each removal made durable before the next: unsynced
	// directory changes may reach the disk in any order, and a crash must
	// leave a contiguous prefix, never a gap.
	for n := len(l.segs); n > 0 && l.segs[n-1].first > zxid; n-- {
		seg := l.segs[n-1]
		if l.active != nil {
			_ = l.active.Close()
			l.active = nil
		}
		if err := l.removeFile(seg.path); err != nil {
			return l.poison(err)
		}
		l.segs = l.segs[:n-1]
	}
	if len(l.segs) == 0 {
		l.last.Store(0)
		l.durable.Store(0)
		l.first.Store(0)
		l.synced = 0
		l.forgetAfterLast()
		return nil
	}
	seg := l.segs[len(l.segs)-1]
	if l.active == nil {
		f, err := l.fs.OpenFile(seg.path, os.O_RDWR|os.O_APPEND, 0)
		if err != nil {
			return l.poison(fmt.Errorf("wal: open %s: %w", seg.path, err))
		}
		l.active = f
	}
	if seg.last > zxid {
		if err := l.cut(seg, zxid); err != nil {
			return err
		}
	}
	l.last.Store(seg.last)
	l.durable.Store(seg.last)
	l.synced = seg.size
	l.forgetAfterLast()
	return nil
}

// cut truncates the active segment after the last record with zxid <=
// zxid (there is one: seg.first <= zxid). mu held.
func (l *Log) cut(seg *segment, zxid uint64) error {
	rr := newRecordReader(l.active, seg.seek(zxid), seg.size, readBuf)
	keep := uint64(0)
	for {
		off := rr.off
		e, err := rr.next()
		if err != nil {
			if err == io.EOF {
				panic("wal: segment index says it holds a zxid above the truncation point, but none was found")
			}
			return l.poison(fmt.Errorf("wal: read %s at offset %d: %w", seg.path, off, err))
		}
		if e.Zxid > zxid {
			if err := l.active.Truncate(off); err != nil {
				return l.poison(fmt.Errorf("wal: truncate %s at %d: %w", seg.path, off, err))
			}
			if err := l.active.Sync(); err != nil {
				return l.poison(fmt.Errorf("wal: fsync %s: %w", seg.path, err))
			}
			seg.size, seg.last = off, keep
			for len(seg.index) > 0 && seg.index[len(seg.index)-1].off >= off {
				seg.index = seg.index[:len(seg.index)-1]
			}
			return nil
		}
		keep = e.Zxid
	}
}

// Close flushes and fsyncs what was appended (unless the log is poisoned)
// and releases the files. Later calls return ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	var err error
	if l.err == nil && l.active != nil {
		err = l.syncLocked()
	}
	if l.active != nil {
		if cerr := l.active.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("wal: close log: %w", cerr)
		}
		l.active = nil
	}
	l.closed = true
	return err
}
