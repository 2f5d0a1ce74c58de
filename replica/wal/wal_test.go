package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/paddock-zk/paddock/internal/memfs"
	"github.com/paddock-zk/paddock/internal/testutil"
)

func TestAppendSyncReopen(t *testing.T) {
	for _, k := range fsKinds {
		t.Run(k.name, func(t *testing.T) {
			fsys, dir := k.new(t)
			l := mustOpen(t, fsys, dir, 0)
			if l.LastZxid() != 0 || l.FirstZxid() != 0 || l.DurableZxid() != 0 {
				t.Fatal("fresh log is not empty")
			}
			appendSync(t, l, 1, 50)
			if err := l.Append(ents(51, 60)...); err != nil {
				t.Fatal(err)
			}
			if l.LastZxid() != 60 || l.DurableZxid() != 50 {
				t.Fatalf("last/durable %d/%d, want 60/50", l.LastZxid(), l.DurableZxid())
			}
			checkLog(t, l, 1, 60) // unsynced entries are readable too
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			wantErrIs(t, l.Append(ent(61)), ErrClosed)

			l = mustOpen(t, fsys, dir, 0)
			defer l.Close()
			checkLog(t, l, 1, 60)
			if l.FirstZxid() != 1 || l.DurableZxid() != 60 {
				t.Fatalf("first/durable %d/%d after reopen", l.FirstZxid(), l.DurableZxid())
			}
			appendSync(t, l, 61, 70)
			if got := collect(t, l, 65); len(got) != 5 || got[0].Zxid != 66 {
				t.Fatalf("Entries(65) = %s", zxids(got))
			}
		})
	}
}

func TestAppendOutOfOrder(t *testing.T) {
	tests := []struct {
		name string
		add  []Entry
	}{
		{"equal to last", []Entry{ent(5)}},
		{"below last", []Entry{ent(3)}},
		{"zero", []Entry{{Zxid: 0}}},
		{"not ascending within the batch", []Entry{ent(6), ent(8), ent(7)}},
		{"duplicate within the batch", []Entry{ent(6), ent(6)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustOpen(t, memfs.New(), "/d", 0)
			appendSync(t, l, 1, 5)
			wantErrIs(t, l.Append(tt.add...), ErrOutOfOrder)
			checkLog(t, l, 1, 5)   // nothing of the batch went in
			appendSync(t, l, 6, 6) // and the log still works
		})
	}
}

// tearCase mutates the last log file (1..10, one file) after a clean close.
type tearCase struct {
	name     string
	mutate   func(b []byte) []byte
	wantLast uint64
}

var tornCases = []tearCase{
	{"cut mid-record", func(b []byte) []byte { return b[:len(b)-5] }, 9},
	{"cut in record header", func(b []byte) []byte { return b[:len(b)-recLen+7] }, 9},
	{"cut after the header of the first record", func(b []byte) []byte { return b[:int(fileHeader)+3] }, 0},
	{"garbage tail", func(b []byte) []byte {
		r := rand.New(rand.NewPCG(1, 2))
		for range 37 {
			b = append(b, byte(r.IntN(256)))
		}
		return b
	}, 10},
	{"zero tail", func(b []byte) []byte { return append(b, make([]byte, 4096)...) }, 10},
	{"flipped data byte in the last record", func(b []byte) []byte { b[len(b)-2] ^= 0x10; return b }, 9},
	{"flipped length byte in the last record", func(b []byte) []byte { b[len(b)-recLen] ^= 0x01; return b }, 9},
	{"flipped CRC of the last record, zeros after", func(b []byte) []byte {
		b[len(b)-recLen+4] ^= 0x80
		return append(b, make([]byte, 100)...)
	}, 9},
	{"header cut", func(b []byte) []byte { return b[:5] }, 0},
	{"all zeros", func(b []byte) []byte { return make([]byte, len(b)) }, 0},
}

