package wal

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Epoch file names, as ZooKeeper calls them.
const (
	acceptedEpochFile = "acceptedEpoch"
	currentEpochFile  = "currentEpoch"
)

func (l *Log) loadEpochs() error {
	a, err := readEpoch(l.fs, filepath.Join(l.dataDir, acceptedEpochFile))
	if err != nil {
		return err
	}
	c, err := readEpoch(l.fs, filepath.Join(l.dataDir, currentEpochFile))
	if err != nil {
		return err
	}
	l.accepted.Store(a)
	l.current.Store(c)
	return nil
}

// AcceptedEpoch is the last epoch this node accepted from a prospective
// leader (ZAB discovery). 0 if never written.
func (l *Log) AcceptedEpoch() uint64 { return l.accepted.Load() }

// CurrentEpoch is the epoch of the last history this node installed. 0 if
// never written.
func (l *Log) CurrentEpoch() uint64 { return l.current.Load() }

// SetAcceptedEpoch makes e the accepted epoch durably before returning.
// On error the old value stays in force (on disk and in AcceptedEpoch).
func (l *Log) SetAcceptedEpoch(e uint64) error {
	l.crash(CrashEpochBeforeAccepted)
	if err := l.setEpoch(acceptedEpochFile, e, &l.accepted); err != nil {
		return err
	}
	l.crash(CrashEpochAfterAccepted)
	return nil
}

// SetCurrentEpoch makes e the current epoch durably before returning.
// Callers write it only after the history it names is durable
// (ZOOKEEPER-4785).
func (l *Log) SetCurrentEpoch(e uint64) error {
	l.crash(CrashEpochBeforeCurrent)
	if err := l.setEpoch(currentEpochFile, e, &l.current); err != nil {
		return err
	}
	l.crash(CrashEpochAfterCurrent)
	return nil
}

func (l *Log) setEpoch(name string, e uint64, v interface{ Store(uint64) }) error {
	l.epochMu.Lock()
	defer l.epochMu.Unlock()
	if err := writeEpoch(l.fs, l.dataDir, name, e); err != nil {
		return err
	}
	v.Store(e)
	return nil
}

// epochText is the file content: the decimal epoch (as ZooKeeper writes
// it) and a CRC-32C of that text, so a rotted digit is detected.
func epochText(e uint64) string {
	d := strconv.FormatUint(e, 10)
	return fmt.Sprintf("%s %08x\n", d, crc32.Checksum([]byte(d), castagnoli))
}

func readEpoch(fsys FS, path string) (uint64, error) {
	b, err := readFile(fsys, path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("wal: read %s: %w", path, err)
	}
	d, _, _ := strings.Cut(string(b), " ")
	v, perr := strconv.ParseUint(d, 10, 64)
	if perr != nil || epochText(v) != string(b) {
		return 0, fmt.Errorf("%w: %s: %q is not a checksummed epoch", ErrCorrupt, path, b)
	}
	return v, nil
}

// writeEpoch replaces dir/name atomically: temporary file, fsync, rename,
// directory fsync. A crash leaves the old value or the new one. A full
// disk before the rename is ErrNoSpace, with the temporary file removed
// and the old value in force, so the write may simply be retried.
func writeEpoch(fsys FS, dir, name string, v uint64) error {
	path := filepath.Join(dir, name)
	tmp := path + ".tmp"
	f, err := fsys.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("wal: write %s: %w", path, noSpace(err))
	}
	if _, err := f.Write([]byte(epochText(v))); err != nil {
		_ = f.Close()
		_ = fsys.Remove(tmp)
		return fmt.Errorf("wal: write %s: %w", path, noSpace(err))
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		_ = fsys.Remove(tmp)
		return fmt.Errorf("wal: fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		_ = fsys.Remove(tmp)
		return fmt.Errorf("wal: close %s: %w", tmp, err)
	}
	if err := fsys.Rename(tmp, path); err != nil {
		fsys.Remove(tmp)
		return fmt.Errorf("wal: rename %s: %w", path, noSpace(err))
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("wal: fsync dir %s: %w", dir, err)
	}
	return nil
}
