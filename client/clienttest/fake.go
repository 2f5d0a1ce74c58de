// Package clienttest runs a fake Paddock node for client tests: a real
// embedded NATS server (natsbus) whose request subject is answered from an
// in-memory map, with knobs to refuse requests with ConnectionLoss, drop
// them, or expire a session. A createSession naming a live session and its
// password re-attaches it, as a node takes a moving session
// (SessionExpired otherwise, ConnectionLoss while the fake's zxid is below
// the request's LastZxid). It is not a server: no consensus, no
// watches, a multi without rollback.
package clienttest

import (
	"context"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/actors/natsbus"
	"github.com/paddock-zk/paddock/zk"
)

// Node is a natsbus node answering client requests from a map: just
// enough of a server to exercise a client's encoding, xid matching, error
// mapping and session handling.
type Node struct {
	t  testing.TB
	nd *natsbus.Node

	mu       sync.Mutex
	nodes    map[string]*fakeZnode
	zxid     int64
	nextSess int64
	sessions map[int64]bool
	reqs     []msg.Request // every request, in arrival order
	refuse   int           // answer this many more requests with ConnectionLoss
	refuseRe int           // and this many more re-attaches
	lose     int           // apply this many more requests but answer ConnectionLoss, not refused
	drop     func(msg.Request) bool
}

type fakeZnode struct {
	data []byte
	stat zk.Stat
	acl  []zk.ACL
}

// Start runs a fake node 1 of ensemble "t" on a random port on 127.0.0.1,
// stopped when the test ends.
func Start(t testing.TB) *Node {
	t.Helper()
	return StartNode(t, 1)
}

// StartNode is Start for node id. Fake nodes are not clustered: each has
// its own sessions (see AddSession).
func StartNode(t testing.TB, id msg.NodeID) *Node {
	t.Helper()
	nd, err := natsbus.Start(natsbus.Config{Ensemble: "t", ID: id, Host: "127.0.0.1", BusPort: -1})
	if err != nil {
		t.Fatal(err)
	}
	f := &Node{t: t, nd: nd, nextSess: 0x100, sessions: map[int64]bool{},
		nodes: map[string]*fakeZnode{"/": {acl: zk.OpenACLUnsafe}}}
	stop, err := nd.Bus().ServeRequests(msg.Addr{Node: id, Role: msg.RoleStore}, func(env msg.Envelope) {
		req := env.Body.(*msg.Request)
		f.mu.Lock()
		f.reqs = append(f.reqs, *req)
		rep, send := f.serve(req)
		f.mu.Unlock()
		if send {
			if err := nd.Bus().ToClient(env.To, req.ReplyTo, rep); err != nil {
				t.Errorf("reply: %v", err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); nd.Close() })
	// The subscription must reach the server before a client publishes.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := nd.Bus().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return f
}

// URL is the node's bus URL.
func (f *Node) URL() string { return f.nd.ClientURL() }

// Requests returns every request received so far, in arrival order.
func (f *Node) Requests() []msg.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]msg.Request(nil), f.reqs...)
}

// Refuse answers the next n requests (but createSession) with
// ConnectionLoss, as a node that is not serving.
func (f *Node) Refuse(n int) { f.mu.Lock(); f.refuse = n; f.mu.Unlock() }

// RefuseAttach answers the next n re-attaching createSessions with
// ConnectionLoss, as a node behind the client's lastZxid.
func (f *Node) RefuseAttach(n int) { f.mu.Lock(); f.refuseRe = n; f.mu.Unlock() }

// Lose applies the next n requests but answers them with ConnectionLoss
// not marked Refused, as a node that stopped serving with them in flight:
// their outcome is unknown to the client.
func (f *Node) Lose(n int) { f.mu.Lock(); f.lose = n; f.mu.Unlock() }

// AddSession makes session live here, as if created on another node of
// the ensemble.
func (f *Node) AddSession(session int64) { f.mu.Lock(); f.sessions[session] = true; f.mu.Unlock() }

// Drop leaves the requests d selects unanswered (nil: answer all).
func (f *Node) Drop(d func(msg.Request) bool) { f.mu.Lock(); f.drop = d; f.mu.Unlock() }

// Expire forgets a session: its later requests get SessionExpired.
func (f *Node) Expire(session int64) { f.mu.Lock(); delete(f.sessions, session); f.mu.Unlock() }

func parentName(p string) string { return path.Dir(p) }

func (f *Node) children(p string) []string {
	var out []string
	for k := range f.nodes {
		if k != "/" && parentName(k) == p {
			out = append(out, path.Base(k))
		}
	}
	sort.Strings(out)
	return out
}

