package msg

import "github.com/paddock-zk/paddock/zk"

// Client requests and their replies, and the forwarding of writes from the
// node that serves a session to the leader. The ZooKeeper values are
// package zk's: Op is a zk.OpCode, Err a zk.Code (zk.Ok = 0), Stat a
// zk.Stat, ACL a zk.ACL (and a session's ids are zk.ACLs with Perms 0);
// Mode is the op's mode field, a zk.CreateMode for a create, a
// zk.AddWatchMode for addWatch and a zk.WatcherType for removeWatches and
// checkWatches. zk's types carry the msgpack tags of this encoding.
//
// The request path: a client publishes a Request to the request subject of
// the node it is connected to (buswire.RequestSubject, which names the
// connection, and so its inbox for the answers); that node's store actor
// serves reads from its applied tree and forwards writes (and sync) to the
// leader as Forward. The leader prepares
// each write against its pending state and proposes it; the serving node
// replies when it applies the committed txn, which carries the session and
// xid. A write the leader refuses, and a sync, come back as ForwardReply
// with the zxid the answer must wait for. Replies to a session leave in
// request order.

// Op is one operation: a whole request, or one op of a multi.
//
// Data (here, in OpResult and in Reply) is never omitempty: msgpack
// writes nil as nil and an empty slice as a zero-length bin, and reads
// them back as such, while omitempty would drop an empty slice and it
// would come back nil. ZooKeeper tells a znode created with null data
// from one created with zero-length data, and so must every hop.
type Op struct {
	Op      zk.OpCode `msgpack:"o"`
	Path    string    `msgpack:"p,omitempty"`
	Data    []byte    `msgpack:"d"`
	ACL     []zk.ACL  `msgpack:"a,omitempty"`
	Mode    int32     `msgpack:"m,omitempty"`
	Version int32     `msgpack:"v,omitempty"` // -1 matches any
	TTL     int64     `msgpack:"t,omitempty"`
	Watch   bool      `msgpack:"w,omitempty"`
	Ops     []Op      `msgpack:"ops,omitempty"` // multi and multiRead
	// Watches is setWatches' list (re-registration after a move).
	Watches *WatchSet `msgpack:"ws,omitempty"`
}

// WatchSet is what a client re-registers on the node its session moved to
// (ZooKeeper's SetWatches2): the node fires at once the watches whose node
// changed after RelZxid, the last zxid the client saw, and registers the
// rest.
type WatchSet struct {
	RelZxid    int64    `msgpack:"z"`
	Data       []string `msgpack:"d,omitempty"`
	Exist      []string `msgpack:"e,omitempty"`
	Child      []string `msgpack:"c,omitempty"`
	Persistent []string `msgpack:"p,omitempty"`
	Recursive  []string `msgpack:"r,omitempty"`
}

// WatchEvent is a watch notification to a session's client (ZooKeeper's
// WatcherEvent, sent with xid -1): Type is the event's type, Zxid the txn
// that fired it. A node sends a session's events and replies in one
// stream, so a client sees an event before any reply that shows the change.
type WatchEvent struct {
	Session int64        `msgpack:"s"`
	Type    zk.EventType `msgpack:"t"`
	Path    string       `msgpack:"p"`
	Zxid    int64        `msgpack:"z"`
}

// Request is a client's request to the node serving its session. Xid
// orders a session's requests. createSession (Op -10) carries the
// requested Timeout in ms and Session 0 for a new session, or, to move a
// live session to this node (ZooKeeper's reconnect), its Session, Passwd
// and LastZxid, the highest zxid the client has seen: a node that has not
// applied that far refuses with ConnectionLoss. ReplyTo is filled in by
// the receiving node's bus (the inbox of the connection the request
// subject names); a client does not set it.
//
// ClientAddr is set on createSession by the node's own ZooKeeper front end
// only: the IP address of the TCP peer, which the serving node gives the
// session as its ip scheme id (ZooKeeper's ip:<client address>) in place
// of any earlier one. The bus clears it on requests that arrive on the
// public request subject, so a native client gets no ip id and cannot
// claim one.
type Request struct {
	Session    int64  `msgpack:"s"`
	Xid        int32  `msgpack:"x"`
	Timeout    int32  `msgpack:"to,omitempty"`
	Passwd     []byte `msgpack:"pw,omitempty"`
	LastZxid   int64  `msgpack:"lz,omitempty"`
	ReplyTo    string `msgpack:"r,omitempty"`
	ClientAddr string `msgpack:"ca,omitempty"`
	Op
}

