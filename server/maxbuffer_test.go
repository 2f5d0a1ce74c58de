package server

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// jute.maxbuffer holds on the native path as on the wire: the client
// refuses more data than its limit at once, a node refuses more than its
// own with BadArguments, a request larger than the bus carries fails at
// once, and none of them moves or breaks the session.
func TestMaxBufferOnTheNativePath(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	var states []client.State
	connect := func(opts ...client.Option) *client.Conn {
		opts = append(opts, client.WithStateListener(func(s client.State) {
			mu.Lock()
			states = append(states, s)
			mu.Unlock()
		}))
		c, err := client.Connect(ctx, []string{nodes[0].BusURL()}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	over := bytes.Repeat([]byte("x"), 1<<20+1)

	c := connect()
	if _, err := c.Create(ctx, "/big", over, zk.Persistent, nil); !errors.Is(err, client.ErrRequestTooLarge) {
		t.Fatalf("create with jute.maxbuffer+1 bytes: %v, want ErrRequestTooLarge", err)
	}
	if _, err := c.Create(ctx, "/big", over[:1<<20], zk.Persistent, nil); err != nil {
		t.Fatalf("create with exactly jute.maxbuffer bytes: %v", err)
	}

	// A client that allows more meets the node's limit, in a multi too.
	loose := connect(client.WithMaxBuffer(64 << 20))
	if _, err := loose.Set(ctx, "/big", over, -1); !isCode(err, zk.BadArguments) {
		t.Fatalf("setData past the node's jute.maxbuffer: %v, want BadArguments", err)
	}
	half := over[:len(over)/2+1]
	_, err := loose.Multi(ctx, znode.Create{Path: "/m1", Data: half, ACL: zk.OpenACLUnsafe}, znode.Create{Path: "/m2", Data: half, ACL: zk.OpenACLUnsafe})
	if !isCode(err, zk.BadArguments) {
		t.Fatalf("multi carrying more than jute.maxbuffer: %v, want BadArguments", err)
	}
	// Past the bus's payload limit: refused before it is sent.
	start := time.Now()
	if _, err := loose.Set(ctx, "/big", bytes.Repeat([]byte("y"), 9<<20), -1); !errors.Is(err, client.ErrRequestTooLarge) {
		t.Fatalf("setData past the bus's payload limit: %v, want ErrRequestTooLarge", err)
	}
	t.Logf("refused in %s", time.Since(start).Round(time.Millisecond))

	for _, cc := range []*client.Conn{c, loose} {
		if _, _, err := cc.Get(ctx, "/big"); err != nil {
			t.Fatalf("the session after the refusals: %v", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range states {
		if s != client.StateConnected {
			t.Fatalf("a refusal changed a session's state: %v", states)
		}
	}
}
