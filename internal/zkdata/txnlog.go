package zkdata

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"os"

	"github.com/paddock-zk/paddock/zk"
)

// LogEnd says how a log file ended.
type LogEnd struct {
	// Torn: the file ends inside a record, or a record lacks its 'B' end
	// byte (a write cut short by a crash). Otherwise it ends at its end
	// or in the zero-filled preallocated tail.
	Torn   bool
	Offset int64 // where the last whole record ends
	Txns   int   // whole records read
}

// ReadLogFile reads a FileTxnLog file: the FileHeader (ZKLG, version 2),
// then records of [long Adler32][int length][TxnHeader and txn][byte 'B'],
// calling fn for each in order. It stops at the end, at a zero length
// (the preallocated tail) or at a torn record, as FileTxnIterator does; a
// record whose checksum fails, or whose length is out of range, is an
// error wrapping ErrCorrupt that names the byte offset. An error from fn
// stops the read and is returned as is.
func ReadLogFile(path string, fn func(h TxnHeader, tx Txn, d TxnDigest) error) (LogEnd, error) {
	var end LogEnd
	f, err := os.Open(path)
	if err != nil {
		return end, fmt.Errorf("zkdata: open log: %w", err)
	}
	defer f.Close()
	s := newStream(f)
	magic, version, _ := s.int32(), s.int32(), s.int64()
	if s.err != nil {
		if errors.Is(s.err, ErrTruncated) {
			// ZooKeeper creates the file and writes the header with the
			// first txn: a crash can leave less than a header.
			end.Torn = true
			return end, nil
		}
		return end, fmt.Errorf("log %s: %w", path, s.err)
	}
	if magic != logMagic {
		return end, fmt.Errorf("%w: log %s: magic %#x is not ZKLG", ErrCorrupt, path, uint32(magic))
	}
	if version != 2 {
		return end, fmt.Errorf("%w: log %s: format version %d (ZooKeeper 3.x writes 2)", ErrUnsupported, path, version)
	}
	end.Offset = s.off
	for {
		at := s.off
		var hdr [12]byte
		n, err := io.ReadFull(s.r, hdr[:])
		s.off += int64(n)
		if err != nil {
			end.Torn = n > 0 && !allZero(hdr[:n])
			return end, nil
		}
		crc := binary.BigEndian.Uint64(hdr[:8])
		size := int32(binary.BigEndian.Uint32(hdr[8:]))
		if size == 0 {
			// Util.readTxnBytes: an empty record is the end of the
			// preallocated file.
			return end, nil
		}
		if size < 0 || size > maxLen {
			return end, fmt.Errorf("%w: log %s: record at byte %d has length %d", ErrCorrupt, path, at, size)
		}
		body := make([]byte, int(size)+1)
		n, err = io.ReadFull(s.r, body)
		s.off += int64(n)
		if err != nil || body[size] != 'B' {
			end.Torn = true
			return end, nil
		}
		body = body[:size]
		if sum := adler32.Checksum(body); uint64(sum) != crc {
			return end, fmt.Errorf("%w: log %s: record at byte %d: Adler32 checksum %#x, file says %#x", ErrCorrupt, path, at, sum, crc)
		}
		h, tx, dg, err := decodeEntry(body)
		if err != nil {
			return end, fmt.Errorf("log %s: record at byte %d: %w", path, at, err)
		}
		if err := fn(h, tx, dg); err != nil {
			return end, err
		}
		end.Offset = s.off
		end.Txns++
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// decodeEntry splits a log record into its TxnHeader, txn and the
// TxnDigest that 3.6+ appends when digests are on (Version 0: none).
func decodeEntry(b []byte) (TxnHeader, Txn, TxnDigest, error) {
	d := &dec{b: b}
	h := TxnHeader{ClientID: d.int64(), Cxid: d.int32(), Zxid: d.int64(), Time: d.int64(), Type: zk.OpCode(d.int32())}
	if d.err != nil {
		return h, Txn{}, TxnDigest{}, d.err
	}
	tx, err := decodeTxn(h.Type, d, false)
	if err != nil {
		return h, tx, TxnDigest{}, fmt.Errorf("zxid %#x: %w", h.Zxid, err)
	}
	var dg TxnDigest
	if len(d.b) >= 12 {
		dg = TxnDigest{Version: d.int32(), Tree: d.int64()}
	}
	return h, tx, dg, nil
}

// TxnDigest is txn.TxnDigest: the leader's digest of the tree after the
// txn. Version 0 means the record carried none.
type TxnDigest struct {
	Version int32
	Tree    int64
}
