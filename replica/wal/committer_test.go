package wal

import (
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/internal/memfs"
)

// result collects what Committer callbacks reported.
type result struct {
	mu      sync.Mutex
	durable map[uint64]uint64 // submission's last zxid → reported durable zxid
	errs    map[uint64]error
	wg      sync.WaitGroup
}

func newResult() *result {
	return &result{durable: map[uint64]uint64{}, errs: map[uint64]error{}}
}

func (r *result) submit(c *Committer, es []Entry, key uint64) {
	r.wg.Add(1)
	c.Submit(es, func(d uint64, err error) {
		r.mu.Lock()
		r.durable[key], r.errs[key] = d, err
		r.mu.Unlock()
		r.wg.Done()
	})
}

func waitChan(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func TestCommitterBatches(t *testing.T) {
	fsys := memfs.New()
	l := mustOpen(t, fsys, "/d", 0)
	appendSync(t, l, 1, 1) // segment created: later fsyncs are data fsyncs only
	c := NewCommitter(l)

	// Hold the first fsync in flight until every other submission is
	// queued, so they must share the next one.
	inSync, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	fsys.SetSyncHook(func(string) {
		once.Do(func() { close(inSync); <-release })
	})
	base := fsys.Syncs()
	r := newResult()
	r.submit(c, ents(2, 2), 2)
	waitChan(t, inSync, "the first fsync")

	const n = 100
	var mu sync.Mutex // Submit order must match zxid order
	next := uint64(3)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			z := next
			next++
			r.submit(c, ents(z, z), z)
		}()
	}
	wg.Wait()
	close(release)
	r.wg.Wait()

	syncs := fsys.Syncs() - base
	if syncs > 2 {
		t.Fatalf("%d fsyncs for %d submissions, want 2 (one in flight, one for the queue)", syncs, n+1)
	}
	for z := uint64(2); z < 3+n; z++ {
		if r.errs[z] != nil || r.durable[z] < z {
			t.Fatalf("submission %d: durable %d, err %v", z, r.durable[z], r.errs[z])
		}
	}
	c.Close()
	checkLog(t, l, 1, 2+n)
	if l.DurableZxid() != 2+n {
		t.Fatalf("DurableZxid %d", l.DurableZxid())
	}
	l.Close()
}

func TestCommitterErrors(t *testing.T) {
	fsys := memfs.New()
	l := mustOpen(t, fsys, "/d", 0)
	appendSync(t, l, 1, 5)
	c := NewCommitter(l)

	// An out-of-order submission fails alone.
	inSync, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	fsys.SetSyncHook(func(string) { once.Do(func() { close(inSync); <-release }) })
	r := newResult()
	r.submit(c, ents(6, 6), 6)
	waitChan(t, inSync, "the first fsync")
	r.submit(c, ents(7, 8), 8)
	r.submit(c, ents(3, 3), 3) // below the last zxid
	r.submit(c, ents(9, 9), 9)
	close(release)
	r.wg.Wait()
	if !errors.Is(r.errs[3], ErrOutOfOrder) {
		t.Fatalf("out-of-order submission: %v", r.errs[3])
	}
	for _, z := range []uint64{6, 8, 9} {
		if r.errs[z] != nil || r.durable[z] < z {
			t.Fatalf("submission %d: durable %d, err %v", z, r.durable[z], r.errs[z])
		}
	}

	// A failed fsync reaches every waiter of its batch, and later ones.
	fsys.SetSyncHook(nil)
	inSync, release = make(chan struct{}), make(chan struct{})
	once = sync.Once{}
	fsys.SetSyncHook(func(string) { once.Do(func() { close(inSync); <-release }) })
	r = newResult()
	r.submit(c, ents(10, 10), 10)
	waitChan(t, inSync, "the fsync that will fail")
	fsys.FailNextSync(syscall.EIO)
	for z := uint64(11); z <= 15; z++ {
		r.submit(c, ents(z, z), z)
	}
	close(release)
	r.wg.Wait()
	// 10's fsync fails; 11..15 find the log poisoned.
	for z := uint64(10); z <= 15; z++ {
		if !errors.Is(r.errs[z], syscall.EIO) {
			t.Fatalf("submission %d: err %v, want EIO", z, r.errs[z])
		}
	}
	c.Close()
	r = newResult()
	r.submit(c, ents(20, 20), 20)
	r.wg.Wait()
	wantErrIs(t, r.errs[20], ErrClosed)
	c.Close() // idempotent
}

func TestCommitterCloseDrains(t *testing.T) {
	fsys := memfs.New()
	l := mustOpen(t, fsys, "/d", 0)
	c := NewCommitter(l)
	r := newResult()
	for z := uint64(1); z <= 50; z++ {
		r.submit(c, ents(z, z), z)
	}
	c.Close() // must report every queued submission before returning
	r.mu.Lock()
	n := len(r.errs)
	r.mu.Unlock()
	if n != 50 {
		t.Fatalf("%d of 50 submissions reported by Close", n)
	}
	fsys.Crash()
	l = mustOpen(t, fsys, "/d", 0)
	checkLog(t, l, 1, 50)
}
