package wal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/paddock-zk/paddock/actors/msg"
)

// ErrNotEmpty is returned by Restore when a directory it would fill
// already holds a store: restoring over it would mix two histories.
var ErrNotEmpty = errors.New("wal: the data directory already holds data")

// restoreStage is where Restore builds the new version-2 directory before
// renaming it into place, so a crash never leaves half a store behind.
const restoreStage = versionDir + ".restore"

// WriteSnapshotFile writes a snapshot file at path, outside any data
// directory (a backup), in the data directory's format: write streams the
// content into a temporary file beside path, the trailer follows, the file
// is fsynced and renamed to path, and the directory is fsynced. On any
// error the temporary file is removed and path is as it was: never half a
// file. fsys nil is OS.
func WriteSnapshotFile(fsys FS, path string, write func(io.Writer) error) error {
	if fsys == nil {
		fsys = OS
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := writeSnapshotFile(fsys, tmp, write); err != nil {
		_ = fsys.Remove(tmp)
		return fmt.Errorf("wal: write %s: %w", path, err)
	}
	if err := fsys.Rename(tmp, path); err != nil {
		_ = fsys.Remove(tmp)
		return fmt.Errorf("wal: write %s: %w", path, noSpace(err))
	}
	if err := fsys.SyncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("wal: write %s: fsync dir: %w", path, err)
	}
	return nil
}

// SnapshotFile is the content of a snapshot file whose checksum held,
// trailer excluded.
type SnapshotFile struct {
	*io.SectionReader
	f File
}

// Close closes the file.
func (s *SnapshotFile) Close() error { return s.f.Close() }

// OpenSnapshotFile opens a snapshot file anywhere (a backup) after
// verifying its whole content against its trailer, as OpenSnapshot does
// in a data directory: a damaged file, or one that is no snapshot file,
// is an ErrCorrupt error naming it. fsys nil is OS.
func OpenSnapshotFile(fsys FS, path string) (*SnapshotFile, error) {
	if fsys == nil {
		fsys = OS
	}
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("wal: %w", err) // names path
	}
	n, err := verifySnapshot(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &SnapshotFile{io.NewSectionReader(f, 0, n), f}, nil
}

// Restore makes dataDir and logDir (dataDir when empty) a fresh store
// that starts from a snapshot at zxid, whose content write streams, with
// the accepted and current epochs at epoch: OpenStore then finds that
// snapshot, an empty log continuing after it, and epoch files that make
// the node vote with (epoch, zxid). The new version-2 directory is built
// beside dataDir's and renamed into place once complete and fsynced, so
// a crash leaves no store or the whole one (a leftover of a crashed
// restore is removed by the next). Restore refuses, with ErrNotEmpty, a
// directory whose version-2 holds anything: the caller moves old data
// aside first. It refuses an epoch below the snapshot's own. fsys nil is
// OS.
func Restore(dataDir, logDir string, fsys FS, zxid, epoch uint64, write func(io.Writer) error) error {
	if fsys == nil {
		fsys = OS
	}
	if logDir == "" {
		logDir = dataDir
	}
	if epoch < msg.ZxidEpoch(zxid) {
		return fmt.Errorf("wal: restore: epoch %d is below the snapshot's %s", epoch, msg.FormatZxid(zxid))
	}
	target, logTarget := filepath.Join(dataDir, versionDir), filepath.Join(logDir, versionDir)
	for _, d := range []string{target, logTarget} {
		names, err := fsys.ReadDir(d)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("wal: restore: %w", err)
		}
		if len(names) > 0 {
			if len(names) > 3 {
				names = append(names[:3], "...")
			}
			return fmt.Errorf("%w: %s holds %s", ErrNotEmpty, d, strings.Join(names, ", "))
		}
	}
	stage := filepath.Join(dataDir, restoreStage)
	if err := removeDir(fsys, stage); err != nil {
		return fmt.Errorf("wal: restore: remove the leftover of an earlier restore: %w", err)
	}
	if err := fsys.MkdirAll(stage, 0o755); err != nil {
		return fmt.Errorf("wal: restore: %w", noSpace(err))
	}
	if err := writeSnapshotFile(fsys, filepath.Join(stage, snapName(zxid)), write); err != nil {
		_ = removeDir(fsys, stage)
		return fmt.Errorf("wal: restore: write the snapshot: %w", err)
	}
	for _, name := range []string{acceptedEpochFile, currentEpochFile} {
		if err := writeEpoch(fsys, stage, name, epoch); err != nil {
			_ = removeDir(fsys, stage)
			return fmt.Errorf("wal: restore: %w", err)
		}
	}
	if err := fsys.SyncDir(stage); err != nil {
		return fmt.Errorf("wal: restore: fsync %s: %w", stage, err)
	}
	// An empty version-2 (checked above) would block the rename.
	if err := fsys.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("wal: restore: %w", err)
	}
	if err := fsys.Rename(stage, target); err != nil {
		return fmt.Errorf("wal: restore: %w", noSpace(err))
	}
	if err := fsys.SyncDir(dataDir); err != nil {
		return fmt.Errorf("wal: restore: fsync %s: %w", dataDir, err)
	}
	if err := fsys.MkdirAll(logTarget, 0o755); err != nil {
		return fmt.Errorf("wal: restore: %w", noSpace(err))
	}
	if err := fsys.SyncDir(logDir); err != nil {
		return fmt.Errorf("wal: restore: fsync %s: %w", logDir, err)
	}
	return nil
}

// removeDir removes dir and the files in it, if it exists.
func removeDir(fsys FS, dir string) error {
	names, err := fsys.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := fsys.Remove(filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return fsys.Remove(dir)
}
