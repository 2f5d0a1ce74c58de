package zkwire

import (
	"testing"

	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zk"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// A jute request's null data (length -1) becomes nil in the node's
// request and its empty data (length 0) a zero-length slice, in every op
// that carries data, multi's included; and a reply's nil and empty data
// go back to the client as -1 and 0, in getData and in multiRead results.
func TestConvertKeepsNullAndEmptyData(t *testing.T) {
	for _, data := range [][]byte{nil, {}, []byte("x")} {
		want := testutil.DataKind(data)
		for _, tt := range []struct {
			op  zk.OpCode
			rec jute.Record
			get func(*msg.Request) []byte
		}{
			{zk.OpCreate, &jute.CreateRequest{Path: "/a", Data: data}, func(r *msg.Request) []byte { return r.Data }},
			{zk.OpCreate2, &jute.CreateRequest{Path: "/a", Data: data}, func(r *msg.Request) []byte { return r.Data }},
			{zk.OpCreateContainer, &jute.CreateRequest{Path: "/a", Data: data, Flags: 4}, func(r *msg.Request) []byte { return r.Data }},
			{zk.OpCreateTTL, &jute.CreateTTLRequest{Path: "/a", Data: data, Flags: 5, TTL: 10}, func(r *msg.Request) []byte { return r.Data }},
			{zk.OpSetData, &jute.SetDataRequest{Path: "/a", Data: data, Version: -1}, func(r *msg.Request) []byte { return r.Data }},
			{zk.OpMulti, &jute.MultiRequest{Ops: []jute.MultiOp{
				{Type: zk.OpCreate, Rec: &jute.CreateRequest{Path: "/a", Data: data}},
				{Type: zk.OpSetData, Rec: &jute.SetDataRequest{Path: "/a", Data: data, Version: -1}},
			}}, func(r *msg.Request) []byte {
				if testutil.DataKind(r.Ops[0].Data) != testutil.DataKind(r.Ops[1].Data) {
					t.Errorf("multi ops differ: %#v %#v", r.Ops[0].Data, r.Ops[1].Data)
				}
				return r.Ops[1].Data
			}},
		} {
			// Through the wire bytes, as the front end gets them.
			h, rec, err := jute.DecodeRequest(jute.EncodeRequest(nil, jute.RequestHeader{Xid: 1, Type: tt.op}, tt.rec))
			if err != nil {
				t.Fatalf("op %d: %v", tt.op, err)
			}
			req := toRequest(h, rec)
			if req == nil {
				t.Fatalf("op %d not converted", tt.op)
			}
			if got := testutil.DataKind(tt.get(req)); got != want {
				t.Errorf("op %d with %s data: the node gets %s", tt.op, want, got)
			}
		}

		frame := replyFrame(zk.OpGetData, &msg.Reply{Xid: 1, Data: data, Stat: &zk.Stat{}})
		var rh jute.ReplyHeader
		rest, err := jute.DecodePrefix(frame[4:], &rh)
		if err != nil {
			t.Fatal(err)
		}
		var gd jute.GetDataResponse
		if err := jute.Decode(rest, &gd); err != nil {
			t.Fatal(err)
		}
		if got := testutil.DataKind(gd.Data); got != want {
			t.Errorf("getData reply with %s data reaches the client as %s", want, got)
		}

		frame = replyFrame(zk.OpMultiRead, &msg.Reply{Xid: 2, Results: []msg.OpResult{{Op: zk.OpGetData, Data: data, Stat: &zk.Stat{}}}})
		if rest, err = jute.DecodePrefix(frame[4:], &rh); err != nil {
			t.Fatal(err)
		}
		var mr jute.MultiResponse
		if err := jute.Decode(rest, &mr); err != nil {
			t.Fatal(err)
		}
		if got := testutil.DataKind(mr.Results[0].Rec.(*jute.GetDataResponse).Data); got != want {
			t.Errorf("multiRead getData with %s data reaches the client as %s", want, got)
		}
	}
}
