package jute

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/paddock-zk/paddock/zk"
)

// A null buffer is length -1 on the wire and an empty one length 0, as
// BinaryOutputArchive.writeBuffer writes them; decoding gives back nil
// and a non-nil empty slice. Every record that carries znode data keeps
// the two apart, multi ops and multiRead results included.
func TestNullAndEmptyData(t *testing.T) {
	var e Encoder
	e.Buffer(nil)
	e.Buffer([]byte{})
	if want := []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}; !bytes.Equal(e.B, want) {
		t.Fatalf("null then empty: % x, want % x", e.B, want)
	}
	d := NewDecoder(e.B)
	if null, empty := d.Buffer(), d.Buffer(); null != nil || empty == nil || len(empty) != 0 || d.Err() != nil {
		t.Fatalf("decoded %#v and %#v (%v)", null, empty, d.Err())
	}

	for _, data := range [][]byte{nil, {}} {
		want := int32(0)
		if data == nil {
			want = -1
		}
		for _, tt := range []struct {
			name string
			rec  Record
			// off is where the data's length is in the encoding.
			off  int
			back func(b []byte) []byte
		}{
			{"CreateRequest", &CreateRequest{Path: "/a", Data: data}, 4 + 2,
				func(b []byte) []byte { var r CreateRequest; mustDecode(t, b, &r); return r.Data }},
			{"CreateTTLRequest", &CreateTTLRequest{Path: "/a", Data: data, TTL: 1}, 4 + 2,
				func(b []byte) []byte { var r CreateTTLRequest; mustDecode(t, b, &r); return r.Data }},
			{"SetDataRequest", &SetDataRequest{Path: "/a", Data: data, Version: -1}, 4 + 2,
				func(b []byte) []byte { var r SetDataRequest; mustDecode(t, b, &r); return r.Data }},
			{"GetDataResponse", &GetDataResponse{Data: data}, 0,
				func(b []byte) []byte { var r GetDataResponse; mustDecode(t, b, &r); return r.Data }},
			{"MultiRequest create", &MultiRequest{Ops: []MultiOp{{zk.OpCreate, &CreateRequest{Path: "/a", Data: data}}}}, 9 + 4 + 2,
				func(b []byte) []byte {
					var r MultiRequest
					mustDecode(t, b, &r)
					return r.Ops[0].Rec.(*CreateRequest).Data
				}},
			{"MultiRequest setData", &MultiRequest{Ops: []MultiOp{{zk.OpSetData, &SetDataRequest{Path: "/a", Data: data}}}}, 9 + 4 + 2,
				func(b []byte) []byte {
					var r MultiRequest
					mustDecode(t, b, &r)
					return r.Ops[0].Rec.(*SetDataRequest).Data
				}},
			{"MultiResponse getData", &MultiResponse{Results: []MultiResult{{Type: zk.OpGetData, Rec: &GetDataResponse{Data: data}}}}, 9,
				func(b []byte) []byte {
					var r MultiResponse
					mustDecode(t, b, &r)
					return r.Results[0].Rec.(*GetDataResponse).Data
				}},
		} {
			b := Encode(nil, tt.rec)
			if got := int32(binary.BigEndian.Uint32(b[tt.off:])); got != want {
				t.Errorf("%s with %#v: length %d on the wire, want %d", tt.name, data, got, want)
			}
			if got := tt.back(b); (got == nil) != (data == nil) || len(got) != 0 {
				t.Errorf("%s: sent %#v, decoded %#v", tt.name, data, got)
			}
		}
	}
}

func mustDecode(t *testing.T, b []byte, r Record) {
	t.Helper()
	if err := Decode(b, r); err != nil {
		t.Fatal(err)
	}
}
