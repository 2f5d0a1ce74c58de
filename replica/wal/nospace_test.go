package wal

import (
	"errors"
	"syscall"
	"testing"

	"github.com/paddock-zk/paddock/internal/memfs"
	"github.com/paddock-zk/paddock/replica"
)

// TestStorePersistNoSpaceRetry runs out of space all through a
// Persist that truncates, installs a snapshot, appends across segment
// rolls and writes the epoch; a retry while the disk is still full fails
// the same way, and once space returns the same Ready succeeds and leaves
// exactly the state an undisturbed Persist leaves, also after a crash.
func TestStorePersistNoSpaceRetry(t *testing.T) {
	const seg = 8 + 3*recLen
	readies := map[string]replica.Ready{
		"install": {
			Truncate:     u64(6),
			Snapshot:     &replica.SnapshotData{Zxid: 20, Data: []byte("state@20")},
			Entries:      ents(21, 30),
			CurrentEpoch: 2,
		},
		"append": {Entries: ents(9, 19), CurrentEpoch: 2},
		"truncate": {
			Truncate: u64(6),
			Entries:  ents(0x1_0000_0001, 0x1_0000_0005),
		},
	}
	for name, rd := range readies {
		t.Run(name, func(t *testing.T) {
			setup := func() (*memfs.FS, *Store) {
				fsys := memfs.New()
				s := openStore(t, fsys, seg, nil)
				persist(t, s, replica.Ready{Entries: ents(1, 8), CurrentEpoch: 1})
				if err := s.SaveSnapshot(4, []byte("state@4")); err != nil {
					t.Fatal(err)
				}
				return fsys, s
			}
			// The state an undisturbed Persist leaves.
			_, want := setup()
			persist(t, want, rd)
			wz, wdata, err := want.Latest()
			if err != nil {
				t.Fatal(err)
			}
			wlog := zxids(entriesOf(t, want, wz))

			// A stride prime to the record and header sizes still lands on
			// every offset within a record, at a fifth of the cost.
			for space := int64(0); ; space += 5 {
				fsys, s := setup()
				fsys.NoSpace(space)
				err := s.Persist(rd)
				if err == nil {
					if space < 8 {
						t.Fatalf("Persist needed only %d bytes", space)
					}
					return // every amount of space covered
				}
				if !errors.Is(err, ErrNoSpace) || !errors.Is(err, syscall.ENOSPC) || errors.Is(err, ErrPoisoned) {
					t.Fatalf("space %d: Persist = %v, want ErrNoSpace", space, err)
				}
				fsys.NoSpace(0)
				if err := s.Persist(rd); !errors.Is(err, ErrNoSpace) {
					t.Fatalf("space %d: retry on a full disk = %v, want ErrNoSpace", space, err)
				}
				fsys.ClearNoSpace()
				if err := s.Persist(rd); err != nil {
					t.Fatalf("space %d: retry with space = %v", space, err)
				}
				check := func(when string) {
					t.Helper()
					z, data, err := s.Latest()
					if err != nil {
						t.Fatalf("space %d, %s: Latest: %v", space, when, err)
					}
					if z != wz || string(data) != string(wdata) || s.CurrentEpoch() != want.CurrentEpoch() || s.LastZxid() != want.LastZxid() {
						t.Fatalf("space %d, %s: snapshot %d %q epoch %d last %d, want %d %q epoch %d last %d", space, when,
							z, data, s.CurrentEpoch(), s.LastZxid(), wz, wdata, want.CurrentEpoch(), want.LastZxid())
					}
					if got := zxids(entriesOf(t, s, z)); got != wlog {
						t.Fatalf("space %d, %s: log %s, want %s", space, when, got, wlog)
					}
				}
				check("after the retry")
				// The next Ready goes on normally.
				next := s.LastZxid() + 1
				persist(t, s, replica.Ready{Entries: []Entry{ent(next)}})
				fsys.Crash()
				s = openStore(t, fsys, seg, nil)
				if got := entriesOf(t, s, next-1); len(got) != 1 || got[0].Zxid != next {
					t.Fatalf("space %d: after crash the next entry is %s", space, zxids(got))
				}
				if err := s.Log().TruncateAfter(next - 1); err != nil {
					t.Fatal(err)
				}
				check("after a crash")
				s.Close()
			}
		})
	}
}

// ENOSPC from an fsync during Persist poisons the store like EIO: the
// node must stop, not retry.
func TestStorePersistFsyncNoSpacePoisons(t *testing.T) {
	fsys := memfs.New()
	s := openStore(t, fsys, 0, nil)
	persist(t, s, replica.Ready{Entries: ents(1, 3), CurrentEpoch: 1})
	fsys.FailNextSync(syscall.ENOSPC)
	err := s.Persist(replica.Ready{Entries: ents(4, 5)})
	if !errors.Is(err, syscall.ENOSPC) || errors.Is(err, ErrNoSpace) {
		t.Fatalf("Persist = %v, want a poisoning ENOSPC", err)
	}
	if err := s.Persist(replica.Ready{Entries: ents(4, 5)}); !errors.Is(err, ErrPoisoned) {
		t.Fatalf("Persist after a failed fsync = %v, want ErrPoisoned", err)
	}
}
