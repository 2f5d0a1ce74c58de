package jute

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/paddock-zk/paddock/zk"
)

// Errors of the decoder. Every failure wraps ErrMalformed.
var (
	ErrMalformed = errors.New("jute: malformed record")
	errShort     = fmt.Errorf("%w: truncated", ErrMalformed)
	errLength    = fmt.Errorf("%w: length out of range", ErrMalformed)
	errTrailing  = fmt.Errorf("%w: trailing bytes", ErrMalformed)
)

// Record is one jute record.
type Record interface {
	Encode(e *Encoder)
	Decode(d *Decoder)
}

// Encoder appends jute values to a buffer.
type Encoder struct{ B []byte }

// Int appends a big-endian int.
func (e *Encoder) Int(v int32) { e.B = binary.BigEndian.AppendUint32(e.B, uint32(v)) }

// Long appends a big-endian long.
func (e *Encoder) Long(v int64) { e.B = binary.BigEndian.AppendUint64(e.B, uint64(v)) }

// Bool appends a boolean byte.
func (e *Encoder) Bool(v bool) {
	if v {
		e.B = append(e.B, 1)
	} else {
		e.B = append(e.B, 0)
	}
}

// Buffer appends a length-prefixed buffer; nil is written as length -1.
func (e *Encoder) Buffer(b []byte) {
	if b == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(b)))
	e.B = append(e.B, b...)
}

// String appends a length-prefixed string (ZooKeeper writes no null
// strings on the paths clients read, so an empty one is length 0).
func (e *Encoder) String(s string) {
	e.Int(int32(len(s)))
	e.B = append(e.B, s...)
}

// Strings appends a vector of strings; nil is written as -1.
func (e *Encoder) Strings(v []string) {
	if v == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(v)))
	for _, s := range v {
		e.String(s)
	}
}

// Record appends r.
func (e *Encoder) Record(r Record) { r.Encode(e) }

// Stat appends a Stat record (data.Stat's fields in .jute order).
func (e *Encoder) Stat(s *zk.Stat) {
	e.Long(s.Czxid)
	e.Long(s.Mzxid)
	e.Long(s.Ctime)
	e.Long(s.Mtime)
	e.Int(s.Version)
	e.Int(s.Cversion)
	e.Int(s.Aversion)
	e.Long(s.EphemeralOwner)
	e.Int(s.DataLength)
	e.Int(s.NumChildren)
	e.Long(s.Pzxid)
}

// ACLs appends a vector of ACL records (perms, then the Id's scheme and
// id); nil is written as -1.
func (e *Encoder) ACLs(v []zk.ACL) {
	if v == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(v)))
	for _, a := range v {
		e.Int(a.Perms)
		e.String(a.Scheme)
		e.String(a.ID.ID)
	}
}

// Decoder reads jute values from a buffer. The first error sticks: later
// reads return zero values, so a record's Decode needs no error checks.
// It never reads past its buffer and never allocates more than the bytes
// that remain could hold.
type Decoder struct {
	b   []byte
	err error
}

// NewDecoder reads b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Err is the first error met.
func (d *Decoder) Err() error { return d.err }

// Len is the number of bytes not read yet.
func (d *Decoder) Len() int { return len(d.b) }

// Fail records err unless an error is already recorded.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
		d.b = nil
	}
}

func (d *Decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.Fail(errShort)
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

// Int reads a big-endian int.
func (d *Decoder) Int() int32 {
	p := d.take(4)
	if p == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(p))
}

// Long reads a big-endian long.
func (d *Decoder) Long() int64 {
	p := d.take(8)
	if p == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(p))
}

// Bool reads a boolean byte (any non-zero byte is true, as in Java).
func (d *Decoder) Bool() bool {
	p := d.take(1)
	return p != nil && p[0] != 0
}

// length reads a length prefix: -1 is null (ok false), anything else must
// fit in the remaining bytes at minSize bytes per element.
func (d *Decoder) length(minSize int) (int, bool) {
	n := d.Int()
	if d.err != nil || n == -1 {
		return 0, false
	}
	if n < 0 || int64(n)*int64(minSize) > int64(len(d.b)) {
		d.Fail(errLength)
		return 0, false
	}
	return int(n), true
}

// Buffer reads a length-prefixed buffer into a new slice; -1 is nil.
func (d *Decoder) Buffer() []byte {
	n, ok := d.length(1)
	if !ok {
		return nil
	}
	p := d.take(n)
	if p == nil {
		return nil
	}
	return append(make([]byte, 0, n), p...)
}

// String reads a length-prefixed string; -1 reads as "".
func (d *Decoder) String() string {
	n, ok := d.length(1)
	if !ok {
		return ""
	}
	return string(d.take(n))
}

// Strings reads a vector of strings; -1 is nil.
func (d *Decoder) Strings() []string {
	n, ok := d.length(4)
	if !ok {
		return nil
	}
	v := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		v = append(v, d.String())
	}
	return v
}

// VectorLen reads the length of a vector whose elements take at least minSize
// bytes each; -1 (null) reads as 0 with null true.
func (d *Decoder) VectorLen(minSize int) (n int, null bool) {
	n, ok := d.length(minSize)
	return n, !ok && d.err == nil
}

// Stat reads a Stat record.
func (d *Decoder) Stat() zk.Stat {
	return zk.Stat{
		Czxid:          d.Long(),
		Mzxid:          d.Long(),
		Ctime:          d.Long(),
		Mtime:          d.Long(),
		Version:        d.Int(),
		Cversion:       d.Int(),
		Aversion:       d.Int(),
		EphemeralOwner: d.Long(),
		DataLength:     d.Int(),
		NumChildren:    d.Int(),
		Pzxid:          d.Long(),
	}
}

// ACLs reads a vector of ACL records; -1 is nil.
func (d *Decoder) ACLs() []zk.ACL {
	n, null := d.VectorLen(12)
	if null || d.Err() != nil {
		return nil
	}
	v := make([]zk.ACL, n)
	for i := range v {
		v[i].Perms = d.Int()
		v[i].Scheme = d.String()
		v[i].ID.ID = d.String()
	}
	return v
}

// Encode appends r to buf.
func Encode(buf []byte, r Record) []byte {
	e := Encoder{B: buf}
	r.Encode(&e)
	return e.B
}

// Decode reads r from exactly b: trailing bytes are an error.
func Decode(b []byte, r Record) error {
	d := NewDecoder(b)
	r.Decode(d)
	if d.err == nil && len(d.b) > 0 {
		return errTrailing
	}
	return d.err
}

// DecodePrefix reads r from the start of b and returns the bytes after it.
func DecodePrefix(b []byte, r Record) ([]byte, error) {
	d := NewDecoder(b)
	r.Decode(d)
	return d.b, d.err
}
