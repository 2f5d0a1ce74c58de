package zkdata

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/adler32"
	"io"

	"github.com/paddock-zk/paddock/zk"
)

// Errors. Every error about the content of a file wraps one of them.
var (
	// ErrCorrupt: a checksum failed or a record does not parse.
	ErrCorrupt = errors.New("zkdata: corrupt")
	// ErrTruncated: a file ends before the structure it holds does.
	ErrTruncated = errors.New("zkdata: truncated")
	// ErrUnsupported: the data is of a form this package does not read.
	ErrUnsupported = errors.New("zkdata: unsupported")
	// ErrNoData: the directory holds no snapshot and no log.
	ErrNoData = errors.New("zkdata: no ZooKeeper data")
)

// maxLen bounds one buffer or string, so a damaged length never makes
// the reader allocate gigabytes. ZooKeeper's own bound is jute.maxbuffer
// (1 MiB by default) plus 1 KiB; an operator may have raised it.
const maxLen = 64 << 20

// stream reads jute values (big-endian, length-prefixed) from a file,
// keeping the Adler32 of every byte consumed, as the CheckedInputStream
// under ZooKeeper's BinaryInputArchive does. The first error sticks.
type stream struct {
	r   *bufio.Reader
	sum hash.Hash32
	off int64 // bytes consumed
	err error
}

func newStream(r io.Reader) *stream {
	return &stream{r: bufio.NewReaderSize(r, 256<<10), sum: adler32.New()}
}

func (s *stream) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

func (s *stream) full(n int) []byte {
	if s.err != nil {
		return nil
	}
	b := make([]byte, n)
	k, err := io.ReadFull(s.r, b)
	s.sum.Write(b[:k])
	s.off += int64(k)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: file ends at byte %d, inside a record", ErrTruncated, s.off)
		}
		s.fail(err)
		return nil
	}
	return b
}

func (s *stream) int32() int32 {
	b := s.full(4)
	if b == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(b))
}

func (s *stream) int64() int64 {
	b := s.full(8)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

// buffer reads a jute buffer; length -1 is null (nil).
func (s *stream) buffer() []byte {
	at := s.off
	n := s.int32()
	switch {
	case s.err != nil:
		return nil
	case n == -1:
		return nil
	case n < -1 || n > maxLen:
		s.fail(fmt.Errorf("%w: length %d at byte %d", ErrCorrupt, n, at))
		return nil
	case n == 0:
		return []byte{}
	}
	return s.full(int(n))
}

// str reads a jute ustring; null reads as "" with null set.
func (s *stream) str() (v string, null bool) {
	b := s.buffer()
	return string(b), b == nil && s.err == nil
}

// checksum is the Adler32 of everything consumed so far.
func (s *stream) checksum() uint32 { return s.sum.Sum32() }

// dec reads jute values from a byte slice (a log record), failing with
// ErrCorrupt on a short read: the record's length and checksum already
// held, so a short record is damage, not a torn write.
type dec struct {
	b   []byte
	err error
}

func (d *dec) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.err = fmt.Errorf("%w: record too short", ErrCorrupt)
		return nil
	}
	b := d.b[:n]
	d.b = d.b[n:]
	return b
}

func (d *dec) int32() int32 {
	if b := d.take(4); b != nil {
		return int32(binary.BigEndian.Uint32(b))
	}
	return 0
}

func (d *dec) int64() int64 {
	if b := d.take(8); b != nil {
		return int64(binary.BigEndian.Uint64(b))
	}
	return 0
}

func (d *dec) bool() bool {
	b := d.take(1)
	return b != nil && b[0] != 0
}

func (d *dec) buffer() []byte {
	n := d.int32()
	switch {
	case d.err != nil, n == -1:
		return nil
	case n < -1 || n > maxLen:
		d.err = fmt.Errorf("%w: length %d in a record", ErrCorrupt, n)
		return nil
	}
	b := d.take(int(n))
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func (d *dec) str() string { return string(d.buffer()) }

func (d *dec) strings() []string {
	n := d.int32()
	if d.err != nil || n == -1 {
		return nil
	}
	if n < 0 || int(n) > len(d.b)/4 {
		d.err = fmt.Errorf("%w: vector of %d in a record", ErrCorrupt, n)
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

// acls reads a vector<ACL>; null (-1) is nil, which DataTree turns into
// OPEN_ACL_UNSAFE.
func (d *dec) acls() []zk.ACL {
	n := d.int32()
	if d.err != nil || n == -1 {
		return nil
	}
	if n < 0 || int(n) > len(d.b)/12 {
		d.err = fmt.Errorf("%w: ACL vector of %d in a record", ErrCorrupt, n)
		return nil
	}
	out := make([]zk.ACL, n)
	for i := range out {
		out[i].Perms = d.int32()
		out[i].Scheme = d.str()
		out[i].ID.ID = d.str()
	}
	return out
}
