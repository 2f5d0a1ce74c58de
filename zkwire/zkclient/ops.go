package zkclient

import (
	"context"
	"time"

	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// ConfigPath is the znode getConfig reads, never under the chroot.
const ConfigPath = "/zookeeper/config"

// Create creates path and returns the path created (with its sequence
// number). Containers use createContainer, as ZooKeeper's client does.
func (c *Conn) Create(ctx context.Context, path string, data []byte, mode zk.CreateMode, acl []zk.ACL) (string, error) {
	op := zk.OpCreate
	var resp jute.Record = &jute.CreateResponse{}
	if mode == zk.Container {
		op, resp = zk.OpCreateContainer, &jute.Create2Response{}
	}
	req := &jute.CreateRequest{Path: c.serverPath(path), Data: data, ACL: acl, Flags: mode}
	if err := c.do(ctx, op, path, req, resp, nil); err != nil {
		return "", err
	}
	if r, ok := resp.(*jute.Create2Response); ok {
		return c.clientPath(r.Path), nil
	}
	return c.clientPath(resp.(*jute.CreateResponse).Path), nil
}

// CreateTTL creates a TTL node (mode PersistentWithTTL or
// PersistentSequentialWithTTL).
func (c *Conn) CreateTTL(ctx context.Context, path string, data []byte, mode zk.CreateMode, acl []zk.ACL, ttl time.Duration) (string, error) {
	req := &jute.CreateTTLRequest{Path: c.serverPath(path), Data: data, ACL: acl, Flags: mode, TTL: ttl.Milliseconds()}
	var resp jute.Create2Response
	if err := c.do(ctx, zk.OpCreateTTL, path, req, &resp, nil); err != nil {
		return "", err
	}
	return c.clientPath(resp.Path), nil
}

// Get reads path's data (nil for a null value) and Stat; watch leaves a
// data watch on success, whose one event comes on the returned channel.
func (c *Conn) Get(ctx context.Context, path string, watch bool) ([]byte, zk.Stat, <-chan Event, error) {
	return c.get(ctx, path, c.serverPath(path), watch)
}

// GetConfig reads /zookeeper/config (ZooKeeper.getConfig), ignoring the
// chroot.
func (c *Conn) GetConfig(ctx context.Context, watch bool) ([]byte, zk.Stat, <-chan Event, error) {
	return c.get(ctx, ConfigPath, ConfigPath, watch)
}

func (c *Conn) get(ctx context.Context, path, server string, watch bool) ([]byte, zk.Stat, <-chan Event, error) {
	var resp jute.GetDataResponse
	s, reg := c.watcher(watch, func(code zk.Code) int {
		if code == zk.Ok {
			return kData
		}
		return -1
	}, path)
	err := c.do(ctx, zk.OpGetData, path, &jute.GetDataRequest{Path: server, Watch: watch}, &resp, reg)
	return resp.Data, resp.Stat, s, err
}

// watcher makes the sink of a one-shot watch and the reader's hook that
// registers it under the kind the reply's code calls for (-1: none).
func (c *Conn) watcher(watch bool, kind func(zk.Code) int, path string) (<-chan Event, func(zk.Code)) {
	if !watch {
		return nil, nil
	}
	s := newSink()
	return s.ch, func(code zk.Code) {
		if k := kind(code); k >= 0 {
			c.w.add(k, path, s)
		} else {
			s.end()
		}
	}
}

// Exists reports whether path exists, with its Stat; watch leaves a data
// watch (an exist watch when the node is missing).
func (c *Conn) Exists(ctx context.Context, path string, watch bool) (zk.Stat, bool, <-chan Event, error) {
	var resp jute.ExistsResponse
	s, reg := c.watcher(watch, func(code zk.Code) int {
		switch code {
		case zk.Ok:
			return kData
		case zk.NoNode:
			return kExist
		}
		return -1
	}, path)
	err := c.do(ctx, zk.OpExists, path, &jute.ExistsRequest{Path: c.serverPath(path), Watch: watch}, &resp, reg)
	if zk.CodeOf(err) == zk.NoNode {
		return zk.Stat{}, false, s, nil
	}
	return resp.Stat, err == nil, s, err
}

// Children lists path's children with its Stat (getChildren2); watch
// leaves a child watch.
func (c *Conn) Children(ctx context.Context, path string, watch bool) ([]string, zk.Stat, <-chan Event, error) {
	var resp jute.GetChildren2Response
	s, reg := c.watcher(watch, func(code zk.Code) int {
		if code == zk.Ok {
			return kChild
		}
		return -1
	}, path)
	err := c.do(ctx, zk.OpGetChildren2, path, &jute.GetChildren2Request{Path: c.serverPath(path), Watch: watch}, &resp, reg)
	return resp.Children, resp.Stat, s, err
}

// Set writes path's data if its version is version (-1: any).
func (c *Conn) Set(ctx context.Context, path string, data []byte, version int32) (zk.Stat, error) {
	var resp jute.SetDataResponse
	err := c.do(ctx, zk.OpSetData, path, &jute.SetDataRequest{Path: c.serverPath(path), Data: data, Version: version}, &resp, nil)
	return resp.Stat, err
}

// Delete deletes path if its version is version (-1: any).
func (c *Conn) Delete(ctx context.Context, path string, version int32) error {
	return c.do(ctx, zk.OpDelete, path, &jute.DeleteRequest{Path: c.serverPath(path), Version: version}, nil, nil)
}

// GetACL reads path's ACL and Stat.
func (c *Conn) GetACL(ctx context.Context, path string) ([]zk.ACL, zk.Stat, error) {
	var resp jute.GetACLResponse
	err := c.do(ctx, zk.OpGetACL, path, &jute.GetACLRequest{Path: c.serverPath(path)}, &resp, nil)
	return resp.ACL, resp.Stat, err
}

// SetACL replaces path's ACL if its aversion is version (-1: any).
func (c *Conn) SetACL(ctx context.Context, path string, acl []zk.ACL, version int32) (zk.Stat, error) {
	var resp jute.SetACLResponse
	err := c.do(ctx, zk.OpSetACL, path, &jute.SetACLRequest{Path: c.serverPath(path), ACL: acl, Version: version}, &resp, nil)
	return resp.Stat, err
}

// Sync makes the server catch up with the leader.
func (c *Conn) Sync(ctx context.Context, path string) error {
	var resp jute.SyncResponse
	return c.do(ctx, zk.OpSync, path, &jute.SyncRequest{Path: c.serverPath(path)}, &resp, nil)
}

// AllChildrenNumber counts the nodes under path.
func (c *Conn) AllChildrenNumber(ctx context.Context, path string) (int, error) {
	var resp jute.GetAllChildrenNumberResponse
	err := c.do(ctx, zk.OpGetAllChildrenNumber, path, &jute.GetAllChildrenNumberRequest{Path: c.serverPath(path)}, &resp, nil)
	return int(resp.TotalNumber), err
}

// Ephemerals lists the session's ephemeral nodes whose paths start with
// prefix ("/" for all), as the server returns them, chroot stripped.
func (c *Conn) Ephemerals(ctx context.Context, prefix string) ([]string, error) {
	var resp jute.GetEphemeralsResponse
	if err := c.do(ctx, zk.OpGetEphemerals, prefix, &jute.GetEphemeralsRequest{Path: c.serverPath(prefix)}, &resp, nil); err != nil {
		return nil, err
	}
	out := make([]string, len(resp.Children))
	for i, p := range resp.Children {
		out[i] = c.clientPath(p)
	}
	return out, nil
}

// ClientInfo is one identity of the session (whoAmI).
type ClientInfo struct{ AuthScheme, User string }

// WhoAmI lists the session's identities.
func (c *Conn) WhoAmI(ctx context.Context) ([]ClientInfo, error) {
	var resp jute.WhoAmIResponse
	if err := c.do(ctx, zk.OpWhoAmI, "", jute.Empty{}, &resp, nil); err != nil {
		return nil, err
	}
	out := make([]ClientInfo, len(resp.ClientInfo))
	for i, ci := range resp.ClientInfo {
		out[i] = ClientInfo{ci.AuthScheme, ci.User}
	}
	return out, nil
}

// AddAuth sends an auth packet and waits for the server's answer. An
// accepted identity is sent again after every reconnect; a refused one
// (AuthFailed) is not kept, and the server drops the connection, so the
// session moves on to a new one.
func (c *Conn) AddAuth(ctx context.Context, scheme string, auth []byte) error {
	pkt := jute.AuthPacket{Scheme: scheme, Auth: auth}
	ch := make(chan error, 1)
	err := c.sendLocked(ctx, "", func() []byte {
		return jute.EncodeRequest(nil, jute.RequestHeader{Xid: jute.XidAuth, Type: zk.OpAuth}, &pkt)
	}, func() { c.authWait = append(c.authWait, ch) })
	if err != nil {
		return err
	}
	select {
	case err := <-ch:
		if err == nil {
			c.mu.Lock()
			c.auths = append(c.auths, pkt)
			c.mu.Unlock()
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// AddWatch sets a persistent watch on path (recursive: on its subtree);
// its events come on the channel until it is removed or the session ends.
func (c *Conn) AddWatch(ctx context.Context, path string, recursive bool) (<-chan Event, error) {
	mode, k := zk.AddWatchPersistent, kPersist
	if recursive {
		mode, k = zk.AddWatchPersistentRecursive, kRecursive
	}
	s := newSink()
	err := c.do(ctx, zk.OpAddWatch, path, &jute.AddWatchRequest{Path: c.serverPath(path), Mode: mode}, nil, func(code zk.Code) {
		if code == zk.Ok {
			c.w.add(k, path, s)
		}
	})
	if err != nil {
		return nil, err
	}
	return s.ch, nil
}

// RemoveWatches removes the session's watches of type t on path, on the
// server and here; each removed watch gets a ...WatchRemoved event.
func (c *Conn) RemoveWatches(ctx context.Context, path string, t zk.WatcherType) error {
	return c.do(ctx, zk.OpRemoveWatches, path, &jute.RemoveWatchesRequest{Path: c.serverPath(path), Type: t}, nil, func(code zk.Code) {
		if code == zk.Ok {
			c.w.remove(path, t)
		}
	})
}
