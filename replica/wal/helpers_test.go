package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/paddock-zk/paddock/internal/memfs"
)

// fsKinds runs storage tests on the in-memory FS and on the real disk.
var fsKinds = []struct {
	name string
	new  func(t testing.TB) (FS, string)
}{
	{"memfs", func(testing.TB) (FS, string) { return memfs.New(), "/data" }},
	{"os", func(t testing.TB) (FS, string) { return OS, t.TempDir() }},
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func mustOpen(t testing.TB, fsys FS, dir string, seg int64) *Log {
	t.Helper()
	l, err := Open(dir, "", Options{FS: fsys, SegmentBytes: seg, Logger: newLogger(io.Discard)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

// ent is an entry whose data is 8 bytes, so every record is 24 bytes.
func ent(z uint64) Entry { return Entry{Zxid: z, Data: []byte(fmt.Sprintf("e%07d", z))} }

const recLen = 24

func ents(from, to uint64) []Entry {
	var es []Entry
	for z := from; z <= to; z++ {
		es = append(es, ent(z))
	}
	return es
}

func appendSync(t testing.TB, l *Log, from, to uint64) {
	t.Helper()
	if err := l.Append(ents(from, to)...); err != nil {
		t.Fatalf("Append %d..%d: %v", from, to, err)
	}
	if err := l.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}

func collect(t testing.TB, l *Log, after uint64) []Entry {
	t.Helper()
	var out []Entry
	if err := l.Entries(after, func(e Entry) error { out = append(out, e); return nil }); err != nil {
		t.Fatalf("Entries(%d): %v", after, err)
	}
	return out
}

// checkLog asserts the log holds exactly from..to (none if to < from).
func checkLog(t testing.TB, l *Log, from, to uint64) {
	t.Helper()
	got := collect(t, l, 0)
	var want []Entry
	if to >= from && to > 0 {
		want = ents(from, to)
	}
	if !slices.EqualFunc(got, want, func(a, b Entry) bool { return a.Zxid == b.Zxid && bytes.Equal(a.Data, b.Data) }) {
		t.Fatalf("log holds %s, want %d..%d", zxids(got), from, to)
	}
	wantLast := uint64(0)
	if len(want) > 0 {
		wantLast = to
	}
	if l.LastZxid() != wantLast {
		t.Fatalf("LastZxid %d, want %d", l.LastZxid(), wantLast)
	}
}

func zxids(es []Entry) string {
	var b bytes.Buffer
	for i, e := range es {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, e.Zxid)
	}
	return "[" + b.String() + "]"
}

func logPath(dir string, z uint64) string {
	return filepath.Join(dir, versionDir, logName(z))
}

func readAll(t testing.TB, fsys FS, p string) []byte {
	t.Helper()
	if m, ok := fsys.(*memfs.FS); ok {
		b, err := m.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeAll(t testing.TB, fsys FS, p string, b []byte) {
	t.Helper()
	var err error
	if m, ok := fsys.(*memfs.FS); ok {
		err = m.WriteFile(p, b)
	} else {
		err = os.WriteFile(p, b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func logFiles(t testing.TB, fsys FS, dir string) []string {
	t.Helper()
	names, err := fsys.ReadDir(filepath.Join(dir, versionDir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		if _, ok := parseName(n, "log"); ok {
			out = append(out, n)
		}
	}
	return out
}

func wantErrIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}
