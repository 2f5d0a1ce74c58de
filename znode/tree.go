package znode

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/paddock-zk/paddock/zk"
)

// ErrDiverged is wrapped by Result.Fault: the txn does not apply to this
// tree, which only happens if this replica's history differs from the
// leader's.
var ErrDiverged = errors.New("znode: txn does not apply: replicas diverged")

// Paths of ZooKeeper's built-in nodes.
const (
	ZookeeperPath = "/zookeeper"
	QuotaPath     = "/zookeeper/quota"
	ConfigPath    = "/zookeeper/config"
)

// node is one znode. It is kept small: 1e6 of them must fit comfortably.
// The child count is len(children); dataLength is len(data).
type node struct {
	data     []byte              // nil: null data, as ZooKeeper keeps it; see keepData
	children map[string]struct{} // names; nil when empty
	chash    uint64              // nodeHash(path, node)
	czxid    int64
	mzxid    int64
	pzxid    int64
	ctime    int64
	mtime    int64
	owner    int64 // ephemeralOwner
	version  int32
	cversion int32
	aversion int32
	acl      uint32 // index in Tree.acls
	gen      uint32 // Tree.gen when made; an older node is shared with a frozen view
}

// clientStat is the Stat a client is shown, as ZooKeeper's
// DataNode.copyStat makes it: cversion counts child deletes too
// (stored creates*2 - children, ZooKeeper's "v3 semantics"), and
// containers and TTL nodes show ephemeralOwner 0. stat is the stored
// form that Prep and the digest use.
func (n *node) clientStat() zk.Stat {
	st := n.stat()
	st.Cversion = n.cversion*2 - int32(len(n.children))
	if KindOf(n.owner) != KindEphemeral {
		st.EphemeralOwner = 0
	}
	return st
}

func (n *node) stat() zk.Stat {
	return zk.Stat{
		Czxid: n.czxid, Mzxid: n.mzxid, Pzxid: n.pzxid, Ctime: n.ctime, Mtime: n.mtime,
		Version: n.version, Cversion: n.cversion, Aversion: n.aversion,
		EphemeralOwner: n.owner, DataLength: int32(len(n.data)), NumChildren: int32(len(n.children)),
	}
}

// Tree is ZooKeeper's DataTree as a deterministic state machine: Apply
// committed txns in zxid order and every replica holds the same nodes,
// Stats and Digest. It is not safe for concurrent use: the owner serialises
// Apply and reads (or snapshots between applies).
type Tree struct {
	nodes      map[string]*node
	acls       *aclCache
	ephemerals map[int64]map[string]struct{}
	containers map[string]struct{}
	ttls       map[string]struct{}
	sessions   map[int64]int32 // live sessions and their timeouts (ms)
	lastZxid   int64
	digest     uint64
	gen        uint32 // bumped by Freeze: nodes of older generations are read-only
	freezer    *Freezer

	// The figures ZooKeeper's DataTree keeps for its metrics, maintained
	// as nodes come, go and change: the bytes of every node's path and
	// data (approximate_data_size), and the ephemeral nodes.
	dataSize       int64
	ephemeralCount int

	quotas map[string]struct{} // quota roots: paths with a limits node

	superDigest  string // local configuration, not replicated state
	enforceQuota bool   // local configuration: Prep refuses past hard limits
	maxBuffer    int    // local configuration: jute.maxbuffer, 0 for none
}

// New returns a tree holding ZooKeeper's built-in nodes: "/", "/zookeeper",
// "/zookeeper/quota" (world:anyone ALL) and "/zookeeper/config"
// (world:anyone READ, ZOOKEEPER-2014), all with zero Stats and empty (not
// null) data, as DataTree makes them (new byte[0]), but for the config
// node's aversion, -1 as DataTree.addConfigNode's setACL leaves it.
func New() *Tree {
	t := newEmpty()
	t.addNode("/", &node{data: emptyData, acl: t.acls.intern(zk.OpenACLUnsafe)})
	t.addNode(ZookeeperPath, &node{data: emptyData, acl: t.acls.intern(zk.OpenACLUnsafe)})
	t.addNode(QuotaPath, &node{data: emptyData, acl: t.acls.intern(zk.OpenACLUnsafe)})
	t.addNode(ConfigPath, &node{data: emptyData, acl: t.acls.intern(zk.ReadACLUnsafe), aversion: -1})
	return t
}

