package jute

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/paddock-zk/paddock/zk"
)

func sampleStat() zk.Stat {
	return zk.Stat{Czxid: 1, Mzxid: 2, Ctime: 3, Mtime: 4, Version: 5, Cversion: 6, Aversion: 7,
		EphemeralOwner: 8, DataLength: 9, NumChildren: 10, Pzxid: 11}
}

// records returns one populated value of every record, with a fresh empty
// value to decode into.
func records() []struct {
	name     string
	val, new Record
} {
	acl := []zk.ACL{{Perms: 31, ID: zk.ID{Scheme: "world", ID: "anyone"}}, {Perms: 1, ID: zk.ID{Scheme: "digest", ID: "u:x"}}}
	st := sampleStat()
	return []struct {
		name     string
		val, new Record
	}{
		{"ConnectRequest", &ConnectRequest{ProtocolVersion: 0, LastZxidSeen: 9, TimeOut: 4000, SessionID: 7, Passwd: make([]byte, 16)}, &ConnectRequest{}},
		{"ConnectRequestRO", &ConnectRequest{TimeOut: 1, Passwd: []byte{1}, ReadOnly: true, HasReadOnly: true}, &ConnectRequest{}},
		{"ConnectResponse", &ConnectResponse{TimeOut: 4000, SessionID: 7, Passwd: []byte("0123456789abcdef")}, &ConnectResponse{}},
		{"ConnectResponseRO", &ConnectResponse{TimeOut: 4000, SessionID: 7, Passwd: []byte("p"), HasReadOnly: true}, &ConnectResponse{}},
		{"RequestHeader", &RequestHeader{Xid: 3, Type: zk.OpCreate}, &RequestHeader{}},
		{"ReplyHeader", &ReplyHeader{Xid: 3, Zxid: 1 << 40, Err: -101}, &ReplyHeader{}},
		{"CreateRequest", &CreateRequest{Path: "/a", Data: []byte("x"), ACL: acl, Flags: 3}, &CreateRequest{}},
		{"CreateRequestNil", &CreateRequest{Path: "/a"}, &CreateRequest{}},
		{"CreateTTLRequest", &CreateTTLRequest{Path: "/a", Data: []byte{}, ACL: acl, Flags: 5, TTL: 100}, &CreateTTLRequest{}},
		{"CreateResponse", &CreateResponse{Path: "/a0000000001"}, &CreateResponse{}},
		{"Create2Response", &Create2Response{Path: "/a", Stat: st}, &Create2Response{}},
		{"DeleteRequest", &DeleteRequest{Path: "/a", Version: -1}, &DeleteRequest{}},
		{"ExistsRequest", &ExistsRequest{Path: "/a", Watch: true}, &ExistsRequest{}},
		{"GetDataResponse", &GetDataResponse{Data: []byte("d"), Stat: st}, &GetDataResponse{}},
		{"SetDataRequest", &SetDataRequest{Path: "/a", Data: []byte("d"), Version: 2}, &SetDataRequest{}},
		{"SetDataResponse", &SetDataResponse{Stat: st}, &SetDataResponse{}},
		{"GetACLResponse", &GetACLResponse{ACL: acl, Stat: st}, &GetACLResponse{}},
		{"SetACLRequest", &SetACLRequest{Path: "/a", ACL: acl, Version: 1}, &SetACLRequest{}},
		{"GetChildrenResponse", &GetChildrenResponse{Children: []string{"a", "b"}}, &GetChildrenResponse{}},
		{"GetChildren2Response", &GetChildren2Response{Children: []string{}, Stat: st}, &GetChildren2Response{}},
		{"GetAllChildrenNumberResponse", &GetAllChildrenNumberResponse{TotalNumber: 4}, &GetAllChildrenNumberResponse{}},
		{"MultiHeader", &MultiHeader{Type: -1, Done: true, Err: -1}, &MultiHeader{}},
		{"ErrorResult", &ErrorResult{Err: -110}, &ErrorResult{}},
		{"AddWatchRequest", &AddWatchRequest{Path: "/a", Mode: 1}, &AddWatchRequest{}},
		{"RemoveWatchesRequest", &RemoveWatchesRequest{Path: "/a", Type: 3}, &RemoveWatchesRequest{}},
		{"SetWatches", &SetWatches{RelativeZxid: 5, DataWatches: []string{"/a"}, ExistWatches: []string{}, ChildWatches: []string{"/b", "/c"}}, &SetWatches{}},
		{"SetWatches2", &SetWatches{RelativeZxid: 5, DataWatches: []string{"/a"}, ExistWatches: []string{}, ChildWatches: []string{}, PersistentWatches: []string{"/p"}, PersistentRecursiveWatches: []string{"/r"}, Two: true}, &SetWatches{Two: true}},
		{"WatcherEvent", &WatcherEvent{Type: 3, State: 3, Path: "/a"}, &WatcherEvent{}},
		{"AuthPacket", &AuthPacket{Scheme: "digest", Auth: []byte("u:p")}, &AuthPacket{}},
		{"WhoAmIResponse", &WhoAmIResponse{ClientInfo: []ClientInfo{{"ip", "127.0.0.1"}}}, &WhoAmIResponse{}},
		{"MultiRequest", &MultiRequest{Ops: []MultiOp{
			{zk.OpCreate, &CreateRequest{Path: "/a", ACL: acl}},
			{zk.OpCreateTTL, &CreateTTLRequest{Path: "/t", ACL: acl, Flags: 5, TTL: 9}},
			{zk.OpSetData, &SetDataRequest{Path: "/a", Data: []byte("x"), Version: -1}},
			{zk.OpCheck, &CheckVersionRequest{Path: "/a", Version: 1}},
			{zk.OpDelete, &DeleteRequest{Path: "/a", Version: -1}},
		}}, &MultiRequest{}},
		{"MultiResponse", &MultiResponse{Results: []MultiResult{
			{Type: zk.OpCreate, Rec: &CreateResponse{Path: "/a"}},
			{Type: zk.OpCreate2, Rec: &Create2Response{Path: "/b", Stat: st}},
			{Type: zk.OpSetData, Rec: &SetDataResponse{Stat: st}},
			{Type: zk.OpDelete}, {Type: zk.OpCheck},
			{Type: zk.OpError, Err: -101},
		}}, &MultiResponse{}},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tt := range records() {
		t.Run(tt.name, func(t *testing.T) {
			b := Encode(nil, tt.val)
			if err := Decode(b, tt.new); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(tt.val, tt.new) {
				t.Fatalf("round trip:\n got %#v\nwant %#v", tt.new, tt.val)
			}
			if again := Encode(nil, tt.new); !bytes.Equal(again, b) {
				t.Fatalf("re-encoding differs")
			}
			// Every strict prefix fails cleanly (records with an optional
			// tail accept the prefix without it).
			for i := range b {
				r := reflect.New(reflect.TypeOf(tt.new).Elem()).Interface().(Record)
				if sw, ok := tt.new.(*SetWatches); ok {
					r = &SetWatches{Two: sw.Two}
				}
				_ = Decode(b[:i], r)
			}
		})
	}
}

// A known byte layout, checked by hand against zookeeper.jute.
func TestConnectRequestBytes(t *testing.T) {
	b := Encode(nil, &ConnectRequest{TimeOut: 0x1000, SessionID: 0x0102030405060708, Passwd: []byte{0xaa}})
	want := []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 0xaa}
	if !bytes.Equal(b, want) {
		t.Fatalf("got % x\nwant % x", b, want)
	}
	var cr ConnectRequest
	if err := Decode(append(b, 1), &cr); err != nil || !cr.HasReadOnly || !cr.ReadOnly {
		t.Fatalf("with readOnly byte: %+v %v", cr, err)
	}
	var resp ConnectResponse
	if err := Decode(Encode(nil, &ConnectResponse{Passwd: []byte{}}), &resp); err != nil || resp.HasReadOnly {
		t.Fatalf("without readOnly: %+v %v", resp, err)
	}
}

