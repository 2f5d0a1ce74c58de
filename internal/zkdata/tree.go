package zkdata

import (
	"encoding/binary"
	"hash/crc32"
	"slices"
	"strconv"
	"strings"

	"github.com/paddock-zk/paddock/zk"
)

// StatPersisted is the Stat ZooKeeper stores (data.StatPersisted): Cversion
// counts the creates of children; clients are shown Cversion*2 -
// numChildren.
type StatPersisted struct {
	Czxid, Mzxid   int64
	Ctime, Mtime   int64
	Version        int32
	Cversion       int32
	Aversion       int32
	EphemeralOwner int64
	Pzxid          int64
}

// Node is a DataNode: data (nil is null), the ACL cache reference and the
// stored Stat.
type Node struct {
	Data     []byte
	ACL      int64
	Stat     StatPersisted
	children map[string]struct{}
}

// Children returns the node's child names, sorted.
func (n *Node) Children() []string {
	out := make([]string, 0, len(n.children))
	for c := range n.children {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// openUnsafeRef is ReferenceCountedACLCache's reference for a null ACL
// list, which reads as OPEN_ACL_UNSAFE.
const openUnsafeRef = -1

// containerOwner and the TTL mask are EphemeralType's encodings.
const (
	containerOwner int64 = -1 << 63
	extendedMask   int64 = -1 << 56
	reservedMask   int64 = 0x00ffff0000000000
)

// IsEphemeral reports whether owner names a session (EphemeralType.NORMAL
// with extended types enabled), not a container or a TTL node.
func IsEphemeral(owner int64) bool {
	switch {
	case owner == 0, owner == containerOwner:
		return false
	case owner&extendedMask == extendedMask && owner&reservedMask == 0:
		return false
	}
	return true
}

// Tree is ZooKeeper's DataTree and session table as far as they are
// persisted. Paths are ZooKeeper's: the root is "/" here (DataTree keys it
// "" as well).
type Tree struct {
	nodes      map[string]*Node
	acls       map[int64][]zk.ACL
	aclKeys    map[string]int64
	aclIndex   int64
	sessions   map[int64]int32
	ephemerals map[int64]map[string]struct{}
	// LastZxid is the zxid of the last txn applied (DataTree's
	// lastProcessedZxid).
	LastZxid int64
	// digest is ZooKeeper's tree digest (NodeHashMapImpl's AdHash), kept
	// up to date on every change.
	digest uint64
}

// digestVersion is DigestCalculator's DIGEST_VERSION: the digests this
// package computes.
const digestVersion = 2

// nodeDigest is DigestCalculator.calculateDigest: the CRC-32 of the path
// ("" for the root), the data and the stored Stat; nodes under
// /zookeeper/ count for nothing.
func nodeDigest(path string, n *Node) uint64 {
	if strings.HasPrefix(path, "/zookeeper/") {
		return 0
	}
	if path == "/" {
		path = ""
	}
	var b [60]byte
	st := &n.Stat
	binary.BigEndian.PutUint64(b[0:], uint64(st.Czxid))
	binary.BigEndian.PutUint64(b[8:], uint64(st.Mzxid))
	binary.BigEndian.PutUint64(b[16:], uint64(st.Pzxid))
	binary.BigEndian.PutUint64(b[24:], uint64(st.Ctime))
	binary.BigEndian.PutUint64(b[32:], uint64(st.Mtime))
	binary.BigEndian.PutUint32(b[40:], uint32(st.Version))
	binary.BigEndian.PutUint32(b[44:], uint32(st.Cversion))
	binary.BigEndian.PutUint32(b[48:], uint32(st.Aversion))
	binary.BigEndian.PutUint64(b[52:], uint64(st.EphemeralOwner))
	c := crc32.NewIEEE()
	c.Write([]byte(path))
	c.Write(n.Data)
	c.Write(b[:])
	return uint64(c.Sum32())
}

// Digest is ZooKeeper's digest of the tree (DataTree.getTreeDigest).
func (t *Tree) Digest() int64 { return int64(t.digest) }

// change runs f on the node at path with the digest kept current
// (NodeHashMap's preChange and postChange).
func (t *Tree) change(path string, n *Node, f func()) {
	t.digest -= nodeDigest(path, n)
	f()
	t.digest += nodeDigest(path, n)
}

func newTree() *Tree {
	return &Tree{
		nodes:      map[string]*Node{},
		acls:       map[int64][]zk.ACL{},
		aclKeys:    map[string]int64{},
		sessions:   map[int64]int32{},
		ephemerals: map[int64]map[string]struct{}{},
	}
}

// Node returns the node at path, nil if there is none.
func (t *Tree) Node(path string) *Node { return t.nodes[path] }

// NodeCount is the number of nodes, the root included.
func (t *Tree) NodeCount() int { return len(t.nodes) }

// ACL resolves an ACL reference as ReferenceCountedACLCache.convertLong
// does; ok is false for a reference the cache does not hold.
func (t *Tree) ACL(ref int64) (acl []zk.ACL, ok bool) {
	if ref == openUnsafeRef {
		return zk.OpenACLUnsafe, true
	}
	acl, ok = t.acls[ref]
	return acl, ok
}

// Sessions returns the live sessions and their timeouts (ms).
func (t *Tree) Sessions() map[int64]int32 { return t.sessions }

// Walk calls fn for every node, parents before children, children in
// byte order.
func (t *Tree) Walk(fn func(path string, n *Node) error) error {
	stack := []string{"/"}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := t.nodes[p]
		if err := fn(p, n); err != nil {
			return err
		}
		names := n.Children()
		for i := len(names) - 1; i >= 0; i-- {
			stack = append(stack, join(p, names[i]))
		}
	}
	return nil
}

func join(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// split is DataTree's path arithmetic: the parent is everything before
// the last slash ("" for a top-level node, which is the root).
func split(path string) (parent, name string) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return "", path
	}
	parent, name = path[:i], path[i+1:]
	if parent == "" {
		parent = "/"
	}
	return parent, name
}

