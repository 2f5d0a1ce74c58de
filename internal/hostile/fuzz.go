package hostile

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"math/rand"
	"net"
	"time"

	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// defaultMaxBuffer is jute.maxbuffer's default, a length the fuzzer's
// lying prefixes straddle.
const defaultMaxBuffer = 1 << 20

// Fuzzer builds hostile client traffic: well-formed frames of every
// opcode (encoded with package jute) and their mutations. It is
// deterministic for a seed, one per connection.
type Fuzzer struct {
	r *rand.Rand
}

// NewFuzzer is a fuzzer drawing from seed.
func NewFuzzer(seed int64) *Fuzzer { return &Fuzzer{r: rand.New(rand.NewSource(seed))} }

// Paths the fuzzer aims at: never a well-behaved client's /good.
var fuzzPaths = []string{"/", "/fz", "/fz/a", "/fz/a/b", "/fz/s-", "/zookeeper", "/zookeeper/config", "", "fz", "/fz/", "//", "/fz/./a", "/fz/\x00", "/fz/\u00e9", "/missing/child"}

// The opcodes of zookeeper.jute, the special ones and some nobody knows.
var fuzzOps = []zk.OpCode{
	zk.OpCreate, zk.OpDelete, zk.OpExists, zk.OpGetData, zk.OpSetData, zk.OpGetACL, zk.OpSetACL,
	zk.OpGetChildren, zk.OpSync, zk.OpPing, zk.OpGetChildren2, zk.OpCheck, zk.OpMulti, zk.OpCreate2,
	zk.OpReconfig, zk.OpCheckWatches, zk.OpRemoveWatches, zk.OpCreateContainer, zk.OpDeleteContainer,
	zk.OpCreateTTL, zk.OpMultiRead, zk.OpAuth, zk.OpSetWatches, zk.OpSasl, zk.OpGetEphemerals,
	zk.OpGetAllChildrenNumber, zk.OpSetWatches2, zk.OpAddWatch, zk.OpWhoAmI, zk.OpCreateSession,
	zk.OpCloseSession, zk.OpError, zk.OpNotification, 10, 23, 99, 108, 1000, math.MaxInt32, math.MinInt32,
}

var fuzzWords = []string{"srvr", "ruok", "stat", "mntr", "conf", "cons", "wchs", "dump", "isro", "envi", "kill", "crst", "srst", "wchc", "wchp",
	"SRVR", "srv\x00", "srvq", "ruo", "rok\n", "\x00srv", "sr", "stat\n", "mntrmntr"}

func (f *Fuzzer) path() string { return fuzzPaths[f.r.Intn(len(fuzzPaths))] }

func (f *Fuzzer) bytes(limit int) []byte {
	if f.r.Intn(8) == 0 {
		return nil
	}
	b := make([]byte, f.r.Intn(limit+1))
	f.r.Read(b)
	return b
}

func (f *Fuzzer) int32() int32 {
	switch f.r.Intn(6) {
	case 0:
		return -1
	case 1:
		return 0
	case 2:
		return math.MaxInt32
	case 3:
		return math.MinInt32
	}
	return int32(f.r.Intn(20)) - 2
}

func (f *Fuzzer) acls() []zk.ACL {
	switch f.r.Intn(5) {
	case 0:
		return nil
	case 1:
		return []zk.ACL{{Perms: f.int32(), ID: zk.ID{Scheme: "digest", ID: "u:" + string(f.bytes(8))}}}
	case 2:
		return []zk.ACL{{Perms: 31, ID: zk.ID{Scheme: string(f.bytes(6)), ID: "anyone"}}}
	}
	return []zk.ACL{{Perms: 31, ID: zk.ID{Scheme: "world", ID: "anyone"}}}
}

func (f *Fuzzer) paths() []string {
	n := f.r.Intn(4)
	if n == 0 && f.r.Intn(2) == 0 {
		return nil
	}
	v := make([]string, n)
	for i := range v {
		v[i] = f.path()
	}
	return v
}

