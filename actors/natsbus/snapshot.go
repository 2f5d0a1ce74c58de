package natsbus

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
)

// A backup snapshot travels over the bus as NATS request-reply on
// buswire.SnapshotSubject, pulled by the saver a chunk at a time, so a
// lost message costs one retried request, never a burst that overruns
// the saver's subscription:
//
//	begin            → transfer id, size, CRC-32C of the whole (after the
//	                   node has taken the snapshot)
//	chunk id offset  → up to SnapshotChunk bytes from offset
//	end id           → the node forgets the transfer
//
// Requests and answers carry their fields in NATS headers, chunks their
// bytes as the payload. A node holds one transfer at a time: a begin
// while one is being taken or fetched is refused as busy. A transfer
// nobody asks a chunk of for snapshotIdle is dropped, so a saver that
// died does not pin the snapshot in memory.
const (
	hdrOp       = "Pdk-Op"
	hdrTransfer = "Pdk-Transfer"
	hdrOffset   = "Pdk-Offset"
	hdrSize     = "Pdk-Size"
	hdrCRC      = "Pdk-Crc32c"
	hdrError    = "Pdk-Error"
	hdrBusy     = "Pdk-Busy"

	opBegin = "begin"
	opChunk = "chunk"
	opEnd   = "end"
)

// SnapshotChunk is the most one chunk of a snapshot transfer carries:
// well under the bus's 8 MiB max payload.
const SnapshotChunk = 1 << 20

const (
	// snapshotTake bounds taking a snapshot: a store that cannot build
	// its view (a full disk holds it up) must not keep the node busy.
	snapshotTake  = 5 * time.Minute
	snapshotIdle  = 30 * time.Second
	chunkTimeout  = 10 * time.Second
	chunkAttempts = 3
)

var (
	// ErrSnapshotBusy is the answer of a node already taking or sending
	// a snapshot.
	ErrSnapshotBusy = errors.New("natsbus: the node is already taking or sending a snapshot; try again when it is done")
	// ErrSnapshotTransfer means the bytes received do not match the size or
	// the CRC-32C the node announced.
	ErrSnapshotTransfer = errors.New("natsbus: snapshot transfer damaged")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SnapshotSource takes a snapshot for ServeSnapshots and returns it
// whole. It may take a while; ctx ends when the node stops.
type SnapshotSource func(ctx context.Context) ([]byte, error)

type snapServer struct {
	b      *Bus
	src    SnapshotSource
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	taking bool
	cur    *transfer
}

type transfer struct {
	id    string
	data  []byte
	crc   uint32
	timer *time.Timer
}

// ServeSnapshots answers backup snapshot requests to this node with
// snapshots from src, as the protocol above says. It returns a function
// that stops serving and drops a transfer in progress.
func (b *Bus) ServeSnapshots(src SnapshotSource) (func(), error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &snapServer{b: b, src: src, ctx: ctx, cancel: cancel}
	sub, err := b.nc.Subscribe(buswire.SnapshotSubject(b.ens, b.self), s.handle)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("natsbus: subscribe snapshot requests: %w", err)
	}
	// Registered before Start returns, so a save right after finds the
	// node (else "no responders").
	if err := b.nc.FlushTimeout(5 * time.Second); err != nil {
		_ = sub.Unsubscribe()
		cancel()
		return nil, fmt.Errorf("natsbus: register snapshot subscription: %w", err)
	}
	return func() {
		_ = sub.Unsubscribe()
		cancel()
		s.mu.Lock()
		s.drop()
		s.mu.Unlock()
	}, nil
}

func (s *snapServer) handle(m *nats.Msg) {
	if m.Reply == "" {
		return
	}
	switch op := m.Header.Get(hdrOp); op {
	case opBegin:
		s.begin(m)
	case opChunk:
		s.chunk(m)
	case opEnd:
		s.mu.Lock()
		if s.cur != nil && s.cur.id == m.Header.Get(hdrTransfer) {
			s.drop()
		}
		s.mu.Unlock()
		s.respond(m, nats.Header{}, nil)
	default:
		s.fail(m, fmt.Sprintf("unknown snapshot request %q", op))
	}
}

// begin takes the snapshot on a goroutine of its own: the subscription's
// goroutine must go on answering (busy) meanwhile.
func (s *snapServer) begin(m *nats.Msg) {
	s.mu.Lock()
	if s.taking || s.cur != nil {
		s.mu.Unlock()
		h := nats.Header{}
		h.Set(hdrBusy, "true")
		h.Set(hdrError, ErrSnapshotBusy.Error())
		s.respond(m, h, nil)
		return
	}
	s.taking = true
	s.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(s.ctx, snapshotTake)
		data, err := s.src(ctx)
		cancel()
		s.mu.Lock()
		s.taking = false
		if err != nil {
			s.mu.Unlock()
			s.b.log.Warn("snapshot for a backup failed", "err", err)
			s.fail(m, err.Error())
			return
		}
		if s.ctx.Err() != nil {
			s.mu.Unlock()
			s.fail(m, "the node is stopping")
			return
		}
		t := &transfer{id: randomSecret(), data: data, crc: crc32.Checksum(data, castagnoli)}
		t.timer = time.AfterFunc(snapshotIdle, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.cur == t {
				s.b.log.Warn("snapshot transfer abandoned by its saver; dropped", "bytes", len(t.data))
				s.drop()
			}
		})
		s.cur = t
		s.mu.Unlock()
		h := nats.Header{}
		h.Set(hdrTransfer, t.id)
		h.Set(hdrSize, strconv.Itoa(len(data)))
		h.Set(hdrCRC, strconv.FormatUint(uint64(t.crc), 16))
		s.respond(m, h, nil)
	}()
}

