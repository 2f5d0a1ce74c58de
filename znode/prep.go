package znode

import (
	"fmt"
	"slices"
	"strings"

	"github.com/paddock-zk/paddock/zk"
)

// Prep is the leader's request validation (ZooKeeper's
// PrepRequestProcessor): it turns a client request into a Txn, judging it
// against the applied tree plus the txns prepared but not yet applied (the
// overlay, ZooKeeper's outstandingChanges). It reads the Tree and never
// modifies it. Not safe for concurrent use.
type Prep struct {
	t      *Tree
	byPath map[string]*pending // latest pending state per path
	log    []change            // every pending change, in prepare order

	opened  map[int64]int64 // session → zxid of its pending createSession
	closing map[int64]int64 // session → zxid of its pending closeSession

	// With quota enforcement: what pending txns add to each quota's
	// usage, in prepare order, and the sums per quota root.
	qlog []quotaDelta
	qsum map[string][2]int64
}

// pending is the state a path will have once the txn of zxid is applied.
type pending struct {
	zxid   int64
	exists bool
	stat   zk.Stat // NumChildren is the pending child count
	acl    []zk.ACL
}

type change struct {
	path string
	rec  *pending
	prev *pending // byPath[path] before this change, for rollback
}

// NewPrep returns a Prep over t with an empty overlay.
func NewPrep(t *Tree) *Prep {
	p := &Prep{t: t}
	p.Reset()
	return p
}

// Reset drops every pending change (a new leader starts from its tree).
func (p *Prep) Reset() {
	p.byPath = make(map[string]*pending)
	p.log = nil
	p.opened = make(map[int64]int64)
	p.closing = make(map[int64]int64)
	p.qlog, p.qsum = nil, make(map[string][2]int64)
}

// Pending is the number of pending changes in the overlay.
func (p *Prep) Pending() int { return len(p.log) }

// Applied drops the overlay's changes of txns up to zxid, which the tree has
// now applied. Call it right after each Apply: a pending state equals the
// applied one, but a pending quota usage would count twice until then.
func (p *Prep) Applied(zxid int64) {
	p.appliedQuota(zxid)
	i := 0
	for ; i < len(p.log) && p.log[i].rec.zxid <= zxid; i++ {
		c := p.log[i]
		if p.byPath[c.path] == c.rec {
			delete(p.byPath, c.path)
		}
	}
	clear(p.log[:i])
	p.log = p.log[i:]
	if len(p.log) == 0 {
		p.log = nil // let the backing array go
	}
	for s, z := range p.opened {
		if z <= zxid {
			delete(p.opened, s)
		}
	}
	for s, z := range p.closing {
		if z <= zxid {
			delete(p.closing, s)
		}
	}
}

// record returns the state of path as pending changes leave it.
func (p *Prep) record(path string) (pending, bool) {
	if r, ok := p.byPath[path]; ok {
		return *r, r.exists
	}
	n := p.t.nodes[path]
	if n == nil {
		return pending{}, false
	}
	return pending{exists: true, stat: n.stat(), acl: p.t.acls.get(n.acl)}, true
}

func (p *Prep) put(path string, r pending) {
	rec := &r
	p.log = append(p.log, change{path: path, rec: rec, prev: p.byPath[path]})
	p.byPath[path] = rec
}

func (p *Prep) rollback(mark int) {
	for i := len(p.log) - 1; i >= mark; i-- {
		c := p.log[i]
		if c.prev == nil {
			delete(p.byPath, c.path)
		} else {
			p.byPath[c.path] = c.prev
		}
	}
	clear(p.log[mark:])
	p.log = p.log[:mark]
}

func (p *Prep) sessionLive(s int64) bool {
	if _, ok := p.closing[s]; ok {
		return false
	}
	_, applied := p.t.sessions[s]
	_, opened := p.opened[s]
	return applied || opened
}

