package wal

import (
	"math/rand"
	"testing"

	"github.com/paddock-zk/paddock/internal/memfs"
)

// TestTailMatchesFiles runs random appends, truncations, purges and
// crashes on a log whose in-memory tail holds only a few entries, and
// after each asks Entries from every point both of the live log (served
// from the tail where it can) and of the same files reopened (served from
// disk): the answers must be equal.
func TestTailMatchesFiles(t *testing.T) {
	const seg = int64(fileHeader) + 5*recLen
	seeds := int64(30)
	if testing.Short() {
		seeds = 8
	}
	for seed := int64(1); seed <= seeds; seed++ {
		r := rand.New(rand.NewSource(seed))
		fsys := memfs.New()
		l := mustOpen(t, fsys, "/d", seg)
		l.tailMax = 3 * 8 * (1 + r.Intn(3)) // a few 8-byte entries
		next := uint64(1)
		for step := 0; step < 60; step++ {
			switch k := r.Intn(10); {
			case k < 6:
				n := uint64(1 + r.Intn(4))
				next += uint64(r.Intn(2)) // gaps, as across epochs
				appendSync(t, l, next, next+n-1)
				next += n
			case k < 8:
				to := uint64(r.Int63n(int64(next)))
				if err := l.TruncateAfter(to); err != nil {
					t.Fatalf("seed %d: TruncateAfter(%d): %v", seed, to, err)
				}
				next = l.LastZxid() + 1
			case k < 9:
				if err := l.purgeLogs(uint64(r.Int63n(int64(next)))); err != nil {
					t.Fatalf("seed %d: purge: %v", seed, err)
				}
			default:
				l.Close()
				l = mustOpen(t, fsys, "/d", seg)
				l.tailMax = 16
			}
			disk := mustOpen(t, fsys, "/d", seg) // everything is synced: a second reader
			afters := []uint64{0, l.tailFrom, l.tailFrom + 1, next}
			if l.tailFrom > 0 {
				afters = append(afters, l.tailFrom-1)
			}
			for range 8 {
				afters = append(afters, uint64(r.Int63n(int64(next)+1)))
			}
			for _, after := range afters {
				if g, w := zxids(collect(t, l, after)), zxids(collect(t, disk, after)); g != w {
					t.Fatalf("seed %d step %d: Entries(%d) = %s live, %s from the files (tail from %d: %s)",
						seed, step, after, g, w, l.tailFrom, zxids(l.tail))
				}
			}
			disk.Close()
		}
		l.Close()
	}
}