func TestTornTailTruncated(t *testing.T) {
	for _, k := range fsKinds {
		for _, tt := range tornCases {
			t.Run(k.name+"/"+tt.name, func(t *testing.T) {
				fsys, dir := k.new(t)
				l := mustOpen(t, fsys, dir, 0)
				appendSync(t, l, 1, 10)
				l.Close()
				p := logPath(dir, 1)
				writeAll(t, fsys, p, tt.mutate(readAll(t, fsys, p)))

				var logs testutil.SyncBuffer
				l, err := Open(dir, "", Options{FS: fsys, Logger: newLogger(&logs)})
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				checkLog(t, l, 1, tt.wantLast)
				if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), p) {
					t.Errorf("no warning naming %s:\n%s", p, logs.String())
				}
				if tt.wantLast > 0 {
					if got, want := len(readAll(t, fsys, p)), int(fileHeader)+int(tt.wantLast)*recLen; got != want {
						t.Errorf("file is %d bytes after recovery, want %d", got, want)
					}
				} else if n := len(logFiles(t, fsys, dir)); n != 0 {
					t.Errorf("%d log files left, want the empty one removed", n)
				}
				appendSync(t, l, tt.wantLast+1, 12)
				l.Close()
				l = mustOpen(t, fsys, dir, 0)
				checkLog(t, l, 1, 12)
				l.Close()
			})
		}
	}
}

// flipAt returns a mutation flipping one byte at off.
func flipAt(off int) func([]byte) []byte {
	return func(b []byte) []byte { b[off] ^= 0x04; return b }
}

// rec is the offset of the record of zxid z in a file starting at first.
func rec(first, z uint64) int { return int(fileHeader) + int(z-first)*recLen }

// encode builds a log file from entries, without validation.
func encode(es ...Entry) []byte {
	b := []byte(logMagic)
	for _, e := range es {
		b = appendRecord(b, e)
	}
	return b
}

func TestCorruptionDetected(t *testing.T) {
	// Files of 4 records each: log.1 [1-4], log.5 [5-8], log.9 [9-10].
	const seg = int64(fileHeader) + 4*recLen
	tests := []struct {
		name    string
		file    uint64 // which file to mutate
		mutate  func([]byte) []byte
		wantOff int
	}{
		{"data byte of a middle record", 9, flipAt(rec(9, 9) + 20), rec(9, 9)},
		{"data byte of a middle record, earlier file", 5, flipAt(rec(5, 6) + 18), rec(5, 6)},
		{"length byte of a middle record", 9, flipAt(rec(9, 9)), rec(9, 9)},
		{"CRC of a complete record followed by more", 9, flipAt(rec(9, 9) + 5), rec(9, 9)},
		{"last record of a non-last file", 5, flipAt(rec(5, 8) + 22), rec(5, 8)},
		{"torn tail of a non-last file", 5, func(b []byte) []byte { return b[:len(b)-3] }, rec(5, 8)},
		{"zero tail of a non-last file", 1, func(b []byte) []byte { return append(b, 0, 0, 0, 0) }, rec(1, 5)},
		{"bad header of a non-last file", 5, flipAt(2), 0},
		{"bad header of the last file with records", 9, flipAt(0), 0},
		{"zxid repeats", 9, func([]byte) []byte { return encode(ent(9), ent(10), ent(10)) }, rec(9, 11)},
		{"zxid goes back across files", 9, func([]byte) []byte { return encode(ent(9), ent(3)) }, rec(9, 10)},
		{"first zxid differs from the file name", 9, func([]byte) []byte { return encode(ent(10)) }, rec(9, 9)},
		{"non-last file without records", 5, func([]byte) []byte { return []byte(logMagic) }, -1},
	}
	for _, k := range fsKinds {
		for _, tt := range tests {
			t.Run(k.name+"/"+tt.name, func(t *testing.T) {
				fsys, dir := k.new(t)
				l := mustOpen(t, fsys, dir, seg)
				appendSync(t, l, 1, 10)
				l.Close()
				if got := logFiles(t, fsys, dir); !slices.Equal(got, []string{"log.1", "log.5", "log.9"}) {
					t.Fatalf("log files %v", got)
				}
				p := logPath(dir, tt.file)
				bad := tt.mutate(readAll(t, fsys, p))
				writeAll(t, fsys, p, bad)
				before := map[string][]byte{}
				for _, n := range logFiles(t, fsys, dir) {
					before[n] = readAll(t, fsys, filepath.Join(dir, versionDir, n))
				}

				l, err := Open(dir, "", Options{FS: fsys, SegmentBytes: seg, Logger: newLogger(&testutil.SyncBuffer{})})
				if l != nil {
					t.Fatal("Open returned a log despite corruption")
				}
				wantErrIs(t, err, ErrCorrupt)
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not name %s", err, p)
				}
				if tt.wantOff >= 0 && !strings.Contains(err.Error(), fmt.Sprintf("offset %d:", tt.wantOff)) {
					t.Errorf("error %q does not give offset %d", err, tt.wantOff)
				}
				for _, n := range logFiles(t, fsys, dir) { // nothing repaired or cut
					if !bytes.Equal(before[n], readAll(t, fsys, filepath.Join(dir, versionDir, n))) {
						t.Errorf("%s changed by a failed Open", n)
					}
				}
			})
		}
	}
}

