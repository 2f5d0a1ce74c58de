package memfs

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/paddock-zk/paddock/replica/wal/walfs"
)

func TestCrash(t *testing.T) {
	const d = "/x"
	w := func(f walfs.File, s string) {
		t.Helper()
		if _, err := f.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	create := func(m *FS, p string) walfs.File {
		t.Helper()
		f, err := m.OpenFile(p, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	tests := []struct {
		name string
		run  func(m *FS)
		want map[string]string // files after the crash; absent = gone
	}{
		{"unsynced create is lost even if the file was fsynced", func(m *FS) {
			f := create(m, d+"/a")
			w(f, "hello")
			f.Sync()
		}, map[string]string{}},
		{"fsynced file in a synced dir survives, unsynced tail lost", func(m *FS) {
			f := create(m, d+"/a")
			m.SyncDir(d)
			w(f, "hello")
			f.Sync()
			w(f, " world")
		}, map[string]string{"a": "hello"}},
		{"unsynced rename reverts", func(m *FS) {
			f := create(m, d+"/a")
			w(f, "1")
			f.Sync()
			m.SyncDir(d)
			m.Rename(d+"/a", d+"/b")
		}, map[string]string{"a": "1"}},
		{"synced rename sticks", func(m *FS) {
			f := create(m, d+"/a")
			w(f, "1")
			f.Sync()
			m.Rename(d+"/a", d+"/b")
			m.SyncDir(d)
		}, map[string]string{"b": "1"}},
		{"unsynced remove reverts", func(m *FS) {
			f := create(m, d+"/a")
			w(f, "1")
			f.Sync()
			m.SyncDir(d)
			m.Remove(d + "/a")
		}, map[string]string{"a": "1"}},
		{"unsynced truncate reverts", func(m *FS) {
			f := create(m, d+"/a")
			w(f, "12345")
			f.Sync()
			m.SyncDir(d)
			f.Truncate(2)
		}, map[string]string{"a": "12345"}},
		{"torn write keeps a prefix", func(m *FS) {
			f := create(m, d+"/a")
			m.SyncDir(d)
			w(f, "abc")
			f.Sync()
			w(f, "defgh")
			if err := m.TearLastWrite(2); err != nil {
				t.Fatal(err)
			}
		}, map[string]string{"a": "abcde"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			m.MkdirAll(d, 0o755)
			tt.run(m)
			m.Crash()
			names, _ := m.ReadDir(d)
			if len(names) != len(tt.want) {
				t.Fatalf("files %v, want %v", names, tt.want)
			}
			for n, content := range tt.want {
				b, err := m.ReadFile(d + "/" + n)
				if err != nil || string(b) != content {
					t.Fatalf("%s = %q (%v), want %q", n, b, err, content)
				}
			}
		})
	}
}

func TestFaults(t *testing.T) {
	m := New()
	m.MkdirAll("/x", 0o755)
	f, err := m.OpenFile("/x/a", os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	m.NoSpace(3)
	n, err := f.Write([]byte("12345"))
	if n != 3 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write past the space: %d, %v", n, err)
	}
	m.ClearNoSpace()
	if _, err := f.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	m.FailNextSync(syscall.EIO)
	if err := f.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("failed fsync: %v", err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("second fsync: %v (FailNextSync is one-shot)", err)
	}
	m.FailSyncs(syscall.EIO)
	for range 2 {
		if err := m.SyncDir("/x"); !errors.Is(err, syscall.EIO) {
			t.Fatalf("FailSyncs: %v", err)
		}
	}
	m.FailSyncs(nil)
	if err := m.FlipByte("/x/a", 0); err != nil {
		t.Fatal(err)
	}
	if b, _ := m.ReadFile("/x/a"); b[0] != '1'^0xff {
		t.Fatalf("FlipByte: %q", b)
	}
	m.Crash()
	if _, err := f.Write([]byte("y")); !errors.Is(err, errStale) {
		t.Fatalf("handle from before the crash: %v", err)
	}
	if _, err := m.OpenFile("/x/none", os.O_RDONLY, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := m.OpenFile("/nodir/a", os.O_CREATE|os.O_RDWR, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing dir: %v", err)
	}
}
