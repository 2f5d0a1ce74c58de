package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/paddock-zk/paddock/internal/memfs"
)

func snapData(z uint64) []byte { return bytes.Repeat([]byte(fmt.Sprintf("tree@%d;", z)), 1000) }

func saveSnap(t testing.TB, l *Log, z uint64) {
	t.Helper()
	err := l.SaveSnapshot(z, func(w io.Writer) error {
		d := snapData(z)
		for len(d) > 0 { // several writes, like a tree walk
			n := min(len(d), 777)
			if _, err := w.Write(d[:n]); err != nil {
				return err
			}
			d = d[n:]
		}
		return nil
	})
	if err != nil {
		t.Fatalf("SaveSnapshot(%d): %v", z, err)
	}
}

func readSnap(l *Log, z uint64) ([]byte, error) {
	rc, err := l.OpenSnapshot(z)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestSnapshots(t *testing.T) {
	for _, k := range fsKinds {
		t.Run(k.name, func(t *testing.T) {
			fsys, dir := k.new(t)
			l := mustOpen(t, fsys, dir, 0)
			if len(l.Snapshots()) != 0 {
				t.Fatal("fresh dir lists snapshots")
			}
			for _, z := range []uint64{0x100000005, 3, 0x20} {
				saveSnap(t, l, z)
			}
			if got := l.Snapshots(); !slices.Equal(got, []uint64{0x100000005, 0x20, 3}) {
				t.Fatalf("Snapshots() = %x", got)
			}
			l.Close()
			l = mustOpen(t, fsys, dir, 0)
			defer l.Close()
			for _, z := range l.Snapshots() {
				b, err := readSnap(l, z)
				if err != nil || !bytes.Equal(b, snapData(z)) {
					t.Fatalf("snapshot %x: %d bytes, %v", z, len(b), err)
				}
			}
			if _, err := l.OpenSnapshot(7); !errors.Is(err, ErrNoSnapshot) {
				t.Fatalf("missing snapshot: %v", err)
			}
			names, _ := fsys.ReadDir(filepath.Join(dir, versionDir))
			if !slices.Contains(names, "snapshot.100000005") {
				t.Fatalf("file names %v: want ZooKeeper's snapshot.<hex>", names)
			}
		})
	}
}

func TestSnapshotCorruption(t *testing.T) {
	tests := []struct {
		name   string
		mutate func([]byte) []byte
	}{
		{"flipped content byte", func(b []byte) []byte { b[100] ^= 1; return b }},
		{"flipped CRC", func(b []byte) []byte { b[len(b)-snapTrailer+8] ^= 1; return b }},
		{"flipped length", func(b []byte) []byte { b[len(b)-snapTrailer] ^= 1; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }},
		{"no trailer", func(b []byte) []byte { return b[:len(b)-snapTrailer] }},
		{"tiny", func(b []byte) []byte { return b[:3] }},
		{"empty", func([]byte) []byte { return nil }},
		{"appended byte", func(b []byte) []byte { return append(b, 0) }},
	}
	for _, k := range fsKinds {
		for _, tt := range tests {
			t.Run(k.name+"/"+tt.name, func(t *testing.T) {
				fsys, dir := k.new(t)
				l := mustOpen(t, fsys, dir, 0)
				defer l.Close()
				saveSnap(t, l, 9)
				p := filepath.Join(dir, versionDir, "snapshot.9")
				writeAll(t, fsys, p, tt.mutate(readAll(t, fsys, p)))
				rc, err := l.OpenSnapshot(9)
				if rc != nil {
					rc.Close()
					t.Fatal("got a reader for a corrupt snapshot")
				}
				wantErrIs(t, err, ErrCorrupt)
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not name %s", err, p)
				}
			})
		}
	}
}

func TestSnapshotFailuresLeaveNothing(t *testing.T) {
	boom := errors.New("tree walk failed")
	tests := []struct {
		name   string
		inject func(*memfs.FS)
		write  func(io.Writer) error
		want   error
	}{
		{"writer fails", func(*memfs.FS) {}, func(w io.Writer) error { w.Write([]byte("part")); return boom }, boom},
		{"fsync fails", func(m *memfs.FS) { m.FailNextSync(syscall.EIO) }, func(w io.Writer) error { _, err := w.Write([]byte("x")); return err }, syscall.EIO},
		{"disk full", func(m *memfs.FS) { m.NoSpace(10) }, func(w io.Writer) error { _, err := w.Write(make([]byte, 1<<20)); return err }, syscall.ENOSPC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := memfs.New()
			l := mustOpen(t, fsys, "/d", 0)
			appendSync(t, l, 1, 3)
			saveSnap(t, l, 1)
			tt.inject(fsys)
			wantErrIs(t, l.SaveSnapshot(3, tt.write), tt.want)
			fsys.ClearNoSpace()
			names, _ := fsys.ReadDir("/d/version-2")
			for _, n := range names {
				if isTmp(n) || n == "snapshot.3" {
					t.Fatalf("%s left behind: %v", n, names)
				}
			}
			appendSync(t, l, 4, 5) // the log is not poisoned by a snapshot failure
			saveSnap(t, l, 5)
		})
	}
}

