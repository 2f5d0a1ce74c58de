package jute

import (
	"errors"
	"fmt"

	"github.com/paddock-zk/paddock/zk"
)

// Special xids.
const (
	XidNotification int32 = -1
	XidPing         int32 = -2
	XidAuth         int32 = -4
	XidSetWatches   int32 = -8
)

// ErrUnknownOp is returned by DecodeRequest for an opcode it has no record
// for; the header is still returned.
var ErrUnknownOp = errors.New("jute: unknown opcode")

// Empty is the body of requests and replies that have none.
type Empty struct{}

// Encode writes the record in jute order.
func (Empty) Encode(*Encoder) {}

// Decode reads the record in jute order.
func (Empty) Decode(*Decoder) {}

// NewRequest returns an empty request record for op, or nil if op is not
// one a client sends.
func NewRequest(op zk.OpCode) Record {
	switch op {
	case zk.OpCreate, zk.OpCreate2, zk.OpCreateContainer:
		return &CreateRequest{}
	case zk.OpCreateTTL:
		return &CreateTTLRequest{}
	case zk.OpDelete, zk.OpCheck:
		return &PathVersion{}
	case zk.OpExists, zk.OpGetData, zk.OpGetChildren, zk.OpGetChildren2:
		return &PathWatch{}
	case zk.OpSetData:
		return &SetDataRequest{}
	case zk.OpGetACL, zk.OpSync, zk.OpGetAllChildrenNumber, zk.OpGetEphemerals:
		return &PathOnly{}
	case zk.OpSetACL:
		return &SetACLRequest{}
	case zk.OpMulti, zk.OpMultiRead:
		return &MultiRequest{Read: op == zk.OpMultiRead}
	case zk.OpAddWatch:
		return &AddWatchRequest{}
	case zk.OpRemoveWatches, zk.OpCheckWatches:
		return &PathType{}
	case zk.OpSetWatches:
		return &SetWatches{}
	case zk.OpSetWatches2:
		return &SetWatches{Two: true}
	case zk.OpAuth:
		return &AuthPacket{}
	case zk.OpPing, zk.OpCloseSession, zk.OpWhoAmI:
		return Empty{}
	}
	return nil
}

// DecodeRequest decodes one request frame (without its length prefix):
// the header and the record its opcode calls for. An unknown opcode
// returns the header, a nil record and ErrUnknownOp; a malformed record
// returns the header and an error wrapping ErrMalformed.
func DecodeRequest(frame []byte) (RequestHeader, Record, error) {
	var h RequestHeader
	rest, err := DecodePrefix(frame, &h)
	if err != nil {
		return h, nil, err
	}
	r := NewRequest(h.Type)
	if r == nil {
		return h, nil, fmt.Errorf("%w %d", ErrUnknownOp, h.Type)
	}
	d := NewDecoder(rest)
	r.Decode(d)
	// Trailing bytes are tolerated, as ZooKeeper's BinaryInputArchive
	// reads only what the record names.
	return h, r, d.Err()
}

// EncodeRequest appends a request frame body (header and record).
func EncodeRequest(buf []byte, h RequestHeader, r Record) []byte {
	e := Encoder{B: buf}
	h.Encode(&e)
	if r != nil {
		r.Encode(&e)
	}
	return e.B
}

// MultiOp is one op of a multi request: its header and record.
type MultiOp struct {
	Type zk.OpCode
	Rec  Record
}

// MultiRequest is multi's (and multiRead's) request: ops, each after a
// MultiHeader, until a header with Done.
type MultiRequest struct {
	Ops  []MultiOp
	Read bool // multiRead: getData and getChildren ops
}

// Encode writes the ops and the closing header. Decode reads until that
// header; every op takes at least its 9-byte header, so a frame bounds the
// number of ops it can hold.
func (r *MultiRequest) Encode(e *Encoder) {
	for _, op := range r.Ops {
		(&MultiHeader{Type: op.Type, Err: -1}).Encode(e)
		op.Rec.Encode(e)
	}
	(&MultiHeader{Type: -1, Done: true, Err: -1}).Encode(e)
}

// Decode reads the record in jute order.
func (r *MultiRequest) Decode(d *Decoder) {
	r.Ops = r.Ops[:0]
	for d.Err() == nil {
		var h MultiHeader
		h.Decode(d)
		if d.Err() != nil || h.Done {
			return
		}
		var rec Record
		switch h.Type {
		case zk.OpCreate, zk.OpCreate2, zk.OpCreateContainer:
			rec = &CreateRequest{}
		case zk.OpCreateTTL:
			rec = &CreateTTLRequest{}
		case zk.OpDelete, zk.OpCheck:
			rec = &PathVersion{}
		case zk.OpSetData:
			rec = &SetDataRequest{}
		case zk.OpGetData, zk.OpGetChildren:
			rec = &PathWatch{}
		default:
			d.Fail(fmt.Errorf("%w: multi op type %d", ErrMalformed, h.Type))
			return
		}
		rec.Decode(d)
		r.Ops = append(r.Ops, MultiOp{Type: h.Type, Rec: rec})
	}
}

// MultiResult is one op's result in a multi response. Rec is nil for ops
// without a body (delete, check).
type MultiResult struct {
	Type zk.OpCode // zk.OpError for a failed op
	Err  zk.Code
	Rec  Record
}

// MultiResponse is multi's (and multiRead's) reply.
type MultiResponse struct{ Results []MultiResult }

// Encode writes the record in jute order.
func (r *MultiResponse) Encode(e *Encoder) {
	for _, res := range r.Results {
		(&MultiHeader{Type: res.Type, Err: res.Err}).Encode(e)
		if res.Type == zk.OpError {
			(&ErrorResult{Err: res.Err}).Encode(e)
		} else if res.Rec != nil {
			res.Rec.Encode(e)
		}
	}
	(&MultiHeader{Type: -1, Done: true, Err: -1}).Encode(e)
}

// Decode reads a multi (not multiRead) response.
func (r *MultiResponse) Decode(d *Decoder) {
	r.Results = r.Results[:0]
	for d.Err() == nil {
		var h MultiHeader
		h.Decode(d)
		if d.Err() != nil || h.Done {
			return
		}
		res := MultiResult{Type: h.Type, Err: h.Err}
		switch h.Type {
		case zk.OpError:
			var er ErrorResult
			er.Decode(d)
			res.Err = er.Err
		case zk.OpCreate:
			res.Rec = &CreateResponse{}
		case zk.OpCreate2, zk.OpCreateContainer, zk.OpCreateTTL:
			res.Rec = &Create2Response{}
		case zk.OpSetData:
			res.Rec = &SetDataResponse{}
		case zk.OpDelete, zk.OpCheck:
		case zk.OpGetData:
			res.Rec = &GetDataResponse{}
		case zk.OpGetChildren:
			res.Rec = &GetChildrenResponse{}
		default:
			d.Fail(fmt.Errorf("%w: multi result type %d", ErrMalformed, h.Type))
			return
		}
		if res.Rec != nil {
			res.Rec.Decode(d)
		}
		r.Results = append(r.Results, res)
	}
}
