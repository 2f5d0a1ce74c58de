package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/paddock-zk/paddock/internal/memfs"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/replica"
)

func openStore(t testing.TB, fsys FS, seg int64, w io.Writer) *Store {
	t.Helper()
	if w == nil {
		w = io.Discard
	}
	s, err := OpenStore("/data", "", Options{FS: fsys, SegmentBytes: seg, Logger: newLogger(w)})
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	return s
}

func u64(v uint64) *uint64 { return &v }

func persist(t testing.TB, s *Store, rd replica.Ready) {
	t.Helper()
	if err := s.Persist(rd); err != nil {
		t.Fatalf("Persist: %v", err)
	}
}

func entriesOf(t testing.TB, s replica.Storage, after uint64) []Entry {
	t.Helper()
	es, err := s.Entries(after, 1<<30)
	if err != nil {
		t.Fatalf("Entries(%d): %v", after, err)
	}
	return es
}

// compareStorage asserts that got answers every Storage question as want
// does (errors compared by kind).
func compareStorage(t testing.TB, step string, got, want replica.Storage) {
	t.Helper()
	if g, w := got.LastZxid(), want.LastZxid(); g != w {
		t.Fatalf("%s: LastZxid %d, MemStorage %d", step, g, w)
	}
	if g, w := got.FirstZxid(), want.FirstZxid(); g != w {
		t.Fatalf("%s: FirstZxid %d, MemStorage %d", step, g, w)
	}
	if g, w := got.CurrentEpoch(), want.CurrentEpoch(); g != w {
		t.Fatalf("%s: CurrentEpoch %d, MemStorage %d", step, g, w)
	}
	gz, gs, gerr := got.Snapshot()
	wz, ws, werr := want.Snapshot()
	if gz != wz || gs != ws || (gerr == nil) != (werr == nil) {
		t.Fatalf("%s: Snapshot (%d, %d, %v), MemStorage (%d, %d, %v)", step, gz, gs, gerr, wz, ws, werr)
	}
	for _, rs := range []struct {
		z   uint64
		off int64
		n   int
	}{{wz, 0, 1 << 20}, {wz, 1, 2}, {wz, ws, 5}, {wz, ws + 1, 5}, {wz, -1, 5}, {999, 0, 5}} {
		g, gerr := got.ReadSnapshot(rs.z, rs.off, rs.n)
		w, werr := want.ReadSnapshot(rs.z, rs.off, rs.n)
		if !bytes.Equal(g, w) || (gerr == nil) != (werr == nil) || errors.Is(gerr, replica.ErrNoSnapshot) != errors.Is(werr, replica.ErrNoSnapshot) {
			t.Fatalf("%s: ReadSnapshot(%d, %d, %d) = %q, %v; MemStorage %q, %v", step, rs.z, rs.off, rs.n, g, gerr, w, werr)
		}
	}
	for after := uint64(0); after <= 25; after++ {
		for _, max := range []int{0, 8, 20, 1 << 20} {
			g, gerr := got.Entries(after, max)
			w, werr := want.Entries(after, max)
			if (gerr == nil) != (werr == nil) || errors.Is(gerr, replica.ErrCompacted) != errors.Is(werr, replica.ErrCompacted) {
				t.Fatalf("%s: Entries(%d, %d) error %v, MemStorage %v", step, after, max, gerr, werr)
			}
			if !slices.EqualFunc(g, w, func(a, b Entry) bool { return a.Zxid == b.Zxid && bytes.Equal(a.Data, b.Data) }) {
				t.Fatalf("%s: Entries(%d, %d) = %s, MemStorage %s", step, after, max, zxids(g), zxids(w))
			}
		}
	}
}

