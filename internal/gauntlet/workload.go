package gauntlet

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/linz"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/zk"
)

// connect opens a session on any node (preferring first), retrying until
// stop or ctx ends.
func connect(ctx context.Context, e *testkit.Ensemble, first int, timeout time.Duration, stop <-chan struct{}) *client.Conn {
	for ctx.Err() == nil {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		c, err := client.Connect(cctx, e.BusURLs(first), client.WithSessionTimeout(timeout), client.WithLogger(e.ClientLog()))
		cancel()
		if err == nil {
			return c
		}
		select {
		case <-stop:
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// registers drives the linz register workload: reads (sync then getData),
// blind writes and compare-and-sets on keys, from one goroutine per client.
// A write without an answer is recorded with an unknown outcome; a read
// without one is not recorded. A client whose session expired opens another.
type registers struct {
	e       *testkit.Ensemble
	hist    *linz.History
	keys    []string
	timeout time.Duration
	seed    int64
	tl      *Timeline
	errs    atomic.Int64
	expired atomic.Int64
}

func (r *registers) setup(ctx context.Context) error {
	c := connect(ctx, r.e, 1, r.timeout, nil)
	if c == nil {
		return fmt.Errorf("gauntlet: setup: no session: %w", ctx.Err())
	}
	defer c.Close()
	for _, k := range r.keys {
		call := r.hist.Begin()
		if _, err := c.Create(ctx, k, []byte("init"), zk.Persistent, nil); err != nil {
			return fmt.Errorf("gauntlet: setup: create %s: %w", k, err)
		}
		r.hist.Done(0, call, linz.Input{Kind: linz.Write, Key: k, Value: "init"}, linz.Output{Version: 0})
	}
	if _, err := c.Create(ctx, ephRoot, nil, zk.Persistent, nil); err != nil {
		return fmt.Errorf("gauntlet: setup: create %s: %w", ephRoot, err)
	}
	return nil
}

func (r *registers) worker(ctx context.Context, w int, stop <-chan struct{}) {
	rng := rand.New(rand.NewSource(r.seed*1000 + int64(w)))
	ids := r.e.IDs()
	var c *client.Conn
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	seen := map[string]int32{}
	for i := 0; !stopped(stop); i++ {
		if c == nil {
			if c = connect(ctx, r.e, ids[(w+i)%len(ids)], r.timeout, stop); c == nil {
				return
			}
		}
		k := r.keys[rng.Intn(len(r.keys))]
		v := fmt.Sprintf("w%d-%d", w, i)
		octx, cancel := context.WithTimeout(ctx, 3*time.Second)
		call := r.hist.Begin()
		var err error
		switch x := rng.Intn(10); {
		case x < 4:
			var data []byte
			var st zk.Stat
			if err = c.Sync(octx, k); err == nil {
				data, st, err = c.Get(octx, k)
			}
			if err == nil {
				r.hist.Done(w, call, linz.Input{Kind: linz.Read, Key: k}, linz.Output{Value: string(data), Version: st.Version})
				seen[k] = st.Version
			}
		case x < 7:
			var st zk.Stat
			st, err = c.Set(octx, k, []byte(v), -1)
			r.hist.Done(w, call, linz.Input{Kind: linz.Write, Key: k, Value: v}, linz.Output{Version: st.Version, Unknown: err != nil})
		default:
			exp := seen[k]
			var st zk.Stat
			st, err = c.Set(octx, k, []byte(v), exp)
			out := linz.Output{Version: st.Version, OK: err == nil}
			if err != nil && !errors.Is(err, client.ErrBadVersion) {
				out.Unknown = true
			}
			r.hist.Done(w, call, linz.Input{Kind: linz.CAS, Key: k, Value: v, Version: exp}, out)
			if err == nil {
				seen[k] = st.Version
			} else if errors.Is(err, client.ErrBadVersion) {
				err = nil
			}
		}
		cancel()
		if err != nil {
			r.errs.Add(1)
		}
		if errors.Is(err, client.ErrSessionExpired) || c.State() == client.StateExpired {
			r.expired.Add(1)
			r.tl.add("register client %d: session 0x%x expired", w, c.SessionID())
			c.Close()
			c = nil
		}
	}
}

const ephRoot = "/gauntlet-eph"

// session is one client session of the session workload and its ephemeral.
type session struct {
	conn *client.Conn
	id   int64
	path string
	made atomic.Bool // its ephemeral was created
}

// sessions drives the session workload: each client holds one ephemeral
// per session and checks, while its session lives, that the ephemeral is
// there and is its own. A session that expires is replaced.
type sessions struct {
	e       *testkit.Ensemble
	timeout time.Duration
	tl      *Timeline

	mu         sync.Mutex
	current    map[int]*session // by worker, the live (or last) session
	expired    int
	opened     int
	violations []string
}

func (s *sessions) violate(format string, args ...any) {
	v := fmt.Sprintf(format, args...)
	s.tl.add("SESSION VIOLATION: %s", v)
	s.mu.Lock()
	s.violations = append(s.violations, v)
	s.mu.Unlock()
}

func (s *sessions) worker(ctx context.Context, w int, stop <-chan struct{}) {
	ids := s.e.IDs()
	for n := 0; !stopped(stop); n++ {
		c := connect(ctx, s.e, ids[(w+n)%len(ids)], s.timeout, stop)
		if c == nil {
			return
		}
		ss := &session{conn: c, id: c.SessionID(), path: fmt.Sprintf("%s/c%d-%d", ephRoot, w, n)}
		s.mu.Lock()
		s.current[w] = ss
		s.opened++
		s.mu.Unlock()
		if !s.hold(ctx, ss, stop) {
			return // stopped with the session open: the final check looks at it
		}
		s.mu.Lock()
		s.expired++
		s.mu.Unlock()
		c.Close()
	}
}

// hold creates the session's ephemeral and watches it until the session
// expires (true) or stop (false).
func (s *sessions) hold(ctx context.Context, ss *session, stop <-chan struct{}) bool {
	c := ss.conn
	created := false
	for !stopped(stop) {
		octx, cancel := context.WithTimeout(ctx, 3*time.Second)
		var err error
		if !created {
			_, err = c.Create(octx, ss.path, nil, zk.Ephemeral, nil)
			if err == nil || errors.Is(err, client.ErrNodeExists) {
				// NodeExists: an earlier try of unknown outcome created it.
				created, err = true, nil
				ss.made.Store(true)
			}
		} else {
			var st zk.Stat
			var ok bool
			if err = c.Sync(octx, ss.path); err == nil {
				st, ok, err = c.Exists(octx, ss.path)
			}
			switch {
			case err != nil:
			case !ok:
				if c.State() != client.StateExpired {
					s.violate("ephemeral %s of session 0x%x is gone while the session lives (state %s)", ss.path, ss.id, c.State())
				}
			case st.EphemeralOwner != ss.id:
				s.violate("ephemeral %s belongs to 0x%x, not to its creator 0x%x", ss.path, st.EphemeralOwner, ss.id)
			}
		}
		cancel()
		if errors.Is(err, client.ErrSessionExpired) || c.State() == client.StateExpired {
			s.tl.add("session 0x%x expired (%s)", ss.id, ss.path)
			return true
		}
		select {
		case <-stop:
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
	return false
}

// check is the session validator's end: with the ensemble healed, every
// ephemeral present belongs to a session still live, and every live session
// still has its own ephemeral. Expiry takes up to a session timeout (more
// after a restart of all nodes), so the first condition is polled.
func (s *sessions) check(ctx context.Context, c *client.Conn) []string {
	s.mu.Lock()
	cur := make([]*session, 0, len(s.current))
	for _, ss := range s.current {
		cur = append(cur, ss)
	}
	s.mu.Unlock()
	// Let every client settle into Connected or Expired.
	deadline := time.Now().Add(3 * s.timeout)
	for _, ss := range cur {
		for ss.conn.State() == client.StateDisconnected && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
	}
	var problems []string
	deadline = time.Now().Add(4*s.timeout + 10*time.Second)
	for {
		problems = problems[:0]
		live := map[int64]*session{}
		for _, ss := range cur {
			if ss.conn.State() == client.StateConnected && ss.made.Load() {
				live[ss.id] = ss
			}
		}
		octx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := c.Sync(octx, ephRoot)
		var kids []string
		if err == nil {
			kids, _, err = c.Children(octx, ephRoot)
		}
		owners := map[string]int64{}
		for _, k := range kids {
			if err != nil {
				break
			}
			var st zk.Stat
			var ok bool
			st, ok, err = c.Exists(octx, ephRoot+"/"+k)
			if ok {
				owners[ephRoot+"/"+k] = st.EphemeralOwner
			}
		}
		cancel()
		if err != nil {
			problems = append(problems, fmt.Sprintf("listing ephemerals: %v", err))
		} else {
			for p, o := range owners {
				if live[o] == nil {
					problems = append(problems, fmt.Sprintf("ephemeral %s outlives its session 0x%x", p, o))
				}
			}
			for id, ss := range live {
				if owners[ss.path] != id {
					problems = append(problems, fmt.Sprintf("live session 0x%x lost its ephemeral %s (owner now 0x%x)", id, ss.path, owners[ss.path]))
				}
			}
		}
		if len(problems) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	s.mu.Lock()
	out := append([]string(nil), s.violations...)
	s.mu.Unlock()
	out = append(out, problems...)
	// Closing the sessions removes their ephemerals.
	for _, ss := range cur {
		_ = ss.conn.Close()
	}
	if len(problems) == 0 {
		deadline = time.Now().Add(15 * time.Second)
		for {
			octx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := c.Sync(octx, ephRoot)
			var kids []string
			if err == nil {
				kids, _, err = c.Children(octx, ephRoot)
			}
			cancel()
			if err == nil && len(kids) == 0 {
				break
			}
			if time.Now().After(deadline) {
				out = append(out, fmt.Sprintf("ephemerals left 15s after every session closed: %v (err %v)", kids, err))
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return out
}