func TestSnapshotCrashAtomic(t *testing.T) {
	fsys := memfs.New()
	l := mustOpen(t, fsys, "/d", 0)
	saveSnap(t, l, 1)
	// A crash while a snapshot (or epoch) was written leaves a temporary
	// file; it is never listed, and Open clears it away.
	for _, n := range []string{"snapshot.2.1.tmp", "acceptedEpoch.tmp"} {
		writeAll(t, fsys, "/d/version-2/"+n, []byte("half a tree"))
	}
	if got := l.Snapshots(); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("Snapshots() = %v with a temporary file, want [1]", got)
	}
	fsys.Crash()
	l = mustOpen(t, fsys, "/d", 0)
	names, _ := fsys.ReadDir("/d/version-2")
	if slices.ContainsFunc(names, isTmp) {
		t.Fatalf("temporary file survived Open: %v", names)
	}
	// A completed SaveSnapshot survives a crash.
	saveSnap(t, l, 2)
	fsys.Crash()
	l = mustOpen(t, fsys, "/d", 0)
	if b, err := readSnap(l, 2); err != nil || !bytes.Equal(b, snapData(2)) {
		t.Fatalf("snapshot 2 after crash: %v", err)
	}
}

func TestPurge(t *testing.T) {
	// Files: [1-4] [5-8] [9-12] [13-16] [17-20].
	const seg = int64(fileHeader) + 4*recLen
	tests := []struct {
		name      string
		snaps     []uint64
		retain    int
		wantSnaps []uint64
		wantFirst uint64
	}{
		{"keeps logs after the oldest kept snapshot", []uint64{2, 6, 10, 14, 18}, 3, []uint64{18, 14, 10}, 9},
		{"snapshot at a file's last entry", []uint64{4, 8, 12, 16}, 3, []uint64{16, 12, 8}, 9},
		{"fewer snapshots than retain", []uint64{12, 18}, 3, []uint64{18, 12}, 13},
		{"never the active file", []uint64{19, 20, 21, 22}, 3, []uint64{22, 21, 20}, 17},
		{"no snapshots", nil, 3, nil, 1},
		{"retain more", []uint64{2, 6, 10, 14, 18}, 4, []uint64{18, 14, 10, 6}, 5},
	}
	for _, k := range fsKinds {
		for _, tt := range tests {
			t.Run(k.name+"/"+tt.name, func(t *testing.T) {
				fsys, dir := k.new(t)
				l := mustOpen(t, fsys, dir, seg)
				appendSync(t, l, 1, 20)
				for _, z := range tt.snaps {
					saveSnap(t, l, z)
				}
				if err := l.Purge(tt.retain); err != nil {
					t.Fatal(err)
				}
				check := func() {
					t.Helper()
					if got := l.Snapshots(); !slices.Equal(got, tt.wantSnaps) {
						t.Fatalf("snapshots %v, want %v", got, tt.wantSnaps)
					}
					if l.FirstZxid() != tt.wantFirst {
						t.Fatalf("FirstZxid %d, want %d", l.FirstZxid(), tt.wantFirst)
					}
					checkLog(t, l, tt.wantFirst, 20)
					// Recovery needs the newest snapshot and every entry after
					// the oldest kept one.
					for _, z := range tt.wantSnaps {
						if _, err := readSnap(l, z); err != nil {
							t.Fatal(err)
						}
					}
				}
				check()
				l.Close()
				l = mustOpen(t, fsys, dir, seg)
				check()
				appendSync(t, l, 21, 21)
				l.Close()
			})
		}
	}
	l := mustOpen(t, memfs.New(), "/d", 0)
	wantErrIs(t, l.Purge(2), ErrRetain)
}

// TestSnapshotConcurrentWithLog runs SaveSnapshot, Snapshots, OpenSnapshot
// and Purge on other goroutines while the log appends and syncs (run with
// -race).
func TestSnapshotConcurrentWithLog(t *testing.T) {
	fsys := memfs.New()
	l := mustOpen(t, fsys, "/d", int64(fileHeader)+8*recLen)
	done := make(chan error, 1)
	go func() {
		for z := uint64(1); z <= 20; z++ {
			saveSnap(t, l, z*10)
			if _, err := readSnap(l, l.Snapshots()[0]); err != nil {
				done <- err
				return
			}
			if err := l.Purge(3); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for z := uint64(1); z <= 400; z += 4 {
		appendSync(t, l, z, z+3)
		_ = l.FirstZxid()
		_ = l.AcceptedEpoch()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := len(l.Snapshots()); got != 3 {
		t.Fatalf("%d snapshots after purge, want 3", got)
	}
	if l.FirstZxid() > 181 {
		t.Fatalf("FirstZxid %d: purged entries the oldest kept snapshot (180) needs", l.FirstZxid())
	}
	l.Close()
}