func newEmpty() *Tree {
	return &Tree{
		nodes:      make(map[string]*node),
		acls:       newACLCache(),
		ephemerals: make(map[int64]map[string]struct{}),
		containers: make(map[string]struct{}),
		ttls:       make(map[string]struct{}),
		sessions:   make(map[int64]int32),
		quotas:     make(map[string]struct{}),
	}
}

// SetSuperDigest configures the digest id (user:base64sha1) that acts as
// the super user in CheckRead and Prep, like ZooKeeper's
// zookeeper.DigestAuthenticationProvider.superDigest. It is local
// configuration: not part of the digest or snapshots.
func (t *Tree) SetSuperDigest(d string) { t.superDigest = d }

// SetMaxBuffer sets jute.maxbuffer, which bounds the data one request may
// carry (0: no bound). The wire front end bounds whole packets by it
// already; this holds requests from any path to it.
func (t *Tree) SetMaxBuffer(n int) { t.maxBuffer = n }

// nodeDigest is the node's share of the tree digest: path, data, ACL and
// the full Stat.
func (t *Tree) nodeDigest(n *node) uint64 {
	h := mix(n.chash, t.acls.entries[n.acl].hash)
	h = mix(h, uint64(n.czxid))
	h = mix(h, uint64(n.mzxid))
	h = mix(h, uint64(n.pzxid))
	h = mix(h, uint64(n.ctime))
	h = mix(h, uint64(n.mtime))
	h = mix(h, uint64(n.owner))
	h = mix(h, uint64(uint32(n.version))|uint64(uint32(n.cversion))<<32)
	h = mix(h, uint64(uint32(n.aversion))|uint64(len(n.children))<<32)
	return fmix(h)
}

// addNode links n at path (its parent, if any, must exist) and tracks its
// kind. Stat bookkeeping of the parent is the caller's.
func (t *Tree) addNode(path string, n *node) {
	n.chash = nodeHash(path, n)
	if path != "/" {
		pp, name, _ := parentOf(path)
		p := t.mut(pp)
		t.digest -= t.nodeDigest(p)
		if p.children == nil {
			p.children = make(map[string]struct{}, 1)
		}
		p.children[name] = struct{}{}
		t.digest += t.nodeDigest(p)
	}
	old := t.nodes[path]
	if old != nil {
		t.dataSize -= nodeSize(path, old)
	}
	t.noteChange(path, old)
	t.nodes[path] = n
	t.dataSize += nodeSize(path, n)
	t.digest += t.nodeDigest(n)
	switch KindOf(n.owner) {
	case KindContainer:
		t.containers[path] = struct{}{}
	case KindTTL:
		t.ttls[path] = struct{}{}
	case KindEphemeral:
		s := t.ephemerals[n.owner]
		if s == nil {
			s = make(map[string]struct{})
			t.ephemerals[n.owner] = s
		}
		if _, had := s[path]; !had {
			t.ephemeralCount++
		}
		s[path] = struct{}{}
	}
}

// mut returns the node at path for changing it: a node shared with a
// frozen view (from an older generation) is copied first, its child set
// too, and the copy takes its place, so the view never sees a change.
func (t *Tree) mut(path string) *node {
	n := t.nodes[path]
	if n == nil || n.gen == t.gen {
		return n
	}
	c := *n
	if n.children != nil {
		c.children = maps.Clone(n.children)
	}
	c.gen = t.gen
	t.noteChange(path, n)
	t.nodes[path] = &c
	return &c
}

// noteChange records, while a Freezer builds its view, what path held at
// the freeze before its first change (nil: nothing).
func (t *Tree) noteChange(path string, old *node) {
	if f := t.freezer; f != nil {
		if _, ok := f.pre[path]; !ok {
			f.pre[path] = old
		}
	}
}

