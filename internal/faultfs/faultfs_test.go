package faultfs

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/paddock-zk/paddock/internal/memfs"
)

// How a simulated crash leaves the log's records (the synced prefix, a
// torn or whole unsynced tail) is tested with the log, in replica/wal.

func TestCrashRemovesUndurableCreates(t *testing.T) {
	disk := memfs.New()
	if err := disk.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	ffs := New(disk, 1)
	for _, p := range []string{"/d/kept", "/d/lost"} {
		f, err := ffs.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("data")); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		if p == "/d/kept" {
			if err := ffs.SyncDir("/d"); err != nil {
				t.Fatal(err)
			}
		}
	}
	rep, err := ffs.Crash()
	if err != nil {
		t.Fatal(err)
	}
	names, _ := disk.ReadDir("/d")
	if len(names) != 1 || names[0] != "kept" || len(rep.Removed) != 1 {
		t.Fatalf("after the crash: %v (%s), want only kept", names, rep)
	}
	if got := string(mustRead(t, disk, "/d/kept")); got != "data" {
		t.Fatalf("kept holds %q", got)
	}
}

func TestModes(t *testing.T) {
	disk := memfs.New()
	disk.MkdirAll("/d", 0o755)
	ffs := New(disk, 1)
	f, err := ffs.OpenFile("/d/a", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	ffs.SetMode(NoSpace)
	if _, err := f.Write([]byte("x")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write with a full disk: %v", err)
	}
	if _, err := ffs.OpenFile("/d/b", os.O_CREATE|os.O_WRONLY, 0o644); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("create with a full disk: %v", err)
	}
	ffs.SetMode(SyncEIO)
	if _, err := f.Write([]byte("x")); err != nil {
		t.Fatalf("write under eio-fsync: %v", err)
	}
	if err := f.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("fsync under eio-fsync: %v", err)
	}
	if err := ffs.SyncDir("/d"); !errors.Is(err, syscall.EIO) {
		t.Fatalf("dir fsync under eio-fsync: %v", err)
	}
	ffs.SetMode(None)
	if err := f.Sync(); err != nil {
		t.Fatalf("fsync after the fault: %v", err)
	}
	for _, s := range []string{"", "none", "enospc", "eio-fsync"} {
		m, err := ParseMode(s)
		if err != nil || (s != "" && m.String() != s) {
			t.Errorf("ParseMode(%q) = %v, %v", s, m, err)
		}
	}
	if _, err := ParseMode("meteor"); err == nil {
		t.Error("an unknown mode was accepted")
	}
}

func mustRead(t *testing.T, m *memfs.FS, p string) []byte {
	t.Helper()
	b, err := m.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
