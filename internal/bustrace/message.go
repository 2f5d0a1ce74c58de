package bustrace

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
)

// TimeLayout is the text line's time of day.
const TimeLayout = "15:04:05.000"

// Message is one bus message, decoded for people.
type Message struct {
	Time    time.Time
	Subject string
	Size    int      // bytes on the bus
	Kind    msg.Kind // the first byte, also when the rest does not decode
	From    msg.Addr
	To      msg.Addr
	// Err is why the message did not decode; Fields is empty then.
	Err error
	// Fields are the body's, in the order they are shown: epoch and zxid
	// first where the kind has them, then the kind's own.
	Fields []Field

	// What the filters look at: every session id and path the message
	// names, proposal entries and multi ops included.
	sessions []int64
	paths    []string
}

// Field is one named value of a message. Value is a string, bool, int64,
// Hex, Obj or List, rendered alike in text and JSON.
type Field struct {
	Key   string
	Value any
}

// Hex is a zxid or session id, shown as ZooKeeper shows them: 0x and
// lower-case hex, a string in JSON too (JSON numbers lose 64-bit ids).
type Hex uint64

// String is 0x and the value in lower-case hex.
func (h Hex) String() string { return "0x" + strconv.FormatUint(uint64(h), 16) }

// Obj is a nested object: a member, a proposal's txn, a multi's op.
type Obj []Field

// List is a list of values.
type List []any

// Decode decodes data, received at t on subject. It never fails: a
// message that does not decode comes back with Err set.
func Decode(t time.Time, subject string, data []byte) Message {
	m := Message{Time: t, Subject: redactToken(subject), Size: len(data)}
	if len(data) > 0 {
		m.Kind = msg.Kind(data[0])
	}
	env, err := buswire.Decode(data)
	if err != nil {
		m.Err = err
		return m
	}
	m.From, m.To = env.From, env.To
	b := &builder{}
	describe(b, env.Body)
	m.Fields, m.sessions, m.paths = b.fields, b.sessions, b.paths
	return m
}

// tokenShown is how much of a connection token a subject keeps: enough to
// tell a trace's connections apart, far too little to read their replies.
const tokenShown = 6

// redactToken cuts the connection token out of a client connection's
// request subject (pdk.<ens>.req.<id>.<token>) and inbox (_PDK.<token>...):
// whoever knows it may read that connection's replies, and traces get
// pasted into tickets.
func redactToken(subject string) string {
	parts := strings.Split(subject, ".")
	i := -1
	switch {
	case len(parts) == 5 && parts[0] == "pdk" && parts[2] == "req":
		i = 4
	case len(parts) >= 2 && parts[0] == "_PDK" && parts[1] != "_zkwire":
		i = 1
	}
	if i < 0 || len(parts[i]) <= tokenShown {
		return subject
	}
	parts[i] = parts[i][:tokenShown] + "~"
	return strings.Join(parts, ".")
}

// endpoint names an actor address, "client" for the zero address a
// client's requests come from and its replies and events go to.
func endpoint(a msg.Addr) string {
	switch {
	case a == (msg.Addr{}):
		return "client"
	case a.Role == msg.RoleNone:
		return fmt.Sprintf("%d.bus", a.Node) // the bus's own news (PeerDown, PeerUp)
	}
	return a.String()
}

// Text is the message as one line: time, from -> to, kind, fields.
func (m *Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Time.Format(TimeLayout))
	if m.Err != nil {
		fmt.Fprintf(&b, " undecodable %s on %s (%d bytes): %v", m.Kind, m.Subject, m.Size, m.Err)
		return b.String()
	}
	b.WriteByte(' ')
	b.WriteString(endpoint(m.From))
	b.WriteString(" -> ")
	b.WriteString(endpoint(m.To))
	b.WriteByte(' ')
	b.WriteString(m.Kind.String())
	for _, f := range m.Fields {
		b.WriteByte(' ')
		writeField(&b, f)
	}
	return b.String()
}

func writeField(b *strings.Builder, f Field) {
	b.WriteString(f.Key)
	b.WriteByte('=')
	writeValue(b, f.Value)
}

func writeValue(b *strings.Builder, v any) {
	switch v := v.(type) {
	case string:
		b.WriteString(quoteIfNeeded(v))
	case Obj:
		b.WriteByte('{')
		for i, f := range v {
			if i > 0 {
				b.WriteByte(' ')
			}
			writeField(b, f)
		}
		b.WriteByte('}')
	case List:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(' ')
			}
			writeValue(b, e)
		}
		b.WriteByte(']')
	default:
		fmt.Fprint(b, v)
	}
}

// quoteIfNeeded keeps paths and names bare, and quotes what would make
// the line ambiguous (spaces, brackets, '=', quotes, control characters)
// or vanish (the empty string).
func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t=\"{}[]") {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// JSON is the message as one JSON object, without a newline: time,
// subject, bytes, from, to, kind, then the same fields as Text; for an
// undecodable message time, subject, bytes, kind and error.
func (m *Message) JSON() []byte {
	b := []byte{'{'}
	b = appendKey(b, "time", true)
	b = appendJSON(b, m.Time.Format(time.RFC3339Nano))
	b = appendKey(b, "subject", false)
	b = appendJSON(b, m.Subject)
	b = appendKey(b, "bytes", false)
	b = strconv.AppendInt(b, int64(m.Size), 10)
	if m.Err != nil {
		b = appendKey(b, "kind", false)
		b = appendJSON(b, m.Kind.String())
		b = appendKey(b, "error", false)
		b = appendJSON(b, m.Err.Error())
		return append(b, '}')
	}
	b = appendKey(b, "from", false)
	b = appendJSON(b, endpoint(m.From))
	b = appendKey(b, "to", false)
	b = appendJSON(b, endpoint(m.To))
	b = appendKey(b, "kind", false)
	b = appendJSON(b, m.Kind.String())
	for _, f := range m.Fields {
		b = appendKey(b, f.Key, false)
		b = appendValue(b, f.Value)
	}
	return append(b, '}')
}

func appendKey(b []byte, k string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = appendJSON(b, k)
	return append(b, ':')
}

func appendJSON(b []byte, v any) []byte {
	j, err := json.Marshal(v)
	if err != nil { // only strings, numbers and bools come here
		panic(fmt.Sprintf("bustrace: marshal %T: %v", v, err))
	}
	return append(b, j...)
}

func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case Hex:
		return appendJSON(b, v.String())
	case Obj:
		b = append(b, '{')
		for i, f := range v {
			b = appendKey(b, f.Key, i == 0)
			b = appendValue(b, f.Value)
		}
		return append(b, '}')
	case List:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, e)
		}
		return append(b, ']')
	default:
		return appendJSON(b, v)
	}
}
