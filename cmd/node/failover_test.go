package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/zk"
)

// fastEnsemble is a 3-node ensemble with tickTime 500 ms (sessions of 1 to
// 10 s), all nodes serving.
func fastEnsemble(t *testing.T) *testkit.Ensemble {
	t.Helper()
	e := testkit.Processes(t, 3, testkit.Options{Tick: 500})
	e.UpSettled(t)
	return e
}

// A client connected to node X keeps its session and its ephemerals when
// X is killed -9: it reconnects elsewhere within its session timeout, and
// its next read sees its own last write.
func TestClientSurvivesItsNodeKill9(t *testing.T) {
	e := fastEnsemble(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const timeout = 4 * time.Second
	var mu sync.Mutex
	var states []client.State
	c, err := client.Connect(ctx, e.BusURLs(1), client.WithSessionTimeout(timeout),
		client.WithStateListener(func(s client.State) { mu.Lock(); states = append(states, s); mu.Unlock() }))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, x := c.Node()
	session := c.SessionID()
	if _, err := c.Create(ctx, "/mine", []byte("v0"), zk.Ephemeral, nil); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if _, err := c.Set(ctx, "/mine", []byte(fmt.Sprintf("v%d", i)), -1); err != nil {
			t.Fatal(err)
		}
	}
	e.Kill9(int(x))
	killed := time.Now()
	e.WaitFor(t, "the client to be connected to another node", timeout, func() bool {
		_, n := c.Node()
		return c.State() == client.StateConnected && n != x
	})
	moved := time.Since(killed)
	data, _, err := c.Get(ctx, "/mine")
	if err != nil || string(data) != "v5" {
		t.Fatalf("read after the move: %q %v, want its own last write v5", data, err)
	}
	if c.SessionID() != session {
		t.Fatalf("session changed from %x to %x", session, c.SessionID())
	}
	// Another client, on a surviving node, still sees the ephemeral after
	// a full session timeout has passed since the kill.
	var other int
	for _, id := range e.IDs() {
		if id != int(x) {
			other = id
		}
	}
	o, err := client.Connect(ctx, []string{e.BusURL(other)})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	time.Sleep(time.Until(killed.Add(timeout + time.Second)))
	if err := o.Sync(ctx, "/mine"); err != nil {
		t.Fatal(err)
	}
	if st, ok, err := o.Exists(ctx, "/mine"); err != nil || !ok || st.EphemeralOwner != session {
		t.Fatalf("ephemeral after the move: exists %v owner %x err %v", ok, st.EphemeralOwner, err)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("moved from node %d in %s; states %v", x, moved.Round(time.Millisecond), states)
}

// Leader failover with 100 live sessions: none expires, since the clients
// reconnect within their timeouts.
func TestLeaderFailoverKeepsHundredSessions(t *testing.T) {
	e := fastEnsemble(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	const n = 100
	const timeout = 6 * time.Second
	conns := make([]*client.Conn, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := client.Connect(ctx, e.BusURLs(i%3+1), client.WithSessionTimeout(timeout))
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
			if _, err := c.Create(ctx, fmt.Sprintf("/s-%03d", i), nil, zk.Ephemeral, nil); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	ids := make([]int64, n)
	for i, c := range conns {
		ids[i] = c.SessionID()
	}
	leader := e.Settle(t, e.IDs()...)
	e.Kill9(leader)
	e.Settle(t, testkit.Without(e.IDs(), leader)...)
	// Give sessions longer than their timeout to expire, had they not
	// been kept alive by the new leader.
	time.Sleep(timeout + 2*time.Second)
	for i, c := range conns {
		if c.State() == client.StateExpired || c.SessionID() != ids[i] {
			t.Fatalf("session %d: state %s, id %x (was %x)", i, c.State(), c.SessionID(), ids[i])
		}
		if _, _, err := c.Get(ctx, fmt.Sprintf("/s-%03d", i)); err != nil {
			t.Fatalf("session %d after failover: %v", i, err)
		}
	}
	kids, _, err := conns[0].Children(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	if len(kids) != n+1 {
		t.Fatalf("%d children of / after failover, want %d ephemerals and /zookeeper", len(kids), n)
	}
}