// TestStoreMatchesMemStorage runs the same Readies against a Store and
// MemStorage and compares every answer after each step, after a crash and
// after reopening. Snapshots here are only received ones: a local
// snapshot keeps older log entries in the wal (until Purge) while
// MemStorage.Compact drops them, which the Storage contract allows.
func TestStoreMatchesMemStorage(t *testing.T) {
	snap := func(z uint64, d string) *replica.SnapshotData {
		return &replica.SnapshotData{Zxid: z, Data: []byte(d)}
	}
	type step struct {
		rd      replica.Ready
		crash   bool
		wantErr bool
	}
	for _, tt := range []struct {
		name  string
		steps []step
	}{
		{"fresh", nil},
		{"append", []step{{rd: replica.Ready{Entries: ents(1, 5)}}, {rd: replica.Ready{Entries: ents(6, 7), CurrentEpoch: 1}}}},
		{"truncate", []step{{rd: replica.Ready{Entries: ents(1, 5)}}, {rd: replica.Ready{Truncate: u64(3)}}, {rd: replica.Ready{Entries: ents(4, 4)}}}},
		{"truncate-all", []step{{rd: replica.Ready{Entries: ents(1, 5)}}, {rd: replica.Ready{Truncate: u64(0)}}, {rd: replica.Ready{Entries: ents(2, 3)}}}},
		{"truncate-beyond", []step{{rd: replica.Ready{Entries: ents(1, 5)}}, {rd: replica.Ready{Truncate: u64(9)}}}},
		{"snapshot-ahead", []step{
			{rd: replica.Ready{Entries: ents(1, 5), CurrentEpoch: 1}},
			{rd: replica.Ready{Snapshot: snap(10, "state@10"), Entries: ents(11, 13), CurrentEpoch: 2}},
		}},
		{"snapshot-inside-log", []step{
			{rd: replica.Ready{Entries: ents(1, 8)}},
			{rd: replica.Ready{Snapshot: snap(4, "s4")}},
			{rd: replica.Ready{Entries: ents(5, 6)}},
		}},
		{"snapshot-then-truncate-to-it", []step{
			{rd: replica.Ready{Snapshot: snap(10, "s10"), Entries: ents(11, 12)}},
			{rd: replica.Ready{Truncate: u64(10)}},
			{rd: replica.Ready{Entries: ents(11, 11)}},
		}},
		{"truncate-and-snapshot", []step{
			{rd: replica.Ready{Entries: ents(1, 8)}},
			{rd: replica.Ready{Truncate: u64(6), Snapshot: snap(12, "s12"), Entries: ents(13, 14), CurrentEpoch: 3}},
			{rd: replica.Ready{Snapshot: snap(20, "s20")}},
		}},
		{"empty-snapshot", []step{{rd: replica.Ready{Entries: ents(1, 2)}}, {rd: replica.Ready{Snapshot: snap(2, "")}}}},
		{"crash", []step{{rd: replica.Ready{Entries: ents(1, 5), CurrentEpoch: 1}}, {crash: true}, {rd: replica.Ready{Entries: ents(6, 6)}}}},
		{"truncate-into-snapshot", []step{{rd: replica.Ready{Snapshot: snap(10, "s10"), Entries: ents(11, 12)}}, {rd: replica.Ready{Truncate: u64(9)}, wantErr: true}}},
		{"out-of-order", []step{{rd: replica.Ready{Entries: ents(3, 4)}}, {rd: replica.Ready{Entries: ents(4, 5)}, wantErr: true}}},
		{"append-into-snapshot", []step{{rd: replica.Ready{Snapshot: snap(10, "s10")}}, {rd: replica.Ready{Entries: ents(9, 11)}, wantErr: true}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fsys := memfs.New()
			s := openStore(t, fsys, 8+3*recLen, nil)
			m := replica.NewMemStorage()
			compareStorage(t, "open", s, m)
			for i, st := range tt.steps {
				name := fmt.Sprintf("step %d", i)
				if st.crash {
					fsys.Crash()
					m.Crash()
					s = openStore(t, fsys, 8+3*recLen, nil)
					compareStorage(t, name, s, m)
					continue
				}
				gerr, werr := s.Persist(st.rd), m.Persist(st.rd)
				if (gerr != nil) != st.wantErr || (werr != nil) != st.wantErr {
					t.Fatalf("%s: Persist: store %v, MemStorage %v (want error: %v)", name, gerr, werr, st.wantErr)
				}
				if st.wantErr {
					return // a failed Store stops; MemStorage would go on
				}
				compareStorage(t, name, s, m)
			}
			// Everything Persist returned for is durable.
			fsys.Crash()
			m.Crash()
			compareStorage(t, "after crash", openStore(t, fsys, 8+3*recLen, nil), m)
		})
	}
}