// OpResult is the result of one op of a multi.
type OpResult struct {
	Op       zk.OpCode `msgpack:"o"`
	Err      zk.Code   `msgpack:"e,omitempty"`
	Path     string    `msgpack:"p,omitempty"`
	Stat     *zk.Stat  `msgpack:"st,omitempty"`
	Data     []byte    `msgpack:"d"`
	Children []string  `msgpack:"c,omitempty"`
}

// Reply answers one Request. Zxid is the serving node's applied zxid when
// the reply was made (ZooKeeper's reply header zxid). Err is non-zero for a
// failed request; the other fields are those the op returns.
type Reply struct {
	Session  int64      `msgpack:"s"`
	Xid      int32      `msgpack:"x"`
	Zxid     int64      `msgpack:"z"`
	Err      zk.Code    `msgpack:"e,omitempty"`
	Path     string     `msgpack:"p,omitempty"`
	Data     []byte     `msgpack:"d"`
	Stat     *zk.Stat   `msgpack:"st,omitempty"`
	Children []string   `msgpack:"c,omitempty"`
	ACL      []zk.ACL   `msgpack:"a,omitempty"`
	Results  []OpResult `msgpack:"res,omitempty"`
	Count    int32      `msgpack:"n,omitempty"`  // getAllChildrenNumber
	Timeout  int32      `msgpack:"to,omitempty"` // createSession: negotiated
	Passwd   []byte     `msgpack:"pw,omitempty"` // createSession
	// Refused marks a ConnectionLoss the node answered without acting on
	// the request (it is not serving, or is behind the client): sending
	// it again is safe. Any other ConnectionLoss leaves a write's outcome
	// unknown, and a client must not repeat it blindly.
	Refused bool `msgpack:"rf,omitempty"`
}

// Forward carries a write (or sync) from the node serving the session to
// the leader, with the session's authenticated ids.
//
// Seq numbers the forwards of one session from one origin 1, 2, 3, ...: the
// leader takes them in that order only, so a lost one that is sent again
// is neither skipped nor applied twice.
//
// Attach marks the sync a node forwards when a session re-attaches to it:
// the origin serves the session from now on, and the leader refuses with
// SessionMoved the forwards of it from any other origin (ZooKeeper's
// session owner), so a node the session left cannot apply, late, a write
// sent before the move.
type Forward struct {
	Epoch   uint64   `msgpack:"e"`
	Origin  NodeID   `msgpack:"n"`
	Seq     uint64   `msgpack:"q"`
	Request Request  `msgpack:"r"`
	Auth    []zk.ACL `msgpack:"au,omitempty"` // Scheme and ID only
	Attach  bool     `msgpack:"at,omitempty"`
}

// ForwardReply answers a Forward the leader did not turn into a txn: a
// refused write (Err) or a sync. The origin replies once it has applied up
// to Zxid, so the answer never overtakes the session's earlier writes.
type ForwardReply struct {
	Epoch   uint64  `msgpack:"e"`
	Session int64   `msgpack:"s"`
	Xid     int32   `msgpack:"x"`
	Zxid    uint64  `msgpack:"z"`
	Err     zk.Code `msgpack:"er,omitempty"`
	Path    string  `msgpack:"p,omitempty"`
	// Errs are a refused multi's per-op codes (0 before the failing op,
	// its code, RuntimeInconsistency after), as ZooKeeper reports them.
	Errs []zk.Code `msgpack:"es,omitempty"`
}

// StatOf is the Stat a Reply or OpResult carries, zeros if it has none
// (the op returns no Stat, or failed).
func StatOf(s *zk.Stat) zk.Stat {
	if s == nil {
		return zk.Stat{}
	}
	return *s
}

func (*Request) Kind() Kind      { return KindRequest }
func (*Reply) Kind() Kind        { return KindReply }
func (*Forward) Kind() Kind      { return KindForward }
func (*ForwardReply) Kind() Kind { return KindForwardReply }
func (*WatchEvent) Kind() Kind   { return KindWatchEvent }

func (f *Forward) EpochOf() uint64      { return f.Epoch }
func (f *ForwardReply) EpochOf() uint64 { return f.Epoch }
func (f *ForwardReply) ZxidOf() uint64  { return f.Zxid }
func (r *Reply) ZxidOf() uint64         { return uint64(r.Zxid) }
func (w *WatchEvent) ZxidOf() uint64    { return uint64(w.Zxid) }