// record is a well-formed record for op (a random one for unknown ops).
func (f *Fuzzer) record(op zk.OpCode, depth int) jute.Record {
	switch op {
	case zk.OpCreate, zk.OpCreate2, zk.OpCreateContainer:
		return &jute.CreateRequest{Path: f.path(), Data: f.bytes(32), ACL: f.acls(), Flags: zk.CreateMode(f.int32())}
	case zk.OpCreateTTL:
		return &jute.CreateTTLRequest{Path: f.path(), Data: f.bytes(32), ACL: f.acls(), Flags: zk.CreateMode(f.int32()), TTL: f.r.Int63n(1e6) - 10}
	case zk.OpDelete, zk.OpCheck, zk.OpDeleteContainer:
		return &jute.PathVersion{Path: f.path(), Version: f.int32()}
	case zk.OpExists, zk.OpGetData, zk.OpGetChildren, zk.OpGetChildren2:
		return &jute.PathWatch{Path: f.path(), Watch: f.r.Intn(2) == 0}
	case zk.OpSetData:
		return &jute.SetDataRequest{Path: f.path(), Data: f.bytes(64), Version: f.int32()}
	case zk.OpGetACL, zk.OpSync, zk.OpGetAllChildrenNumber, zk.OpGetEphemerals:
		return &jute.PathOnly{Path: f.path()}
	case zk.OpSetACL:
		return &jute.SetACLRequest{Path: f.path(), ACL: f.acls(), Version: f.int32()}
	case zk.OpMulti, zk.OpMultiRead:
		m := &jute.MultiRequest{Read: op == zk.OpMultiRead}
		if depth < 2 {
			for i := f.r.Intn(5); i > 0; i-- {
				sub := fuzzOps[f.r.Intn(len(fuzzOps))]
				m.Ops = append(m.Ops, jute.MultiOp{Type: sub, Rec: f.record(sub, depth+1)})
			}
		}
		return m
	case zk.OpAddWatch:
		return &jute.AddWatchRequest{Path: f.path(), Mode: zk.AddWatchMode(f.int32())}
	case zk.OpRemoveWatches, zk.OpCheckWatches:
		return &jute.PathType{Path: f.path(), Type: zk.WatcherType(f.int32())}
	case zk.OpSetWatches, zk.OpSetWatches2:
		return &jute.SetWatches{RelativeZxid: f.r.Int63() - f.r.Int63(), DataWatches: f.paths(), ExistWatches: f.paths(),
			ChildWatches: f.paths(), PersistentWatches: f.paths(), PersistentRecursiveWatches: f.paths(), Two: op == zk.OpSetWatches2}
	case zk.OpAuth:
		schemes := []string{"digest", "world", "ip", "sasl", "", "x"}
		return &jute.AuthPacket{Type: f.int32(), Scheme: schemes[f.r.Intn(len(schemes))], Auth: append([]byte("u:"), f.bytes(8)...)}
	case zk.OpPing, zk.OpCloseSession, zk.OpWhoAmI:
		return jute.Empty{}
	}
	return rawRecord(f.bytes(48))
}

// rawRecord is bytes written as they are.
type rawRecord []byte

func (r rawRecord) Encode(e *jute.Encoder) { e.B = append(e.B, r...) }
func (r rawRecord) Decode(*jute.Decoder)   {}

func (f *Fuzzer) xid(op zk.OpCode, n int32) int32 {
	switch {
	case op == zk.OpPing:
		return jute.XidPing
	case op == zk.OpAuth:
		return jute.XidAuth
	case op == zk.OpSetWatches || op == zk.OpSetWatches2:
		return jute.XidSetWatches
	case f.r.Intn(10) == 0:
		return f.int32()
	}
	return n
}

// request is a well-formed request frame body of a random opcode; it
// rarely closes the session.
func (f *Fuzzer) request(xid int32) []byte {
	op := fuzzOps[f.r.Intn(len(fuzzOps))]
	if op == zk.OpCloseSession && f.r.Intn(4) != 0 {
		op = zk.OpGetData
	}
	return jute.EncodeRequest(nil, jute.RequestHeader{Xid: f.xid(op, xid), Type: op}, f.record(op, 0))
}

func (f *Fuzzer) connectRequest() []byte {
	cr := &jute.ConnectRequest{TimeOut: int32(f.r.Intn(12000)), Passwd: make([]byte, 16), HasReadOnly: f.r.Intn(2) == 0}
	switch f.r.Intn(8) {
	case 0: // re-attach a session that does not exist (or guess one)
		cr.SessionID = f.r.Int63()
		f.r.Read(cr.Passwd)
		cr.LastZxidSeen = f.r.Int63n(1 << 40)
	case 1:
		cr.LastZxidSeen = math.MaxInt64 // ahead of every node: refused
	case 2:
		cr.Passwd = f.bytes(40)
		cr.ProtocolVersion = f.int32()
	case 3:
		cr.TimeOut = f.int32()
	}
	return jute.Encode(nil, cr)
}