// Freeze returns a read-only view of the tree as it is now, built at once
// (StartFreeze and Step build it in slices instead). Only WriteSnapshot,
// Digest, LastZxid and NodeCount may be used on a view.
func (t *Tree) Freeze() *Tree {
	f := t.StartFreeze()
	for {
		if v, done := f.Step(1 << 30); done {
			return v
		}
	}
}

// Freezer builds a frozen view of a tree a slice at a time, so a snapshot
// of a large tree can be taken while Apply goes on: ZooKeeper snapshots
// without stopping writes, and so does Paddock, without fuzziness. From
// StartFreeze on, the tree copies a node before its first change (nodes
// of older generations are never written again) and records the first
// pre-image of every path it changes; Step walks the path map a slice at a
// time taking the nodes still unchanged, and the last Step adds the
// pre-images. The view then shares its nodes with the tree safely, and
// may be written on another goroutine.
type Freezer struct {
	t    *Tree
	gen  uint32 // nodes of a generation below this are as at the freeze
	view *Tree
	pre  map[string]*node
	next func() (string, *node, bool)
	stop func()
}

// StartFreeze starts building a view of the tree as it is now. Only one
// Freezer may be building at a time; Step it to the end.
func (t *Tree) StartFreeze() *Freezer {
	if t.freezer != nil {
		panic("znode: StartFreeze while another view is being built")
	}
	t.gen++
	f := &Freezer{
		t:   t,
		gen: t.gen,
		view: &Tree{
			nodes:    make(map[string]*node, len(t.nodes)),
			acls:     t.acls.clone(),
			sessions: maps.Clone(t.sessions),
			lastZxid: t.lastZxid,
			digest:   t.digest,
		},
		pre: make(map[string]*node),
	}
	f.next, f.stop = iter.Pull2(maps.All(t.nodes))
	t.freezer = f
	return f
}

// Step takes up to n more nodes into the view (on the tree's goroutine,
// between Applies). It returns the view when it is complete.
func (f *Freezer) Step(n int) (view *Tree, done bool) {
	for ; n > 0; n-- {
		path, nd, ok := f.next()
		if !ok {
			f.stop()
			for p, old := range f.pre {
				if old != nil {
					f.view.nodes[p] = old
				}
			}
			f.t.freezer, f.pre = nil, nil
			return f.view, true
		}
		if nd.gen < f.gen {
			f.view.nodes[path] = nd // unchanged since the freeze
		}
	}
	return nil, false
}

// update runs f on n with the digest kept current.
func (t *Tree) update(n *node, f func(n *node)) {
	t.digest -= t.nodeDigest(n)
	before := len(n.data)
	f(n)
	t.dataSize += int64(len(n.data) - before)
	t.digest += t.nodeDigest(n)
}

// nodeSize is a node's part of DataSize: its path and its data, as
// DataTree.getNodeSize counts them.
func nodeSize(path string, n *node) int64 { return int64(len(path) + len(n.data)) }

// Digest is the order-independent digest of all nodes (the wrapping sum of
// their node digests), maintained on every Apply.
func (t *Tree) Digest() uint64 { return t.digest }

// DigestSlow recomputes Digest from scratch, for tests and snapshot checks.
func (t *Tree) DigestSlow() uint64 {
	var d uint64
	for p, n := range t.nodes {
		c := *n
		c.chash = nodeHash(p, n)
		d += t.nodeDigest(&c)
	}
	return d
}

// LastZxid is the zxid of the last applied txn.
func (t *Tree) LastZxid() int64 { return t.lastZxid }

// NodeCount is the number of znodes, built-ins included. (ZooKeeper's
// mntr zk_znode_count is one more: it counts the root's "" alias too.)
func (t *Tree) NodeCount() int { return len(t.nodes) }

// DataSize is the bytes of every node's path and data: ZooKeeper's
// approximate_data_size.
func (t *Tree) DataSize() int64 { return t.dataSize }

// EphemeralCount is the number of ephemeral nodes: ZooKeeper's
// ephemerals_count.
func (t *Tree) EphemeralCount() int { return t.ephemeralCount }

// SessionCount is the number of sessions created and not yet closed:
// ZooKeeper's global_sessions.
func (t *Tree) SessionCount() int { return len(t.sessions) }

