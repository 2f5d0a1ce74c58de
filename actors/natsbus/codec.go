package natsbus

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/paddock-zk/paddock/actors/msg"
)

// ErrBadMessage wraps every decode failure.
var ErrBadMessage = errors.New("natsbus: bad message")

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
		return nil, fmt.Errorf("natsbus: encode: kind %s does not match body %T", env.Kind, env.Body)
	}
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	e.buf.Reset()
	e.buf.WriteByte(byte(env.Kind))
	if err := e.enc.Encode(&header{FromNode: env.From.Node, FromRole: env.From.Role, ToNode: env.To.Node, ToRole: env.To.Role}); err != nil {
		return nil, fmt.Errorf("natsbus: encode header: %w", err)
	}
	if err := e.enc.Encode(env.Body); err != nil {
		return nil, fmt.Errorf("natsbus: encode %s: %w", env.Kind, err)
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
