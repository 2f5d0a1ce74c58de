package zkwire

import (
	"crypto/tls"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paddock-zk/paddock/zk"
)

// ClientInfo is one client connection as cons and stat print it
// (ZooKeeper's ServerCnxn.dumpConnectionInfo). Latencies are in ms.
type ClientInfo struct {
	Remote   string // host:port of the client
	Interest int    // NIO interest ops: 1 (read) for a client, 0 for the asking four-letter connection
	Queued   int    // requests sent on, not yet answered
	Received uint64 // packets received
	Sent     uint64 // packets sent (replies and notifications)
	Session  int64
	LastOp   string // FinalRequestProcessor's four-letter op name
	Est      time.Time
	Timeout  time.Duration
	LastCxid int32
	LastZxid int64
	LastResp time.Time // zero before the first response
	LastLat  int64
	MinLat   int64
	AvgLat   int64
	MaxLat   int64
	// Expires is when the connection lapses if the client stays silent:
	// its last packet and its session timeout (dump's connection sets).
	Expires time.Time
	// Secure: the connection came on the secure client port, which
	// ZooKeeper's AdminServer lists apart (secure_connections).
	Secure bool
}

// latency keeps min/avg/max of response times in ms.
type latency struct {
	min, max, sum, n int64
}

func (l *latency) add(ms int64) {
	if l.n == 0 || ms < l.min {
		l.min = ms
	}
	l.max = max(l.max, ms)
	l.sum += ms
	l.n++
}

func (l *latency) avg() float64 {
	if l.n == 0 {
		return 0
	}
	return float64(l.sum) / float64(l.n)
}

// serverStats are the front end's counters over every connection, for
// srvr, stat and mntr (ZooKeeper's ServerStats).
type serverStats struct {
	received, sent atomic.Uint64
	mu             sync.Mutex
	lat            latency
	// bytes and handshakes are ZooKeeper's bytes_received_count and
	// connection_request_count: counters of its metrics, which srst
	// leaves alone.
	bytes, handshakes atomic.Uint64
}

func (s *serverStats) latency(ms int64) {
	s.mu.Lock()
	s.lat.add(ms)
	s.mu.Unlock()
}

// reset zeroes the counters, for srst (ServerStats.reset).
func (s *serverStats) reset() {
	s.received.Store(0)
	s.sent.Store(0)
	s.mu.Lock()
	s.lat = latency{}
	s.mu.Unlock()
}

// opName is ZooKeeper's lastOp spelling (FinalRequestProcessor).
func opName(op zk.OpCode) string {
	switch op {
	case zk.OpPing:
		return "PING"
	case zk.OpCreateSession:
		return "SESS"
	case zk.OpCloseSession:
		return "CLOS"
	case zk.OpCreate, zk.OpCreate2, zk.OpCreateContainer, zk.OpCreateTTL:
		return "CREA"
	case zk.OpDelete:
		return "DELE"
	case zk.OpSetData:
		return "SETD"
	case zk.OpGetData:
		return "GETD"
	case zk.OpExists:
		return "EXIS"
	case zk.OpGetChildren, zk.OpGetChildren2:
		return "GETC"
	case zk.OpGetACL:
		return "GACL"
	case zk.OpSetACL:
		return "SACL"
	case zk.OpSync:
		return "SYNC"
	case zk.OpCheck:
		return "CHEC"
	case zk.OpMulti:
		return "MULT"
	case zk.OpMultiRead:
		return "MLTR"
	case zk.OpSetWatches, zk.OpSetWatches2:
		return "SETW"
	case zk.OpAuth:
		return "AUTH"
	}
	return "NA"
}

// connStats are one connection's counters, guarded by zkConn.mu.
type connStats struct {
	remote   string
	est      time.Time
	received uint64
	sent     uint64
	lastOp   string
	lastRecv time.Time
	lastCxid int32
	lastResp time.Time
	lastLat  int64
	lat      latency
}

// responded records the answer to p (ZooKeeper's updateStatsForResponse).
// Called with z.mu held.
func (z *zkConn) responded(p pend, now time.Time) {
	st := &z.stats
	if p.xid >= 0 {
		st.lastCxid = p.xid
	}
	st.lastOp = opName(p.op)
	st.lastResp = now
	ms := now.Sub(p.at).Milliseconds()
	st.lastLat = ms
	st.lat.add(ms)
	if z.srv != nil {
		z.srv.stats.latency(ms)
		if f := z.srv.cfg.Latency; f != nil {
			f(isUpdate(p.op), now.Sub(p.at))
		}
	}
}

// isUpdate tells the requests ZooKeeper counts in its updatelatency
// from those in readlatency: the ones that become a txn (ServerStats.
// updateLatency goes by the request's txn header).
func isUpdate(op zk.OpCode) bool {
	switch op {
	case zk.OpCreate, zk.OpCreate2, zk.OpCreateContainer, zk.OpCreateTTL, zk.OpDelete, zk.OpSetData, zk.OpSetACL,
		zk.OpCheck, zk.OpMulti, zk.OpReconfig, zk.OpDeleteContainer, zk.OpCreateSession, zk.OpCloseSession:
		return true
	}
	return false
}