// TestStorePersistOrder checks that the currentEpoch file is written only
// after the entries are durable, and that a crash right then keeps them.
func TestStorePersistOrder(t *testing.T) {
	fsys := memfs.New()
	s := openStore(t, fsys, 0, nil)
	persist(t, s, replica.Ready{Entries: ents(1, 3), CurrentEpoch: 1})
	var violations []string
	crashed := false
	fsys.SetSyncHook(func(p string) {
		if strings.HasSuffix(p, currentEpochFile+".tmp") && !crashed {
			if d, l := s.Log().DurableZxid(), s.Log().LastZxid(); d != 6 || l != 6 {
				violations = append(violations, fmt.Sprintf("currentEpoch fsynced with durable %d, last %d", d, l))
			}
			crashed = true
			fsys.FailSyncs(syscall.EIO) // the power goes: nothing after this is durable
		}
	})
	if err := s.Persist(replica.Ready{Entries: ents(4, 6), CurrentEpoch: 2}); err == nil {
		t.Fatal("Persist succeeded though the currentEpoch fsync failed")
	}
	if !crashed {
		t.Fatal("currentEpoch was never written")
	}
	if violations != nil {
		t.Fatal(violations)
	}
	fsys.SetSyncHook(nil)
	fsys.FailSyncs(nil)
	fsys.Crash()
	s = openStore(t, fsys, 0, nil)
	if got := zxids(entriesOf(t, s, 0)); got != zxids(ents(1, 6)) {
		t.Fatalf("after crash: %s, want 1..6", got)
	}
	if e := s.CurrentEpoch(); e != 1 {
		t.Fatalf("CurrentEpoch %d after a crash before its rename, want 1", e)
	}
}

func TestStoreCrashLosesOnlyUnsynced(t *testing.T) {
	fsys := memfs.New()
	s := openStore(t, fsys, 0, nil)
	persist(t, s, replica.Ready{Entries: ents(1, 4), CurrentEpoch: 1})
	// Written through the log but never synced (no Persist).
	if err := s.Log().Append(ents(5, 7)...); err != nil {
		t.Fatal(err)
	}
	if got := zxids(entriesOf(t, s, 0)); got != zxids(ents(1, 7)) { // also flushes the writes
		t.Fatalf("before crash: %s", got)
	}
	fsys.Crash()
	s = openStore(t, fsys, 0, nil)
	if got := zxids(entriesOf(t, s, 0)); got != zxids(ents(1, 4)) {
		t.Fatalf("after crash: %s, want 1..4", got)
	}
	if s.LastZxid() != 4 || s.CurrentEpoch() != 1 {
		t.Fatalf("LastZxid %d CurrentEpoch %d", s.LastZxid(), s.CurrentEpoch())
	}
}

// TestStoreInstallCrashPoints crashes a Persist that truncates, installs
// a received snapshot, appends and writes the epoch at every fsync it
// makes, and checks that recovery yields the old state, the new one, or
// a prefix of the new one — never a mix, and never the epoch ahead of its
// history.
func TestStoreInstallCrashPoints(t *testing.T) {
	rd := replica.Ready{
		Truncate:     u64(6),
		Snapshot:     &replica.SnapshotData{Zxid: 20, Data: []byte("state@20")},
		Entries:      ents(21, 23),
		CurrentEpoch: 2,
	}
	for k := 1; ; k++ {
		fsys := memfs.New()
		s := openStore(t, fsys, 8+3*recLen, nil)
		persist(t, s, replica.Ready{Entries: ents(1, 8), CurrentEpoch: 1})
		if err := s.SaveSnapshot(4, []byte("state@4")); err != nil {
			t.Fatal(err)
		}
		n := 0
		fsys.SetSyncHook(func(string) {
			if n++; n == k {
				fsys.FailSyncs(syscall.EIO)
			}
		})
		err := s.Persist(rd)
		fsys.SetSyncHook(nil)
		fsys.FailSyncs(nil)
		if err == nil && n < k {
			if k < 5 {
				t.Fatalf("Persist made only %d fsyncs", n)
			}
			return // every crash point covered
		}
		fsys.Crash()
		s = openStore(t, fsys, 8+3*recLen, nil)
		z, data, err := s.Latest()
		if err != nil {
			t.Fatalf("crash at fsync %d: Latest: %v", k, err)
		}
		t.Logf("crash at fsync %d: recovered snapshot %d, log %s, epoch %d", k, z, zxids(entriesOf(t, s, z)), s.CurrentEpoch())
		switch z {
		case 4:
			if string(data) != "state@4" || s.CurrentEpoch() != 1 {
				t.Fatalf("crash at fsync %d: old snapshot %q, epoch %d", k, data, s.CurrentEpoch())
			}
			got := zxids(entriesOf(t, s, 4))
			if got != zxids(ents(5, 6)) && got != zxids(ents(5, 8)) {
				t.Fatalf("crash at fsync %d: old state holds %s after 4", k, got)
			}
		case 20:
			if string(data) != "state@20" {
				t.Fatalf("crash at fsync %d: snapshot 20 holds %q", k, data)
			}
			if f := s.FirstZxid(); f != 0 && f != 21 {
				t.Fatalf("crash at fsync %d: log starts at %d after the installed snapshot", k, f)
			}
			if _, err := s.Entries(6, 100); !errors.Is(err, replica.ErrCompacted) {
				t.Fatalf("crash at fsync %d: Entries(6) = %v, want ErrCompacted", k, err)
			}
			got := entriesOf(t, s, 20)
			if len(got) > 3 || zxids(got) != zxids(ents(21, 23)[:len(got)]) {
				t.Fatalf("crash at fsync %d: new log %s", k, zxids(got))
			}
			if s.CurrentEpoch() == 2 && len(got) != 3 {
				t.Fatalf("crash at fsync %d: currentEpoch 2 with only %s durable", k, zxids(got))
			}
		default:
			t.Fatalf("crash at fsync %d: recovered snapshot %d", k, z)
		}
		if files := snapFiles(t, fsys); slices.Contains(files, installMarker) {
			t.Fatalf("crash at fsync %d: install marker left after reopen: %v", k, files)
		}
	}
}

