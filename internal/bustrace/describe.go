package bustrace

import (
	"fmt"
	"strings"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// builder collects a message's fields and what the filters need.
type builder struct {
	fields   []Field
	sessions []int64
	paths    []string
}

func (b *builder) add(k string, v any) { b.fields = append(b.fields, Field{k, v}) }

// session adds a session id and remembers it for the session filter.
func (b *builder) session(k string, id int64) {
	b.sessions = append(b.sessions, id)
	b.add(k, Hex(id))
}

// path adds a path and remembers it for the path filter.
func (b *builder) path(k, p string) {
	b.paths = append(b.paths, p)
	b.add(k, p)
}

// sessionList adds a list of session ids.
func (b *builder) sessionList(k string, ids []int64) {
	l := make(List, len(ids))
	for i, id := range ids {
		l[i] = Hex(id)
	}
	b.sessions = append(b.sessions, ids...)
	b.add(k, l)
}

// nested runs fn on a builder for a nested object, whose sessions and
// paths count for the whole message.
func (b *builder) nested(fn func(*builder)) Obj {
	n := &builder{}
	fn(n)
	b.sessions = append(b.sessions, n.sessions...)
	b.paths = append(b.paths, n.paths...)
	return Obj(n.fields)
}

// dataLen is how data shows: its length, -1 for ZooKeeper's null (as jute
// writes it), so the two stay apart without printing a byte.
func dataLen(d []byte) int64 {
	if d == nil {
		return -1
	}
	return int64(len(d))
}

// describe adds body's fields: the epoch and zxid every kind that has
// them shows first (msg.Epoched, msg.Zxided), then the kind's own.
func describe(b *builder, body msg.Body) {
	if e, ok := body.(msg.Epoched); ok {
		b.add("epoch", int64(e.EpochOf()))
	}
	if z, ok := body.(msg.Zxided); ok {
		b.add("zxid", Hex(z.ZxidOf()))
	}
	switch m := body.(type) {
	case *msg.Vote:
		b.add("leader", int64(m.Leader))
		b.add("round", int64(m.Round))
		b.add("state", m.State.String())
	case *msg.FollowerInfo:
		b.add("currentEpoch", int64(m.CurrentEpoch))
	case *msg.NewEpoch, *msg.Ping, *msg.Pong, *msg.History, *msg.Looking, *msg.Ack, *msg.Commit, *msg.Resend:
		// epoch and zxid say it all
	case *msg.AckEpoch:
		b.add("currentEpoch", int64(m.CurrentEpoch))
		b.add("fresh", m.Fresh)
	case *msg.Lead:
		l := make(List, len(m.Members))
		for i, mb := range m.Members {
			l[i] = member(mb)
		}
		b.add("members", l)
	case *msg.Joined:
		b.add("member", member(m.Member))
	case *msg.Follow:
		b.add("leader", int64(m.Leader))
	case *msg.Abdicate:
		b.add("reason", m.Reason)
	case *msg.PeerDown:
		b.add("peer", int64(m.Node))
	case *msg.PeerUp:
		b.add("peer", int64(m.Node))
	case *msg.SyncReq:
		b.add("sync", Hex(m.Session))
		b.add("currentEpoch", int64(m.CurrentEpoch))
		b.add("committed", Hex(m.Committed))
		if m.NoTrunc {
			b.add("noTrunc", true)
		}
	case *msg.SyncStart:
		b.add("sync", Hex(m.Session))
		b.add("mode", m.Mode.String())
		if m.Mode == msg.SyncSnap {
			b.add("snapSize", m.SnapSize)
		}
	case *msg.SnapChunk:
		b.add("sync", Hex(m.Session))
		b.add("offset", m.Offset)
		b.add("length", int64(len(m.Data)))
	case *msg.Proposal:
		b.add("prev", Hex(m.PrevZxid))
		b.add("commit", Hex(m.Commit))
		txns := make(List, len(m.Entries))
		for i, e := range m.Entries {
			txns[i] = b.nested(func(n *builder) { entry(n, e) })
		}
		b.add("txns", txns)
	case *msg.NewLeader:
		b.add("sync", Hex(m.Session))
	case *msg.NewLeaderAck:
		b.add("sync", Hex(m.Session))
	case *msg.UpToDate:
		if m.Session != 0 {
			b.add("sync", Hex(m.Session))
		}
		if m.Serving != 0 {
			b.add("serving", int64(m.Serving))
		}
	case *msg.Request:
		request(b, m)
	case *msg.Reply:
		reply(b, m)
	case *msg.Forward:
		b.add("origin", int64(m.Origin))
		b.add("seq", int64(m.Seq))
		if m.Attach {
			b.add("attach", true)
		}
		request(b, &m.Request)
	case *msg.ForwardReply:
		b.session("session", m.Session)
		b.add("xid", int64(m.Xid))
		if m.Err != zk.Ok {
			b.add("err", m.Err.String())
		}
		if m.Path != "" {
			b.path("path", m.Path)
		}
		if len(m.Errs) > 0 {
			l := make(List, len(m.Errs))
			for i, c := range m.Errs {
				l[i] = c.String()
			}
			b.add("errs", l)
		}
	case *msg.SessionsUpdate:
		b.add("leading", m.Leading)
		if m.Reset {
			b.add("reset", true)
		}
		if len(m.Opened) > 0 {
			l := make(List, len(m.Opened))
			for i, s := range m.Opened {
				l[i] = b.nested(func(n *builder) {
					n.session("session", s.ID)
					n.add("timeout", int64(s.Timeout))
				})
			}
			b.add("opened", l)
		}
		if len(m.Closed) > 0 {
			b.sessionList("closed", m.Closed)
		}
	case *msg.Touch:
		b.sessionList("sessions", m.Sessions)
	case *msg.Expire:
		b.sessionList("sessions", m.Sessions)
	case *msg.WatchEvent:
		b.session("session", m.Session)
		b.add("type", m.Type.String())
		b.path("path", m.Path)
	default:
		// A kind added to msg without a case here still shows, raw.
		b.add("body", fmt.Sprintf("%+v", body))
	}
}

func member(m msg.Member) Obj {
	return Obj{{"node", int64(m.Node)}, {"currentEpoch", int64(m.CurrentEpoch)}, {"zxid", Hex(m.LastZxid)}}
}

// request adds a client request's fields: its session, xid and op. The
// password and the reply subject (which holds the connection's secret
// token) are left out.
func request(b *builder, r *msg.Request) {
	b.session("session", r.Session)
	b.add("xid", int64(r.Xid))
	op(b, &r.Op)
	if r.Op.Op == zk.OpCreateSession {
		b.add("timeout", int64(r.Timeout))
		if r.LastZxid != 0 {
			b.add("lastZxid", Hex(r.LastZxid))
		}
	}
	if r.ClientAddr != "" {
		b.add("client", r.ClientAddr)
	}
}

// op adds one op's fields, as its opcode uses them.
func op(b *builder, o *msg.Op) {
	b.add("op", o.Op.String())
	if o.Path != "" {
		b.path("path", o.Path)
	}
	switch o.Op {
	case zk.OpCreate, zk.OpCreate2, zk.OpCreateContainer, zk.OpCreateTTL:
		b.add("dataLen", dataLen(o.Data))
		b.add("mode", zk.CreateMode(o.Mode).String())
		if o.TTL != 0 {
			b.add("ttl", o.TTL)
		}
		b.add("acl", acls(o.ACL))
	case zk.OpSetData:
		b.add("dataLen", dataLen(o.Data))
		b.add("version", int64(o.Version))
	case zk.OpDelete, zk.OpCheck:
		b.add("version", int64(o.Version))
	case zk.OpSetACL:
		b.add("acl", acls(o.ACL))
		b.add("version", int64(o.Version))
	case zk.OpAddWatch:
		b.add("mode", addWatchMode(zk.AddWatchMode(o.Mode)))
	case zk.OpRemoveWatches, zk.OpCheckWatches:
		b.add("watcherType", zk.WatcherType(o.Mode).String())
	case zk.OpAuth:
		// The scheme only: the credential is the session's secret.
		if len(o.ACL) > 0 {
			b.add("scheme", o.ACL[0].Scheme)
		}
	}
	if o.Watch {
		b.add("watch", true)
	}
	if len(o.Ops) > 0 {
		l := make(List, len(o.Ops))
		for i := range o.Ops {
			l[i] = b.nested(func(n *builder) { op(n, &o.Ops[i]) })
		}
		b.add("ops", l)
	}
	if w := o.Watches; w != nil {
		b.add("watches", b.nested(func(n *builder) {
			n.add("relZxid", Hex(w.RelZxid))
			for _, s := range []struct {
				k     string
				paths []string
			}{{"data", w.Data}, {"exist", w.Exist}, {"child", w.Child}, {"persistent", w.Persistent}, {"recursive", w.Recursive}} {
				if len(s.paths) > 0 {
					n.paths = append(n.paths, s.paths...)
					n.add(s.k, strings2List(s.paths))
				}
			}
		}))
	}
}

func strings2List(ss []string) List {
	l := make(List, len(ss))
	for i, s := range ss {
		l[i] = s
	}
	return l
}

func addWatchMode(m zk.AddWatchMode) string {
	switch m {
	case zk.AddWatchPersistent:
		return "PERSISTENT"
	case zk.AddWatchPersistentRecursive:
		return "PERSISTENT_RECURSIVE"
	}
	return fmt.Sprintf("AddWatchMode(%d)", int32(m))
}

// acls shows an ACL as zkCli's getAcl letters: world:anyone=cdrwa.
func acls(as []zk.ACL) List {
	l := make(List, len(as))
	for i, a := range as {
		l[i] = a.Scheme + ":" + a.ID.ID + "=" + perms(a.Perms)
	}
	return l
}

func perms(p int32) string {
	var s strings.Builder
	for _, x := range []struct {
		bit int32
		c   byte
	}{{zk.PermCreate, 'c'}, {zk.PermDelete, 'd'}, {zk.PermRead, 'r'}, {zk.PermWrite, 'w'}, {zk.PermAdmin, 'a'}} {
		if p&x.bit != 0 {
			s.WriteByte(x.c)
		}
	}
	return s.String()
}

func reply(b *builder, r *msg.Reply) {
	b.session("session", r.Session)
	b.add("xid", int64(r.Xid))
	if r.Err != zk.Ok {
		b.add("err", r.Err.String())
	}
	if r.Refused {
		b.add("refused", true)
	}
	if r.Path != "" {
		b.path("path", r.Path)
	}
	if r.Data != nil {
		b.add("dataLen", int64(len(r.Data)))
	}
	if r.Stat != nil {
		b.add("stat", stat(r.Stat))
	}
	if r.Children != nil {
		b.add("children", int64(len(r.Children)))
	}
	if r.ACL != nil {
		b.add("acl", acls(r.ACL))
	}
	if r.Count != 0 {
		b.add("count", int64(r.Count))
	}
	if r.Timeout != 0 {
		b.add("timeout", int64(r.Timeout))
	}
	if len(r.Results) > 0 {
		l := make(List, len(r.Results))
		for i, res := range r.Results {
			l[i] = b.nested(func(n *builder) {
				n.add("op", res.Op.String())
				if res.Err != zk.Ok {
					n.add("err", res.Err.String())
				}
				if res.Path != "" {
					n.path("path", res.Path)
				}
				if res.Data != nil {
					n.add("dataLen", int64(len(res.Data)))
				}
				if res.Stat != nil {
					n.add("stat", stat(res.Stat))
				}
				if res.Children != nil {
					n.add("children", int64(len(res.Children)))
				}
			})
		}
		b.add("results", l)
	}
}

// stat shows the Stat fields that tell a story (times are the leader's
// clock and say little in a trace).
func stat(s *zk.Stat) Obj {
	o := Obj{{"czxid", Hex(s.Czxid)}, {"mzxid", Hex(s.Mzxid)}, {"pzxid", Hex(s.Pzxid)},
		{"version", int64(s.Version)}, {"cversion", int64(s.Cversion)}, {"aversion", int64(s.Aversion)}}
	if s.EphemeralOwner != 0 {
		o = append(o, Field{"ephemeralOwner", Hex(s.EphemeralOwner)})
	}
	return append(o, Field{"dataLength", int64(s.DataLength)}, Field{"numChildren", int64(s.NumChildren)})
}

// entry adds one proposal entry: its zxid and the znode log record it
// carries (header and txn), or why that does not decode.
func entry(b *builder, e msg.Entry) {
	b.add("zxid", Hex(e.Zxid))
	hdr, t, err := znode.DecodeRecord(e.Data)
	if err != nil {
		b.add("error", strings.TrimPrefix(err.Error(), "znode: "))
		b.add("length", int64(len(e.Data)))
		return
	}
	b.add("type", t.TxnOp().String())
	b.session("session", hdr.Session)
	b.add("cxid", int64(hdr.Cxid))
	txn(b, t)
}

// txn adds a txn's fields; a multi's ops nest, each with its type.
func txn(b *builder, t znode.Txn) {
	switch t := t.(type) {
	case znode.CreateTxn:
		b.path("path", t.Path)
		b.add("dataLen", dataLen(t.Data))
		if t.EphemeralOwner != 0 {
			b.add("ephemeralOwner", Hex(t.EphemeralOwner))
		}
		b.add("parentCVersion", int64(t.ParentCVersion))
	case znode.DeleteTxn:
		b.path("path", t.Path)
	case znode.SetDataTxn:
		b.path("path", t.Path)
		b.add("dataLen", dataLen(t.Data))
		b.add("version", int64(t.Version))
	case znode.SetACLTxn:
		b.path("path", t.Path)
		b.add("acl", acls(t.ACL))
		b.add("version", int64(t.Version))
	case znode.CheckTxn:
		b.path("path", t.Path)
		b.add("version", int64(t.Version))
	case znode.CreateSessionTxn:
		b.add("timeout", int64(t.Timeout))
	case znode.CloseSessionTxn:
		// The session's ephemerals, deleted with it.
		b.paths = append(b.paths, t.Paths...)
		b.add("ephemerals", strings2List(t.Paths))
	case znode.ErrorTxn:
		b.add("err", t.Err.String())
	case znode.MultiTxn:
		l := make(List, len(t.Ops))
		for i, sub := range t.Ops {
			l[i] = b.nested(func(n *builder) {
				n.add("type", sub.TxnOp().String())
				txn(n, sub)
			})
		}
		b.add("ops", l)
	}
}
