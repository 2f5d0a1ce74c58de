package hostile

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/zkwire/jute"
)

// A seed replays the same traffic.
func TestFuzzerIsDeterministic(t *testing.T) {
	for seed := int64(1); seed <= 50; seed++ {
		a, b := NewFuzzer(seed).Conn(1100), NewFuzzer(seed).Conn(1100)
		if !bytes.Equal(bytes.Join(a, nil), bytes.Join(b, nil)) || len(a) != len(b) {
			t.Fatalf("seed %d: two different connections", seed)
		}
		if len(a) == 0 || len(a) > 1100 {
			t.Fatalf("seed %d: %d writes", seed, len(a))
		}
	}
}

func TestLoopbackAddressesAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		a := Loopback(3, i)
		if seen[a] || net.ParseIP(a) == nil || !net.ParseIP(a).IsLoopback() {
			t.Fatalf("address %d: %q", i, a)
		}
		seen[a] = true
	}
}

// fakeNode answers a handshake with a session and every request with a
// reply header carrying its xid, until the client goes.
func fakeNode(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := readFrame(c); err != nil {
					return
				}
				resp := jute.Encode(nil, &jute.ConnectResponse{TimeOut: 10000, SessionID: 7, Passwd: make([]byte, 16)})
				if _, err := c.Write(framed(resp)); err != nil {
					return
				}
				for {
					f, err := readFrame(c)
					if err != nil || len(f) < 8 {
						return
					}
					xid := int32(binary.BigEndian.Uint32(f))
					e := jute.Encoder{}
					(&jute.ReplyHeader{Xid: xid}).Encode(&e)
					if _, err := c.Write(framed(e.B)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// A flooder keeps writing and reading; a session probe holds its
// sessions; both end with their context.
func TestFloodAndSessions(t *testing.T) {
	addr := fakeNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var st FloodStats
	done := make(chan struct{})
	go func() { Flood(ctx, Dialer{}, addr, "/f", &st); close(done) }()
	held := Sessions(Dialer{}, addr, 3)
	if n := Hold(ctx, held); n != 3 {
		t.Errorf("%d of 3 sessions answered a ping", n)
	}
	<-done
	if st.Conns.Load() == 0 || st.Replies.Load() == 0 || st.Sent.Load() < st.Replies.Load() {
		t.Fatalf("flood: %d sessions, %d sent, %d replies", st.Conns.Load(), st.Sent.Load(), st.Replies.Load())
	}
}

// The probes report a node that keeps what it must close.
func TestProbesSeeANodeThatNeverCloses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() { _, _ = io.Copy(io.Discard, c) }() // reads forever, never closes
		}
	}()
	if _, err := HalfOpen(Dialer{}, ln.Addr().String(), 200*time.Millisecond); err == nil {
		t.Error("a half-open connection kept open was not reported")
	}
	if _, err := Dribble(context.Background(), Dialer{}, ln.Addr().String(), 20*time.Millisecond, 200*time.Millisecond); err == nil {
		t.Error("a dribbled handshake kept open was not reported")
	}
}
