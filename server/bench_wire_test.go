package server

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"
)

// BenchmarkWireWrite is BenchmarkWrite's setData over the ZooKeeper wire
// (go-zookeeper, one connection per writer spread over the three nodes),
// the path ZooKeeper clients take; profile it with -cpuprofile to see
// the whole node's write path, front end to fsync.
func BenchmarkWireWrite(b *testing.B) {
	skipUnlessBench(b)
	nodes := benchEnsemble(b, 3)
	conns := wireConns(b, nodes, 32)
	value := bytes.Repeat([]byte("v"), 100)
	for i, c := range conns {
		if _, err := c.Create(fmt.Sprintf("/w%02d", i), value, 0, gozk.WorldACL(gozk.PermAll)); err != nil {
			b.Fatal(err)
		}
	}
	for _, writers := range []int{1, 32} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			run(b, writers, "writes/s", func(_ context.Context, w int, _ int64) error {
				_, err := conns[w].Set(fmt.Sprintf("/w%02d", w), value, -1)
				return err
			})
		})
	}
}

// BenchmarkWireRead is BenchmarkRead over the ZooKeeper wire: 32 readers
// on the two followers.
func BenchmarkWireRead(b *testing.B) {
	skipUnlessBench(b)
	conns := wireConns(b, followers(benchEnsemble(b, 3)), 32)
	value := bytes.Repeat([]byte("v"), 100)
	if _, err := conns[0].Create("/r", value, 0, gozk.WorldACL(gozk.PermAll)); err != nil {
		b.Fatal(err)
	}
	for _, c := range conns {
		if _, err := c.Sync("/r"); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("readers=32", func(b *testing.B) {
		run(b, 32, "reads/s", func(_ context.Context, w int, _ int64) error {
			data, _, err := conns[w].Get("/r")
			if err == nil && len(data) != len(value) {
				err = fmt.Errorf("read %d bytes", len(data))
			}
			return err
		})
	})
}

// wireConns opens k go-zookeeper connections, connection i to nodes[i%len],
// each with its session established.
func wireConns(tb testing.TB, nodes []*Node, k int) []*gozk.Conn {
	tb.Helper()
	conns := make([]*gozk.Conn, k)
	for i := range conns {
		c, ev, err := gozk.Connect([]string{nodes[i%len(nodes)].ClientAddr()}, 10*time.Second, gozk.WithLogInfo(false), gozk.WithLogger(discardZK{}))
		if err != nil {
			tb.Fatalf("connect %d: %v", i, err)
		}
		tb.Cleanup(c.Close)
		for e := range ev {
			if e.State == gozk.StateHasSession {
				break
			}
		}
		conns[i] = c
	}
	return conns
}

type discardZK struct{}

func (discardZK) Printf(string, ...any) {}