// aclKey is the identity of an ACL list for the cache (a List's equals).
func aclKey(acl []zk.ACL) string {
	var b strings.Builder
	for _, a := range acl {
		b.WriteString(strconv.Itoa(int(a.Perms)))
		b.WriteByte(0)
		b.WriteString(a.Scheme)
		b.WriteByte(0)
		b.WriteString(a.ID.ID)
		b.WriteByte(0)
	}
	return b.String()
}

// convertACL is ReferenceCountedACLCache.convertAcls (reference counts
// are not kept: nothing here purges the cache).
func (t *Tree) convertACL(acl []zk.ACL) int64 {
	if acl == nil {
		return openUnsafeRef
	}
	k := aclKey(acl)
	if ref, ok := t.aclKeys[k]; ok {
		return ref
	}
	t.aclIndex++
	t.acls[t.aclIndex] = acl
	t.aclKeys[k] = t.aclIndex
	return t.aclIndex
}

func (t *Tree) addEphemeral(owner int64, path string) {
	s := t.ephemerals[owner]
	if s == nil {
		s = map[string]struct{}{}
		t.ephemerals[owner] = s
	}
	s[path] = struct{}{}
}

// lookup finds a node by a txn's path: "/" and "" are the root. It
// returns the path as the tree keys it.
func (t *Tree) lookup(path string) *Node {
	return t.nodes[canonical(path)]
}

func canonical(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// createNode is DataTree.createNode. ok is false for NONODE (no parent)
// and NODEEXISTS, as the KeeperExceptions ZooKeeper catches.
func (t *Tree) createNode(path string, data []byte, acl []zk.ACL, owner int64, parentCVersion int32, zxid, time int64) zk.Code {
	pp, name := split(path)
	parent := t.lookup(pp)
	if parent == nil || path == "/" {
		return zk.NoNode
	}
	ref := t.convertACL(acl) // before the exists check, as DataTree does
	if _, ok := parent.children[name]; ok {
		return zk.NodeExists
	}
	if parentCVersion == -1 {
		parentCVersion = parent.Stat.Cversion + 1
	}
	// A txn replayed over a fuzzy snapshot must not move cversion and
	// pzxid back.
	if parentCVersion > parent.Stat.Cversion {
		t.change(pp, parent, func() { parent.Stat.Cversion, parent.Stat.Pzxid = parentCVersion, zxid })
	}
	if parent.children == nil {
		parent.children = map[string]struct{}{}
	}
	parent.children[name] = struct{}{}
	n := &Node{Data: data, ACL: ref, Stat: StatPersisted{
		Czxid: zxid, Mzxid: zxid, Pzxid: zxid, Ctime: time, Mtime: time, EphemeralOwner: owner,
	}}
	t.nodes[path] = n
	t.digest += nodeDigest(path, n)
	if IsEphemeral(owner) {
		t.addEphemeral(owner, path)
	}
	return zk.Ok
}

// deleteNode is DataTree.deleteNode: the parent's pzxid rises even if the
// child is already gone (a fuzzy snapshot may lack it).
func (t *Tree) deleteNode(path string, zxid int64) zk.Code {
	pp, name := split(path)
	parent := t.lookup(pp)
	if parent == nil {
		return zk.NoNode
	}
	delete(parent.children, name)
	if zxid > parent.Stat.Pzxid {
		t.change(pp, parent, func() { parent.Stat.Pzxid = zxid })
	}
	n := t.nodes[path]
	if n == nil || path == "/" {
		return zk.NoNode
	}
	delete(t.nodes, path)
	t.digest -= nodeDigest(path, n)
	if o := n.Stat.EphemeralOwner; IsEphemeral(o) {
		if s := t.ephemerals[o]; s != nil {
			delete(s, path)
			if len(s) == 0 {
				delete(t.ephemerals, o)
			}
		}
	}
	return zk.Ok
}

// setCversionPzxid is DataTree.setCversionPzxid.
func (t *Tree) setCversionPzxid(path string, cv int32, zxid int64) zk.Code {
	path = strings.TrimSuffix(path, "/")
	n := t.lookup(path)
	if n == nil {
		return zk.NoNode
	}
	if cv == -1 {
		cv = n.Stat.Cversion + 1
	}
	if cv > n.Stat.Cversion {
		t.change(path, n, func() { n.Stat.Cversion, n.Stat.Pzxid = cv, zxid })
	}
	return zk.Ok
}

// killSession is DataTree.killSession: the txn's paths, then whatever
// other ephemerals the session still owns, each deleted at zxid.
func (t *Tree) killSession(session, zxid int64, inTxn []string) {
	local := t.ephemerals[session]
	delete(t.ephemerals, session)
	for _, p := range inTxn {
		t.deleteNode(p, zxid)
		delete(local, p)
	}
	rest := make([]string, 0, len(local))
	for p := range local {
		rest = append(rest, p)
	}
	slices.Sort(rest)
	for _, p := range rest {
		t.deleteNode(p, zxid)
	}
}

// ephemeralOwners lists the sessions that own ephemeral nodes, sorted.
func (t *Tree) ephemeralOwners() []int64 {
	out := make([]int64, 0, len(t.ephemerals))
	for s := range t.ephemerals {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