func snapFiles(t testing.TB, fsys FS) []string {
	t.Helper()
	names, err := fsys.ReadDir("/data/version-2")
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestStoreReceivedSnapshotSurvivesCrash(t *testing.T) {
	fsys := memfs.New()
	s := openStore(t, fsys, 0, nil)
	persist(t, s, replica.Ready{Entries: ents(1, 3)})
	persist(t, s, replica.Ready{Snapshot: &replica.SnapshotData{Zxid: 10, Data: []byte("ten")}, Entries: ents(11, 12), CurrentEpoch: 2})
	fsys.Crash()
	s = openStore(t, fsys, 0, nil)
	z, data, err := s.Latest()
	if err != nil || z != 10 || string(data) != "ten" {
		t.Fatalf("Latest = %d, %q, %v", z, data, err)
	}
	if got := zxids(entriesOf(t, s, 10)); got != zxids(ents(11, 12)) || s.CurrentEpoch() != 2 || s.FirstZxid() != 11 {
		t.Fatalf("after the snapshot: %s, epoch %d, first %d", got, s.CurrentEpoch(), s.FirstZxid())
	}
	if b, err := s.ReadSnapshot(10, 1, 10); err != nil || string(b) != "en" {
		t.Fatalf("ReadSnapshot = %q, %v", b, err)
	}
}

func TestStoreFsyncFailure(t *testing.T) {
	fsys := memfs.New()
	s := openStore(t, fsys, 0, nil)
	persist(t, s, replica.Ready{Entries: ents(1, 3), CurrentEpoch: 1})
	fsys.FailNextSync(syscall.EIO)
	err := s.Persist(replica.Ready{Entries: ents(4, 5), CurrentEpoch: 2})
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("Persist = %v, want EIO", err)
	}
	if s.CurrentEpoch() != 1 {
		t.Fatalf("currentEpoch written after a failed fsync: %d", s.CurrentEpoch())
	}
	// The store refuses to go on (a retried fsync could lie).
	if err := s.Persist(replica.Ready{}); !errors.Is(err, ErrPoisoned) {
		t.Fatalf("Persist after failure = %v, want ErrPoisoned", err)
	}
	fsys.Crash()
	s = openStore(t, fsys, 0, nil)
	if got := zxids(entriesOf(t, s, 0)); got != zxids(ents(1, 3)) || s.CurrentEpoch() != 1 {
		t.Fatalf("after crash: %s epoch %d, want 1..3 epoch 1", got, s.CurrentEpoch())
	}
}

func TestStoreCorruptMiddle(t *testing.T) {
	fsys := memfs.New()
	s := openStore(t, fsys, 0, nil)
	persist(t, s, replica.Ready{Entries: ents(1, 6)})
	s.Close()
	p := filepath.Join("/data/version-2", logName(1))
	off := fileHeader + 2*recLen
	if err := fsys.FlipByte(p, off+recHeader+2); err != nil {
		t.Fatal(err)
	}
	_, err := OpenStore("/data", "", Options{FS: fsys, Logger: newLogger(io.Discard)})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), fmt.Sprintf("offset %d", off)) {
		t.Fatalf("OpenStore = %v, want ErrCorrupt naming %s and offset %d", err, p, off)
	}
}

