package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/zk"
)

// writer does versioned setData on /reg and creates /acked/w-N in a loop,
// reconnecting to another node after any error. It records what was
// acknowledged; outcomes of failed calls are unknown and not checked.
type writer struct {
	e       *testkit.Ensemble
	rng     *rand.Rand
	mu      sync.Mutex
	acked   []string // paths of acknowledged creates
	version int32    // last acknowledged /reg version
	sets    int
	errs    int
	stopped chan struct{}
	done    chan struct{}
}

func (w *writer) connect(ctx context.Context) *client.Conn {
	for ctx.Err() == nil {
		id := w.e.IDs()[w.rng.Intn(len(w.e.IDs()))]
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		c, err := client.Connect(cctx, []string{w.e.BusURL(id)}, client.WithSessionTimeout(4*time.Second))
		cancel()
		if err == nil {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func (w *writer) run(ctx context.Context) {
	defer close(w.done)
	var c *client.Conn
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	expected := int32(-2) // unknown: read it first
	for i := 0; ; i++ {
		select {
		case <-w.stopped:
			return
		default:
		}
		if c == nil {
			if c = w.connect(ctx); c == nil {
				return
			}
		}
		octx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := w.step(octx, c, i, &expected)
		cancel()
		if err != nil {
			w.mu.Lock()
			w.errs++
			w.mu.Unlock()
			expected = -2
			c.Close()
			c = nil
		}
	}
}

func (w *writer) step(ctx context.Context, c *client.Conn, i int, expected *int32) error {
	if *expected == -2 {
		_, st, err := c.Get(ctx, "/reg")
		if err != nil {
			return err
		}
		*expected = st.Version
	}
	st, err := c.Set(ctx, "/reg", []byte(fmt.Sprint(i)), *expected)
	if err != nil {
		return err
	}
	if st.Version != *expected+1 {
		return fmt.Errorf("set with version %d acknowledged as version %d", *expected, st.Version)
	}
	*expected = st.Version
	p := fmt.Sprintf("/acked/w-%06d", i)
	if _, err := c.Create(ctx, p, []byte(fmt.Sprint(i)), zk.Persistent, nil); err != nil && !errors.Is(err, client.ErrNodeExists) {
		return err
	}
	w.mu.Lock()
	w.version, w.sets = st.Version, w.sets+1
	w.acked = append(w.acked, p)
	w.mu.Unlock()
	return nil
}

// verify checks, through every node, that every acknowledged write is
// there and the register is at least at the last acknowledged version.
func (w *writer) verify(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, id := range w.e.IDs() {
		c, err := client.Connect(ctx, []string{w.e.BusURL(id)})
		if err != nil {
			t.Fatalf("connect to node %d for verification: %v", id, err)
		}
		if err := c.Sync(ctx, "/acked"); err != nil {
			t.Fatalf("sync on node %d: %v", id, err)
		}
		kids, _, err := c.Children(ctx, "/acked")
		if err != nil {
			t.Fatalf("ls /acked on node %d: %v", id, err)
		}
		have := map[string]bool{}
		for _, k := range kids {
			have["/acked/"+k] = true
		}
		for _, p := range w.acked {
			if !have[p] {
				t.Errorf("node %d lost the acknowledged create %s", id, p)
			}
		}
		_, st, err := c.Get(ctx, "/reg")
		if err != nil || st.Version < w.version {
			t.Errorf("node %d: /reg version %d (%v), last acknowledged %d", id, st.Version, err, w.version)
		}
		c.Close()
	}
}

// Real processes: a client writes in a loop while the leader is killed -9
// and restarted 20 times, then all three are killed at the same instant.
// Every acknowledged write is there afterwards on every node, and the
// replicas' digests match.
func TestKillLeaderLoopLosesNoAcknowledgedWrite(t *testing.T) {
	e := fastEnsemble(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	setup, err := client.Connect(ctx, []string{e.BusURL(1)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/reg", "/acked"} {
		if _, err := setup.Create(ctx, p, nil, zk.Persistent, nil); err != nil {
			t.Fatal(err)
		}
	}
	setup.Close()

	w := &writer{e: e, rng: rand.New(rand.NewSource(1)), stopped: make(chan struct{}), done: make(chan struct{})}
	go w.run(ctx)
	progress := func(n int) {
		w.mu.Lock()
		start := w.sets
		w.mu.Unlock()
		e.WaitFor(t, "writes to make progress", 30*time.Second, func() bool {
			w.mu.Lock()
			defer w.mu.Unlock()
			return w.sets >= start+n
		})
	}
	const rounds = 20
	for round := 1; round <= rounds; round++ {
		progress(5)
		leader := e.Settle(t, e.IDs()...)
		e.Kill9(leader)
		e.Settle(t, testkit.Without(e.IDs(), leader)...)
		progress(3)
		e.Up(t, leader)
		e.WaitAnswering(t, leader)
	}
	progress(5)
	// All three at the same instant.
	e.KillAll()
	for _, id := range e.IDs() {
		e.Up(t, id)
	}
	e.Settle(t, e.IDs()...)
	progress(5)
	close(w.stopped)
	<-w.done

	var state string
	e.WaitFor(t, "equal digests at equal zxids", 30*time.Second, func() bool {
		var ok bool
		state, ok = e.States()
		return ok
	})
	w.verify(t)
	t.Logf("%d acknowledged write pairs, %d failed calls, final state %s", w.sets, w.errs, state)
}
