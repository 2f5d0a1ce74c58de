package wal

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/paddock-zk/paddock/replica"
)

func writeBytes(b []byte) func(io.Writer) error {
	return func(w io.Writer) error { _, err := w.Write(b); return err }
}

// A restored directory opens as a store at the snapshot, with its epochs,
// an empty log that continues after it, and takes new entries.
func TestRestoreStartsAStoreFromTheSnapshot(t *testing.T) {
	for _, sep := range []bool{false, true} {
		dir := t.TempDir()
		logDir := ""
		if sep {
			logDir = t.TempDir()
		}
		const zxid, epoch = uint64(3<<32 | 7), uint64(4)
		data := snapData(zxid)
		if err := Restore(dir, logDir, nil, zxid, epoch, writeBytes(data)); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, restoreStage)); !os.IsNotExist(err) {
			t.Fatalf("the staging directory is left behind: %v", err)
		}
		s, err := OpenStore(dir, logDir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s.LastZxid() != zxid || s.CurrentEpoch() != epoch || s.AcceptedEpoch() != epoch {
			t.Fatalf("last %#x current %d accepted %d, want %#x %d %d", s.LastZxid(), s.CurrentEpoch(), s.AcceptedEpoch(), zxid, epoch, epoch)
		}
		z, got, err := s.Latest()
		if err != nil || z != zxid || !bytes.Equal(got, data) {
			t.Fatalf("Latest: %#x, %d bytes, %v", z, len(got), err)
		}
		if es, err := s.Entries(zxid, 1<<20); err != nil || len(es) != 0 {
			t.Fatalf("Entries after the snapshot: %v, %v", es, err)
		}
		next := uint64(5<<32 | 1)
		if err := s.Persist(replica.Ready{Entries: []Entry{{Zxid: next, Data: []byte("x")}}, CurrentEpoch: 5}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if s, err = OpenStore(dir, logDir, Options{}); err != nil {
			t.Fatal(err)
		}
		if s.LastZxid() != next || s.CurrentEpoch() != 5 {
			t.Fatalf("after reopen: last %#x current %d", s.LastZxid(), s.CurrentEpoch())
		}
		s.Close()
	}
}

func TestRestoreRefusesADirectoryWithData(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(dir, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	err = Restore(dir, "", nil, 1<<32|1, 1, writeBytes([]byte("tree")))
	if !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("restore over a store: %v, want ErrNotEmpty", err)
	}
	if _, err := os.Stat(filepath.Join(dir, versionDir, snapName(0))); err != nil {
		t.Fatalf("the old store was touched: %v", err)
	}

	// The log directory counts too.
	data, logs := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(logs, versionDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(logs, versionDir, "log.100000001"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Restore(data, logs, nil, 1<<32|1, 1, writeBytes([]byte("tree"))); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("restore over a log: %v, want ErrNotEmpty", err)
	}
	if _, err := os.Stat(filepath.Join(data, versionDir)); !os.IsNotExist(err) {
		t.Fatalf("a refused restore wrote to the data directory: %v", err)
	}
}

func TestRestoreRefusesAnEpochBelowTheSnapshots(t *testing.T) {
	if err := Restore(t.TempDir(), "", nil, 5<<32|1, 4, writeBytes(nil)); err == nil {
		t.Fatal("restore with an epoch below the zxid's succeeded")
	}
}

// A restore that fails half way leaves no store; one after it clears its
// leftovers and succeeds.
func TestRestoreFailureLeavesNoStore(t *testing.T) {
	dir := t.TempDir()
	boom := errors.New("transfer broke")
	err := Restore(dir, "", nil, 1<<32|1, 1, func(w io.Writer) error {
		_, _ = w.Write([]byte("half a tree"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the write's error", err)
	}
	for _, d := range []string{versionDir, restoreStage} {
		if _, err := os.Stat(filepath.Join(dir, d)); !os.IsNotExist(err) {
			t.Fatalf("%s left behind: %v", d, err)
		}
	}
	// A crash mid-restore leaves a staging directory: the next restore
	// starts over.
	if err := os.MkdirAll(filepath.Join(dir, restoreStage), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, restoreStage, "snapshot.1"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Restore(dir, "", nil, 1<<32|1, 1, writeBytes([]byte("tree"))); err != nil {
		t.Fatal(err)
	}
	names, err := os.ReadDir(filepath.Join(dir, versionDir))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 3 { // the snapshot and two epoch files
		t.Fatalf("restored directory holds %v", names)
	}
}

func TestSnapshotFileRoundTripAndDamage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.snap")
	data := snapData(9)
	if err := WriteSnapshotFile(nil, path, writeBytes(data)); err != nil {
		t.Fatal(err)
	}
	f, err := OpenSnapshotFile(nil, path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	f.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want %d", len(got), err, len(data))
	}

	// A failed write leaves the file that was there.
	if err := WriteSnapshotFile(nil, path, func(io.Writer) error { return errors.New("broke") }); err == nil {
		t.Fatal("a failed write succeeded")
	}
	if f, err := OpenSnapshotFile(nil, path); err != nil {
		t.Fatalf("the old file did not survive a failed write: %v", err)
	} else {
		f.Close()
	}
	if names, _ := os.ReadDir(dir); len(names) != 1 {
		t.Fatalf("temporary files left: %v", names)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"flipped byte": func() []byte { c := bytes.Clone(raw); c[len(c)/2] ^= 0x40; return c }(),
		"truncated":    raw[:len(raw)-7],
		"cut in half":  raw[:len(raw)/2],
		"empty":        nil,
		"not one":      []byte("just some text that is long enough for a trailer"),
	} {
		p := filepath.Join(dir, "damaged")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if f, err := OpenSnapshotFile(nil, p); !errors.Is(err, ErrCorrupt) {
			if f != nil {
				f.Close()
			}
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}
