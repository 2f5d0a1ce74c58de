package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// rssMark is the nodes' RSS once the tree held znodes children.
type rssMark struct {
	znodes int
	bytes  []int64 // per node, in id order
}

// coldResult is one system's populate, memory and restart figures.
type coldResult struct {
	znodes      int
	populate    time.Duration // creating every znode, both phases
	marks       []rssMark
	stop        time.Duration // SIGTERM to all three gone
	start       time.Duration // start of the processes to every node serving and answering getData
	stopWarning string        // set when a node had to be killed
}

// coldPath is the i-th populated znode: 1,000 children per parent, as
// the store's recovery benchmark lays them out.
func coldPath(i int) string { return fmt.Sprintf("/cold/p%04d/n%08d", i/1000, i) }

func coldParent(p int) string { return fmt.Sprintf("/cold/p%04d", p) }

// rssMarkAt is where the first RSS reading is taken.
const rssMarkAt = 100_000

// coldStart populates a fresh ensemble with n znodes (reading every
// node's RSS at 100,000 and at n), stops all three nodes with SIGTERM,
// starts them again and times until every node serves and answers a
// getData of the last znode created.
func coldStart(ctx context.Context, c cluster, n, conns, depth int) (coldResult, error) {
	res := coldResult{znodes: n}
	if err := startAll(c); err != nil {
		return res, err
	}
	if _, err := waitServing(ctx, c, c.IDs(), false, 2*time.Minute); err != nil {
		return res, err
	}
	ss, err := connectSpread(ctx, c, conns)
	if err != nil {
		return res, err
	}
	defer closeAll(ss)
	if _, err := ss[0].Create("/cold", nil, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return res, fmt.Errorf("%s: creating /cold: %w", c.Name(), err)
	}
	t0 := time.Now()
	parents := (n + 999) / 1000
	if err := populate(ctx, c.Name(), ss, depth, 0, parents, coldParent); err != nil {
		return res, err
	}
	bounds := []int{n}
	if n > rssMarkAt {
		bounds = []int{rssMarkAt, n}
	}
	from := 0
	for _, to := range bounds {
		p0 := time.Now()
		if err := populate(ctx, c.Name(), ss, depth, from, to, coldPath); err != nil {
			return res, err
		}
		res.populate += time.Since(p0)
		slog.Info("populated", "system", c.Name(), "znodes", to, "per s", int(float64(to-from)/time.Since(p0).Seconds()))
		from = to
		// Let the nodes finish what the burst left (snapshots, GC) before
		// reading their memory; both systems get the same pause.
		if err := sleepCtx(ctx, 3*time.Second); err != nil {
			return res, err
		}
		mark := rssMark{znodes: to}
		for _, id := range c.IDs() {
			b, err := rss(c, id)
			if err != nil {
				return res, err
			}
			mark.bytes = append(mark.bytes, b)
		}
		res.marks = append(res.marks, mark)
	}
	slog.Info("populate done", "system", c.Name(), "znodes", n, "took", time.Since(t0).Round(time.Millisecond))
	// Closed now so their expiry is not part of the stop (closing twice,
	// as the deferred call does, is a no-op).
	closeAll(ss)

	s0 := time.Now()
	if err := c.StopAll(2 * time.Minute); err != nil {
		res.stopWarning = err.Error()
		slog.Warn("unclean stop", "system", c.Name(), "err", err)
	}
	res.stop = time.Since(s0)

	start := time.Now()
	if err := startAll(c); err != nil {
		return res, err
	}
	if _, err := waitServing(ctx, c, c.IDs(), false, 15*time.Minute); err != nil {
		return res, fmt.Errorf("cold start: %w", err)
	}
	last := coldPath(n - 1)
	for _, id := range c.IDs() {
		if err := getUntil(ctx, c.ClientAddr(id), last, time.Until(start.Add(15*time.Minute))); err != nil {
			return res, fmt.Errorf("%s cold start, node %d: %w; %s", c.Name(), id, err, logHint(c))
		}
	}
	res.start = time.Since(start)
	slog.Info("cold start", "system", c.Name(), "znodes", n, "s", res.start.Seconds())
	return res, nil
}

// getUntil connects to addr and reads path, retrying until it answers
// with the data or d passes.
func getUntil(ctx context.Context, addr, path string, d time.Duration) error {
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		s, err := connect(ctx, []string{addr}, 20*time.Second)
		if err == nil {
			var data []byte
			data, _, err = s.Get(path)
			s.Close()
			if err == nil && len(data) == len(value) {
				return nil
			}
			if err == nil {
				err = fmt.Errorf("%d bytes, want %d", len(data), len(value))
			}
		}
		if errors.Is(err, errCanceled) {
			return err
		}
		last = err
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("getData %s: %w", path, last)
}

// populate creates path(i) for i in [from, to) through depth concurrent
// calls on every session: go-zookeeper pipelines the calls of one
// session on its connection, so the servers see a stream of requests per
// connection rather than one round trip at a time.
func populate(ctx context.Context, name string, ss []*session, depth, from, to int, path func(int) string) error {
	next := atomic.Int64{}
	next.Store(int64(from))
	var errOnce sync.Once
	var firstErr error
	var stop atomic.Bool
	var wg sync.WaitGroup
	progress := time.NewTicker(10 * time.Second)
	defer progress.Stop()
	for _, s := range ss {
		for range depth {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() && ctx.Err() == nil {
					i := int(next.Add(1) - 1)
					if i >= to {
						return
					}
					p := path(i)
					if _, err := s.Create(p, value, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
						errOnce.Do(func() { firstErr = fmt.Errorf("%s: creating %s: %w", name, p, err) })
						stop.Store(true)
						return
					}
				}
			}()
		}
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	for {
		select {
		case <-finished:
			if ctx.Err() != nil {
				return errCanceled
			}
			return firstErr
		case <-progress.C:
			slog.Info("populating", "system", name, "created", min(int(next.Load()), to))
		}
	}
}

// removeData frees the disk a cluster's nodes wrote (logs stay).
func removeData(c cluster) {
	for _, id := range c.IDs() {
		_ = os.RemoveAll(c.DataDir(id))
	}
}
