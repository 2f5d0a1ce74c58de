package zkcli

import (
	"context"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/zkclient"
	"github.com/paddock-zk/paddock/znode"
)

// Bus is the Client of a native (bus) connection.
func Bus(c *client.Conn) Client { return busClient{c} }

type busClient struct{ *client.Conn }

func (b busClient) AddWatch(ctx context.Context, path string, recursive bool) (<-chan client.Event, error) {
	w, err := b.Conn.AddWatch(ctx, path, recursive)
	if err != nil {
		return nil, err
	}
	return w.Events, nil
}

func (b busClient) GetConfig(ctx context.Context, watch bool) ([]byte, zk.Stat, <-chan client.Event, error) {
	if watch {
		return b.GetW(ctx, znode.ConfigPath)
	}
	data, st, err := b.Get(ctx, znode.ConfigPath)
	return data, st, nil, err
}

func (b busClient) AddAuth(ctx context.Context, scheme string, auth []byte) error {
	return b.Conn.AddAuth(ctx, scheme, auth)
}

func (b busClient) WhoAmI(ctx context.Context) ([]zkclient.ClientInfo, error) {
	ids, err := b.Conn.WhoAmI(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]zkclient.ClientInfo, len(ids))
	for i, id := range ids {
		out[i] = zkclient.ClientInfo{AuthScheme: id.Scheme, User: id.ID}
	}
	return out, nil
}

func (b busClient) Ephemerals(ctx context.Context, path string) ([]string, error) {
	return b.Conn.Ephemerals(ctx, path)
}

// Wire is the Client of a ZooKeeper wire-protocol connection.
func Wire(c *zkclient.Conn) Client { return wireClient{c} }

type wireClient struct{ c *zkclient.Conn }

// events hands the wire client's events on as the native client's, which
// the shell prints: the same ZooKeeper types, without the zxid a wire
// notification does not carry.
func events(in <-chan zkclient.Event) <-chan client.Event {
	if in == nil {
		return nil
	}
	out := make(chan client.Event, 1)
	go func() {
		defer close(out)
		for e := range in {
			out <- client.Event{Type: e.Type, State: e.State, Path: e.Path}
		}
	}()
	return out
}

func (w wireClient) Create(ctx context.Context, path string, data []byte, mode zk.CreateMode, acl []zk.ACL) (string, error) {
	return w.c.Create(ctx, path, data, mode, acl)
}

func (w wireClient) CreateTTL(ctx context.Context, path string, data []byte, mode zk.CreateMode, acl []zk.ACL, ttl time.Duration) (string, error) {
	return w.c.CreateTTL(ctx, path, data, mode, acl, ttl)
}

func (w wireClient) Get(ctx context.Context, path string) ([]byte, zk.Stat, error) {
	data, st, _, err := w.c.Get(ctx, path, false)
	return data, st, err
}

func (w wireClient) Set(ctx context.Context, path string, data []byte, version int32) (zk.Stat, error) {
	return w.c.Set(ctx, path, data, version)
}

func (w wireClient) Exists(ctx context.Context, path string) (zk.Stat, bool, error) {
	st, ok, _, err := w.c.Exists(ctx, path, false)
	return st, ok, err
}

func (w wireClient) Delete(ctx context.Context, path string, version int32) error {
	return w.c.Delete(ctx, path, version)
}

func (w wireClient) Children(ctx context.Context, path string) ([]string, zk.Stat, error) {
	kids, st, _, err := w.c.Children(ctx, path, false)
	return kids, st, err
}

func (w wireClient) GetACL(ctx context.Context, path string) ([]zk.ACL, zk.Stat, error) {
	return w.c.GetACL(ctx, path)
}

func (w wireClient) SetACL(ctx context.Context, path string, acl []zk.ACL, version int32) (zk.Stat, error) {
	return w.c.SetACL(ctx, path, acl, version)
}

func (w wireClient) Sync(ctx context.Context, path string) error { return w.c.Sync(ctx, path) }

func (w wireClient) AllChildrenNumber(ctx context.Context, path string) (int, error) {
	return w.c.AllChildrenNumber(ctx, path)
}

func (w wireClient) GetW(ctx context.Context, path string) ([]byte, zk.Stat, <-chan client.Event, error) {
	data, st, ch, err := w.c.Get(ctx, path, true)
	return data, st, events(ch), err
}

func (w wireClient) ExistsW(ctx context.Context, path string) (zk.Stat, bool, <-chan client.Event, error) {
	st, ok, ch, err := w.c.Exists(ctx, path, true)
	return st, ok, events(ch), err
}

func (w wireClient) ChildrenW(ctx context.Context, path string) ([]string, zk.Stat, <-chan client.Event, error) {
	kids, st, ch, err := w.c.Children(ctx, path, true)
	return kids, st, events(ch), err
}

func (w wireClient) AddWatch(ctx context.Context, path string, recursive bool) (<-chan client.Event, error) {
	ch, err := w.c.AddWatch(ctx, path, recursive)
	return events(ch), err
}

func (w wireClient) RemoveWatches(ctx context.Context, path string, t client.WatcherType) error {
	return w.c.RemoveWatches(ctx, path, t)
}

func (w wireClient) GetConfig(ctx context.Context, watch bool) ([]byte, zk.Stat, <-chan client.Event, error) {
	data, st, ch, err := w.c.GetConfig(ctx, watch)
	return data, st, events(ch), err
}

func (w wireClient) AddAuth(ctx context.Context, scheme string, auth []byte) error {
	return w.c.AddAuth(ctx, scheme, auth)
}

func (w wireClient) WhoAmI(ctx context.Context) ([]zkclient.ClientInfo, error) {
	return w.c.WhoAmI(ctx)
}

func (w wireClient) Ephemerals(ctx context.Context, prefix string) ([]string, error) {
	return w.c.Ephemerals(ctx, prefix)
}

var (
	_ Client = busClient{}
	_ Client = wireClient{}
)
