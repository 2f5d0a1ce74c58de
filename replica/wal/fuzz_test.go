package wal

import (
	"testing"

	"github.com/paddock-zk/paddock/internal/memfs"
	"github.com/paddock-zk/paddock/internal/testutil"
)

// FuzzRecover feeds arbitrary bytes to recovery as the last log file, and
// as the second of two. Recovery must never panic or hang; when it
// succeeds the log holds ascending zxids, reads back cleanly, accepts a
// new entry, and recovering again yields the same log.
//
//	go test -run '^$' -fuzz FuzzRecover -fuzztime 60s ./replica/wal
func FuzzRecover(f *testing.F) {
	valid := encode(ent(1), ent(2), ent(3))
	f.Add(valid, false)
	f.Add(valid[:len(valid)-3], false)
	f.Add(append(valid, make([]byte, 50)...), true)
	f.Add(encode(ent(1), ent(1)), false)
	f.Add(encode(ent(9), ent(10)), true)
	f.Add([]byte(logMagic), true)
	f.Add([]byte{}, false)
	f.Add([]byte("PDKLOG1\n\xff\xff\xff\xff"), false)
	f.Fuzz(func(t *testing.T, data []byte, second bool) {
		fsys := memfs.New()
		if err := fsys.MkdirAll("/d/version-2", 0o755); err != nil {
			t.Fatal(err)
		}
		if second {
			if err := fsys.WriteFile("/d/version-2/log.1", encode(ent(1), ent(2))); err != nil {
				t.Fatal(err)
			}
			if err := fsys.WriteFile("/d/version-2/log.9", data); err != nil {
				t.Fatal(err)
			}
		} else if err := fsys.WriteFile("/d/version-2/log.1", data); err != nil {
			t.Fatal(err)
		}
		l, err := Open("/d", "", Options{FS: fsys, Logger: newLogger(&testutil.SyncBuffer{})})
		if err != nil {
			return // rejected is fine; panicking is not
		}
		got := collect(t, l, 0)
		for i := 1; i < len(got); i++ {
			if got[i].Zxid <= got[i-1].Zxid {
				t.Fatalf("recovered zxids out of order: %s", zxids(got))
			}
		}
		if len(got) > 0 && got[len(got)-1].Zxid != l.LastZxid() {
			t.Fatalf("LastZxid %d, entries end at %d", l.LastZxid(), got[len(got)-1].Zxid)
		}
		if l.LastZxid() < ^uint64(0) {
			if err := l.Append(Entry{Zxid: l.LastZxid() + 1, Data: []byte("x")}); err != nil {
				t.Fatal(err)
			}
			got = append(got, Entry{Zxid: l.LastZxid(), Data: []byte("x")})
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l, err = Open("/d", "", Options{FS: fsys, Logger: newLogger(&testutil.SyncBuffer{})})
		if err != nil {
			t.Fatalf("second recovery failed: %v", err)
		}
		if again := collect(t, l, 0); zxids(again) != zxids(got) {
			t.Fatalf("second recovery %s, first %s", zxids(again), zxids(got))
		}
	})
}
