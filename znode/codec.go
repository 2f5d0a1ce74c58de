package znode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paddock-zk/paddock/zk"
)

// Txn encoding for the transaction log: a format byte, then the body.
// Integers are varints (zig-zag for signed), strings are
// uvarint-length-prefixed, and znode data is a uvarint of 0 for null or
// length+1 followed by the bytes, so null and zero-length data stay
// apart, as in ZooKeeper's jute (-1 and 0). The encoding is canonical:
// the decoder refuses anything the encoder would not produce (non-minimal
// varints, out-of-range int32s, trailing bytes), so Encode(Decode(b)) == b
// for every accepted b of the current format.
//
// Format 1, written before null and empty data were told apart, prefixed
// data with its plain length. Its records are still read, and their
// zero-length data reads as null: that is what the code that wrote them
// kept (the bus dropped an empty slice and the tree stored it as nil)
// and showed every reader, and what their digests were computed over.
// The one exception is data for ZooKeeper's built-in nodes ("/",
// "/zookeeper", "/zookeeper/quota", "/zookeeper/config"), which reads as
// empty: the tree now makes them empty, as ZooKeeper does, and format 1
// snapshots load them so too (snapshot.go), so a replica that replays a
// format 1 setData of "/" agrees with one that loads it from a snapshot.
// Nothing writes format 1 any more; a format 1 record re-encodes as the
// current format. The old code cannot read format 2 (records or
// snapshots), and replicas exchange both as bytes, so an ensemble moves
// to this code as a whole, not one node at a time.

// TxnFormat is the format byte written first by EncodeTxn and EncodeRecord.
const TxnFormat byte = 2

// txnFormat1 is the read-only format without null data.
const txnFormat1 byte = 1

// ErrBadTxn is wrapped by every decoding error.
var ErrBadTxn = errors.New("znode: malformed txn encoding")

// EncodeTxn encodes txn (which must be one of this package's Txn types).
func EncodeTxn(txn Txn) []byte { return AppendTxn(nil, txn) }

// AppendTxn appends EncodeTxn(txn) to dst.
func AppendTxn(dst []byte, txn Txn) []byte {
	return appendBody(append(dst, TxnFormat), txn)
}

// EncodeRecord encodes a log record: header and txn.
func EncodeRecord(hdr TxnHeader, txn Txn) []byte { return AppendRecord(nil, hdr, txn) }

// AppendRecord appends EncodeRecord(hdr, txn) to dst.
func AppendRecord(dst []byte, hdr TxnHeader, txn Txn) []byte {
	dst = append(dst, TxnFormat)
	dst = binary.AppendVarint(dst, hdr.Session)
	dst = binary.AppendVarint(dst, int64(hdr.Cxid))
	dst = binary.AppendVarint(dst, hdr.Zxid)
	dst = binary.AppendVarint(dst, hdr.Time)
	dst = binary.AppendVarint(dst, int64(hdr.Type))
	return appendBody(dst, txn)
}

func appendString(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// appendData writes znode data: 0 for null, else length+1 and the bytes.
func appendData(dst, data []byte) []byte {
	if data == nil {
		return append(dst, 0)
	}
	return append(binary.AppendUvarint(dst, uint64(len(data))+1), data...)
}

func appendACL(dst []byte, acl []zk.ACL) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(acl)))
	for _, a := range acl {
		dst = binary.AppendVarint(dst, int64(a.Perms))
		dst = appendString(dst, a.Scheme)
		dst = appendString(dst, a.ID.ID)
	}
	return dst
}

func appendBody(dst []byte, txn Txn) []byte {
	if txn == nil {
		panic("znode: encoding a nil txn")
	}
	dst = binary.AppendVarint(dst, int64(txn.TxnOp()))
	switch t := txn.(type) {
	case CreateTxn:
		dst = appendString(dst, t.Path)
		dst = appendData(dst, t.Data)
		dst = appendACL(dst, t.ACL)
		dst = binary.AppendVarint(dst, t.EphemeralOwner)
		dst = binary.AppendVarint(dst, int64(t.ParentCVersion))
	case DeleteTxn:
		dst = appendString(dst, t.Path)
	case SetDataTxn:
		dst = appendString(dst, t.Path)
		dst = appendData(dst, t.Data)
		dst = binary.AppendVarint(dst, int64(t.Version))
	case SetACLTxn:
		dst = appendString(dst, t.Path)
		dst = appendACL(dst, t.ACL)
		dst = binary.AppendVarint(dst, int64(t.Version))
	case CheckTxn:
		dst = appendString(dst, t.Path)
		dst = binary.AppendVarint(dst, int64(t.Version))
	case CreateSessionTxn:
		dst = binary.AppendVarint(dst, int64(t.Timeout))
	case CloseSessionTxn:
		dst = binary.AppendUvarint(dst, uint64(len(t.Paths)))
		for _, p := range t.Paths {
			dst = appendString(dst, p)
		}
	case ErrorTxn:
		dst = binary.AppendVarint(dst, int64(t.Err))
	case MultiTxn:
		dst = binary.AppendUvarint(dst, uint64(len(t.Ops)))
		for _, op := range t.Ops {
			dst = appendBody(dst, op)
		}
	default:
		panic(fmt.Sprintf("znode: encoding unknown txn type %T", txn))
	}
	return dst
}

