package wal

import (
	"fmt"
	"testing"
)

// BenchmarkAppendSync measures group commit on the real disk: one Append
// of `batch` 100-byte entries and one fsync per iteration. MB/s counts
// entry data; entries/s is reported alongside.
//
//	go test -run '^$' -bench AppendSync -benchtime 2s ./replica/wal
func BenchmarkAppendSync(b *testing.B) {
	for _, batch := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			l, err := Open(b.TempDir(), "", Options{Logger: newLogger(discard{})})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			es := make([]Entry, batch)
			data := make([]byte, 100)
			z := uint64(0)
			b.SetBytes(int64(batch * len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for i := range es {
					z++
					es[i] = Entry{Zxid: z, Data: data}
				}
				if err := l.Append(es...); err != nil {
					b.Fatal(err)
				}
				if err := l.Sync(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