func (t *Tree) fault(res Result, format string, args ...any) Result {
	res.Err = zk.SystemError
	res.Fault = fmt.Errorf("%w: zxid %#x: %s", ErrDiverged, res.Zxid, fmt.Sprintf(format, args...))
	res.Changes = nil
	res.Multi = nil
	return res
}

// Apply applies one committed txn. It validates only what keeps the tree
// consistent (what ZooKeeper's DataTree would trip over): a txn that cannot
// apply yields a Result with Fault set and leaves the tree unchanged, never
// half-applied. Slices in the txn (data, ACLs) are retained: the caller must
// not modify them afterwards.
func (t *Tree) Apply(hdr TxnHeader, txn Txn) Result {
	res := Result{Zxid: hdr.Zxid}
	if txn == nil {
		return t.fault(res, "nil txn")
	}
	res.Type = txn.TxnOp()
	if hdr.Zxid <= t.lastZxid {
		return t.fault(res, "not after the last applied zxid %#x", t.lastZxid)
	}
	switch tx := txn.(type) {
	case MultiTxn:
		if err := t.checkMulti(tx); err != nil {
			return t.fault(res, "%v", err)
		}
		t.applyMulti(hdr, tx, &res)
	case CloseSessionTxn:
		for _, p := range tx.Paths {
			if n := t.nodes[p]; n != nil && (p == "/" || len(n.children) > 0) {
				return t.fault(res, "closeSession cannot delete %s", p)
			}
		}
		t.closeSession(hdr, tx, &res)
	default:
		if err := t.checkOp(txn, nil); err != nil {
			return t.fault(res, "%v", err)
		}
		op := t.applyOp(hdr, txn, &res.Changes)
		res.Err, res.Path, res.Stat = op.Err, op.Path, op.Stat
	}
	t.lastZxid = hdr.Zxid
	return res
}

// shadow tracks, during the check of a multi, the existence and child count
// that earlier ops of the same multi give to paths.
type shadow map[string]shadowNode

type shadowNode struct {
	exists   bool
	children int
}

func (t *Tree) look(sh shadow, path string) (exists bool, children int) {
	if s, ok := sh[path]; ok {
		return s.exists, s.children
	}
	n := t.nodes[path]
	if n == nil {
		return false, 0
	}
	return true, len(n.children)
}

// checkOp reports why op cannot apply (after the earlier ops recorded in
// sh, when sh is not nil), and records its effect in sh.
func (t *Tree) checkOp(op Txn, sh shadow) error {
	switch tx := op.(type) {
	case CreateTxn:
		if err := ValidatePath(tx.Path, false); err != nil || tx.Path == "/" {
			return fmt.Errorf("create of invalid path %q", tx.Path)
		}
		pp, _, _ := parentOf(tx.Path)
		pe, pc := t.look(sh, pp)
		if !pe {
			return fmt.Errorf("create %s: no parent", tx.Path)
		}
		if e, _ := t.look(sh, tx.Path); e {
			return fmt.Errorf("create %s: exists", tx.Path)
		}
		if sh != nil {
			sh[pp] = shadowNode{true, pc + 1}
			sh[tx.Path] = shadowNode{true, 0}
		}
	case DeleteTxn:
		e, c := t.look(sh, tx.Path)
		if !e || tx.Path == "/" || c > 0 {
			return fmt.Errorf("delete %s: exists=%v children=%d", tx.Path, e, c)
		}
		if sh != nil {
			pp, _, _ := parentOf(tx.Path)
			_, pc := t.look(sh, pp)
			sh[pp] = shadowNode{true, pc - 1}
			sh[tx.Path] = shadowNode{}
		}
	case SetDataTxn:
		if e, _ := t.look(sh, tx.Path); !e {
			return fmt.Errorf("setData %s: no node", tx.Path)
		}
	case SetACLTxn:
		if e, _ := t.look(sh, tx.Path); !e {
			return fmt.Errorf("setACL %s: no node", tx.Path)
		}
	case CheckTxn:
		if e, _ := t.look(sh, tx.Path); !e {
			return fmt.Errorf("check %s: no node", tx.Path)
		}
	case CreateSessionTxn, ErrorTxn:
	default:
		return fmt.Errorf("unexpected txn %T", op)
	}
	return nil
}

