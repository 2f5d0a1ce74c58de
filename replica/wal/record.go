package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// On-disk record format; see doc.go.
const (
	logMagic   = "PDKLOG1\n"
	fileHeader = int64(len(logMagic))
	recHeader  = 16
	// maxRecord bounds a record's data so that a flipped length byte can
	// never make recovery allocate gigabytes.
	maxRecord = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recordCRC is the CRC-32C over a record's length, zxid and data.
func recordCRC(hdr []byte, data []byte) uint32 {
	c := crc32.Update(0, castagnoli, hdr[0:4])
	c = crc32.Update(c, castagnoli, hdr[8:16])
	return crc32.Update(c, castagnoli, data)
}

// appendRecord encodes e onto buf, in place (no per-record allocation).
func appendRecord(buf []byte, e Entry) []byte {
	start := len(buf)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(e.Data)))
	buf = binary.LittleEndian.AppendUint32(buf, 0) // CRC, filled in below
	buf = binary.LittleEndian.AppendUint64(buf, e.Zxid)
	buf = append(buf, e.Data...)
	rec := buf[start:]
	binary.LittleEndian.PutUint32(rec[4:8], recordCRC(rec[:recHeader], rec[recHeader:]))
	return buf
}

// recordSize is the encoded size of an entry.
func recordSize(e Entry) int64 { return recHeader + int64(len(e.Data)) }

// errBadRecord is a record that fails validation; the scanner decides
// whether it is a torn tail or corruption.
var errBadRecord = errors.New("bad record")

// recordReader reads records sequentially from a section of a file.
type recordReader struct {
	r    *bufio.Reader
	off  int64 // file offset of the next record
	size int64 // file size
	hdr  [recHeader]byte
}

func newRecordReader(f io.ReaderAt, off, size int64, bufSize int) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(io.NewSectionReader(f, off, size-off), bufSize), off: off, size: size}
}

// next reads the record at rr.off. It returns io.EOF at a clean end of the
// section, errBadRecord (wrapped with the reason) for a record that is
// short, oversized or fails its CRC, or a read error. The record's data is
// freshly allocated.
func (rr *recordReader) next() (Entry, error) {
	rest := rr.size - rr.off
	if rest == 0 {
		return Entry{}, io.EOF
	}
	if rest < recHeader {
		return Entry{}, fmt.Errorf("%w: %d bytes, shorter than a record header", errBadRecord, rest)
	}
	if _, err := io.ReadFull(rr.r, rr.hdr[:]); err != nil {
		return Entry{}, err
	}
	n := int64(binary.LittleEndian.Uint32(rr.hdr[0:4]))
	if n > maxRecord {
		return Entry{}, fmt.Errorf("%w: length %d over the %d limit", errBadRecord, n, maxRecord)
	}
	if recHeader+n > rest {
		return Entry{}, fmt.Errorf("%w: length %d runs past the end of the file", errBadRecord, n)
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(rr.r, data); err != nil {
		return Entry{}, err
	}
	if recordCRC(rr.hdr[:], data) != binary.LittleEndian.Uint32(rr.hdr[4:8]) {
		return Entry{}, fmt.Errorf("%w: checksum mismatch", errBadRecord)
	}
	rr.off += recHeader + n
	return Entry{Zxid: binary.LittleEndian.Uint64(rr.hdr[8:16]), Data: data}, nil
}

// validRecordAfter reports whether b, the bytes of a file after a bad
// record's offset, holds a valid record with zxid > prev at any offset
// past the first. That is what tells corruption from a torn tail: a torn
// write leaves nothing valid behind it.
func validRecordAfter(b []byte, prev uint64) bool {
	for p := 1; p+recHeader <= len(b); p++ {
		h := b[p : p+recHeader]
		n := int(binary.LittleEndian.Uint32(h[0:4]))
		if n > maxRecord || p+recHeader+n > len(b) {
			continue
		}
		if binary.LittleEndian.Uint64(h[8:16]) <= prev {
			continue
		}
		if recordCRC(h, b[p+recHeader:p+recHeader+n]) == binary.LittleEndian.Uint32(h[4:8]) {
			return true
		}
	}
	return false
}