func TestSegmentRollingAndEntries(t *testing.T) {
	const seg = int64(fileHeader) + 4*recLen
	for _, k := range fsKinds {
		t.Run(k.name, func(t *testing.T) {
			fsys, dir := k.new(t)
			l := mustOpen(t, fsys, dir, seg)
			for z := uint64(1); z <= 20; z += 3 { // batches straddle files
				appendSync(t, l, z, min(z+2, 20))
			}
			want := []string{"log.1", "log.11", "log.5", "log.9", "log.d"} // sorted by name
			if got := logFiles(t, fsys, dir); !slices.Equal(got, want) {
				t.Fatalf("files %v, want %v", got, want)
			}
			for _, reopen := range []bool{false, true} {
				if reopen {
					l.Close()
					l = mustOpen(t, fsys, dir, seg)
				}
				for _, after := range []uint64{0, 1, 3, 4, 5, 8, 12, 16, 17, 19, 20, 25} {
					got := collect(t, l, after)
					var want []Entry
					if after < 20 {
						want = ents(after+1, 20)
					}
					if zxids(got) != zxids(want) {
						t.Fatalf("reopen=%v Entries(%d) = %s, want %s", reopen, after, zxids(got), zxids(want))
					}
				}
			}
			stop := errors.New("stop")
			n := 0
			err := l.Entries(0, func(Entry) error { n++; return stop2(n, stop) })
			if !errors.Is(err, stop) || n != 3 {
				t.Fatalf("Entries stopped by fn: err %v after %d, want stop after 3", err, n)
			}
			l.Close()
		})
	}
}

func stop2(n int, err error) error {
	if n == 3 {
		return err
	}
	return nil
}

func TestBigEntryAndSparseIndex(t *testing.T) {
	fsys := memfs.New()
	l := mustOpen(t, fsys, "/d", 0)
	big := Entry{Zxid: 1, Data: bytes.Repeat([]byte{7}, 3<<20)} // forces a flush mid-append
	if err := l.Append(big); err != nil {
		t.Fatal(err)
	}
	var es []Entry
	for z := uint64(2); z < 3000; z++ {
		es = append(es, Entry{Zxid: z, Data: bytes.Repeat([]byte{byte(z)}, int(z%300))})
	}
	if err := l.Append(es...); err != nil {
		t.Fatal(err)
	}
	wantErrIs(t, l.Append(Entry{Zxid: 5000, Data: make([]byte, maxRecord+1)}), ErrTooLarge)
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	for _, after := range []uint64{0, 1, 2, 777, 2998, 2999} {
		got := collect(t, l, after)
		if len(got) != int(2999-after) || (len(got) > 0 && (got[0].Zxid != after+1 || len(got[0].Data) != len(dataOf(after+1, big)))) {
			t.Fatalf("Entries(%d): %d entries", after, len(got))
		}
	}
	if err := l.TruncateAfter(1500); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = mustOpen(t, fsys, "/d", 0)
	if got := collect(t, l, 1498); zxids(got) != "[1499,1500]" || l.LastZxid() != 1500 {
		t.Fatalf("after truncate and reopen: %s", zxids(got))
	}
}

func dataOf(z uint64, big Entry) []byte {
	if z == 1 {
		return big.Data
	}
	return make([]byte, z%300)
}

