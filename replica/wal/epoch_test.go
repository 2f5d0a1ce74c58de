package wal

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/paddock-zk/paddock/internal/memfs"
)

func TestEpochsPersist(t *testing.T) {
	for _, k := range fsKinds {
		t.Run(k.name, func(t *testing.T) {
			fsys, dir := k.new(t)
			l := mustOpen(t, fsys, dir, 0)
			if l.AcceptedEpoch() != 0 || l.CurrentEpoch() != 0 {
				t.Fatal("fresh dir has epochs")
			}
			for _, e := range []uint64{3, 7, 1 << 40} {
				if err := l.SetAcceptedEpoch(e); err != nil {
					t.Fatal(err)
				}
				if err := l.SetCurrentEpoch(e - 1); err != nil {
					t.Fatal(err)
				}
			}
			l.Close()
			if m, ok := fsys.(*memfs.FS); ok {
				m.Crash()
			}
			l = mustOpen(t, fsys, dir, 0)
			if l.AcceptedEpoch() != 1<<40 || l.CurrentEpoch() != 1<<40-1 {
				t.Fatalf("reopened epochs %d/%d", l.AcceptedEpoch(), l.CurrentEpoch())
			}
			names, _ := fsys.ReadDir(filepath.Join(dir, versionDir))
			for _, n := range names {
				if isTmp(n) {
					t.Errorf("temporary file %s left behind", n)
				}
			}
		})
	}
}

func TestCorruptEpochReported(t *testing.T) {
	tests := []struct {
		name    string
		content string
	}{
		{"not a number", "7x\n"},
		{"plain number without checksum", "7\n"},
		{"rotted digit", strings.Replace(epochText(17), "17", "16", 1)},
		{"rotted checksum", epochText(17)[:3] + "0000000\n"},
		{"empty", ""},
		{"truncated", epochText(17)[:4]},
	}
	for _, k := range fsKinds {
		for _, tt := range tests {
			for _, file := range []string{acceptedEpochFile, currentEpochFile} {
				t.Run(k.name+"/"+tt.name+"/"+file, func(t *testing.T) {
					fsys, dir := k.new(t)
					if err := fsys.MkdirAll(filepath.Join(dir, versionDir), 0o755); err != nil {
						t.Fatal(err)
					}
					p := filepath.Join(dir, versionDir, file)
					writeAll(t, fsys, p, []byte(tt.content))
					l, err := Open(dir, "", Options{FS: fsys})
					if l != nil {
						t.Fatal("Open used a corrupt epoch file")
					}
					wantErrIs(t, err, ErrCorrupt)
					if !strings.Contains(err.Error(), p) {
						t.Errorf("error %q does not name %s", err, p)
					}
				})
			}
		}
	}
}

// TestEpochWriteAtomic fails each fsync of an epoch update in turn and
// crashes: the file then holds the old epoch or the new one, never
// anything else, and a failed Set leaves the old value in force.
func TestEpochWriteAtomic(t *testing.T) {
	tests := []struct {
		name      string
		failSync  int // which fsync of the update fails: 1 file, 2 directory
		wantAfter uint64
	}{
		{"file fsync fails", 1, 5},
		{"directory fsync fails", 2, 5}, // renamed, but the rename was never durable
		{"no failure", 0, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := memfs.New()
			l := mustOpen(t, fsys, "/d", 0)
			if err := l.SetAcceptedEpoch(5); err != nil {
				t.Fatal(err)
			}
			n := 0
			fsys.SetSyncHook(func(string) {
				if n++; n == tt.failSync {
					fsys.FailNextSync(syscall.EIO)
				}
			})
			err := l.SetAcceptedEpoch(6)
			fsys.SetSyncHook(nil)
			if (err != nil) != (tt.failSync != 0) {
				t.Fatalf("SetAcceptedEpoch: %v", err)
			}
			if err != nil && l.AcceptedEpoch() != 5 {
				t.Fatalf("AcceptedEpoch %d after a failed write, want 5", l.AcceptedEpoch())
			}
			fsys.Crash()
			l = mustOpen(t, fsys, "/d", 0)
			if l.AcceptedEpoch() != tt.wantAfter {
				t.Fatalf("AcceptedEpoch %d after crash, want %d", l.AcceptedEpoch(), tt.wantAfter)
			}
		})
	}
}

func TestSeparateLogDir(t *testing.T) {
	data, logs := t.TempDir(), t.TempDir()
	l, err := Open(data, logs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	appendSync(t, l, 1, 3)
	saveSnap(t, l, 2)
	if err := l.SetCurrentEpoch(1); err != nil {
		t.Fatal(err)
	}
	l.Close()
	for _, p := range []string{
		filepath.Join(logs, versionDir, "log.1"),
		filepath.Join(data, versionDir, "snapshot.2"),
		filepath.Join(data, versionDir, "currentEpoch"),
	} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("want %s: %v", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(data, versionDir, "log.1")); err == nil {
		t.Error("log written to the data dir")
	}
}