func (t *Tree) checkMulti(m MultiTxn) error {
	for _, op := range m.Ops {
		if _, ok := op.(ErrorTxn); ok {
			return nil // a failed multi changes nothing
		}
	}
	sh := make(shadow, 2*len(m.Ops))
	for i, op := range m.Ops {
		switch op.(type) {
		case CreateTxn, DeleteTxn, SetDataTxn, SetACLTxn, CheckTxn:
		default:
			return fmt.Errorf("multi op %d: %T not allowed in a multi", i, op)
		}
		if err := t.checkOp(op, sh); err != nil {
			return fmt.Errorf("multi op %d: %w", i, err)
		}
	}
	return nil
}

// applyOp applies a checked op, as DataTree.processTxn does.
func (t *Tree) applyOp(hdr TxnHeader, op Txn, changes *[]Change) OpResult {
	r := OpResult{Type: op.TxnOp()}
	switch tx := op.(type) {
	case CreateTxn:
		r.Path = tx.Path
		r.Stat = t.create(hdr, tx)
		pp, _, _ := parentOf(tx.Path)
		*changes = append(*changes, Change{Created, tx.Path}, Change{ChildrenChanged, pp})
	case DeleteTxn:
		r.Path = tx.Path
		t.delete(hdr.Zxid, tx.Path)
		pp, _, _ := parentOf(tx.Path)
		*changes = append(*changes, Change{Deleted, tx.Path}, Change{ChildrenChanged, pp})
	case SetDataTxn:
		r.Path = tx.Path
		n := t.mut(tx.Path)
		oldSize := len(n.data)
		t.update(n, func(n *node) {
			n.data = keepData(tx.Data)
			n.mtime, n.mzxid, n.version = hdr.Time, hdr.Zxid, tx.Version
			n.chash = nodeHash(tx.Path, n)
		})
		r.Stat = n.clientStat()
		t.quotaDataSet(tx.Path, oldSize, len(tx.Data))
		*changes = append(*changes, Change{DataChanged, tx.Path})
	case SetACLTxn:
		r.Path = tx.Path
		n := t.mut(tx.Path)
		acl := t.acls.intern(tx.ACL) // before release: the list may be the same
		t.update(n, func(n *node) {
			t.acls.release(n.acl)
			n.acl, n.aversion = acl, tx.Version
		})
		r.Stat = n.clientStat()
	case CheckTxn:
		r.Path = tx.Path
	case CreateSessionTxn:
		t.sessions[hdr.Session] = tx.Timeout
	case ErrorTxn:
		r.Err = tx.Err
	}
	return r
}

// emptyData is every zero-length value the tree holds: not nil, which is
// null data, and not the txn's slice, which may pin a larger buffer.
var emptyData = []byte{}

// keepData is the data a node keeps for a txn's: null stays null and
// zero-length stays zero-length (ZooKeeper's DataTree keeps whatever
// byte[] it got, null included).
func keepData(b []byte) []byte {
	if b != nil && len(b) == 0 {
		return emptyData
	}
	return b
}

// create is DataTree.createNode: the parent's cversion becomes the txn's
// parentCVersion (or +1 for -1) and its pzxid the zxid, but only if that
// raises the cversion; the child's czxid=mzxid=pzxid=zxid, ctime=mtime=time,
// versions 0.
func (t *Tree) create(hdr TxnHeader, tx CreateTxn) zk.Stat {
	pp, _, _ := parentOf(tx.Path)
	p := t.mut(pp)
	t.update(p, func(p *node) {
		cv := tx.ParentCVersion
		if cv == -1 {
			cv = p.cversion + 1
		}
		if cv > p.cversion {
			p.cversion, p.pzxid = cv, hdr.Zxid
		}
	})
	n := &node{
		data: keepData(tx.Data), acl: t.acls.intern(tx.ACL), owner: tx.EphemeralOwner,
		czxid: hdr.Zxid, mzxid: hdr.Zxid, pzxid: hdr.Zxid, ctime: hdr.Time, mtime: hdr.Time,
		gen: t.gen,
	}
	t.addNode(tx.Path, n)
	st := n.clientStat() // before the quota update, which may rewrite a stats node's data
	t.quotaCreated(tx.Path, len(n.data))
	return st
}

