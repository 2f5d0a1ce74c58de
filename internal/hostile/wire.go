package hostile

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// errDoor is an attack that did not get past the node's door: the dial
// failed, or the handshake gave no session.
var errDoor = errors.New("hostile: not let in")

// session opens a session on a fresh connection to addr: the
// ConnectRequest, then the ConnectResponse. The connection is returned
// with no deadline set.
func session(d Dialer, addr string, timeout time.Duration) (net.Conn, *bufio.Reader, error) {
	c, err := d.Dial(addr, timeout)
	if err != nil {
		return nil, nil, err
	}
	_ = c.SetDeadline(time.Now().Add(timeout))
	cr := &jute.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16)}
	if _, err := c.Write(framed(jute.Encode(nil, cr))); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("%w: handshake: %w", errDoor, err)
	}
	br := bufio.NewReaderSize(c, 64<<10)
	frame, err := readFrame(br)
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("%w: handshake: %w", errDoor, err)
	}
	var resp jute.ConnectResponse
	if err := jute.Decode(frame, &resp); err != nil || resp.SessionID == 0 || resp.TimeOut <= 0 {
		c.Close()
		return nil, nil, fmt.Errorf("%w: no session (%+v, %v)", errDoor, resp, err)
	}
	_ = c.SetDeadline(time.Time{})
	return c, br, nil
}