func TestTruncateAfter(t *testing.T) {
	// Files: [1-4] [5-8] [9-12] [13-16] [17-20]; entries 11..20 unsynced.
	const seg = int64(fileHeader) + 4*recLen
	tests := []struct {
		zxid      uint64
		wantLast  uint64
		wantFiles int
	}{
		{20, 20, 5}, {25, 20, 5}, {19, 19, 5}, {17, 17, 5}, {16, 16, 4}, {13, 13, 4},
		{12, 12, 3}, {10, 10, 3}, {9, 9, 3}, {8, 8, 2}, {2, 2, 1}, {1, 1, 1}, {0, 0, 0},
	}
	for _, k := range fsKinds {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/after=%d", k.name, tt.zxid), func(t *testing.T) {
				fsys, dir := k.new(t)
				l := mustOpen(t, fsys, dir, seg)
				appendSync(t, l, 1, 10)
				if err := l.Append(ents(11, 20)...); err != nil {
					t.Fatal(err)
				}
				if err := l.TruncateAfter(tt.zxid); err != nil {
					t.Fatal(err)
				}
				checkLog(t, l, 1, tt.wantLast)
				if tt.zxid < 20 && l.DurableZxid() != tt.wantLast {
					t.Fatalf("DurableZxid %d, want %d: TruncateAfter must leave what it keeps durable", l.DurableZxid(), tt.wantLast)
				}
				if n := len(logFiles(t, fsys, dir)); n != tt.wantFiles {
					t.Fatalf("%d files, want %d", n, tt.wantFiles)
				}
				if tt.zxid < 20 {
					if m, ok := fsys.(*memfs.FS); ok {
						m.Crash() // the truncation must survive a power loss
					} else {
						l.Close()
					}
					l = mustOpen(t, fsys, dir, seg)
					checkLog(t, l, 1, tt.wantLast)
				}
				appendSync(t, l, l.LastZxid()+1, 22)
				l.Close()
				l = mustOpen(t, fsys, dir, seg)
				checkLog(t, l, 1, 22)
				if l.FirstZxid() != 1 {
					t.Fatalf("FirstZxid %d", l.FirstZxid())
				}
				l.Close()
			})
		}
	}
}

func TestCrashKeepsDurablePrefix(t *testing.T) {
	fsys := memfs.New()
	l := mustOpen(t, fsys, "/d", 0)
	appendSync(t, l, 1, 10)
	if err := l.Append(ents(11, 20)...); err != nil {
		t.Fatal(err)
	}
	collect(t, l, 0) // flushes: the bytes are written, not synced
	fsys.Crash()
	l = mustOpen(t, fsys, "/d", 0)
	checkLog(t, l, 1, 10)
	if err := l.Append(ents(11, 12)...); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	fsys.Crash()
	l = mustOpen(t, fsys, "/d", 0)
	checkLog(t, l, 1, 12)
}

// TestCrashProperty drives random appends, syncs and truncations across
// small segments, then crashes (sometimes tearing the last write) and
// checks that recovery yields exactly a prefix of what was appended that
// covers everything synced.
func TestCrashProperty(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 30
	}
	tears := 0
	for seed := range uint64(seeds) {
		r := rand.New(rand.NewPCG(seed, 99))
		fsys := memfs.New()
		seg := int64(fileHeader) + int64(1+r.IntN(8))*recLen
		l := mustOpen(t, fsys, "/d", seg)
		var model []Entry // what the log holds
		next := uint64(1)
		for range 1 + r.IntN(40) {
			switch op := r.IntN(10); {
			case op < 6:
				es := ents(next, next+uint64(r.IntN(5)))
				next += uint64(len(es)) + uint64(r.IntN(2)) // gaps are allowed
				if err := l.Append(es...); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				model = append(model, es...)
			case op < 9:
				if err := l.Sync(); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
			default:
				if len(model) == 0 {
					continue
				}
				i := r.IntN(len(model))
				if err := l.TruncateAfter(model[i].Zxid); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				model = model[:i+1]
			}
		}
		durable := l.DurableZxid()
		collect(t, l, 0) // flush
		if r.IntN(2) == 0 {
			if fsys.TearLastWrite(r.IntN(recLen*3)) == nil { // may refuse: nothing unsynced
				tears++
			}
		}
		fsys.Crash()
		l, err := Open("/d", "", Options{FS: fsys, SegmentBytes: seg, Logger: newLogger(&testutil.SyncBuffer{})})
		if err != nil {
			t.Fatalf("seed %d: reopen: %v", seed, err)
		}
		got := collect(t, l, 0)
		if len(got) > len(model) || zxids(got) != zxids(model[:len(got)]) {
			t.Fatalf("seed %d: recovered %s, not a prefix of %s", seed, zxids(got), zxids(model))
		}
		if l.LastZxid() < durable {
			t.Fatalf("seed %d: recovered up to %d, but %d was durable", seed, l.LastZxid(), durable)
		}
		l.Close()
	}
	if tears == 0 {
		t.Fatal("no seed tore a write: the test lost its teeth")
	}
}