// serve answers one request; called with f.mu held.
func (f *Node) serve(req *msg.Request) (*msg.Reply, bool) {
	if f.drop != nil && f.drop(*req) {
		return nil, false
	}
	rep := &msg.Reply{Session: req.Session, Xid: req.Xid, Zxid: f.zxid}
	if f.refuse > 0 && req.Op.Op != zk.OpCreateSession {
		f.refuse--
		rep.Err, rep.Refused = zk.ConnectionLoss, true
		return rep, true
	}
	switch req.Op.Op {
	case zk.OpCreateSession:
		if req.Session != 0 {
			// A session moving here: the store's reattach rules.
			switch {
			case !f.sessions[req.Session] || string(req.Passwd) != "secret":
				rep.Err = zk.SessionExpired
			case req.LastZxid > f.zxid || f.refuseRe > 0:
				f.refuseRe = max(0, f.refuseRe-1)
				rep.Err, rep.Refused = zk.ConnectionLoss, true
			default:
				rep.Timeout, rep.Passwd = req.Timeout, []byte("secret")
			}
			return rep, true
		}
		f.nextSess++
		f.sessions[f.nextSess] = true
		rep.Session, rep.Timeout, rep.Passwd = f.nextSess, req.Timeout, []byte("secret")
		return rep, true
	case zk.OpCloseSession:
		delete(f.sessions, req.Session)
		return rep, true
	}
	if !f.sessions[req.Session] {
		rep.Err = zk.SessionExpired
		return rep, true
	}
	code := f.apply(&req.Op, rep)
	rep.Err = code
	rep.Zxid = f.zxid
	if f.lose > 0 {
		f.lose--
		rep = &msg.Reply{Session: req.Session, Xid: req.Xid, Zxid: f.zxid, Err: zk.ConnectionLoss}
	}
	return rep, true
}

func (f *Node) apply(op *msg.Op, rep *msg.Reply) zk.Code {
	n := f.nodes[op.Path]
	switch op.Op {
	case zk.OpPing, zk.OpSync:
		return zk.Ok
	case zk.OpCreate, zk.OpCreate2, zk.OpCreateContainer, zk.OpCreateTTL:
		p := op.Path
		if zk.CreateMode(op.Mode).IsSequential() {
			parent := f.nodes[parentName(p)]
			if parent != nil {
				p += strings.Repeat("0", 9) + string(rune('0'+parent.stat.Cversion%10))
			}
		}
		if f.nodes[p] != nil {
			return zk.NodeExists
		}
		parent := f.nodes[parentName(p)]
		if parent == nil {
			return zk.NoNode
		}
		f.zxid++
		parent.stat.Cversion++
		parent.stat.NumChildren++
		parent.stat.Pzxid = f.zxid
		nn := &fakeZnode{data: op.Data, acl: op.ACL, stat: zk.Stat{Czxid: f.zxid, Mzxid: f.zxid, Pzxid: f.zxid,
			Ctime: 1_700_000_000_000, Mtime: 1_700_000_000_000, DataLength: int32(len(op.Data))}}
		f.nodes[p] = nn
		rep.Path = p
		if op.Op != zk.OpCreate {
			st := nn.stat
			rep.Stat = &st
		}
	case zk.OpCheck:
		if n == nil {
			return zk.NoNode
		}
		if op.Version != -1 && op.Version != n.stat.Version {
			return zk.BadVersion
		}
	case zk.OpGetData, zk.OpExists:
		if n == nil {
			return zk.NoNode
		}
		st := n.stat
		rep.Stat = &st
		if op.Op == zk.OpGetData {
			rep.Data = n.data
		}
	case zk.OpSetData:
		if n == nil {
			return zk.NoNode
		}
		if op.Version != -1 && op.Version != n.stat.Version {
			return zk.BadVersion
		}
		f.zxid++
		n.data = op.Data
		n.stat.Version++
		n.stat.Mzxid = f.zxid
		n.stat.DataLength = int32(len(op.Data))
		st := n.stat
		rep.Stat = &st
	case zk.OpDelete:
		if n == nil {
			return zk.NoNode
		}
		if op.Version != -1 && op.Version != n.stat.Version {
			return zk.BadVersion
		}
		if len(f.children(op.Path)) > 0 {
			return zk.NotEmpty
		}
		f.zxid++
		delete(f.nodes, op.Path)
		parent := f.nodes[parentName(op.Path)]
		parent.stat.NumChildren--
		parent.stat.Cversion++
	case zk.OpGetChildren2:
		if n == nil {
			return zk.NoNode
		}
		rep.Children = f.children(op.Path)
		st := n.stat
		rep.Stat = &st
	case zk.OpGetACL:
		if n == nil {
			return zk.NoNode
		}
		rep.ACL = n.acl
		st := n.stat
		rep.Stat = &st
	case zk.OpSetACL:
		if n == nil {
			return zk.NoNode
		}
		if op.Version != -1 && op.Version != n.stat.Aversion {
			return zk.BadVersion
		}
		f.zxid++
		n.acl = op.ACL
		n.stat.Aversion++
		st := n.stat
		rep.Stat = &st
	case zk.OpGetAllChildrenNumber:
		if n == nil {
			return zk.NoNode
		}
		prefix := strings.TrimSuffix(op.Path, "/") + "/"
		for k := range f.nodes {
			if k != op.Path && strings.HasPrefix(k, prefix) {
				rep.Count++
			}
		}
	case zk.OpMulti:
		// Check-and-apply without rollback: enough for the tests, which
		// fail only on the first op or only on checks.
		for i := range op.Ops {
			sub := &msg.Reply{}
			code := f.apply(&op.Ops[i], sub)
			r := msg.OpResult{Op: op.Ops[i].Op, Err: code, Path: sub.Path, Stat: sub.Stat}
			if code != zk.Ok {
				rep.Results = append(rep.Results, r)
				for range op.Ops[i+1:] {
					rep.Results = append(rep.Results, msg.OpResult{Op: zk.OpError, Err: zk.RuntimeInconsistency})
				}
				return code
			}
			rep.Results = append(rep.Results, r)
		}
	default:
		return zk.Unimplemented
	}
	return zk.Ok
}
