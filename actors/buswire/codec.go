package buswire

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/paddock-zk/paddock/actors/msg"
)

// ErrBadMessage wraps every decode failure.
var ErrBadMessage = errors.New("buswire: bad message")

type header struct {
	_msgpack struct{} `msgpack:",as_array"`
	FromNode msg.NodeID
	FromRole msg.Role
	ToNode   msg.NodeID
	ToRole   msg.Role
}

type encoder struct {
	buf bytes.Buffer
	enc *msgpack.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = msgpack.NewEncoder(&e.buf)
	return e
}}

// Encode turns an envelope into bytes.
func Encode(env msg.Envelope) ([]byte, error) {
	if env.Body == nil || !env.Kind.Valid() || env.Body.Kind() != env.Kind {
		return nil, fmt.Errorf("buswire: encode: kind %s does not match body %T", env.Kind, env.Body)
	}
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	e.buf.Reset()
	e.buf.WriteByte(byte(env.Kind))
	if err := e.enc.Encode(&header{FromNode: env.From.Node, FromRole: env.From.Role, ToNode: env.To.Node, ToRole: env.To.Role}); err != nil {
		return nil, fmt.Errorf("buswire: encode header: %w", err)
	}
	if err := e.enc.Encode(env.Body); err != nil {
		return nil, fmt.Errorf("buswire: encode %s: %w", env.Kind, err)
	}
	return bytes.Clone(e.buf.Bytes()), nil
}

// Decode turns bytes into an envelope.
func Decode(b []byte) (env msg.Envelope, err error) {
	if len(b) == 0 {
		return env, fmt.Errorf("%w: empty", ErrBadMessage)
	}
	kind := msg.Kind(b[0])
	body, err := msg.NewBody(kind)
	if err != nil {
		return env, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	// msgpack v5.4.1 allocates whatever length an array header claims
	// (its alloc limit check is inverted), so a 20-byte frame could ask for
	// gigabytes: bound every length by the bytes that remain first.
	if err := checkLengths(b[1:], 2); err != nil {
		return env, fmt.Errorf("%w: %s: %v", ErrBadMessage, kind, err)
	}
	r := bytes.NewReader(b[1:])
	dec := msgpack.NewDecoder(r)
	var h header
	if err := dec.Decode(&h); err != nil {
		return env, fmt.Errorf("%w: %s header: %v", ErrBadMessage, kind, err)
	}
	if err := dec.Decode(body); err != nil {
		return env, fmt.Errorf("%w: %s body: %v", ErrBadMessage, kind, err)
	}
	if r.Len() != 0 {
		return env, fmt.Errorf("%w: %s: %d trailing bytes", ErrBadMessage, kind, r.Len())
	}
	return msg.Envelope{
		From: msg.Addr{Node: h.FromNode, Role: h.FromRole},
		To:   msg.Addr{Node: h.ToNode, Role: h.ToRole},
		Kind: kind, Body: body,
	}, nil
}

// checkLengths walks want msgpack values in b without decoding them and
// fails if any str, bin, ext, array or map claims more than the bytes left
// (every array element and map entry takes at least one byte), so decoding
// allocates O(len(b)).
func checkLengths(b []byte, want int) error {
	i := 0
	next := func(n int) (uint64, error) {
		if n > len(b)-i {
			return 0, errors.New("truncated")
		}
		var v uint64
		for _, c := range b[i : i+n] {
			v = v<<8 | uint64(c)
		}
		i += n
		return v, nil
	}
	for want > 0 {
		if want > len(b)-i {
			return fmt.Errorf("%d values claimed, %d bytes left", want, len(b)-i)
		}
		want--
		c := b[i]
		i++
		var skip, items uint64
		var err error
		switch {
		case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		case c >= 0x80 && c <= 0x8f:
			items = 2 * uint64(c&0x0f)
		case c >= 0x90 && c <= 0x9f:
			items = uint64(c & 0x0f)
		case c >= 0xa0 && c <= 0xbf:
			skip = uint64(c & 0x1f)
		case c == 0xc4 || c == 0xd9:
			skip, err = next(1)
		case c == 0xc5 || c == 0xda:
			skip, err = next(2)
		case c == 0xc6 || c == 0xdb:
			skip, err = next(4)
		case c == 0xc7, c == 0xc8, c == 0xc9:
			skip, err = next(1 << (c - 0xc7))
			skip++ // the ext type byte
		case c == 0xca:
			skip = 4
		case c == 0xcb:
			skip = 8
		case c >= 0xcc && c <= 0xcf:
			skip = 1 << (c - 0xcc)
		case c >= 0xd0 && c <= 0xd3:
			skip = 1 << (c - 0xd0)
		case c >= 0xd4 && c <= 0xd8:
			skip = 1 + 1<<(c-0xd4)
		case c == 0xdc:
			items, err = next(2)
		case c == 0xdd:
			items, err = next(4)
		case c == 0xde:
			items, err = next(2)
			items *= 2
		case c == 0xdf:
			items, err = next(4)
			items *= 2
		default:
			return fmt.Errorf("invalid msgpack byte %#x at %d", c, i-1)
		}
		if err != nil {
			return err
		}
		if skip > uint64(len(b)-i) || items > uint64(len(b)-i) {
			return fmt.Errorf("length at %d exceeds the %d bytes left", i, len(b)-i)
		}
		i += int(skip)
		want += int(items)
	}
	return nil
}
