package jute

import (
	"errors"
	"fmt"
)

// OpCodes of ZooDefs.OpCode.
const (
	OpNotification         int32 = 0
	OpCreate               int32 = 1
	OpDelete               int32 = 2
	OpExists               int32 = 3
	OpGetData              int32 = 4
	OpSetData              int32 = 5
	OpGetACL               int32 = 6
	OpSetACL               int32 = 7
	OpGetChildren          int32 = 8
	OpSync                 int32 = 9
	OpPing                 int32 = 11
	OpGetChildren2         int32 = 12
	OpCheck                int32 = 13
	OpMulti                int32 = 14
	OpCreate2              int32 = 15
	OpReconfig             int32 = 16
	OpCheckWatches         int32 = 17
	OpRemoveWatches        int32 = 18
	OpCreateContainer      int32 = 19
	OpDeleteContainer      int32 = 20
	OpCreateTTL            int32 = 21
	OpMultiRead            int32 = 22
	OpAuth                 int32 = 100
	OpSetWatches           int32 = 101
	OpSasl                 int32 = 102
	OpGetEphemerals        int32 = 103
	OpGetAllChildrenNumber int32 = 104
	OpSetWatches2          int32 = 105
	OpAddWatch             int32 = 106
	OpWhoAmI               int32 = 107
	OpCreateSession        int32 = -10
	OpCloseSession         int32 = -11
	OpError                int32 = -1
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
func NewRequest(op int32) Record {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer:
		return &CreateRequest{}
	case OpCreateTTL:
		return &CreateTTLRequest{}
	case OpDelete, OpCheck:
		return &PathVersion{}
	case OpExists, OpGetData, OpGetChildren, OpGetChildren2:
		return &PathWatch{}
	case OpSetData:
		return &SetDataRequest{}
	case OpGetACL, OpSync, OpGetAllChildrenNumber, OpGetEphemerals:
		return &PathOnly{}
	case OpSetACL:
		return &SetACLRequest{}
	case OpMulti, OpMultiRead:
		return &MultiRequest{Read: op == OpMultiRead}
	case OpAddWatch:
		return &AddWatchRequest{}
	case OpRemoveWatches, OpCheckWatches:
		return &PathType{}
	case OpSetWatches:
		return &SetWatches{}
	case OpSetWatches2:
		return &SetWatches{Two: true}
	case OpAuth:
		return &AuthPacket{}
	case OpPing, OpCloseSession, OpWhoAmI:
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
	Type int32
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
		case OpCreate, OpCreate2, OpCreateContainer:
			rec = &CreateRequest{}
		case OpCreateTTL:
			rec = &CreateTTLRequest{}
		case OpDelete, OpCheck:
			rec = &PathVersion{}
		case OpSetData:
			rec = &SetDataRequest{}
		case OpGetData, OpGetChildren:
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
	Type int32 // OpError for a failed op
	Err  int32
	Rec  Record
}

// MultiResponse is multi's (and multiRead's) reply.
type MultiResponse struct{ Results []MultiResult }

// Encode writes the record in jute order.
func (r *MultiResponse) Encode(e *Encoder) {
	for _, res := range r.Results {
		(&MultiHeader{Type: res.Type, Err: res.Err}).Encode(e)
		if res.Type == OpError {
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
		case OpError:
			var er ErrorResult
			er.Decode(d)
			res.Err = er.Err
		case OpCreate:
			res.Rec = &CreateResponse{}
		case OpCreate2, OpCreateContainer, OpCreateTTL:
			res.Rec = &Create2Response{}
		case OpSetData:
			res.Rec = &SetDataResponse{}
		case OpDelete, OpCheck:
		case OpGetData:
			res.Rec = &GetDataResponse{}
		case OpGetChildren:
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
