package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// value is every znode's data: 100 bytes, as design.md's reference figures.
var value = bytes.Repeat([]byte("v"), 100)

var acl = zk.WorldACL(zk.PermAll)

// hosts is a zk.HostProvider that retries at once. The library's own
// waits a whole second each time it has tried every server, which on a
// one-server session is every reconnect: a failover measured through it
// would be rounded up to the next second.
type hosts struct {
	mu      sync.Mutex
	servers []string
	curr    int
	last    int
	closed  atomic.Bool
}

var _ zk.HostProvider = (*hosts)(nil)

func (h *hosts) Init(servers []string) error {
	if len(servers) == 0 {
		return errors.New("no servers")
	}
	h.servers, h.curr, h.last = servers, -1, -1
	return nil
}

func (h *hosts) Len() int { return len(h.servers) }

func (h *hosts) Next() (string, bool) {
	if h.closed.Load() {
		// Only the library's retry-start path looks at its quit
		// channel: without this a closed session on a dead server
		// would keep dialling it forever.
		return h.servers[0], true
	}
	h.mu.Lock()
	h.curr = (h.curr + 1) % len(h.servers)
	looped := h.curr == h.last
	if h.last == -1 {
		h.last = 0
	}
	s := h.servers[h.curr]
	h.mu.Unlock()
	if looped {
		// Every server was tried: a short pause bounds the dialling
		// rate, and the failover figure's resolution, to 5 ms.
		time.Sleep(5 * time.Millisecond)
	}
	return s, false
}

func (h *hosts) Connected() {
	h.mu.Lock()
	h.last = h.curr
	h.mu.Unlock()
}

// session is a ZooKeeper session through go-zookeeper.
type session struct {
	*zk.Conn
	hosts *hosts
}

func (s *session) Close() {
	s.hosts.closed.Store(true)
	s.Conn.Close()
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// connect opens a session on servers and waits until it has one.
func connect(ctx context.Context, servers []string, timeout time.Duration) (*session, error) {
	h := &hosts{}
	c, ev, err := zk.Connect(servers, timeout, zk.WithLogger(quiet{}), zk.WithLogInfo(false), zk.WithHostProvider(h))
	if err != nil {
		return nil, fmt.Errorf("connecting to %v: %w", servers, err)
	}
	s := &session{Conn: c, hosts: h}
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				// The library drops events when nobody reads the
				// channel, so leaving it unread from here on is fine.
				return s, nil
			}
		case <-deadline.C:
			s.Close()
			return nil, fmt.Errorf("no session from %v within 30 s", servers)
		case <-ctx.Done():
			s.Close()
			return nil, errCanceled
		}
	}
}

// connectSpread opens k sessions, session i on node i mod 3 only, so the
// spread stays exact while the load runs.
func connectSpread(ctx context.Context, c cluster, k int) ([]*session, error) {
	ids := c.IDs()
	out := make([]*session, 0, k)
	for i := range k {
		s, err := connect(ctx, []string{c.ClientAddr(ids[i%len(ids)])}, 20*time.Second)
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("%s session %d: %w", c.Name(), i, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func closeAll(ss []*session) {
	for _, s := range ss {
		s.Close()
	}
}

// Paths the load uses; every system gets the same tree.
const (
	rootPath     = "/zkc"
	createParent = "/zkc/c"
	failoverPath = "/zkc/fo"
)

func workerPath(w int) string { return fmt.Sprintf("/zkc/w%02d", w) }

// prepare creates the znodes the workloads use (idempotent).
func prepare(s *session, workers int) error {
	paths := []string{rootPath, createParent, failoverPath}
	for w := range workers {
		paths = append(paths, workerPath(w))
	}
	for _, p := range paths {
		if _, err := s.Create(p, value, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("creating %s: %w", p, err)
		}
	}
	return nil
}

// workload is one kind of load: op runs once for worker w's n-th call.
type workload struct {
	name  string
	unit  string // what one op is, for the table
	write bool   // bounded by fsync: shown beside the fsync ceiling
	op    func(s *session, w int, n int64, run string) error
}

// workloads in the order they run; their names are -only's parts.
var workloads = []workload{
	{name: "setData", unit: "setData", write: true, op: func(s *session, w int, _ int64, _ string) error {
		_, err := s.Set(workerPath(w), value, -1)
		return err
	}},
	{name: "create", unit: "create", write: true, op: func(s *session, w int, n int64, run string) error {
		_, err := s.Create(fmt.Sprintf("%s/%s-%02d-%d", createParent, run, w, n), value, 0, acl)
		return err
	}},
	{name: "getData", unit: "getData", op: getOwn},
	{name: "mix", unit: "op (90% getData, 10% setData)", op: func(s *session, w int, n int64, run string) error {
		if n%10 == 0 {
			_, err := s.Set(workerPath(w), value, -1)
			return err
		}
		return getOwn(s, w, n, run)
	}},
}

func getOwn(s *session, w int, _ int64, _ string) error {
	data, _, err := s.Get(workerPath(w))
	if err == nil && len(data) != len(value) {
		err = fmt.Errorf("getData %s: %d bytes, want %d", workerPath(w), len(data), len(value))
	}
	return err
}

// loadResult is one run of one workload on one system.
type loadResult struct {
	ops            int
	elapsed        time.Duration
	p50, p99, p999 time.Duration
	opsPerSec      float64
	// cpuPerOp is the CPU time (user and system) the system's three
	// server processes spent per op during the run, in µs: how much
	// work one op costs, which a busy machine changes far less than it
	// changes rates. NaN when it could not be read.
	cpuPerOp float64
}

// runLoad has one worker per session call op back to back for d; the
// first error stops every worker and is returned.
func runLoad(ctx context.Context, ss []*session, d time.Duration, run string, op func(s *session, w int, n int64, run string) error) (loadResult, error) {
	lat := make([][]time.Duration, len(ss))
	var stop atomic.Bool
	var errOnce sync.Once
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for w := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := make([]time.Duration, 0, 4096)
			for n := int64(0); !stop.Load() && ctx.Err() == nil; n++ {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				if err := op(ss[w], w, n, run); err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("worker %d: %w", w, err) })
					stop.Store(true)
					break
				}
				l = append(l, time.Since(t0))
			}
			lat[w] = l
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return loadResult{}, errCanceled
	}
	if firstErr != nil {
		return loadResult{}, firstErr
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	return loadResult{
		ops: len(all), elapsed: elapsed, opsPerSec: float64(len(all)) / elapsed.Seconds(),
		p50: percentile(all, 0.50), p99: percentile(all, 0.99), p999: percentile(all, 0.999),
	}, nil
}