// Prepare validates req from session hdr.Session with the given auth ids,
// at the zxid and time in hdr, and returns its txn, recording its effect in
// the overlay. On failure it returns the *Error and a txn a ZooKeeper
// leader would still propose (an ErrorTxn, or for a multi a MultiTxn of
// error results as DataTree reports them: Ok before the failing op, its
// code, RuntimeInconsistency after), with the overlay unchanged; proposing
// it keeps the session's replies in order, answering directly is also fine.
func (p *Prep) Prepare(hdr TxnHeader, req Request, auth []zk.ID) (Txn, error) {
	if _, isClose := req.(CloseSession); !isClose {
		if _, ok := p.closing[hdr.Session]; ok {
			// PrepRequestProcessor's checkSession: a closing session is expired.
			return ErrorTxn{Err: zk.SessionExpired}, newErr(zk.SessionExpired, "")
		}
	}
	if n := requestData(req); p.t.maxBuffer > 0 && n > p.t.maxBuffer {
		// ZooKeeper cannot even read such a packet (it closes the
		// connection); a path that can carry it is told plainly.
		return ErrorTxn{Err: zk.BadArguments}, newErr(zk.BadArguments, requestPath(req))
	}
	switch r := req.(type) {
	case Multi:
		return p.prepareMulti(hdr, r, auth)
	case CreateSession:
		p.opened[hdr.Session] = hdr.Zxid
		return CreateSessionTxn(r), nil
	case CloseSession:
		return p.prepareClose(hdr), nil
	}
	txn, err := p.prepareOp(hdr, req, auth)
	if err != nil {
		return ErrorTxn{Err: zk.CodeOf(err)}, err
	}
	return txn, nil
}

// requestData is how many bytes of znode data req carries.
func requestData(req Request) int {
	switch r := req.(type) {
	case Create:
		return len(r.Data)
	case SetData:
		return len(r.Data)
	case Multi:
		n := 0
		for _, op := range r.Ops {
			n += requestData(op)
		}
		return n
	}
	return 0
}

// requestPath is the path req names, "" for a multi.
func requestPath(req Request) string {
	switch r := req.(type) {
	case Create:
		return r.Path
	case SetData:
		return r.Path
	}
	return ""
}

func (p *Prep) prepareMulti(hdr TxnHeader, m Multi, auth []zk.ID) (Txn, error) {
	for _, op := range m.Ops {
		switch op.(type) {
		case Create, Delete, SetData, Check:
		default:
			// MultiOperationRecord cannot carry it: ZooKeeper fails to
			// deserialize the request, and answers MarshallingError.
			return ErrorTxn{Err: zk.MarshallingError}, newErr(zk.MarshallingError, "")
		}
	}
	mark, qmark := len(p.log), len(p.qlog)
	ops := make([]Txn, len(m.Ops))
	var failure error
	for i, op := range m.Ops {
		txn, err := p.prepareOp(hdr, op, auth)
		if err != nil {
			failure = err
			p.rollback(mark)
			p.rollbackQuota(qmark)
			for j := range i {
				ops[j] = ErrorTxn{Err: zk.Ok}
			}
			ops[i] = ErrorTxn{Err: zk.CodeOf(err)}
			for j := i + 1; j < len(ops); j++ {
				ops[j] = ErrorTxn{Err: zk.RuntimeInconsistency}
			}
			break
		}
		ops[i] = txn
	}
	return MultiTxn{Ops: ops}, failure
}