func TestStoreTornTail(t *testing.T) {
	fsys := memfs.New()
	s := openStore(t, fsys, 0, nil)
	persist(t, s, replica.Ready{Entries: ents(1, 3)})
	if err := s.Log().Append(ents(4, 5)...); err != nil {
		t.Fatal(err)
	}
	entriesOf(t, s, 0) // writes them, unsynced
	if err := fsys.TearLastWrite(recLen + 5); err != nil {
		t.Fatal(err)
	}
	fsys.Crash()
	var w testutil.SyncBuffer
	s = openStore(t, fsys, 0, &w)
	if got := zxids(entriesOf(t, s, 0)); got != zxids(ents(1, 4)) {
		t.Fatalf("after torn tail: %s, want 1..4", got)
	}
	if !strings.Contains(w.String(), "torn tail") {
		t.Fatalf("no warning about the torn tail: %s", w.String())
	}
	persist(t, s, replica.Ready{Entries: ents(5, 5)})
}

func TestStoreCorruptNewestSnapshot(t *testing.T) {
	t.Run("older one with the log behind it", func(t *testing.T) {
		fsys := memfs.New()
		s := openStore(t, fsys, 0, nil)
		persist(t, s, replica.Ready{Entries: ents(1, 10)})
		for _, z := range []uint64{5, 8} {
			if err := s.SaveSnapshot(z, []byte(fmt.Sprintf("s%d", z))); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
		if err := fsys.FlipByte(filepath.Join("/data/version-2", snapName(8)), 0); err != nil {
			t.Fatal(err)
		}
		var w testutil.SyncBuffer
		s = openStore(t, fsys, 0, &w)
		z, data, err := s.Latest()
		if err != nil || z != 5 || string(data) != "s5" {
			t.Fatalf("Latest = %d %q %v, want the older snapshot 5", z, data, err)
		}
		if !strings.Contains(w.String(), "level=WARN") || !strings.Contains(w.String(), snapName(8)) {
			t.Fatalf("no warning naming the corrupt snapshot: %s", w.String())
		}
		if got := zxids(entriesOf(t, s, 5)); got != zxids(ents(6, 10)) {
			t.Fatalf("replay after 5: %s", got)
		}
	})
	t.Run("log does not reach back", func(t *testing.T) {
		fsys := memfs.New()
		s := openStore(t, fsys, 0, nil)
		persist(t, s, replica.Ready{Entries: ents(1, 3)})
		if err := s.SaveSnapshot(3, []byte("s3")); err != nil {
			t.Fatal(err)
		}
		persist(t, s, replica.Ready{Snapshot: &replica.SnapshotData{Zxid: 20, Data: []byte("s20")}, Entries: ents(21, 22)})
		s.Close()
		p := filepath.Join("/data/version-2", snapName(20))
		if err := fsys.FlipByte(p, 1); err != nil {
			t.Fatal(err)
		}
		_, err := OpenStore("/data", "", Options{FS: fsys, Logger: newLogger(io.Discard)})
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), p) {
			t.Fatalf("OpenStore = %v, want ErrCorrupt naming %s", err, p)
		}
	})
}

