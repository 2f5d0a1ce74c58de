package client

import (
	"context"
	"fmt"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// OpResult is the outcome of one op of a Multi. Err is nil for an op that
// succeeded; in a failed Multi, the ops before the failing one report nil
// (they were rolled back), the failing one its error and the later ones
// RuntimeInconsistency, as in ZooKeeper.
type OpResult struct {
	Op   zk.OpCode
	Err  error
	Path string  // create: the created path
	Stat zk.Stat // create2, setData
}

func (c *Conn) call(ctx context.Context, op msg.Op) (*msg.Reply, error) {
	rep, _, err := c.do(ctx, msg.Request{Op: op}, nil)
	return rep, err
}

func validate(path string, sequential bool) error {
	if err := znode.ValidatePath(path, sequential); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	return nil
}

// Create creates path and returns the created path (with the sequence
// suffix for sequential modes). A nil acl means world:anyone with all
// permissions. Container and TTL modes go as createContainer and createTTL;
// use CreateTTL for the TTL modes.
func (c *Conn) Create(ctx context.Context, path string, data []byte, mode zk.CreateMode, acl []zk.ACL) (string, error) {
	p, _, err := c.create(ctx, zk.OpCreate, path, data, mode, acl, 0)
	return p, err
}

// Create2 is Create that also returns the new node's Stat.
func (c *Conn) Create2(ctx context.Context, path string, data []byte, mode zk.CreateMode, acl []zk.ACL) (string, zk.Stat, error) {
	return c.create(ctx, zk.OpCreate2, path, data, mode, acl, 0)
}

// CreateTTL creates a node with a TTL mode (PersistentWithTTL or
// PersistentSequentialWithTTL): the node is removed once it has had no
// children and no change for ttl.
func (c *Conn) CreateTTL(ctx context.Context, path string, data []byte, mode zk.CreateMode, acl []zk.ACL, ttl time.Duration) (string, error) {
	if !mode.IsTTL() {
		return "", fmt.Errorf("client: CreateTTL with mode %s: %w", mode, &zk.Error{Code: zk.BadArguments, Path: path})
	}
	ms := ttl.Milliseconds()
	if ms <= 0 || ms > znode.MaxTTL {
		return "", fmt.Errorf("client: ttl %s out of range: %w", ttl, &zk.Error{Code: zk.BadArguments, Path: path})
	}
	p, _, err := c.create(ctx, zk.OpCreateTTL, path, data, mode, acl, ms)
	return p, err
}

func (c *Conn) create(ctx context.Context, op zk.OpCode, path string, data []byte, mode zk.CreateMode, acl []zk.ACL, ttl int64) (string, zk.Stat, error) {
	if !mode.Valid() {
		return "", zk.Stat{}, fmt.Errorf("client: create mode %d: %w", mode, &zk.Error{Code: zk.BadArguments, Path: path})
	}
	if mode.IsTTL() && op != zk.OpCreateTTL {
		return "", zk.Stat{}, fmt.Errorf("client: mode %s needs CreateTTL: %w", mode, &zk.Error{Code: zk.BadArguments, Path: path})
	}
	if err := validate(path, mode.IsSequential()); err != nil {
		return "", zk.Stat{}, err
	}
	if mode.IsContainer() {
		op = zk.OpCreateContainer
	}
	if acl == nil {
		acl = zk.OpenACLUnsafe
	}
	rep, err := c.call(ctx, msg.Op{Op: op, Path: path, Data: data, ACL: acl, Mode: int32(mode), TTL: ttl})
	if err != nil {
		return "", zk.Stat{}, err
	}
	return rep.Path, msg.StatOf(rep.Stat), nil
}

// Get returns path's data and Stat. Data is nil only for a node whose
// data is null (created or set with nil); zero-length data comes back as
// an empty, non-nil slice, as ZooKeeper keeps the two apart.
func (c *Conn) Get(ctx context.Context, path string) ([]byte, zk.Stat, error) {
	if err := validate(path, false); err != nil {
		return nil, zk.Stat{}, err
	}
	rep, err := c.call(ctx, msg.Op{Op: zk.OpGetData, Path: path})
	if err != nil {
		return nil, zk.Stat{}, err
	}
	return rep.Data, msg.StatOf(rep.Stat), nil
}

// Set replaces path's data if its version is version (-1: any).
func (c *Conn) Set(ctx context.Context, path string, data []byte, version int32) (zk.Stat, error) {
	if err := validate(path, false); err != nil {
		return zk.Stat{}, err
	}
	rep, err := c.call(ctx, msg.Op{Op: zk.OpSetData, Path: path, Data: data, Version: version})
	if err != nil {
		return zk.Stat{}, err
	}
	return msg.StatOf(rep.Stat), nil
}

// Exists returns path's Stat and whether it exists; NoNode is not an error.
func (c *Conn) Exists(ctx context.Context, path string) (zk.Stat, bool, error) {
	if err := validate(path, false); err != nil {
		return zk.Stat{}, false, err
	}
	rep, err := c.call(ctx, msg.Op{Op: zk.OpExists, Path: path})
	switch {
	case zk.CodeOf(err) == zk.NoNode:
		return zk.Stat{}, false, nil
	case err != nil:
		return zk.Stat{}, false, err
	}
	return msg.StatOf(rep.Stat), true, nil
}

// Delete removes path if its version is version (-1: any) and it has no
// children.
func (c *Conn) Delete(ctx context.Context, path string, version int32) error {
	if err := validate(path, false); err != nil {
		return err
	}
	_, err := c.call(ctx, msg.Op{Op: zk.OpDelete, Path: path, Version: version})
	return err
}

// Children returns the names of path's children (in the node's order) and
// path's Stat.
func (c *Conn) Children(ctx context.Context, path string) ([]string, zk.Stat, error) {
	if err := validate(path, false); err != nil {
		return nil, zk.Stat{}, err
	}
	rep, err := c.call(ctx, msg.Op{Op: zk.OpGetChildren2, Path: path})
	if err != nil {
		return nil, zk.Stat{}, err
	}
	return rep.Children, msg.StatOf(rep.Stat), nil
}

// GetACL returns path's ACL and Stat.
func (c *Conn) GetACL(ctx context.Context, path string) ([]zk.ACL, zk.Stat, error) {
	if err := validate(path, false); err != nil {
		return nil, zk.Stat{}, err
	}
	rep, err := c.call(ctx, msg.Op{Op: zk.OpGetACL, Path: path})
	if err != nil {
		return nil, zk.Stat{}, err
	}
	return rep.ACL, msg.StatOf(rep.Stat), nil
}

// SetACL replaces path's ACL if its ACL version is version (-1: any).
func (c *Conn) SetACL(ctx context.Context, path string, acl []zk.ACL, version int32) (zk.Stat, error) {
	if err := validate(path, false); err != nil {
		return zk.Stat{}, err
	}
	rep, err := c.call(ctx, msg.Op{Op: zk.OpSetACL, Path: path, ACL: acl, Version: version})
	if err != nil {
		return zk.Stat{}, err
	}
	return msg.StatOf(rep.Stat), nil
}

// Sync makes the serving node catch up with the leader's commit point
// before it answers; reads after it see every write committed before it.
func (c *Conn) Sync(ctx context.Context, path string) error {
	if err := validate(path, false); err != nil {
		return err
	}
	_, err := c.call(ctx, msg.Op{Op: zk.OpSync, Path: path})
	return err
}

// AllChildrenNumber is the number of path's descendants.
func (c *Conn) AllChildrenNumber(ctx context.Context, path string) (int, error) {
	if err := validate(path, false); err != nil {
		return 0, err
	}
	rep, err := c.call(ctx, msg.Op{Op: zk.OpGetAllChildrenNumber, Path: path})
	if err != nil {
		return 0, err
	}
	return int(rep.Count), nil
}

// Multi applies ops (znode.Create, Delete, SetData, Check) atomically. On
// failure it returns the per-op results and the failing op's error.
func (c *Conn) Multi(ctx context.Context, ops ...znode.Request) ([]OpResult, error) {
	mops := make([]msg.Op, 0, len(ops))
	for _, r := range ops {
		var m msg.Op
		switch o := r.(type) {
		case znode.Create:
			if err := validate(o.Path, o.Mode.IsSequential()); err != nil {
				return nil, err
			}
			acl := o.ACL
			if acl == nil {
				acl = zk.OpenACLUnsafe
			}
			m = msg.Op{Op: o.Op(), Path: o.Path, Data: o.Data, ACL: acl, Mode: int32(o.Mode), TTL: o.TTL}
		case znode.Delete:
			m = msg.Op{Op: zk.OpDelete, Path: o.Path, Version: o.Version}
		case znode.SetData:
			m = msg.Op{Op: zk.OpSetData, Path: o.Path, Data: o.Data, Version: o.Version}
		case znode.Check:
			m = msg.Op{Op: zk.OpCheck, Path: o.Path, Version: o.Version}
		default:
			return nil, fmt.Errorf("client: %T cannot be part of a multi: %w", r, zk.ErrBadArguments)
		}
		if _, isCreate := r.(znode.Create); !isCreate {
			if err := validate(m.Path, false); err != nil {
				return nil, err
			}
		}
		mops = append(mops, m)
	}
	rep, err := c.call(ctx, msg.Op{Op: zk.OpMulti, Ops: mops})
	if rep == nil {
		return nil, err
	}
	res := make([]OpResult, len(rep.Results))
	var first error
	for i, r := range rep.Results {
		res[i] = OpResult{Op: r.Op, Path: r.Path, Stat: msg.StatOf(r.Stat)}
		if r.Err != 0 {
			p := r.Path
			if p == "" && i < len(mops) {
				p = mops[i].Path
			}
			e := &zk.Error{Code: r.Err, Path: p}
			res[i].Err = e
			if first == nil && e.Code != zk.RuntimeInconsistency && e.Code != zk.Ok {
				first = e
			}
		}
	}
	if err != nil {
		if first != nil {
			return res, first
		}
		return res, err
	}
	return res, nil
}
