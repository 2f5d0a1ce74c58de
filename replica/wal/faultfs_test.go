package wal

import (
	"testing"

	"github.com/paddock-zk/paddock/internal/faultfs"
	"github.com/paddock-zk/paddock/internal/memfs"
)

// A simulated crash keeps every fsynced record and, seed by seed, drops the
// unsynced tail whole or tears it mid-record; recovery then finds the
// synced prefix and at most a contiguous run of the unsynced entries.
func TestFaultFSCrashKeepsSyncedRecords(t *testing.T) {
	torn, whole := 0, 0
	for seed := int64(1); seed <= 40; seed++ {
		disk := memfs.New()
		ffs := faultfs.New(disk, seed)
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
