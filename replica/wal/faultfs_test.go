package wal

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

// A simulated crash keeps every fsynced record and, seed by seed, drops the
// unsynced tail whole or tears it mid-record; recovery then finds the
// synced prefix and at most a contiguous run of the unsynced entries.
func TestFaultFSCrashKeepsSyncedRecords(t *testing.T) {
	torn, whole := 0, 0
	for seed := int64(1); seed <= 40; seed++ {
		disk := NewMemFS()
		ffs := NewFaultFS(disk, seed)
		l := mustOpen(t, ffs, "/d", 0)
		appendSync(t, l, 1, 10)
		if err := l.Append(ents(11, 20)...); err != nil {
			t.Fatal(err)
		}
		collect(t, l, 0) // writes the buffered records, without fsync
		rep, err := ffs.Crash()
		if err != nil {
			t.Fatalf("seed %d: crash: %v", seed, err)
		}
		// The crashed log is left open: a call on it would block, as the
		// dead process's would never return.
		r := mustOpen(t, disk, "/d", 0)
		last := r.LastZxid()
		if last < 10 || last > 20 {
			t.Fatalf("seed %d: recovered up to %d, want 10..20 (%s)", seed, last, rep)
		}
		checkLog(t, r, 1, last)
		if rep.Torn > 0 {
			torn++
		} else {
			whole++
		}
		r.Close()
	}
	if torn == 0 || whole == 0 {
		t.Fatalf("40 seeds: %d torn, %d cut at the synced length: want both", torn, whole)
	}
}

func TestFaultFSCrashRemovesUndurableCreates(t *testing.T) {
	disk := NewMemFS()
	if err := disk.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	ffs := NewFaultFS(disk, 1)
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
	if got := string(readAll(t, disk, "/d/kept")); got != "data" {
		t.Fatalf("kept holds %q", got)
	}
}

func TestFaultFSModes(t *testing.T) {
	disk := NewMemFS()
	disk.MkdirAll("/d", 0o755)
	ffs := NewFaultFS(disk, 1)
	f, err := ffs.OpenFile("/d/a", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	ffs.SetMode(FaultNoSpace)
	if _, err := f.Write([]byte("x")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write with a full disk: %v", err)
	}
	if _, err := ffs.OpenFile("/d/b", os.O_CREATE|os.O_WRONLY, 0o644); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("create with a full disk: %v", err)
	}
	ffs.SetMode(FaultSyncEIO)
	if _, err := f.Write([]byte("x")); err != nil {
		t.Fatalf("write under eio-fsync: %v", err)
	}
	if err := f.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("fsync under eio-fsync: %v", err)
	}
	if err := ffs.SyncDir("/d"); !errors.Is(err, syscall.EIO) {
		t.Fatalf("dir fsync under eio-fsync: %v", err)
	}
	ffs.SetMode(FaultNone)
	if err := f.Sync(); err != nil {
		t.Fatalf("fsync after the fault: %v", err)
	}
	for _, s := range []string{"", "none", "enospc", "eio-fsync"} {
		m, err := ParseFaultMode(s)
		if err != nil || (s != "" && m.String() != s) {
			t.Errorf("ParseFaultMode(%q) = %v, %v", s, m, err)
		}
	}
	if _, err := ParseFaultMode("meteor"); err == nil {
		t.Error("an unknown mode was accepted")
	}
}
