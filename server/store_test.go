package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/zk"
)

// startNode is the kit's StartFunc for this package's tests.
func startNode(_ int, c *config.Config, log *slog.Logger) (*Node, error) { return Start(c, log) }

// The first acceptance: create through node 1, read through nodes
// 2 and 3, equal Stat everywhere.
func TestCreateOnOneNodeReadOnEvery(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conns := make([]*client.Conn, len(nodes))
	for i, n := range nodes {
		c, err := client.Connect(ctx, []string{n.BusURL()})
		if err != nil {
			t.Fatalf("connect to node %d: %v", i+1, err)
		}
		defer c.Close()
		conns[i] = c
	}
	p, err := conns[0].Create(ctx, "/node-test01", []byte("node-test01"), zk.Persistent, nil)
	if err != nil || p != "/node-test01" {
		t.Fatalf("create: %q %v", p, err)
	}
	if _, err := conns[1].Create(ctx, "/node-test01", nil, zk.Persistent, nil); !isCode(err, zk.NodeExists) {
		t.Fatalf("second create through node 2: %v, want NodeExists", err)
	}
	var first zk.Stat
	for i, c := range conns {
		if err := c.Sync(ctx, "/node-test01"); err != nil {
			t.Fatalf("sync on node %d: %v", i+1, err)
		}
		data, st, err := c.Get(ctx, "/node-test01")
		if err != nil || !bytes.Equal(data, []byte("node-test01")) {
			t.Fatalf("get through node %d: %q %v", i+1, data, err)
		}
		if i == 0 {
			first = st
		} else if st != first {
			t.Fatalf("stat on node %d %+v differs from node 1 %+v", i+1, st, first)
		}
	}
	// Versioned writes through different nodes, in order.
	for i := range 9 {
		c := conns[i%3]
		if _, err := c.Set(ctx, "/node-test01", []byte(fmt.Sprint(i)), int32(i)); err != nil {
			t.Fatalf("set v%d through node %d: %v", i, i%3+1, err)
		}
		if _, err := c.Set(ctx, "/node-test01", nil, int32(i)); !isCode(err, zk.BadVersion) {
			t.Fatalf("stale set: %v, want BadVersion", err)
		}
	}
	testkit.WaitFor(t, "equal digests", 10*time.Second, func() bool { return sameDigests(nodes...) })
}

func isCode(err error, c zk.Code) bool { return zk.CodeOf(err) == c }