func TestFsyncFailurePoisons(t *testing.T) {
	fsys := memfs.New()
	l := mustOpen(t, fsys, "/d", 0)
	appendSync(t, l, 1, 5)
	if err := l.Append(ents(6, 8)...); err != nil {
		t.Fatal(err)
	}
	fsys.FailNextSync(syscall.EIO)
	err := l.Sync()
	wantErrIs(t, err, syscall.EIO)
	if l.DurableZxid() != 5 {
		t.Fatalf("DurableZxid %d after a failed fsync, want 5", l.DurableZxid())
	}
	// The next fsync would succeed, but the log must not pretend the lost
	// pages were written (fsyncgate): everything keeps failing.
	calls := map[string]func() error{
		"Sync":          l.Sync,
		"Append":        func() error { return l.Append(ent(9)) },
		"TruncateAfter": func() error { return l.TruncateAfter(3) },
		"Entries":       func() error { return l.Entries(0, func(Entry) error { return nil }) },
		"Purge":         func() error { return l.purgeLogs(100) },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, ErrPoisoned) || !errors.Is(err, syscall.EIO) {
			t.Errorf("%s on a poisoned log: %v, want ErrPoisoned wrapping EIO", name, err)
		}
	}
	l.Close()
	fsys.Crash()
	l = mustOpen(t, fsys, "/d", 0)
	checkLog(t, l, 1, 5)
	appendSync(t, l, 6, 7)
}

// A write that finds the disk full does not poison the log: the unsynced
// tail is cut off, the log is its durable prefix, and the same entries
// can be appended again once space returns, with no duplicates, also
// after a reopen.
func TestNoSpace(t *testing.T) {
	tests := []struct {
		name  string
		seg   int64
		space int64
	}{
		{"mid-record", 0, 30},
		{"at a record boundary", 0, 2 * recLen},
		{"nothing written", 0, 0},
		{"while creating a segment", int64(fileHeader) + recLen, 3},
		{"after a segment roll", int64(fileHeader) + 2*recLen, int64(fileHeader) + 2*recLen + 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := memfs.New()
			l := mustOpen(t, fsys, "/d", tt.seg)
			appendSync(t, l, 1, 5)
			fsys.NoSpace(tt.space)
			err := l.Append(ents(6, 10)...)
			if err == nil {
				err = l.Sync()
			}
			wantErrIs(t, err, ErrNoSpace)
			wantErrIs(t, err, syscall.ENOSPC)
			if errors.Is(err, ErrPoisoned) {
				t.Fatalf("a full disk poisoned the log: %v", err)
			}
			if !strings.Contains(err.Error(), "no space left") {
				t.Errorf("error %q does not say the disk is full", err)
			}
			// Exactly the durable prefix: 1..5, or more if a segment
			// roll made some of the batch durable.
			last := l.LastZxid()
			if last != l.DurableZxid() || last < 5 || last >= 10 {
				t.Fatalf("after ENOSPC: LastZxid %d, DurableZxid %d", last, l.DurableZxid())
			}
			checkLog(t, l, 1, last)
			// Still full: fails again the same way, still not poisoned.
			if err := l.Append(ents(last+1, 10)...); err == nil {
				err = l.Sync()
				wantErrIs(t, err, ErrNoSpace)
			} else {
				wantErrIs(t, err, ErrNoSpace)
			}
			last = l.LastZxid()
			checkLog(t, l, 1, last)

			fsys.ClearNoSpace()
			appendSync(t, l, last+1, 10)
			checkLog(t, l, 1, 10)
			l.Close()
			fsys.Crash()
			l = mustOpen(t, fsys, "/d", tt.seg)
			checkLog(t, l, 1, 10)
			appendSync(t, l, 11, 12)
			l.Close()
			l = mustOpen(t, fsys, "/d", tt.seg)
			checkLog(t, l, 1, 12)
		})
	}
}

