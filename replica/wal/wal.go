package wal

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// ErrCorrupt marks a file that failed validation; the message names it.
var ErrCorrupt = errors.New("wal: corrupt file")

// Options tunes Open.
type Options struct {
	Logger *slog.Logger
}

// Log is an opened pair of data directories.
type Log struct {
	dataDir, logDir string
	log             *slog.Logger

	mu            sync.Mutex
	acceptedEpoch uint64
	currentEpoch  uint64
}

const versionDir = "version-2"

// Open creates the directories if needed and loads the epoch files.
func Open(dataDir, logDir string, opt Options) (*Log, error) {
	if logDir == "" {
		logDir = dataDir
	}
	l := &Log{dataDir: filepath.Join(dataDir, versionDir), logDir: filepath.Join(logDir, versionDir), log: opt.Logger}
	if l.log == nil {
		l.log = slog.Default()
	}
	for _, d := range []string{l.dataDir, l.logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("wal: create %s: %w", d, err)
		}
	}
	var err error
	if l.acceptedEpoch, err = readEpoch(filepath.Join(l.dataDir, "acceptedEpoch")); err != nil {
		return nil, err
	}
	if l.currentEpoch, err = readEpoch(filepath.Join(l.dataDir, "currentEpoch")); err != nil {
		return nil, err
	}
	return l, nil
}

// Close releases the log.
func (l *Log) Close() error { return nil }

// AcceptedEpoch is the last epoch this node accepted from a leader.
func (l *Log) AcceptedEpoch() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acceptedEpoch
}

// SetAcceptedEpoch makes e durable before returning.
func (l *Log) SetAcceptedEpoch(e uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := writeEpoch(l.dataDir, "acceptedEpoch", e); err != nil {
		return err
	}
	l.acceptedEpoch = e
	return nil
}

// CurrentEpoch is the epoch of the last history this node installed.
func (l *Log) CurrentEpoch() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.currentEpoch
}

// SetCurrentEpoch makes e durable before returning. Callers write it only
// after the history it covers is durable (ZOOKEEPER-4785).
func (l *Log) SetCurrentEpoch(e uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := writeEpoch(l.dataDir, "currentEpoch", e); err != nil {
		return err
	}
	l.currentEpoch = e
	return nil
}

func readEpoch(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("wal: read %s: %w", path, err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %q is not an epoch number", ErrCorrupt, path, b)
	}
	return v, nil
}

func writeEpoch(dir, name string, v uint64) error {
	path := filepath.Join(dir, name)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("wal: write %s: %w", path, err)
	}
	if _, err := f.WriteString(strconv.FormatUint(v, 10) + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("wal: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("wal: fsync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("wal: close %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("wal: rename %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("wal: open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("wal: fsync dir %s: %w", dir, err)
	}
	return nil
}
