package hostile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/zk"
)

// NativeOverSize sends over-size requests on the native path to the node
// at busURL, whose jute.maxbuffer is maxBuf: a client at the default
// limit must refuse more at once (ErrRequestTooLarge), a client that
// allows more must meet the node's refusal (BadArguments), a request
// past the bus's payload limit must fail before it is sent, and none of
// it may move or break either session. path must exist, empty and open
// to anyone (a fuzzer may have closed the root).
func NativeOverSize(ctx context.Context, busURL, path string, maxBuf int, opts ...client.Option) error {
	var mu sync.Mutex
	var states []client.State
	connect := func(more ...client.Option) (*client.Conn, error) {
		o := append(append([]client.Option{}, opts...), more...)
		o = append(o, client.WithStateListener(func(s client.State) {
			mu.Lock()
			states = append(states, s)
			mu.Unlock()
		}))
		c, err := client.Connect(ctx, []string{busURL}, o...)
		if err != nil {
			return nil, fmt.Errorf("hostile: native connect to %s: %w", busURL, err)
		}
		return c, nil
	}
	strict, err := connect()
	if err != nil {
		return err
	}
	defer strict.Close()
	loose, err := connect(client.WithMaxBuffer(64 << 20))
	if err != nil {
		return err
	}
	defer loose.Close()
	over := bytes.Repeat([]byte("x"), maxBuf+1)
	if _, err := strict.Set(ctx, path, over, -1); !errors.Is(err, client.ErrRequestTooLarge) {
		return fmt.Errorf("hostile: native setData of jute.maxbuffer+1 bytes: %v, want ErrRequestTooLarge", err)
	}
	if _, err := loose.Set(ctx, path, over, -1); zk.CodeOf(err) != zk.BadArguments {
		return fmt.Errorf("hostile: native setData past the node's jute.maxbuffer: %v, want BadArguments", err)
	}
	if _, err := loose.Set(ctx, path, bytes.Repeat([]byte("y"), 9<<20), -1); !errors.Is(err, client.ErrRequestTooLarge) {
		return fmt.Errorf("hostile: native setData past the bus's payload limit: %v, want ErrRequestTooLarge", err)
	}
	for _, c := range []*client.Conn{strict, loose} {
		if data, _, err := c.Get(ctx, path); err != nil || len(data) > 0 {
			return fmt.Errorf("hostile: a native session after the refusals: %q %v", data, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range states {
		if s != client.StateConnected {
			return fmt.Errorf("hostile: a refusal changed a native session's state: %v", states)
		}
	}
	return nil
}