// ENOSPC from fsync itself is not a full disk the log can step back from:
// the kernel may have dropped the pages it had accepted (fsyncgate), so it
// poisons like EIO.
func TestNoSpaceOnFsyncPoisons(t *testing.T) {
	fsys := memfs.New()
	l := mustOpen(t, fsys, "/d", 0)
	appendSync(t, l, 1, 5)
	if err := l.Append(ents(6, 7)...); err != nil {
		t.Fatal(err)
	}
	fsys.FailNextSync(syscall.ENOSPC)
	err := l.Sync()
	wantErrIs(t, err, syscall.ENOSPC)
	if errors.Is(err, ErrNoSpace) {
		t.Fatalf("a failed fsync reads as a retryable full disk: %v", err)
	}
	wantErrIs(t, l.Append(ent(8)), ErrPoisoned)
	wantErrIs(t, l.Sync(), ErrPoisoned)
	l.Close()
	fsys.Crash()
	l = mustOpen(t, fsys, "/d", 0)
	checkLog(t, l, 1, 5)
}

func TestRecordEncoding(t *testing.T) {
	b := appendRecord(nil, Entry{Zxid: 0x1_0000_0002, Data: []byte("abc")})
	if len(b) != recHeader+3 || binary.LittleEndian.Uint32(b) != 3 || binary.LittleEndian.Uint64(b[8:]) != 0x1_0000_0002 {
		t.Fatalf("record %x", b)
	}
	for i := range b { // every single-byte flip is caught
		c := slices.Clone(b)
		c[i] ^= 0x20
		rr := newRecordReader(bytes.NewReader(c), 0, int64(len(c)), 64)
		if _, err := rr.next(); !errors.Is(err, errBadRecord) {
			t.Errorf("flip at %d: %v, want a bad record", i, err)
		}
	}
}

// TestCrashDuringTruncateAndPurge fails the k-th fsync of a TruncateAfter
// or Purge, crashes, and checks the log is still contiguous: a prefix of
// what it held (truncate) or a suffix (purge), never with a gap.
func TestCrashDuringTruncateAndPurge(t *testing.T) {
	const seg = int64(fileHeader) + 4*recLen // [1-4] [5-8] [9-12] [13-16] [17-20]
	ops := []struct {
		name string
		prep func(*testing.T, *Log)
		run  func(*Log) error
		// the log after the crash is first..last with these bounds
		minFirst, maxFirst, minLast, maxLast uint64
	}{
		{"truncate", func(*testing.T, *Log) {}, func(l *Log) error { return l.TruncateAfter(6) }, 1, 1, 6, 20},
		{"purge", func(t *testing.T, l *Log) {
			for _, z := range []uint64{13, 14, 15} {
				saveSnap(t, l, z)
			}
		}, func(l *Log) error { return l.Purge(3) }, 1, 13, 20, 20},
	}
	for _, op := range ops {
		for k := 1; k <= 4; k++ {
			t.Run(fmt.Sprintf("%s/fail fsync %d", op.name, k), func(t *testing.T) {
				fsys := memfs.New()
				l := mustOpen(t, fsys, "/d", seg)
				appendSync(t, l, 1, 20)
				op.prep(t, l)
				n := 0
				fsys.SetSyncHook(func(string) {
					if n++; n == k {
						fsys.FailNextSync(syscall.EIO)
					}
				})
				_ = op.run(l) // may or may not hit the failure
				fsys.SetSyncHook(nil)
				fsys.Crash()
				l = mustOpen(t, fsys, "/d", seg)
				first, last := l.FirstZxid(), l.LastZxid()
				if first < op.minFirst || first > op.maxFirst || last < op.minLast || last > op.maxLast {
					t.Fatalf("log %d..%d after crash", first, last)
				}
				checkLog(t, l, first, last)
			})
		}
	}
}

func TestRollStartsANewFile(t *testing.T) {
	fsys, dir := fsKinds[0].new(t)
	l := mustOpen(t, fsys, dir, 0)
	defer l.Close()
	l.Roll() // nothing written yet: no empty file is left behind
	appendSync(t, l, 1, 10)
	l.Roll()
	l.Roll() // twice is once
	appendSync(t, l, 11, 20)
	names, err := fsys.ReadDir(l.logDir)
	if err != nil {
		t.Fatal(err)
	}
	var logs []string
	for _, n := range names {
		if strings.HasPrefix(n, "log.") {
			logs = append(logs, n)
		}
	}
	if want := []string{logName(1), logName(11)}; !slices.Equal(logs, want) {
		t.Fatalf("log files %v, want %v", logs, want)
	}
	checkLog(t, l, 1, 20)
}
