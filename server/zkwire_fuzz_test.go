package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	pzk "github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

var (
	wireSeed   = flag.Int64("wire.seed", 0, "seed of TestWireMutatedFrames (0: from the clock; the test prints it)")
	wireFrames = flag.Int("wire.frames", 100000, "frames TestWireMutatedFrames sends")
)

// wireFuzzer builds hostile client traffic: well-formed frames of every
// opcode (encoded with package jute) and their mutations. It is
// deterministic for a seed, one per connection.
type wireFuzzer struct {
	r *rand.Rand
}

// Paths the fuzzer aims at: never the well-behaved client's /good.
var fuzzPaths = []string{"/", "/fz", "/fz/a", "/fz/a/b", "/fz/s-", "/zookeeper", "/zookeeper/config", "", "fz", "/fz/", "//", "/fz/./a", "/fz/\x00", "/fz/\u00e9", "/missing/child"}

// The opcodes of zookeeper.jute, the special ones and some nobody knows.
var fuzzOps = []pzk.OpCode{
	pzk.OpCreate, pzk.OpDelete, pzk.OpExists, pzk.OpGetData, pzk.OpSetData, pzk.OpGetACL, pzk.OpSetACL,
	pzk.OpGetChildren, pzk.OpSync, pzk.OpPing, pzk.OpGetChildren2, pzk.OpCheck, pzk.OpMulti, pzk.OpCreate2,
	pzk.OpReconfig, pzk.OpCheckWatches, pzk.OpRemoveWatches, pzk.OpCreateContainer, pzk.OpDeleteContainer,
	pzk.OpCreateTTL, pzk.OpMultiRead, pzk.OpAuth, pzk.OpSetWatches, pzk.OpSasl, pzk.OpGetEphemerals,
	pzk.OpGetAllChildrenNumber, pzk.OpSetWatches2, pzk.OpAddWatch, pzk.OpWhoAmI, pzk.OpCreateSession,
	pzk.OpCloseSession, pzk.OpError, pzk.OpNotification, 10, 23, 99, 108, 1000, math.MaxInt32, math.MinInt32,
}

var fuzzWords = []string{"srvr", "ruok", "stat", "mntr", "conf", "cons", "wchs", "dump", "isro", "envi", "kill", "crst", "srst", "wchc", "wchp",
	"SRVR", "srv\x00", "srvq", "ruo", "rok\n", "\x00srv", "sr", "stat\n", "mntrmntr"}

func (f *wireFuzzer) path() string { return fuzzPaths[f.r.Intn(len(fuzzPaths))] }

func (f *wireFuzzer) bytes(limit int) []byte {
	if f.r.Intn(8) == 0 {
		return nil
	}
	b := make([]byte, f.r.Intn(limit+1))
	f.r.Read(b)
	return b
}