func TestNullsAndBadLengths(t *testing.T) {
	var e Encoder
	e.Buffer(nil)
	e.Strings(nil)
	d := NewDecoder(e.B)
	if d.Buffer() != nil || d.Strings() != nil || d.Err() != nil {
		t.Fatal("nulls")
	}
	tests := map[string][]byte{
		"negative":       {0xff, 0xff, 0xff, 0xfe},
		"too long":       {0, 0, 0, 5, 'a'},
		"huge vector":    {0x7f, 0xff, 0xff, 0xff},
		"truncated":      {0, 0},
		"vector too big": {0, 0, 0, 2, 0, 0, 0, 0},
	}
	for name, b := range tests {
		d := NewDecoder(b)
		if name == "huge vector" || name == "vector too big" {
			d.Strings()
		} else {
			d.Buffer()
		}
		if !errors.Is(d.Err(), ErrMalformed) {
			t.Errorf("%s: err %v", name, d.Err())
		}
	}
	if err := Decode([]byte{0, 0, 0, 1, 0, 0, 0, 2, 9}, &RequestHeader{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("trailing: %v", err)
	}
}

func TestDecodeRequest(t *testing.T) {
	frame := EncodeRequest(nil, RequestHeader{Xid: 7, Type: zk.OpGetData}, &GetDataRequest{Path: "/x", Watch: true})
	h, r, err := DecodeRequest(frame)
	if err != nil || h.Xid != 7 || !reflect.DeepEqual(r, &PathWatch{Path: "/x", Watch: true}) {
		t.Fatalf("%+v %#v %v", h, r, err)
	}
	h, r, err = DecodeRequest(EncodeRequest(nil, RequestHeader{Xid: 8, Type: 999}, nil))
	if !errors.Is(err, ErrUnknownOp) || h.Xid != 8 || r != nil {
		t.Fatalf("unknown op: %+v %v %v", h, r, err)
	}
	if _, _, err := DecodeRequest(EncodeRequest(nil, RequestHeader{Xid: 1, Type: zk.OpCreate}, nil)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("empty create: %v", err)
	}
}

func seeds(f *testing.F) {
	for _, tt := range records() {
		f.Add(Encode(nil, tt.val))
	}
	for _, op := range []zk.OpCode{zk.OpCreate, zk.OpGetData, zk.OpMulti, zk.OpSetWatches2, zk.OpAuth, zk.OpPing, zk.OpCreateTTL} {
		f.Add(EncodeRequest(nil, RequestHeader{Xid: 1, Type: op}, nil))
	}
	for _, tt := range records() {
		if _, ok := tt.val.(*MultiRequest); ok {
			f.Add(EncodeRequest(nil, RequestHeader{Xid: 2, Type: zk.OpMulti}, tt.val))
		}
	}
}

func FuzzDecodeRequest(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, r, err := DecodeRequest(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to a frame that decodes the same.
		again := EncodeRequest(nil, h, r)
		h2, r2, err := DecodeRequest(again)
		if err != nil || h2 != h || !reflect.DeepEqual(normal(r), normal(r2)) {
			t.Fatalf("re-decode: %v\n%#v\n%#v", err, r, r2)
		}
	})
}

func FuzzDecodeConnect(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var cr ConnectRequest
		if Decode(b, &cr) == nil {
			var again ConnectRequest
			if err := Decode(Encode(nil, &cr), &again); err != nil || !reflect.DeepEqual(normal(&cr), normal(&again)) {
				t.Fatalf("connect re-decode: %v", err)
			}
		}
		var resp MultiResponse
		_ = Decode(b, &resp)
		var sw SetWatches
		_ = Decode(b, &sw)
		var who WhoAmIResponse
		_ = Decode(b, &who)
		var acl GetACLResponse
		_ = Decode(b, &acl)
	})
}

// normal makes empty and nil slices compare equal (a nil buffer and an
// empty one differ on the wire only in length -1 vs 0, and a decoded -1
// string reads as "").
func normal(r Record) string {
	return string(Encode(nil, r))
}