// readFrame reads one length-prefixed frame of at most 16 MiB.
func readFrame(r io.Reader) ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n > 16<<20 {
		return nil, fmt.Errorf("hostile: reply frame of %d bytes", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// FloodStats count what flooders did.
type FloodStats struct {
	Conns   atomic.Int64 // sessions opened
	Sent    atomic.Int64 // requests written
	Replies atomic.Int64 // replies read
}

// FloodValue is the size of a flooder's setData values.
const FloodValue = 512

// Flood is a client that writes as fast as the node takes it: it opens a
// session, creates path, then pipelines setData on it (version -1, so
// every one is a transaction to log and replicate) without waiting for
// replies, which a second goroutine reads and drops. A broken connection
// is opened again; Flood returns when ctx ends.
func Flood(ctx context.Context, d Dialer, addr, path string, st *FloodStats) {
	for ctx.Err() == nil {
		c, br, err := session(d, addr, 5*time.Second)
		if err != nil {
			pause(ctx, 50*time.Millisecond)
			continue
		}
		st.Conns.Add(1)
		floodConn(ctx, c, br, path, st)
		c.Close()
	}
}

func floodConn(ctx context.Context, c net.Conn, br *bufio.Reader, path string, st *FloodStats) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer c.Close() // the node hung up: stop the writer too
		for {
			if _, err := readFrame(br); err != nil {
				return
			}
			st.Replies.Add(1)
		}
	}()
	defer wg.Wait()
	bw := bufio.NewWriterSize(c, 64<<10)
	write := func(xid int32, op zk.OpCode, rec jute.Record) error {
		_, err := bw.Write(framed(jute.EncodeRequest(nil, jute.RequestHeader{Xid: xid, Type: op}, rec)))
		st.Sent.Add(1)
		return err
	}
	value := make([]byte, FloodValue)
	if err := write(1, zk.OpCreate, &jute.CreateRequest{Path: path, Data: value,
		ACL: []zk.ACL{{Perms: 31, ID: zk.ID{Scheme: "world", ID: "anyone"}}}}); err != nil {
		return
	}
	for xid := int32(2); ctx.Err() == nil; xid++ {
		binary.BigEndian.PutUint32(value, uint32(xid))
		if err := write(xid, zk.OpSetData, &jute.SetDataRequest{Path: path, Data: value, Version: -1}); err != nil {
			return
		}
		// Flush a batch at a time, as a pipelining client does; the
		// write blocks once the node stops reading.
		if xid%16 == 0 {
			if err := bw.Flush(); err != nil {
				return
			}
		}
	}
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// closedWithin waits until the node closes c (a read ends in EOF or a
// reset), reading and dropping whatever it sends, for at most d; it
// reports whether it did.
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

// HalfOpen connects and sends half of a frame's length prefix, then
// nothing: the node must close the connection within d (its first-frame
// timeout). It returns how long the node took.
func HalfOpen(d Dialer, addr string, within time.Duration) (time.Duration, error) {
	c, err := d.Dial(addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	start := time.Now()
	if _, err := c.Write([]byte{0, 0}); err != nil {
		return time.Since(start), nil // already closed: fine
	}
	if !closedWithin(c, within) {
		return 0, fmt.Errorf("hostile: a half-open connection was still open after %s", within)
	}
	return time.Since(start), nil
}

// Dribble sends a handshake one byte every step, never finishing it in
// time: the node must close the connection within d of the first byte.
func Dribble(ctx context.Context, d Dialer, addr string, step, within time.Duration) (time.Duration, error) {
	c, err := d.Dial(addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	hs := framed(jute.Encode(nil, &jute.ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16)}))
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_ = c.SetReadDeadline(start.Add(within))
		_, _ = io.Copy(io.Discard, c)
	}()
	t := time.NewTicker(step)
	defer t.Stop()
	for i := 0; i < len(hs)-1; i++ {
		if _, err := c.Write(hs[i : i+1]); err != nil {
			break
		}
		select {
		case <-closed:
		case <-t.C:
			continue
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		break
	}
	<-closed
	took := time.Since(start)
	if took >= within {
		return took, fmt.Errorf("hostile: a dribbled handshake was still open after %s", within)
	}
	return took, nil
}

// OverSizeFrame opens a session and sends a length prefix over maxBuf
// (and a little of its body): the node must close the connection without
// a reply.
func OverSizeFrame(d Dialer, addr string, maxBuf int) error {
	c, _, err := session(d, addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	b := binary.BigEndian.AppendUint32(nil, uint32(maxBuf+1))
	b = append(b, make([]byte, 64)...)
	if _, err := c.Write(b); err != nil {
		return nil // closed already
	}
	return noReplyThenClosed(c, "an over-size frame")
}

// OverSizeWrite opens a session and sends a whole setData whose value
// alone is over maxBuf: the node must close the connection without
// applying or answering it.
func OverSizeWrite(d Dialer, addr, path string, maxBuf int) error {
	c, _, err := session(d, addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	frame := framed(jute.EncodeRequest(nil, jute.RequestHeader{Xid: 1, Type: zk.OpSetData},
		&jute.SetDataRequest{Path: path, Data: make([]byte, maxBuf+1), Version: -1}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = c.Write(frame) // fails once the node closed: expected
	}()
	err = noReplyThenClosed(c, "an over-size setData")
	c.Close()
	<-done
	return err
}

// noReplyThenClosed reads c until the node closes it; any reply frame
// is an error.
func noReplyThenClosed(c net.Conn, what string) error {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("hostile: the node kept the connection of %s open", what)
	case len(b) > 0:
		return fmt.Errorf("hostile: the node answered %s with %d bytes", what, len(b))
	}
	return nil
}

// Sessions opens n sessions from d one after another; those the node
// refuses are left out. A node enforcing maxClientCnxns for d's address
// gives at most that many.
func Sessions(d Dialer, addr string, n int) []net.Conn {
	var held []net.Conn
	for i := 0; i < n; i++ {
		if c, _, err := session(d, addr, 5*time.Second); err == nil {
			held = append(held, c)
		}
	}
	return held
}

// Hold keeps sessions open, pinging them, until ctx ends, then closes
// them. It returns how many answered their first ping: a session the node
// closed after its handshake was over a limit too.
func Hold(ctx context.Context, held []net.Conn) int {
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	alive := 0
	for _, c := range held {
		if ping(c) == nil {
			alive++
		}
	}
	pinger := time.NewTicker(time.Second)
	defer pinger.Stop()
	for {
		select {
		case <-ctx.Done():
			return alive
		case <-pinger.C:
			for _, c := range held {
				_ = ping(c)
			}
		}
	}
}

// ping sends a ping and reads its reply.
func ping(c net.Conn) error {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	defer func() { _ = c.SetDeadline(time.Time{}) }()
	if _, err := c.Write(framed(jute.EncodeRequest(nil, jute.RequestHeader{Xid: jute.XidPing, Type: zk.OpPing}, jute.Empty{}))); err != nil {
		return fmt.Errorf("hostile: ping: %w", err)
	}
	if _, err := readFrame(c); err != nil {
		return fmt.Errorf("hostile: ping reply: %w", err)
	}
	return nil
}

// ConnFlood keeps n idle connections open to addr, spread over the
// dialers, and opens again each one the node closes (its first-frame
// timeout) until ctx ends: more connections than a node under a low file
// limit can hold. opened counts the connections made.
func ConnFlood(ctx context.Context, ds []Dialer, addr string, n int, opened *atomic.Int64) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(d Dialer) {
			defer wg.Done()
			for ctx.Err() == nil {
				c, err := d.Dial(addr, time.Second)
				if err != nil {
					pause(ctx, 100*time.Millisecond)
					continue
				}
				opened.Add(1)
				stop := context.AfterFunc(ctx, func() { c.Close() })
				_, _ = io.Copy(io.Discard, c)
				stop()
				c.Close()
				// Closed at once (over a limit) or after the timeout:
				// open it again, a little later.
				pause(ctx, 20*time.Millisecond)
			}
		}(ds[i%len(ds)])
	}
	wg.Wait()
}