func (f *wireFuzzer) int32() int32 {
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

func (f *wireFuzzer) acls() []pzk.ACL {
	switch f.r.Intn(5) {
	case 0:
		return nil
	case 1:
		return []pzk.ACL{{Perms: f.int32(), ID: pzk.ID{Scheme: "digest", ID: "u:" + string(f.bytes(8))}}}
	case 2:
		return []pzk.ACL{{Perms: 31, ID: pzk.ID{Scheme: string(f.bytes(6)), ID: "anyone"}}}
	}
	return []pzk.ACL{{Perms: 31, ID: pzk.ID{Scheme: "world", ID: "anyone"}}}
}

func (f *wireFuzzer) paths() []string {
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
func (f *wireFuzzer) record(op pzk.OpCode, depth int) jute.Record {
	switch op {
	case pzk.OpCreate, pzk.OpCreate2, pzk.OpCreateContainer:
		return &jute.CreateRequest{Path: f.path(), Data: f.bytes(32), ACL: f.acls(), Flags: pzk.CreateMode(f.int32())}
	case pzk.OpCreateTTL:
		return &jute.CreateTTLRequest{Path: f.path(), Data: f.bytes(32), ACL: f.acls(), Flags: pzk.CreateMode(f.int32()), TTL: f.r.Int63n(1e6) - 10}
	case pzk.OpDelete, pzk.OpCheck, pzk.OpDeleteContainer:
		return &jute.PathVersion{Path: f.path(), Version: f.int32()}
	case pzk.OpExists, pzk.OpGetData, pzk.OpGetChildren, pzk.OpGetChildren2:
		return &jute.PathWatch{Path: f.path(), Watch: f.r.Intn(2) == 0}
	case pzk.OpSetData:
		return &jute.SetDataRequest{Path: f.path(), Data: f.bytes(64), Version: f.int32()}
	case pzk.OpGetACL, pzk.OpSync, pzk.OpGetAllChildrenNumber, pzk.OpGetEphemerals:
		return &jute.PathOnly{Path: f.path()}
	case pzk.OpSetACL:
		return &jute.SetACLRequest{Path: f.path(), ACL: f.acls(), Version: f.int32()}
	case pzk.OpMulti, pzk.OpMultiRead:
		m := &jute.MultiRequest{Read: op == pzk.OpMultiRead}
		if depth < 2 {
			for i := f.r.Intn(5); i > 0; i-- {
				sub := fuzzOps[f.r.Intn(len(fuzzOps))]
				m.Ops = append(m.Ops, jute.MultiOp{Type: sub, Rec: f.record(sub, depth+1)})
			}
		}
		return m
	case pzk.OpAddWatch:
		return &jute.AddWatchRequest{Path: f.path(), Mode: pzk.AddWatchMode(f.int32())}
	case pzk.OpRemoveWatches, pzk.OpCheckWatches:
		return &jute.PathType{Path: f.path(), Type: pzk.WatcherType(f.int32())}
	case pzk.OpSetWatches, pzk.OpSetWatches2:
		return &jute.SetWatches{RelativeZxid: f.r.Int63() - f.r.Int63(), DataWatches: f.paths(), ExistWatches: f.paths(),
			ChildWatches: f.paths(), PersistentWatches: f.paths(), PersistentRecursiveWatches: f.paths(), Two: op == pzk.OpSetWatches2}
	case pzk.OpAuth:
		schemes := []string{"digest", "world", "ip", "sasl", "", "x"}
		return &jute.AuthPacket{Type: f.int32(), Scheme: schemes[f.r.Intn(len(schemes))], Auth: append([]byte("u:"), f.bytes(8)...)}
	case pzk.OpPing, pzk.OpCloseSession, pzk.OpWhoAmI:
		return jute.Empty{}
	}
	return rawRecord(f.bytes(48))
}

// rawRecord is bytes written as they are.
type rawRecord []byte

func (r rawRecord) Encode(e *jute.Encoder) { e.B = append(e.B, r...) }
func (r rawRecord) Decode(*jute.Decoder)   {}

func (f *wireFuzzer) xid(op pzk.OpCode, n int32) int32 {
	switch {
	case op == pzk.OpPing:
		return jute.XidPing
	case op == pzk.OpAuth:
		return jute.XidAuth
	case op == pzk.OpSetWatches || op == pzk.OpSetWatches2:
		return jute.XidSetWatches
	case f.r.Intn(10) == 0:
		return f.int32()
	}
	return n
}

// request is a well-formed request frame body of a random opcode; it
// rarely closes the session.
func (f *wireFuzzer) request(xid int32) []byte {
	op := fuzzOps[f.r.Intn(len(fuzzOps))]
	if op == pzk.OpCloseSession && f.r.Intn(4) != 0 {
		op = pzk.OpGetData
	}
	return jute.EncodeRequest(nil, jute.RequestHeader{Xid: f.xid(op, xid), Type: op}, f.record(op, 0))
}

func (f *wireFuzzer) connectRequest() []byte {
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

func (f *wireFuzzer) flip(b []byte, from int) {
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
func (f *wireFuzzer) mutate(body []byte) []byte {
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
		lies := []int64{0, -1, math.MinInt32, zkwire.DefaultMaxBuffer + 1, math.MaxInt32, math.MaxUint32, int64(len(body)) + 1, int64(len(body)) - 1, 1, 3}
		l := lies[f.r.Intn(len(lies))]
		return append(binary.BigEndian.AppendUint32(nil, uint32(l)), body...)
	case 8: // a random opcode with a random body
		b := jute.EncodeRequest(nil, jute.RequestHeader{Xid: int32(f.r.Uint32()), Type: pzk.OpCode(f.r.Uint32())}, rawRecord(f.bytes(32)))
		return framed(b)
	case 9: // garbage, unframed
		return f.bytes(64)
	case 10: // well-formed and trailing garbage inside the frame
		return framed(append(bytes.Clone(body), f.bytes(32)...))
	}
	// a frame of random bytes
	return framed(f.bytes(128))
}

// conn is the traffic of one connection, as a list of writes (each one
// frame, or a lookalike of one).
func (f *wireFuzzer) conn(limit int) [][]byte {
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

// fuzzConn sends one connection's writes to addr, draining whatever the
// node answers, and closes it.
func fuzzConn(addr string, writes [][]byte) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, c); close(done) }()
	for _, w := range writes {
		if _, err := c.Write(w); err != nil {
			break // the node hung up: expected for most mutations
		}
	}
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

func fuzzNodeConfig(t *testing.T) *config.Config {
	dir := t.TempDir()
	text := fmt.Sprintf("tickTime=500\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\npaddock.busPort=%d\n4lw.commands.whitelist=*\n",
		filepath.Join(dir, "data"), testutil.FreePort(t), testutil.FreePort(t))
	c, err := config.Parse(strings.NewReader(text), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The robustness acceptance: 100,000 mutated frames to a live node
// over many connections; the node does not crash, a well-behaved session
// that works all along sees every operation succeed and stay consistent,
// and afterwards the node serves a fresh client and its connection
// handlers are gone. Replay a failure with -wire.seed.
func TestWireMutatedFrames(t *testing.T) {
	seed := *wireSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (replay with -wire.seed=%d)", seed, seed)
	total := *wireFrames
	if testing.Short() {
		total = 10000
	}

	n, err := Start(fuzzNodeConfig(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	testkit.WaitFor(t, "the node serving", 20*time.Second, func() bool { return n.Mode() == zkwire.ModeStandalone })
	addr := n.ClientAddr()

	// The well-behaved client: versioned setData and getData, all along.
	good, _, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogger(quietLogger{t}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(good.Close)
	testkit.WaitFor(t, "the good session", 10*time.Second, func() bool { return good.State() == zk.StateHasSession })
	if _, err := good.Create("/good", []byte("0"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	sid := good.SessionID()
	before := runtime.NumGoroutine()

	stop := make(chan struct{})
	var goodOps atomic.Int64
	goodErr := make(chan error, 1)
	go func() {
		defer close(goodErr)
		version := int32(0)
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			val := []byte(fmt.Sprint(i))
			st, err := good.Set("/good", val, version)
			if err != nil || st.Version != version+1 {
				goodErr <- fmt.Errorf("op %d: set version %d: %+v %v", i, version, st, err)
				return
			}
			version = st.Version
			data, st, err := good.Get("/good")
			if err != nil || !bytes.Equal(data, val) || st.Version != version {
				goodErr <- fmt.Errorf("op %d: get: %q %+v %v, want %q version %d", i, data, st, err, val, version)
				return
			}
			if good.SessionID() != sid || good.State() != zk.StateHasSession {
				goodErr <- fmt.Errorf("op %d: the good session changed: %#x %v", i, good.SessionID(), good.State())
				return
			}
			goodOps.Add(2)
		}
	}()

	// The fuzzers: workers share the frame budget; each connection has its
	// own seed drawn from the test's, so a seed replays the same traffic
	// (the order across workers aside).
	const workers = 16
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	seeds := make(chan int64)
	var sent, conns atomic.Int64
	go func() {
		defer close(seeds)
		r := rand.New(rand.NewSource(seed))
		for sent.Load() < int64(total) {
			select {
			case seeds <- r.Int63():
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	var dialErrs atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range seeds {
				f := &wireFuzzer{r: rand.New(rand.NewSource(s))}
				writes := f.conn(1100)
				// Take the frames from the budget; the last connection
				// gets what is left.
				after := sent.Add(int64(len(writes)))
				if over := after - int64(total); over > 0 {
					if over >= int64(len(writes)) {
						sent.Add(-int64(len(writes)))
						return
					}
					sent.Add(-over)
					writes = writes[:int64(len(writes))-over]
				}
				conns.Add(1)
				if err := fuzzConn(addr, writes); err != nil {
					dialErrs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	gerr := <-goodErr
	elapsed := ctx.Err()
	t.Logf("%d frames over %d connections (%d dial errors); the good session did %d operations", sent.Load(), conns.Load(), dialErrs.Load(), goodOps.Load())
	if gerr != nil {
		t.Errorf("the well-behaved session: %v", gerr)
	}
	if elapsed != nil || sent.Load() < int64(total) {
		t.Errorf("only %d of %d frames within the time bound", sent.Load(), total)
	}
	if dialErrs.Load() > 0 {
		t.Errorf("%d connections refused", dialErrs.Load())
	}
	select {
	case err := <-n.Done():
		t.Fatalf("the node stopped: %v", err)
	default:
	}

	// Still serving: srvr, and a fresh client (under /good: the fuzzers
	// may well have set an ACL on the root that keeps it out).
	askCtx, askCancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer askCancel()
	if out, err := zkwire.Ask(askCtx, addr, "srvr"); err != nil || !strings.Contains(out, "Mode: standalone") {
		t.Fatalf("srvr after the fuzzing: %q %v", out, err)
	}
	fresh := zkConnect(t, []string{addr})
	if data, _, err := fresh.Get("/good"); err != nil || len(data) == 0 {
		t.Fatalf("a fresh client after the fuzzing: %q %v", data, err)
	}
	if _, err := fresh.Create("/good/fresh", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("a fresh client's write: %v", err)
	}
	fresh.Close()

	// No connection handler left behind.
	var now int
	deadline := time.Now().Add(20 * time.Second)
	for now = runtime.NumGoroutine(); now > before+5; now = runtime.NumGoroutine() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines, %d before the fuzzing:\n%s", now, before, buf)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("goroutines: %d before, %d after", before, now)
}
