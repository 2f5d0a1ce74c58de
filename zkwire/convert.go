package zkwire

import (
	"strings"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zk"
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

func toOp(op zk.OpCode, rec jute.Record, o *msg.Op) bool {
	o.Op = op
	switch r := rec.(type) {
	case *jute.CreateRequest:
		o.Path, o.Data, o.ACL, o.Mode = r.Path, r.Data, r.ACL, int32(r.Flags)
	case *jute.CreateTTLRequest:
		o.Path, o.Data, o.ACL, o.Mode, o.TTL = r.Path, r.Data, r.ACL, int32(r.Flags), r.TTL
	case *jute.PathVersion:
		o.Path, o.Version = r.Path, r.Version
	case *jute.PathWatch:
		o.Path, o.Watch = r.Path, r.Watch
	case *jute.SetDataRequest:
		o.Path, o.Data, o.Version = r.Path, r.Data, r.Version
	case *jute.PathOnly:
		o.Path = r.Path
	case *jute.SetACLRequest:
		o.Path, o.ACL, o.Version = r.Path, r.ACL, r.Version
	case *jute.AddWatchRequest:
		o.Path, o.Mode = r.Path, int32(r.Mode)
	case *jute.PathType:
		o.Path, o.Mode = r.Path, int32(r.Type)
	case *jute.SetWatches:
		o.Watches = &msg.WatchSet{RelZxid: r.RelativeZxid, Data: r.DataWatches, Exist: r.ExistWatches,
			Child: r.ChildWatches, Persistent: r.PersistentWatches, Recursive: r.PersistentRecursiveWatches}
	case *jute.AuthPacket:
		// The node knows the digest scheme ("user:password").
		o.ACL = []zk.ACL{{ID: zk.ID{Scheme: r.Scheme, ID: string(r.Auth)}}}
	case *jute.MultiRequest:
		o.Ops = make([]msg.Op, len(r.Ops))
		for i, sub := range r.Ops {
			if !toOp(sub.Type, sub.Rec, &o.Ops[i]) {
				return false
			}
		}
	case jute.Empty:
		switch op {
		case zk.OpPing, zk.OpCloseSession, zk.OpWhoAmI:
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// orEmpty writes a missing list as an empty one: ZooKeeper's replies never
// carry a null children or ACL list, and the bus does not keep an empty
// list apart from none.
func orEmpty[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// replyFrame encodes the answer to a request of type op. A failed request
// is its header alone, as in ZooKeeper, except a multi: its header says OK
// and its body carries the per-op results.
func replyFrame(op zk.OpCode, rp *msg.Reply) []byte {
	h := &jute.ReplyHeader{Xid: rp.Xid, Zxid: rp.Zxid, Err: rp.Err}
	multi := op == zk.OpMulti || op == zk.OpMultiRead
	if multi && len(rp.Results) > 0 {
		h.Err = 0
		return frameOf(h, multiResponse(rp.Results))
	}
	if rp.Err != 0 {
		return frameOf(h)
	}
	var body jute.Record
	switch op {
	case zk.OpCreate:
		body = &jute.CreateResponse{Path: rp.Path}
	case zk.OpCreate2, zk.OpCreateContainer, zk.OpCreateTTL:
		body = &jute.Create2Response{Path: rp.Path, Stat: msg.StatOf(rp.Stat)}
	case zk.OpExists, zk.OpSetData, zk.OpSetACL:
		body = &jute.StatResponse{Stat: msg.StatOf(rp.Stat)}
	case zk.OpGetData:
		body = &jute.GetDataResponse{Data: rp.Data, Stat: msg.StatOf(rp.Stat)}
	case zk.OpGetACL:
		body = &jute.GetACLResponse{ACL: orEmpty(rp.ACL), Stat: msg.StatOf(rp.Stat)}
	case zk.OpGetChildren, zk.OpGetEphemerals:
		body = &jute.GetChildrenResponse{Children: orEmpty(rp.Children)}
	case zk.OpGetChildren2:
		body = &jute.GetChildren2Response{Children: orEmpty(rp.Children), Stat: msg.StatOf(rp.Stat)}
	case zk.OpSync:
		body = &jute.SyncResponse{Path: rp.Path}
	case zk.OpGetAllChildrenNumber:
		body = &jute.GetAllChildrenNumberResponse{TotalNumber: rp.Count}
	case zk.OpWhoAmI:
		who := &jute.WhoAmIResponse{ClientInfo: []jute.ClientInfo{}}
		for _, a := range rp.ACL {
			user := a.ID.ID
			if a.Scheme == "digest" { // digest ids are user:hash
				user, _, _ = strings.Cut(user, ":")
			}
			who.ClientInfo = append(who.ClientInfo, jute.ClientInfo{AuthScheme: a.Scheme, User: user})
		}
		body = who
	case zk.OpMulti, zk.OpMultiRead:
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
		case zk.OpError:
		case zk.OpCreate:
			res.Rec = &jute.CreateResponse{Path: r.Path}
		case zk.OpCreate2, zk.OpCreateContainer, zk.OpCreateTTL:
			res.Rec = &jute.Create2Response{Path: r.Path, Stat: msg.StatOf(r.Stat)}
		case zk.OpSetData:
			res.Rec = &jute.SetDataResponse{Stat: msg.StatOf(r.Stat)}
		case zk.OpGetData:
			res.Rec = &jute.GetDataResponse{Data: r.Data, Stat: msg.StatOf(r.Stat)}
		case zk.OpGetChildren:
			res.Rec = &jute.GetChildrenResponse{Children: orEmpty(r.Children)}
		}
		if r.Op != zk.OpError {
			res.Err = 0
		}
		out.Results = append(out.Results, res)
	}
	return out
}