func (s *snapServer) chunk(m *nats.Msg) {
	off, err := strconv.ParseInt(m.Header.Get(hdrOffset), 10, 64)
	s.mu.Lock()
	t := s.cur
	if t == nil || t.id != m.Header.Get(hdrTransfer) {
		s.mu.Unlock()
		s.fail(m, "no such snapshot transfer (it ended, or was idle too long)")
		return
	}
	t.timer.Reset(snapshotIdle)
	s.mu.Unlock()
	if err != nil || off < 0 || off > int64(len(t.data)) {
		s.fail(m, fmt.Sprintf("bad chunk offset %q", m.Header.Get(hdrOffset)))
		return
	}
	h := nats.Header{}
	h.Set(hdrOffset, strconv.FormatInt(off, 10))
	s.respond(m, h, t.data[off:min(off+SnapshotChunk, int64(len(t.data)))])
}

// drop forgets the transfer. mu held.
func (s *snapServer) drop() {
	if s.cur != nil {
		s.cur.timer.Stop()
		s.cur = nil
	}
}

func (s *snapServer) fail(m *nats.Msg, text string) {
	h := nats.Header{}
	h.Set(hdrError, text)
	s.respond(m, h, nil)
}

func (s *snapServer) respond(m *nats.Msg, h nats.Header, data []byte) {
	if err := m.RespondMsg(&nats.Msg{Header: h, Data: data}); err != nil {
		s.b.log.Debug("snapshot reply failed", "err", err)
	}
}

// FetchSnapshot connects to the bus at url as `node trace` does (cred
// must be the peer credential on a bus that has one; tlsCfg when the bus
// port wants TLS), asks node id of ensemble ens for a backup snapshot and
// writes it to w, checked against the size and CRC-32C the node
// announced (ErrSnapshotTransfer). It waits up to ctx for the node to take
// the snapshot. It returns the bytes written.
func FetchSnapshot(ctx context.Context, url string, cred Credentials, tlsCfg *tls.Config, ens string, id msg.NodeID, w io.Writer) (int64, error) {
	opts := []nats.Option{nats.Name("paddock-snapshot")}
	if cred.User != "" {
		opts = append(opts, nats.UserInfo(cred.User, cred.Password))
	}
	if tlsCfg != nil {
		opts = append(opts, nats.Secure(tlsCfg))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return 0, fmt.Errorf("natsbus: connect to %s (is the node running?): %w", url, err)
	}
	defer nc.Close()
	subj := buswire.SnapshotSubject(ens, id)

	ask := func(ctx context.Context, h nats.Header) (*nats.Msg, error) {
		req := &nats.Msg{Subject: subj, Header: h}
		resp, err := nc.RequestMsgWithContext(ctx, req)
		if errors.Is(err, nats.ErrNoResponders) {
			return nil, fmt.Errorf("natsbus: node %d of ensemble %q does not answer snapshot requests on %s (not running, or of a version without them): %w", id, ens, url, err)
		}
		if err != nil {
			return nil, fmt.Errorf("natsbus: snapshot request to node %d: %w", id, err)
		}
		if e := resp.Header.Get(hdrError); e != "" {
			if resp.Header.Get(hdrBusy) != "" {
				return nil, fmt.Errorf("node %d: %w", id, ErrSnapshotBusy)
			}
			return nil, fmt.Errorf("natsbus: node %d: %s", id, e)
		}
		return resp, nil
	}

	h := nats.Header{}
	h.Set(hdrOp, opBegin)
	resp, err := ask(ctx, h)
	if err != nil {
		return 0, err
	}
	tid := resp.Header.Get(hdrTransfer)
	size, err1 := strconv.ParseInt(resp.Header.Get(hdrSize), 10, 64)
	want, err2 := strconv.ParseUint(resp.Header.Get(hdrCRC), 16, 32)
	if tid == "" || err1 != nil || err2 != nil || size < 0 {
		return 0, fmt.Errorf("natsbus: node %d: malformed snapshot answer %v", id, resp.Header)
	}
	defer func() {
		// Best effort: the node drops an idle transfer by itself.
		h := nats.Header{}
		h.Set(hdrOp, opEnd)
		h.Set(hdrTransfer, tid)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, _ = ask(ctx, h)
	}()

	crc := crc32.New(castagnoli)
	var off int64
	for off < size {
		h := nats.Header{}
		h.Set(hdrOp, opChunk)
		h.Set(hdrTransfer, tid)
		h.Set(hdrOffset, strconv.FormatInt(off, 10))
		var resp *nats.Msg
		for attempt := 1; ; attempt++ {
			cctx, cancel := context.WithTimeout(ctx, chunkTimeout)
			resp, err = ask(cctx, h)
			cancel()
			// A lost request or answer: ask again (it is idempotent).
			if err == nil || ctx.Err() != nil || attempt == chunkAttempts || !errors.Is(err, context.DeadlineExceeded) {
				break
			}
		}
		if err != nil {
			return off, err
		}
		if resp.Header.Get(hdrOffset) != strconv.FormatInt(off, 10) || len(resp.Data) == 0 || off+int64(len(resp.Data)) > size {
			return off, fmt.Errorf("%w: chunk at %d: offset %q, %d bytes of %d", ErrSnapshotTransfer, off, resp.Header.Get(hdrOffset), len(resp.Data), size)
		}
		crc.Write(resp.Data)
		if _, err := w.Write(resp.Data); err != nil {
			return off, fmt.Errorf("natsbus: write snapshot: %w", err)
		}
		off += int64(len(resp.Data))
	}
	if got := crc.Sum32(); got != uint32(want) {
		return off, fmt.Errorf("%w: CRC-32C %08x, the node sent %08x", ErrSnapshotTransfer, got, want)
	}
	return off, nil
}