func TestStorePurge(t *testing.T) {
	fsys := memfs.New()
	seg := 8 + 3*int64(recLen) // three records a file
	s := openStore(t, fsys, seg, nil)
	persist(t, s, replica.Ready{Entries: ents(1, 30)})
	for _, z := range []uint64{5, 10, 15, 20, 25} {
		if err := s.SaveSnapshot(z, []byte(fmt.Sprintf("s%d", z))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Purge(2); !errors.Is(err, ErrRetain) {
		t.Fatalf("Purge(2) = %v, want ErrRetain", err)
	}
	if err := s.Purge(3); err != nil {
		t.Fatal(err)
	}
	check := func(s *Store) {
		t.Helper()
		if z, n, _ := s.Snapshot(); z != 25 || n != 3 {
			t.Fatalf("Snapshot = %d, %d", z, n)
		}
		if f := s.FirstZxid(); f != 16 {
			t.Fatalf("FirstZxid %d, want 16", f)
		}
		if got := zxids(entriesOf(t, s, 15)); got != zxids(ents(16, 30)) {
			t.Fatalf("Entries(15) = %s", got)
		}
		for _, after := range []uint64{0, 5, 14} {
			if _, err := s.Entries(after, 100); !errors.Is(err, replica.ErrCompacted) {
				t.Fatalf("Entries(%d) = %v, want ErrCompacted", after, err)
			}
		}
		if _, err := s.ReadSnapshot(10, 0, 10); !errors.Is(err, replica.ErrNoSnapshot) {
			t.Fatalf("ReadSnapshot(10) = %v, want ErrNoSnapshot", err)
		}
	}
	check(s)
	if _, err := s.ReadSnapshot(15, 0, 10); err != nil {
		t.Fatalf("a kept older snapshot is readable: %v", err)
	}
	fsys.Crash()
	check(openStore(t, fsys, seg, nil))
}

// TestStoreConcurrentSnapshots saves and purges on one goroutine while the
// owner persists on another (run with -race).
func TestStoreConcurrentSnapshots(t *testing.T) {
	fsys := memfs.New()
	seg := 8 + 4*int64(recLen)
	s := openStore(t, fsys, seg, nil)
	done := make(chan struct{})
	var bgErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// At least one snapshot, even when the owner is done first.
		for {
			z := s.Log().DurableZxid()
			if err := s.SaveSnapshot(z, []byte(fmt.Sprintf("s%d", z))); err != nil {
				bgErr = err
				return
			}
			if err := s.Purge(3); err != nil {
				bgErr = err
				return
			}
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	for z := uint64(1); z <= 300; z += 3 {
		persist(t, s, replica.Ready{Entries: ents(z, z+2)})
		if _, err := s.Entries(s.LastZxid()-1, 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	if bgErr != nil {
		t.Fatalf("background: %v", bgErr)
	}
	z, data, err := s.Latest()
	if err != nil || string(data) != fmt.Sprintf("s%d", z) {
		t.Fatalf("Latest = %d %q %v", z, data, err)
	}
	if got := entriesOf(t, s, z); len(got) != int(300-z) {
		t.Fatalf("replay after %d: %s", z, zxids(got))
	}
	fsys.Crash()
	s = openStore(t, fsys, seg, nil)
	if s.LastZxid() != 300 {
		t.Fatalf("LastZxid %d after reopen", s.LastZxid())
	}
}

// TestStoreSnapshotStaleAfterInstall: a background snapshot of the old
// tree must not land after a received snapshot replaced it.
func TestStoreSnapshotStaleAfterInstall(t *testing.T) {
	fsys := memfs.New()
	s := openStore(t, fsys, 0, nil)
	persist(t, s, replica.Ready{Entries: ents(1, 8)})
	started, release := make(chan struct{}), make(chan struct{})
	fsys.SetSyncHook(func(p string) {
		if strings.Contains(p, snapName(5)+".") && strings.HasSuffix(p, ".tmp") {
			close(started)
			<-release
		}
	})
	errc := make(chan error, 1)
	go func() { errc <- s.SaveSnapshot(5, []byte("old tree")) }()
	<-started
	persist(t, s, replica.Ready{Snapshot: &replica.SnapshotData{Zxid: 20, Data: []byte("s20")}})
	close(release)
	if err := <-errc; !errors.Is(err, ErrStaleSnapshot) {
		t.Fatalf("SaveSnapshot = %v, want ErrStaleSnapshot", err)
	}
	fsys.SetSyncHook(nil)
	if slices.Contains(snapFiles(t, fsys), snapName(5)) {
		t.Fatal("the stale snapshot was renamed into place")
	}
	if z, _, _ := s.Snapshot(); z != 20 {
		t.Fatalf("Snapshot %d", z)
	}
	if err := s.SaveSnapshot(9, nil); !errors.Is(err, ErrStaleSnapshot) {
		t.Fatalf("SaveSnapshot beyond the log = %v", err)
	}
}

func TestStoreEpochs(t *testing.T) {
	fsys := memfs.New()
	s := openStore(t, fsys, 0, nil)
	if err := s.SaveAcceptedEpoch(7); err != nil {
		t.Fatal(err)
	}
	fsys.Crash()
	s = openStore(t, fsys, 0, nil)
	if e, err := s.LoadAcceptedEpoch(); err != nil || e != 7 || s.AcceptedEpoch() != 7 {
		t.Fatalf("accepted epoch %d, %v", e, err)
	}
}
