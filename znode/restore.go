package znode

import (
	"errors"
	"fmt"

	"github.com/paddock-zk/paddock/zk"
)

// ErrBadRestore is wrapped by every Restore error: the nodes do not make
// a tree Paddock can hold.
var ErrBadRestore = errors.New("znode: nodes do not make a tree")

// StoredNode is one znode as another ZooKeeper store holds it, with the
// Stat in its stored form (ZooKeeper's StatPersisted): Cversion counts
// the creates of children, as DataTree keeps it; clients are shown
// Cversion*2 - children (see clientStat). Data nil is null data.
type StoredNode struct {
	Path           string
	Data           []byte
	ACL            []zk.ACL
	Czxid, Mzxid   int64
	Pzxid          int64
	Ctime, Mtime   int64
	EphemeralOwner int64
	Version        int32
	Cversion       int32
	Aversion       int32
}

// Restore builds the tree that holds exactly nodes at lastZxid, for
// importing another store's state (a ZooKeeper data directory) as a
// snapshot. Parents must come before their children ("/" first); the
// built-in nodes ZooKeeper always has are added as New makes them where
// nodes lack them. Ephemeral nodes are refused: their sessions are not
// carried over, so nothing would ever delete them. Quota roots are
// rebuilt from the limits nodes and their stats kept as given.
func Restore(nodes []StoredNode, lastZxid int64) (*Tree, error) {
	t := newEmpty()
	t.lastZxid = lastZxid
	for i, sn := range nodes {
		switch {
		case i == 0 && sn.Path != "/":
			return nil, fmt.Errorf("%w: first node is %q, not /", ErrBadRestore, sn.Path)
		case i > 0 && sn.Path == "/":
			return nil, fmt.Errorf("%w: / given twice", ErrBadRestore)
		case i > 0 && validPath(sn.Path) != nil:
			return nil, fmt.Errorf("%w: invalid path %q: %v", ErrBadRestore, sn.Path, validPath(sn.Path))
		case t.nodes[sn.Path] != nil:
			return nil, fmt.Errorf("%w: %s given twice", ErrBadRestore, sn.Path)
		case KindOf(sn.EphemeralOwner) == KindEphemeral:
			return nil, fmt.Errorf("%w: %s is ephemeral (owner %#x); sessions are not restored", ErrBadRestore, sn.Path, sn.EphemeralOwner)
		}
		if i > 0 {
			pp, _, _ := parentOf(sn.Path)
			if t.nodes[pp] == nil {
				return nil, fmt.Errorf("%w: %s comes before its parent %s", ErrBadRestore, sn.Path, pp)
			}
		}
		t.addNode(sn.Path, &node{
			data: keepData(sn.Data), acl: t.acls.intern(sn.ACL),
			czxid: sn.Czxid, mzxid: sn.Mzxid, pzxid: sn.Pzxid, ctime: sn.Ctime, mtime: sn.Mtime,
			owner: sn.EphemeralOwner, version: sn.Version, cversion: sn.Cversion, aversion: sn.Aversion,
		})
	}
	if t.nodes["/"] == nil {
		return nil, fmt.Errorf("%w: no root node", ErrBadRestore)
	}
	builtin := New()
	for _, p := range [...]string{ZookeeperPath, QuotaPath, ConfigPath} {
		if t.nodes[p] == nil {
			b := *builtin.nodes[p]
			b.children = nil
			b.acl = t.acls.intern(builtin.acls.get(b.acl))
			t.addNode(p, &b)
		}
	}
	t.rebuildQuotas()
	return t, nil
}

// StoredNodes lists the tree's nodes in Restore's form, parents first,
// for tests and tools that compare trees.
func (t *Tree) StoredNodes() []StoredNode {
	out := make([]StoredNode, 0, len(t.nodes))
	stack := []string{"/"}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := t.nodes[p]
		out = append(out, StoredNode{
			Path: p, Data: n.data, ACL: t.acls.get(n.acl),
			Czxid: n.czxid, Mzxid: n.mzxid, Pzxid: n.pzxid, Ctime: n.ctime, Mtime: n.mtime,
			EphemeralOwner: n.owner, Version: n.version, Cversion: n.cversion, Aversion: n.aversion,
		})
		names, _, _ := t.Children(p)
		for i := len(names) - 1; i >= 0; i-- {
			stack = append(stack, joinPath(p, names[i]))
		}
	}
	return out
}