// DecodeTxn decodes EncodeTxn's output, and format 1 txns. Data slices
// are copied, so b may be reused.
func DecodeTxn(b []byte) (Txn, error) {
	d := decoder{b: b}
	d.format()
	txn := d.body(0)
	return txn, d.finish()
}

// DecodeRecord decodes EncodeRecord's output, and format 1 records.
func DecodeRecord(b []byte) (TxnHeader, Txn, error) {
	d := decoder{b: b}
	d.format()
	var h TxnHeader
	h.Session = d.varint()
	h.Cxid = d.int32()
	h.Zxid = d.varint()
	h.Time = d.varint()
	h.Type = zk.OpCode(d.int32())
	txn := d.body(0)
	if err := d.finish(); err != nil {
		return TxnHeader{}, nil, err
	}
	return h, txn, nil
}

type decoder struct {
	b   []byte
	off int
	err error
	v1  bool // format 1: data without null
}

func (d *decoder) format() {
	switch f := d.byte(); {
	case d.err != nil:
	case f == txnFormat1:
		d.v1 = true
	case f != TxnFormat:
		d.fail("format byte %d", f)
	}
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: at byte %d: %s", ErrBadTxn, d.off, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) finish() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d trailing bytes", len(d.b)-d.off)
	}
	return d.err
}

func (d *decoder) byte() byte {
	if d.err != nil || d.off >= len(d.b) {
		d.fail("truncated")
		return 0
	}
	c := d.b[d.off]
	d.off++
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	if n != uvarintLen(v) {
		d.fail("non-minimal varint")
		return 0
	}
	d.off += n
	return v
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1) // zig-zag, as binary.Varint
}

func (d *decoder) int32() int32 {
	v := d.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("int32 out of range")
		return 0
	}
	return int32(v)
}

// count reads a length that must fit in the remaining bytes, each element
// taking at least size bytes: a corrupt length cannot make us allocate.
func (d *decoder) count(size int) int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)-d.off)/uint64(size) {
		d.fail("length %d exceeds input", n)
		return 0
	}
	return int(n)
}

// data reads path's znode data written by appendData (or format 1's
// plain length, whose 0 is null but on the built-in nodes).
func (d *decoder) data(path string) []byte {
	if d.v1 {
		n := d.count(1)
		if d.err != nil || n == 0 && !isSpecialPath(path) {
			return nil
		}
		return d.take(n)
	}
	u := d.uvarint()
	if d.err != nil || u == 0 {
		return nil
	}
	if u-1 > uint64(len(d.b)-d.off) {
		d.fail("length %d exceeds input", u-1)
		return nil
	}
	return d.take(int(u - 1))
}

// take copies the next n bytes, which the caller checked are there:
// never nil, so a zero-length value stays zero-length.
func (d *decoder) take(n int) []byte {
	out := make([]byte, n)
	copy(out, d.b[d.off:])
	d.off += n
	return out
}

func (d *decoder) string() string {
	n := d.count(1)
	if d.err != nil {
		return ""
	}
	s := string(d.b[d.off : d.off+n])
	d.off += n
	return s
}

func (d *decoder) acl() []zk.ACL {
	n := d.count(3)
	if d.err != nil || n == 0 {
		return nil
	}
	out := make([]zk.ACL, n)
	for i := range out {
		out[i].Perms = d.int32()
		out[i].Scheme = d.string()
		out[i].ID.ID = d.string()
	}
	return out
}

func (d *decoder) body(depth int) Txn {
	op := zk.OpCode(d.int32())
	if d.err != nil {
		return nil
	}
	switch op {
	case zk.OpCreate:
		var t CreateTxn
		t.Path = d.string()
		t.Data = d.data(t.Path)
		t.ACL = d.acl()
		t.EphemeralOwner = d.varint()
		t.ParentCVersion = d.int32()
		return t
	case zk.OpDelete:
		return DeleteTxn{Path: d.string()}
	case zk.OpSetData:
		var t SetDataTxn
		t.Path = d.string()
		t.Data = d.data(t.Path)
		t.Version = d.int32()
		return t
	case zk.OpSetACL:
		var t SetACLTxn
		t.Path = d.string()
		t.ACL = d.acl()
		t.Version = d.int32()
		return t
	case zk.OpCheck:
		var t CheckTxn
		t.Path = d.string()
		t.Version = d.int32()
		return t
	case zk.OpCreateSession:
		return CreateSessionTxn{Timeout: d.int32()}
	case zk.OpCloseSession:
		n := d.count(1)
		var t CloseSessionTxn
		if n > 0 {
			t.Paths = make([]string, n)
			for i := range t.Paths {
				t.Paths[i] = d.string()
			}
		}
		return t
	case zk.OpError:
		return ErrorTxn{Err: zk.Code(d.int32())}
	case zk.OpMulti:
		if depth > 0 {
			d.fail("nested multi")
			return nil
		}
		n := d.count(2)
		var t MultiTxn
		if n > 0 {
			t.Ops = make([]Txn, n)
			for i := range t.Ops {
				t.Ops[i] = d.body(depth + 1)
			}
		}
		return t
	}
	d.fail("unknown txn type %d", op)
	return nil
}