// framed is body after its 4-byte length.
func framed(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(body)), uint32(len(body))), body...)
}

func (f *Fuzzer) flip(b []byte, from int) {
	if len(b) <= from {
		return
	}
	for i := 1 + f.r.Intn(8); i > 0; i-- {
		j := from + f.r.Intn(len(b)-from)
		b[j] ^= 1 << f.r.Intn(8)
	}
}

// mutate turns a frame body into bytes on the wire: sent as it is,
// bit-flipped, truncated, with a lying length prefix, garbage, or more.
func (f *Fuzzer) mutate(body []byte) []byte {
	switch f.r.Intn(12) {
	case 0, 1, 2: // well-formed
		return framed(body)
	case 3: // bit flips in the body
		b := framed(bytes.Clone(body))
		f.flip(b, 4)
		return b
	case 4: // bit flips anywhere, the length prefix too
		b := framed(bytes.Clone(body))
		f.flip(b, 0)
		return b
	case 5: // truncated, with a length to match
		return framed(body[:f.r.Intn(len(body)+1)])
	case 6: // truncated, the length still claims the whole
		b := framed(body)
		return b[:4+f.r.Intn(len(body)+1)]
	case 7: // the length lies: zero, negative, huge, one off
		lies := []int64{0, -1, math.MinInt32, defaultMaxBuffer + 1, math.MaxInt32, math.MaxUint32, int64(len(body)) + 1, int64(len(body)) - 1, 1, 3}
		l := lies[f.r.Intn(len(lies))]
		return append(binary.BigEndian.AppendUint32(nil, uint32(l)), body...)
	case 8: // a random opcode with a random body
		b := jute.EncodeRequest(nil, jute.RequestHeader{Xid: int32(f.r.Uint32()), Type: zk.OpCode(f.r.Uint32())}, rawRecord(f.bytes(32)))
		return framed(b)
	case 9: // garbage, unframed
		return f.bytes(64)
	case 10: // well-formed and trailing garbage inside the frame
		return framed(append(bytes.Clone(body), f.bytes(32)...))
	}
	// a frame of random bytes
	return framed(f.bytes(128))
}

// Conn is the traffic of one connection, as a list of at most limit
// writes (each one frame, or a lookalike of one).
func (f *Fuzzer) Conn(limit int) [][]byte {
	var out [][]byte
	switch f.r.Intn(10) {
	case 0: // a four-letter word or a lookalike, maybe with more after it
		w := []byte(fuzzWords[f.r.Intn(len(fuzzWords))])
		if f.r.Intn(3) == 0 {
			f.flip(w, 0)
		}
		out = append(out, w)
		if f.r.Intn(2) == 0 {
			out = append(out, f.bytes(16))
		}
		return out
	case 1: // no valid handshake
		out = append(out, f.mutate(f.connectRequest()))
	default:
		out = append(out, framed(f.connectRequest()))
	}
	n := 1 + f.r.Intn(100)
	if f.r.Intn(20) == 0 {
		n = 1 + f.r.Intn(1000)
	}
	for i := 0; i < n && len(out) < limit; i++ {
		out = append(out, f.mutate(f.request(int32(i+1))))
	}
	return out
}

// Send sends one connection's writes to addr, draining whatever the node
// answers, and closes it. Only a failed dial is an error: the node
// hanging up is its answer to most mutations.
func Send(d Dialer, addr string, writes [][]byte) error {
	c, err := d.Dial(addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	done := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, c); close(done) }()
	// One write for the lot: the node reads a stream either way, and a
	// write per frame would make the attacker, on the node's own machine
	// in a test, cost more CPU than the attack.
	_, _ = c.Write(bytes.Join(writes, nil)) // the node hanging up is expected for most mutations
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	// Give the node a moment to answer what it has, without waiting out
	// its timeouts.
	select {
	case <-done:
	case <-time.After(50 * time.Millisecond):
	}
	return nil
}