// delete is DataTree.deleteNode: the parent's pzxid rises to zxid (its
// cversion is unchanged: only creates count).
func (t *Tree) delete(zxid int64, path string) {
	pp, name, _ := parentOf(path)
	p := t.mut(pp)
	n := t.nodes[path]
	t.update(p, func(p *node) {
		delete(p.children, name)
		if len(p.children) == 0 {
			p.children = nil // give the map back: churn must not pin memory
		}
		if zxid > p.pzxid {
			p.pzxid = zxid
		}
	})
	t.digest -= t.nodeDigest(n)
	t.acls.release(n.acl)
	t.noteChange(path, n)
	delete(t.nodes, path)
	t.dataSize -= nodeSize(path, n)
	switch KindOf(n.owner) {
	case KindContainer:
		delete(t.containers, path)
	case KindTTL:
		delete(t.ttls, path)
	case KindEphemeral:
		if s := t.ephemerals[n.owner]; s != nil {
			if _, had := s[path]; had {
				t.ephemeralCount--
			}
			delete(s, path)
			if len(s) == 0 {
				delete(t.ephemerals, n.owner)
			}
		}
	}
	t.quotaDeleted(path, len(n.data))
}

// applyMulti follows DataTree.processTxn for multi: if any op is an error,
// every op becomes an error result (Ok before the first error,
// RuntimeInconsistency for non-error ops after it) and nothing changes.
func (t *Tree) applyMulti(hdr TxnHeader, m MultiTxn, res *Result) {
	failed := false
	for _, op := range m.Ops {
		if _, ok := op.(ErrorTxn); ok {
			failed = true
			break
		}
	}
	res.Multi = make([]OpResult, 0, len(m.Ops))
	postFailed := false
	for _, op := range m.Ops {
		var r OpResult
		if failed {
			r.Type = zk.OpError
			if e, ok := op.(ErrorTxn); ok {
				postFailed = true
				r.Err = e.Err
			} else if postFailed {
				r.Err = zk.RuntimeInconsistency
			}
		} else {
			r = t.applyOp(hdr, op, &res.Changes)
		}
		if r.Err != zk.Ok && res.Err == zk.Ok {
			res.Err = r.Err
		}
		res.Multi = append(res.Multi, r)
	}
}

// closeSession deletes the txn's paths that still exist, then any other
// ephemeral of the session (ZooKeeper does both, warning on the latter),
// and forgets the session.
func (t *Tree) closeSession(hdr TxnHeader, tx CloseSessionTxn, res *Result) {
	for _, p := range tx.Paths {
		if t.nodes[p] != nil {
			t.delete(hdr.Zxid, p)
			pp, _, _ := parentOf(p)
			res.Changes = append(res.Changes, Change{Deleted, p}, Change{ChildrenChanged, pp})
		}
	}
	for _, p := range t.Ephemerals(hdr.Session, "") {
		t.delete(hdr.Zxid, p)
		pp, _, _ := parentOf(p)
		res.Changes = append(res.Changes, Change{Deleted, p}, Change{ChildrenChanged, pp})
	}
	delete(t.sessions, hdr.Session)
}

// Get returns a node's data (shared: do not modify) and Stat.
func (t *Tree) Get(path string) ([]byte, zk.Stat, error) {
	n := t.nodes[path]
	if n == nil {
		return nil, zk.Stat{}, newErr(zk.NoNode, path)
	}
	return n.data, n.clientStat(), nil
}

// Exists returns a node's Stat and whether it exists.
func (t *Tree) Exists(path string) (zk.Stat, bool) {
	n := t.nodes[path]
	if n == nil {
		return zk.Stat{}, false
	}
	return n.clientStat(), true
}

