package zkwire

import (
	"strings"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// toRequest turns a decoded jute request into the node's Request (without
// session and password); nil if the op is not one the node serves.
func toRequest(h jute.RequestHeader, rec jute.Record) *msg.Request {
	req := &msg.Request{Xid: h.Xid}
	if !toOp(h.Type, rec, &req.Op) {
		return nil
	}
	return req
}

func toOp(op int32, rec jute.Record, o *msg.Op) bool {
	o.Op = op
	switch r := rec.(type) {
	case *jute.CreateRequest:
		o.Path, o.Data, o.ACL, o.Mode = r.Path, r.Data, toACL(r.ACL), r.Flags
	case *jute.CreateTTLRequest:
		o.Path, o.Data, o.ACL, o.Mode, o.TTL = r.Path, r.Data, toACL(r.ACL), r.Flags, r.TTL
	case *jute.PathVersion:
		o.Path, o.Version = r.Path, r.Version
	case *jute.PathWatch:
		o.Path, o.Watch = r.Path, r.Watch
	case *jute.SetDataRequest:
		o.Path, o.Data, o.Version = r.Path, r.Data, r.Version
	case *jute.PathOnly:
		o.Path = r.Path
	case *jute.SetACLRequest:
		o.Path, o.ACL, o.Version = r.Path, toACL(r.ACL), r.Version
	case *jute.AddWatchRequest:
		o.Path, o.Mode = r.Path, r.Mode
	case *jute.PathType:
		o.Path, o.Mode = r.Path, r.Type
	case *jute.SetWatches:
		o.Watches = &msg.WatchSet{RelZxid: r.RelativeZxid, Data: r.DataWatches, Exist: r.ExistWatches,
			Child: r.ChildWatches, Persistent: r.PersistentWatches, Recursive: r.PersistentRecursiveWatches}
	case *jute.AuthPacket:
		// The node knows the digest scheme ("user:password").
		o.ACL = []msg.ACL{{Scheme: r.Scheme, ID: string(r.Auth)}}
	case *jute.MultiRequest:
		o.Ops = make([]msg.Op, len(r.Ops))
		for i, sub := range r.Ops {
			if !toOp(sub.Type, sub.Rec, &o.Ops[i]) {
				return false
			}
		}
	case jute.Empty:
		switch op {
		case jute.OpPing, jute.OpCloseSession, jute.OpWhoAmI:
		default:
			return false
		}
	default:
		return false
	}
	return true
}

func toACL(in []jute.ACL) []msg.ACL {
	if in == nil {
		return nil
	}
	out := make([]msg.ACL, len(in))
	for i, a := range in {
		out[i] = msg.ACL{Perms: a.Perms, Scheme: a.ID.Scheme, ID: a.ID.ID}
	}
	return out
}

func fromACL(in []msg.ACL) []jute.ACL {
	out := make([]jute.ACL, len(in))
	for i, a := range in {
		out[i] = jute.ACL{Perms: a.Perms, ID: jute.ID{Scheme: a.Scheme, ID: a.ID}}
	}
	return out
}

func fromStat(s *msg.Stat) jute.Stat {
	if s == nil {
		return jute.Stat{}
	}
	return jute.Stat{Czxid: s.Czxid, Mzxid: s.Mzxid, Ctime: s.Ctime, Mtime: s.Mtime, Version: s.Version,
		Cversion: s.Cversion, Aversion: s.Aversion, EphemeralOwner: s.EphemeralOwner,
		DataLength: s.DataLength, NumChildren: s.NumChildren, Pzxid: s.Pzxid}
}

func orEmpty(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// replyFrame encodes the answer to a request of type op. A failed request
// is its header alone, as in ZooKeeper, except a multi: its header says OK
// and its body carries the per-op results.
func replyFrame(op int32, rp *msg.Reply) []byte {
	h := &jute.ReplyHeader{Xid: rp.Xid, Zxid: rp.Zxid, Err: rp.Err}
	multi := op == jute.OpMulti || op == jute.OpMultiRead
	if multi && len(rp.Results) > 0 {
		h.Err = 0
		return frameOf(h, multiResponse(rp.Results))
	}
	if rp.Err != 0 {
		return frameOf(h)
	}
	var body jute.Record
	switch op {
	case jute.OpCreate:
		body = &jute.CreateResponse{Path: rp.Path}
	case jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
		body = &jute.Create2Response{Path: rp.Path, Stat: fromStat(rp.Stat)}
	case jute.OpExists, jute.OpSetData, jute.OpSetACL:
		body = &jute.StatResponse{Stat: fromStat(rp.Stat)}
	case jute.OpGetData:
		body = &jute.GetDataResponse{Data: rp.Data, Stat: fromStat(rp.Stat)}
	case jute.OpGetACL:
		body = &jute.GetACLResponse{ACL: fromACL(rp.ACL), Stat: fromStat(rp.Stat)}
	case jute.OpGetChildren, jute.OpGetEphemerals:
		body = &jute.GetChildrenResponse{Children: orEmpty(rp.Children)}
	case jute.OpGetChildren2:
		body = &jute.GetChildren2Response{Children: orEmpty(rp.Children), Stat: fromStat(rp.Stat)}
	case jute.OpSync:
		body = &jute.SyncResponse{Path: rp.Path}
	case jute.OpGetAllChildrenNumber:
		body = &jute.GetAllChildrenNumberResponse{TotalNumber: rp.Count}
	case jute.OpWhoAmI:
		who := &jute.WhoAmIResponse{ClientInfo: []jute.ClientInfo{}}
		for _, a := range rp.ACL {
			user := a.ID
			if a.Scheme == "digest" { // digest ids are user:hash
				user, _, _ = strings.Cut(user, ":")
			}
			who.ClientInfo = append(who.ClientInfo, jute.ClientInfo{AuthScheme: a.Scheme, User: user})
		}
		body = who
	case jute.OpMulti, jute.OpMultiRead:
		body = multiResponse(nil)
	}
	if body == nil {
		return frameOf(h)
	}
	return frameOf(h, body)
}

func multiResponse(in []msg.OpResult) *jute.MultiResponse {
	out := &jute.MultiResponse{Results: make([]jute.MultiResult, 0, len(in))}
	for _, r := range in {
		res := jute.MultiResult{Type: r.Op, Err: r.Err}
		switch r.Op {
		case jute.OpError:
		case jute.OpCreate:
			res.Rec = &jute.CreateResponse{Path: r.Path}
		case jute.OpCreate2, jute.OpCreateContainer, jute.OpCreateTTL:
			res.Rec = &jute.Create2Response{Path: r.Path, Stat: fromStat(r.Stat)}
		case jute.OpSetData:
			res.Rec = &jute.SetDataResponse{Stat: fromStat(r.Stat)}
		case jute.OpGetData:
			res.Rec = &jute.GetDataResponse{Data: r.Data, Stat: fromStat(r.Stat)}
		case jute.OpGetChildren:
			res.Rec = &jute.GetChildrenResponse{Children: orEmpty(r.Children)}
		}
		if r.Op != jute.OpError {
			res.Err = 0
		}
		out.Results = append(out.Results, res)
	}
	return out
}
