package wal

import (
	"io"
	"slices"
	"testing"

	"github.com/paddock-zk/paddock/internal/memfs"
	"github.com/paddock-zk/paddock/replica"
)

// Every crash point reaches Options.CrashHook, in the order its site
// runs: the crash tests of real processes rely on each one being hit.
func TestCrashHookSeesEveryPoint(t *testing.T) {
	var got []string
	s, err := OpenStore("/data", "", Options{FS: memfs.New(), Logger: newLogger(io.Discard),
		CrashHook: func(p string) { got = append(got, p) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check := func(step string, want ...string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Fatalf("%s: hook saw %q, want %q", step, got, want)
		}
		got = nil
	}
	check("open")
	if err := s.SetAcceptedEpoch(1); err != nil {
		t.Fatal(err)
	}
	check("accepted epoch", CrashEpochBeforeAccepted, CrashEpochAfterAccepted)
	persist(t, s, replica.Ready{Entries: ents(1, 3), CurrentEpoch: 1})
	check("append", CrashBeforeFsync, CrashAfterFsync, CrashEpochBeforeCurrent, CrashEpochAfterCurrent)
	persist(t, s, replica.Ready{Truncate: u64(2)})
	check("truncate", CrashSyncAfterTruncate)
	persist(t, s, replica.Ready{Snapshot: &replica.SnapshotData{Zxid: 10, Data: []byte("s10")}, Entries: ents(11, 11)})
	check("install", CrashSnapInstallBefore, CrashSnapInstallMid, CrashSnapInstallAfter, CrashBeforeFsync, CrashAfterFsync)
}