// Children returns a node's child names, sorted, and its Stat.
func (t *Tree) Children(path string) ([]string, zk.Stat, error) {
	n := t.nodes[path]
	if n == nil {
		return nil, zk.Stat{}, newErr(zk.NoNode, path)
	}
	names := make([]string, 0, len(n.children))
	for c := range n.children {
		names = append(names, c)
	}
	slices.Sort(names)
	return names, n.clientStat(), nil
}

// ACL returns a copy of a node's ACL and its Stat.
func (t *Tree) ACL(path string) ([]zk.ACL, zk.Stat, error) {
	n := t.nodes[path]
	if n == nil {
		return nil, zk.Stat{}, newErr(zk.NoNode, path)
	}
	return slices.Clone(t.acls.get(n.acl)), n.clientStat(), nil
}

// AllChildrenNumber is the number of descendants of path (getAllChildrenNumber).
func (t *Tree) AllChildrenNumber(path string) (int, error) {
	n := t.nodes[path]
	if n == nil {
		return 0, newErr(zk.NoNode, path)
	}
	if path == "/" {
		return len(t.nodes) - 1, nil
	}
	count := 0
	stack := []string{path}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for c := range t.nodes[p].children {
			count++
			stack = append(stack, p+"/"+c)
		}
	}
	return count, nil
}

// Ephemerals returns the session's ephemeral paths starting with prefix
// ("" or "/" for all), sorted, as getEphemerals does.
func (t *Tree) Ephemerals(session int64, prefix string) []string {
	all := prefix == "" || prefix == "/"
	var out []string
	for p := range t.ephemerals[session] {
		if all || strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// GetEphemerals returns all of the session's ephemeral paths, sorted.
func (t *Tree) GetEphemerals(session int64) []string { return t.Ephemerals(session, "") }

// SessionInfo is a live session as the replicated state knows it.
type SessionInfo struct {
	ID      int64
	Timeout int32
}

// Sessions returns the sessions created and not yet closed, by id.
func (t *Tree) Sessions() []SessionInfo {
	out := make([]SessionInfo, 0, len(t.sessions))
	for id, to := range t.sessions {
		out = append(out, SessionInfo{id, to})
	}
	slices.SortFunc(out, func(a, b SessionInfo) int { return cmpInt(a.ID, b.ID) })
	return out
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CheckPerm reports NoNode, or NoAuth if auth lacks perm on path's ACL.
func (t *Tree) CheckPerm(path string, perm int32, auth []zk.ID) error {
	n := t.nodes[path]
	if n == nil {
		return newErr(zk.NoNode, path)
	}
	if !checkACL(t.acls.get(n.acl), perm, auth, t.superDigest) {
		return newErr(zk.NoAuth, path)
	}
	return nil
}

// CheckRead is the READ check of getData, getChildren and getACL... as
// FinalRequestProcessor does it for the read path.
func (t *Tree) CheckRead(path string, auth []zk.ID) error {
	return t.CheckPerm(path, zk.PermRead, auth)
}

// ExpiredContainersAndTTLs lists, sorted, what ContainerManager would delete
// at time now (ms): containers without children that have had one
// (cversion > 0) or, if maxNeverUsed > 0, were never used for longer than
// that; and TTL nodes without children not modified for longer than their
// TTL. The leader prepares a DeleteContainer for each.
func (t *Tree) ExpiredContainersAndTTLs(now, maxNeverUsed int64) []string {
	var out []string
	for p := range t.containers {
		n := t.nodes[p]
		if len(n.children) == 0 && (n.cversion > 0 || (maxNeverUsed != 0 && now-n.mtime > maxNeverUsed)) {
			out = append(out, p)
		}
	}
	for p := range t.ttls {
		n := t.nodes[p]
		if ttl := TTLOf(n.owner); len(n.children) == 0 && ttl != 0 && now-n.mtime > ttl {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// ACLCount is the number of distinct ACL lists in use (ZooKeeper's
// aclCacheSize).
func (t *Tree) ACLCount() int { return t.acls.size() }

// Session returns the negotiated timeout (ms) of a live session.
func (t *Tree) Session(id int64) (timeout int32, ok bool) {
	timeout, ok = t.sessions[id]
	return timeout, ok
}