// receivedBytes counts a client frame of n bytes, its length included.
func (z *zkConn) receivedBytes(n int) {
	if z.srv != nil {
		z.srv.stats.bytes.Add(uint64(n))
	}
}

// sentPackets counts n packets written to the client.
func (z *zkConn) sentPackets(n int) {
	z.mu.Lock()
	z.stats.sent += uint64(n)
	z.mu.Unlock()
	if z.srv != nil {
		z.srv.stats.sent.Add(uint64(n))
	}
}

// receivedPacket counts a packet from the client, received at now; call
// with z.mu held.
func (z *zkConn) receivedPacket(now time.Time) {
	z.stats.received++
	z.stats.lastRecv = now
	if z.srv != nil {
		z.srv.stats.received.Add(1)
	}
}

func (z *zkConn) info() ClientInfo {
	z.mu.Lock()
	defer z.mu.Unlock()
	st := &z.stats
	_, secure := z.c.(*tls.Conn)
	return ClientInfo{Remote: st.remote, Interest: 1, Secure: secure, Expires: st.lastRecv.Add(z.timeout), Queued: len(z.queue), Received: st.received, Sent: st.sent,
		Session: z.session, LastOp: st.lastOp, Est: st.est, Timeout: z.timeout, LastCxid: st.lastCxid,
		LastZxid: z.lastZxid, LastResp: st.lastResp, LastLat: st.lastLat, MinLat: st.lat.min,
		AvgLat: int64(st.lat.avg()), MaxLat: st.lat.max}
}

// resetStats zeroes the connection's counters, for crst
// (ServerCnxn.resetStats). Its last zxid stays: unlike ZooKeeper's, it is
// also the zxid of the replies the front end makes itself.
func (z *zkConn) resetStats() {
	z.mu.Lock()
	defer z.mu.Unlock()
	st := &z.stats
	st.received, st.sent, st.lat = 0, 0, latency{}
	st.lastOp, st.lastCxid, st.lastResp, st.lastLat = "NA", -1, time.Time{}, 0
}

// resetClients is crst: every connection's counters zeroed.
func (s *Server) resetClients() {
	s.mu.Lock()
	zs := make([]*zkConn, 0, len(s.clients))
	for z := range s.clients {
		zs = append(zs, z)
	}
	s.mu.Unlock()
	for _, z := range zs {
		z.resetStats()
	}
}

// register and unregister track the connections past their handshake.
func (s *Server) register(z *zkConn) {
	s.mu.Lock()
	if s.clients == nil {
		s.clients = map[*zkConn]struct{}{}
	}
	s.clients[z] = struct{}{}
	s.mu.Unlock()
}

func (s *Server) unregister(z *zkConn) {
	s.mu.Lock()
	delete(s.clients, z)
	s.mu.Unlock()
}

// Clients describes the connected clients, oldest first.
func (s *Server) Clients() []ClientInfo {
	s.mu.Lock()
	zs := make([]*zkConn, 0, len(s.clients))
	for z := range s.clients {
		zs = append(zs, z)
	}
	s.mu.Unlock()
	out := make([]ClientInfo, len(zs))
	for i, z := range zs {
		out[i] = z.info()
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Est.Equal(out[j].Est) {
			return out[i].Est.Before(out[j].Est)
		}
		return out[i].Remote < out[j].Remote
	})
	return out
}

// Status is the node's Status with the front end's figures, as mntr
// reports them but without an asking connection: for the node's metrics.
func (s *Server) Status() Status { return s.gather("", nil) }

// fill adds the front end's own figures to a node's Status: the clients,
// the asking connection self among them (unless nil), packet and byte
// counts, handshakes, outstanding requests, latencies, uptime and file
// descriptors.
func (s *Server) fill(st *Status, self *ClientInfo) {
	st.Clients = s.Clients()
	if self != nil {
		st.Clients = append(st.Clients, *self)
	}
	st.Connections = len(st.Clients)
	st.Received, st.Sent = s.stats.received.Load(), s.stats.sent.Load()
	st.Counters.BytesReceived, st.Counters.ConnectionRequests = s.stats.bytes.Load(), s.stats.handshakes.Load()
	st.Outstanding = 0
	for _, c := range st.Clients {
		st.Outstanding += c.Queued
	}
	s.stats.mu.Lock()
	st.MinLatency, st.AvgLatency, st.MaxLatency = s.stats.lat.min, s.stats.lat.avg(), s.stats.lat.max
	s.stats.mu.Unlock()
	st.Uptime = time.Since(s.started)
	st.OpenFDs, st.MaxFDs = fileDescriptors()
}

func remoteString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