// prepareClose lists the session's ephemerals as they will be once pending
// txns apply, and deletes them in the overlay.
func (p *Prep) prepareClose(hdr TxnHeader) Txn {
	set := make(map[string]struct{})
	for path := range p.t.ephemerals[hdr.Session] {
		set[path] = struct{}{}
	}
	for path, r := range p.byPath {
		switch {
		case !r.exists:
			delete(set, path)
		case r.stat.EphemeralOwner == hdr.Session && KindOf(hdr.Session) == KindEphemeral:
			set[path] = struct{}{}
		}
	}
	paths := make([]string, 0, len(set))
	for path := range set {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	for _, path := range paths {
		if n, ok := p.record(path); ok {
			p.noteQuota(hdr.Zxid, path, -1, -int64(n.stat.DataLength))
		}
		pp, _, _ := parentOf(path)
		if parent, ok := p.record(pp); ok {
			parent.zxid = hdr.Zxid
			parent.stat.NumChildren--
			parent.stat.Pzxid = hdr.Zxid
			p.put(pp, parent)
		}
		p.put(path, pending{zxid: hdr.Zxid})
	}
	delete(p.opened, hdr.Session)
	p.closing[hdr.Session] = hdr.Zxid
	return CloseSessionTxn{Paths: paths}
}

// nextVersion is checkAndIncVersion: -1 matches any version, and the
// successor skips -1 on wrap-around (ZOOKEEPER-4743).
func nextVersion(current, expected int32, path string) (int32, error) {
	if expected != -1 && expected != current {
		return 0, newErr(zk.BadVersion, path)
	}
	if n := current + 1; n != -1 {
		return n, nil
	}
	return 0, nil
}

func isSpecialPath(path string) bool {
	return path == "/" || path == ZookeeperPath || path == QuotaPath || path == ConfigPath
}

// parentForDelete is getParentPathAndValidate.
func parentForDelete(path string) (string, error) {
	pp, _, ok := parentOf(path)
	if !ok || strings.IndexByte(path, 0) >= 0 || isSpecialPath(path) {
		return "", newErr(zk.BadArguments, path)
	}
	return pp, nil
}

func validPath(path string) error {
	if pathProblem(path) != "" {
		return newErr(zk.BadArguments, path)
	}
	return nil
}

// prepareOp is pRequest2Txn for one op; the order of checks is
// ZooKeeper's, so the same request fails with the same code.
func (p *Prep) prepareOp(hdr TxnHeader, req Request, auth []zk.ID) (Txn, error) {
	sd := p.t.superDigest
	switch r := req.(type) {
	case Create:
		return p.prepareCreate(hdr, r, auth)

	case Delete:
		pp, err := parentForDelete(r.Path)
		if err != nil {
			return nil, err
		}
		parent, ok := p.record(pp)
		if !ok {
			return nil, newErr(zk.NoNode, r.Path)
		}
		if !checkACL(parent.acl, zk.PermDelete, auth, sd) {
			return nil, newErr(zk.NoAuth, r.Path)
		}
		n, ok := p.record(r.Path)
		if !ok {
			return nil, newErr(zk.NoNode, r.Path)
		}
		if _, err := nextVersion(n.stat.Version, r.Version, r.Path); err != nil {
			return nil, err
		}
		if n.stat.NumChildren > 0 {
			return nil, newErr(zk.NotEmpty, r.Path)
		}
		p.noteQuota(hdr.Zxid, r.Path, -1, -int64(n.stat.DataLength))
		p.deleteInOverlay(hdr.Zxid, pp, parent, r.Path)
		return DeleteTxn{Path: r.Path}, nil

	case DeleteContainer:
		pp, err := parentForDelete(r.Path)
		if err != nil {
			return nil, err
		}
		n, ok := p.record(r.Path)
		if !ok {
			return nil, newErr(zk.NoNode, r.Path)
		}
		if n.stat.NumChildren > 0 {
			return nil, newErr(zk.NotEmpty, r.Path)
		}
		if KindOf(n.stat.EphemeralOwner) == KindEphemeral {
			return nil, newErr(zk.BadVersion, r.Path) // ZooKeeper's choice of code
		}
		parent, ok := p.record(pp)
		if !ok {
			return nil, newErr(zk.NoNode, r.Path)
		}
		p.noteQuota(hdr.Zxid, r.Path, -1, -int64(n.stat.DataLength))
		p.deleteInOverlay(hdr.Zxid, pp, parent, r.Path)
		return DeleteTxn(r), nil

	case SetData:
		if err := validPath(r.Path); err != nil {
			return nil, err
		}
		n, ok := p.record(r.Path)
		if !ok {
			return nil, newErr(zk.NoNode, r.Path)
		}
		if !checkACL(n.acl, zk.PermWrite, auth, sd) {
			return nil, newErr(zk.NoAuth, r.Path)
		}
		grow := int64(len(r.Data)) - int64(n.stat.DataLength)
		if err := p.checkQuota(r.Path, 0, grow); err != nil {
			return nil, err
		}
		v, err := nextVersion(n.stat.Version, r.Version, r.Path)
		if err != nil {
			return nil, err
		}
		p.noteQuota(hdr.Zxid, r.Path, 0, grow)
		n.zxid = hdr.Zxid
		n.stat.Version, n.stat.Mtime, n.stat.Mzxid = v, hdr.Time, hdr.Zxid
		n.stat.DataLength = int32(len(r.Data))
		p.put(r.Path, n)
		return SetDataTxn{Path: r.Path, Data: r.Data, Version: v}, nil

	case SetACL:
		if err := validPath(r.Path); err != nil {
			return nil, err
		}
		acl, err := fixupACL(r.Path, auth, r.ACL)
		if err != nil {
			return nil, err
		}
		n, ok := p.record(r.Path)
		if !ok {
			return nil, newErr(zk.NoNode, r.Path)
		}
		if !checkACL(n.acl, zk.PermAdmin, auth, sd) {
			return nil, newErr(zk.NoAuth, r.Path)
		}
		v, err := nextVersion(n.stat.Aversion, r.Version, r.Path)
		if err != nil {
			return nil, err
		}
		n.zxid = hdr.Zxid
		n.stat.Aversion = v
		n.acl = acl
		p.put(r.Path, n)
		return SetACLTxn{Path: r.Path, ACL: acl, Version: v}, nil

	case Check:
		if err := validPath(r.Path); err != nil {
			return nil, err
		}
		n, ok := p.record(r.Path)
		if !ok {
			return nil, newErr(zk.NoNode, r.Path)
		}
		if !checkACL(n.acl, zk.PermRead, auth, sd) {
			return nil, newErr(zk.NoAuth, r.Path)
		}
		if _, err := nextVersion(n.stat.Version, r.Version, r.Path); err != nil {
			return nil, err
		}
		return CheckTxn{Path: r.Path, Version: n.stat.Version}, nil

	case nil:
		return nil, newErr(zk.BadArguments, "")
	}
	return nil, fmt.Errorf("znode: request %T: %w", req, newErr(zk.Unimplemented, ""))
}

func (p *Prep) deleteInOverlay(zxid int64, pp string, parent pending, path string) {
	parent.zxid = zxid
	parent.stat.NumChildren--
	parent.stat.Pzxid = zxid
	p.put(pp, parent)
	p.put(path, pending{zxid: zxid})
}

// prepareCreate is pRequest2TxnCreate.
func (p *Prep) prepareCreate(hdr TxnHeader, r Create, auth []zk.ID) (Txn, error) {
	if !r.Mode.Valid() {
		return nil, newErr(zk.BadArguments, r.Path) // CreateMode.fromFlag
	}
	// EphemeralType.validateTTL; a TTL of 0 or -1 means "none" for the
	// other modes (Go's zero value, ZooKeeper's -1).
	if r.Mode.IsTTL() {
		if r.TTL <= 0 || r.TTL > MaxTTL {
			return nil, newErr(zk.BadArguments, r.Path)
		}
	} else if r.TTL > 0 {
		return nil, newErr(zk.BadArguments, r.Path)
	}
	if r.Mode.IsEphemeral() && !p.sessionLive(hdr.Session) {
		// checkGlobalSession: an ephemeral needs a live session, or it
		// would outlive it.
		return nil, newErr(zk.SessionExpired, r.Path)
	}
	pp, _, ok := parentOf(r.Path)
	if !ok || strings.IndexByte(r.Path, 0) >= 0 {
		return nil, newErr(zk.BadArguments, r.Path)
	}
	acl, err := fixupACL(r.Path, auth, r.ACL)
	if err != nil {
		return nil, err
	}
	parent, ok := p.record(pp)
	if !ok {
		return nil, newErr(zk.NoNode, r.Path)
	}
	if !checkACL(parent.acl, zk.PermCreate, auth, p.t.superDigest) {
		return nil, newErr(zk.NoAuth, r.Path)
	}
	path := r.Path
	if r.Mode.IsSequential() {
		path = fmt.Sprintf("%s%010d", path, parent.stat.Cversion)
	}
	if err := validPath(path); err != nil {
		return nil, newErr(zk.BadArguments, r.Path)
	}
	if _, exists := p.record(path); exists {
		return nil, newErr(zk.NodeExists, r.Path)
	}
	if KindOf(parent.stat.EphemeralOwner) == KindEphemeral {
		return nil, newErr(zk.NoChildrenForEphemerals, r.Path)
	}
	if err := p.checkQuota(path, 1, int64(len(r.Data))); err != nil {
		return nil, err
	}
	p.noteQuota(hdr.Zxid, path, 1, int64(len(r.Data)))
	newCversion := parent.stat.Cversion + 1
	var owner int64
	switch {
	case r.Mode.IsContainer():
		owner = ContainerOwner
	case r.Mode.IsTTL():
		owner = TTLOwner(r.TTL)
	case r.Mode.IsEphemeral():
		owner = hdr.Session
	}
	parent.zxid = hdr.Zxid
	parent.stat.NumChildren++
	parent.stat.Cversion = newCversion
	parent.stat.Pzxid = hdr.Zxid
	p.put(pp, parent)
	p.put(path, pending{zxid: hdr.Zxid, exists: true, acl: acl, stat: zk.Stat{
		Czxid: hdr.Zxid, Mzxid: hdr.Zxid, Pzxid: hdr.Zxid, Ctime: hdr.Time, Mtime: hdr.Time,
		EphemeralOwner: owner, DataLength: int32(len(r.Data)),
	}})
	return CreateTxn{Path: path, Data: r.Data, ACL: acl, EphemeralOwner: owner, ParentCVersion: newCversion}, nil
}

// SessionLive reports whether the session exists in the applied tree or
// a pending createSession, and is not being closed.
func (p *Prep) SessionLive(s int64) bool { return p.sessionLive(s) }
