package jute

import "github.com/paddock-zk/paddock/zk"

// The records of zookeeper.jute that clients use, field for field in the
// same order. Names follow the .jute file.

// ConnectRequest opens (or re-attaches) a session. ReadOnly is present
// only when the client sent the trailing byte (HasReadOnly).
type ConnectRequest struct {
	ProtocolVersion int32
	LastZxidSeen    int64
	TimeOut         int32
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
	HasReadOnly     bool
}

// Encode writes the record in jute order.
func (r *ConnectRequest) Encode(e *Encoder) {
	e.Int(r.ProtocolVersion)
	e.Long(r.LastZxidSeen)
	e.Int(r.TimeOut)
	e.Long(r.SessionID)
	e.Buffer(r.Passwd)
	if r.HasReadOnly {
		e.Bool(r.ReadOnly)
	}
}

// Decode reads the record in jute order.
func (r *ConnectRequest) Decode(d *Decoder) {
	r.ProtocolVersion = d.Int()
	r.LastZxidSeen = d.Long()
	r.TimeOut = d.Int()
	r.SessionID = d.Long()
	r.Passwd = d.Buffer()
	if d.Err() == nil && d.Len() > 0 {
		r.HasReadOnly = true
		r.ReadOnly = d.Bool()
	}
}

// ConnectResponse answers a ConnectRequest; the readOnly byte is written
// only if HasReadOnly (the client sent one).
type ConnectResponse struct {
	ProtocolVersion int32
	TimeOut         int32
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
	HasReadOnly     bool
}

// Encode writes the record in jute order.
func (r *ConnectResponse) Encode(e *Encoder) {
	e.Int(r.ProtocolVersion)
	e.Int(r.TimeOut)
	e.Long(r.SessionID)
	e.Buffer(r.Passwd)
	if r.HasReadOnly {
		e.Bool(r.ReadOnly)
	}
}

// Decode reads the record in jute order.
func (r *ConnectResponse) Decode(d *Decoder) {
	r.ProtocolVersion = d.Int()
	r.TimeOut = d.Int()
	r.SessionID = d.Long()
	r.Passwd = d.Buffer()
	if d.Err() == nil && d.Len() > 0 {
		r.HasReadOnly = true
		r.ReadOnly = d.Bool()
	}
}

// RequestHeader starts every request after the handshake.
type RequestHeader struct {
	Xid  int32
	Type zk.OpCode
}

// Encode writes the record in jute order.
func (r *RequestHeader) Encode(e *Encoder) { e.Int(r.Xid); e.Int(int32(r.Type)) }

// Decode reads the record in jute order.
func (r *RequestHeader) Decode(d *Decoder) { r.Xid = d.Int(); r.Type = zk.OpCode(d.Int()) }

// ReplyHeader starts every reply and notification.
type ReplyHeader struct {
	Xid  int32
	Zxid int64
	Err  zk.Code
}

// Encode writes the record in jute order.
func (r *ReplyHeader) Encode(e *Encoder) { e.Int(r.Xid); e.Long(r.Zxid); e.Int(int32(r.Err)) }

// Decode reads the record in jute order.
func (r *ReplyHeader) Decode(d *Decoder) {
	r.Xid = d.Int()
	r.Zxid = d.Long()
	r.Err = zk.Code(d.Int())
}

// StatSize is the encoded size of a Stat.
const StatSize = 8*4 + 4*3 + 8 + 4*2 + 8

// CreateRequest is create, create2 and createContainer's request.
type CreateRequest struct {
	Path  string
	Data  []byte
	ACL   []zk.ACL
	Flags zk.CreateMode
}

// Encode writes the record in jute order.
func (r *CreateRequest) Encode(e *Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	e.ACLs(r.ACL)
	e.Int(int32(r.Flags))
}

// Decode reads the record in jute order.
func (r *CreateRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = d.ACLs()
	r.Flags = zk.CreateMode(d.Int())
}

// CreateTTLRequest is createTTL's request.
type CreateTTLRequest struct {
	Path  string
	Data  []byte
	ACL   []zk.ACL
	Flags zk.CreateMode
	TTL   int64
}

// Encode writes the record in jute order.
func (r *CreateTTLRequest) Encode(e *Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	e.ACLs(r.ACL)
	e.Int(int32(r.Flags))
	e.Long(r.TTL)
}

// Decode reads the record in jute order.
func (r *CreateTTLRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = d.ACLs()
	r.Flags = zk.CreateMode(d.Int())
	r.TTL = d.Long()
}

// PathResponse is CreateResponse and SyncResponse: one path.
type PathResponse struct{ Path string }

// Encode writes the record in jute order.
func (r *PathResponse) Encode(e *Encoder) { e.String(r.Path) }

// Decode reads the record in jute order.
func (r *PathResponse) Decode(d *Decoder) { r.Path = d.String() }

// CreateResponse has the layout of PathResponse.
type CreateResponse = PathResponse

// SyncResponse has the layout of PathResponse.
type SyncResponse = PathResponse

// Create2Response is create2's (and createContainer's, createTTL's) reply.
type Create2Response struct {
	Path string
	Stat zk.Stat
}

// Encode writes the record in jute order.
func (r *Create2Response) Encode(e *Encoder) { e.String(r.Path); e.Stat(&r.Stat) }

// Decode reads the record in jute order.
func (r *Create2Response) Decode(d *Decoder) { r.Path = d.String(); r.Stat = d.Stat() }

// PathVersion is DeleteRequest and CheckVersionRequest.
type PathVersion struct {
	Path    string
	Version int32
}

// Encode writes the record in jute order.
func (r *PathVersion) Encode(e *Encoder) { e.String(r.Path); e.Int(r.Version) }

// Decode reads the record in jute order.
func (r *PathVersion) Decode(d *Decoder) { r.Path = d.String(); r.Version = d.Int() }

// DeleteRequest has the layout of PathVersion.
type DeleteRequest = PathVersion

// CheckVersionRequest has the layout of PathVersion.
type CheckVersionRequest = PathVersion

// PathWatch is ExistsRequest, GetDataRequest, GetChildrenRequest and
// GetChildren2Request.
type PathWatch struct {
	Path  string
	Watch bool
}

// Encode writes the record in jute order.
func (r *PathWatch) Encode(e *Encoder) { e.String(r.Path); e.Bool(r.Watch) }

// Decode reads the record in jute order.
func (r *PathWatch) Decode(d *Decoder) { r.Path = d.String(); r.Watch = d.Bool() }

// ExistsRequest has the layout of PathWatch.
type ExistsRequest = PathWatch

// GetDataRequest has the layout of PathWatch.
type GetDataRequest = PathWatch

// GetChildrenRequest has the layout of PathWatch.
type GetChildrenRequest = PathWatch

// GetChildren2Request has the layout of PathWatch.
type GetChildren2Request = PathWatch

// PathOnly is GetACLRequest, SyncRequest, GetAllChildrenNumberRequest and
// GetEphemeralsRequest (prefixPath).
type PathOnly = PathResponse

// GetACLRequest has the layout of PathOnly.
type GetACLRequest = PathOnly

// SyncRequest has the layout of PathOnly.
type SyncRequest = PathOnly

// GetAllChildrenNumberRequest has the layout of PathOnly.
type GetAllChildrenNumberRequest = PathOnly

// GetEphemeralsRequest has the layout of PathOnly.
type GetEphemeralsRequest = PathOnly

// StatResponse is ExistsResponse, SetDataResponse and SetACLResponse.
type StatResponse struct{ Stat zk.Stat }

// Encode writes the record in jute order.
func (r *StatResponse) Encode(e *Encoder) { e.Stat(&r.Stat) }

// Decode reads the record in jute order.
func (r *StatResponse) Decode(d *Decoder) { r.Stat = d.Stat() }

// ExistsResponse has the layout of StatResponse.
type ExistsResponse = StatResponse

// SetDataResponse has the layout of StatResponse.
type SetDataResponse = StatResponse

// SetACLResponse has the layout of StatResponse.
type SetACLResponse = StatResponse

// GetDataResponse is getData's reply.
type GetDataResponse struct {
	Data []byte
	Stat zk.Stat
}

// Encode writes the record in jute order.
func (r *GetDataResponse) Encode(e *Encoder) { e.Buffer(r.Data); e.Stat(&r.Stat) }

// Decode reads the record in jute order.
func (r *GetDataResponse) Decode(d *Decoder) { r.Data = d.Buffer(); r.Stat = d.Stat() }

// SetDataRequest is setData's request.
type SetDataRequest struct {
	Path    string
	Data    []byte
	Version int32
}

// Encode writes the record in jute order.
func (r *SetDataRequest) Encode(e *Encoder) { e.String(r.Path); e.Buffer(r.Data); e.Int(r.Version) }

// Decode reads the record in jute order.
func (r *SetDataRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.Version = d.Int()
}

// GetACLResponse is getACL's reply.
type GetACLResponse struct {
	ACL  []zk.ACL
	Stat zk.Stat
}

// Encode writes the record in jute order.
func (r *GetACLResponse) Encode(e *Encoder) { e.ACLs(r.ACL); e.Stat(&r.Stat) }

// Decode reads the record in jute order.
func (r *GetACLResponse) Decode(d *Decoder) { r.ACL = d.ACLs(); r.Stat = d.Stat() }

// SetACLRequest is setACL's request.
type SetACLRequest struct {
	Path    string
	ACL     []zk.ACL
	Version int32
}

// Encode writes the record in jute order.
func (r *SetACLRequest) Encode(e *Encoder) { e.String(r.Path); e.ACLs(r.ACL); e.Int(r.Version) }

// Decode reads the record in jute order.
func (r *SetACLRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.ACL = d.ACLs()
	r.Version = d.Int()
}

// GetChildrenResponse is getChildren's reply.
type GetChildrenResponse struct{ Children []string }

// Encode writes the record in jute order.
func (r *GetChildrenResponse) Encode(e *Encoder) { e.Strings(r.Children) }

// Decode reads the record in jute order.
func (r *GetChildrenResponse) Decode(d *Decoder) { r.Children = d.Strings() }

// GetChildren2Response is getChildren2's reply.
type GetChildren2Response struct {
	Children []string
	Stat     zk.Stat
}

// Encode writes the record in jute order.
func (r *GetChildren2Response) Encode(e *Encoder) { e.Strings(r.Children); e.Stat(&r.Stat) }

// Decode reads the record in jute order.
func (r *GetChildren2Response) Decode(d *Decoder) { r.Children = d.Strings(); r.Stat = d.Stat() }

// GetEphemeralsResponse is getEphemerals' reply.
type GetEphemeralsResponse = GetChildrenResponse

// GetAllChildrenNumberResponse is getAllChildrenNumber's reply.
type GetAllChildrenNumberResponse struct{ TotalNumber int32 }

// Encode writes the record in jute order.
func (r *GetAllChildrenNumberResponse) Encode(e *Encoder) { e.Int(r.TotalNumber) }

// Decode reads the record in jute order.
func (r *GetAllChildrenNumberResponse) Decode(d *Decoder) { r.TotalNumber = d.Int() }

// MultiHeader precedes every op of a multi request and response; a header
// with Done ends the list.
type MultiHeader struct {
	Type zk.OpCode
	Done bool
	Err  zk.Code
}

// Encode writes the record in jute order.
func (r *MultiHeader) Encode(e *Encoder) { e.Int(int32(r.Type)); e.Bool(r.Done); e.Int(int32(r.Err)) }

// Decode reads the record in jute order.
func (r *MultiHeader) Decode(d *Decoder) {
	r.Type = zk.OpCode(d.Int())
	r.Done = d.Bool()
	r.Err = zk.Code(d.Int())
}

// ErrorResult is a failed op's result in a multi response.
type ErrorResult struct{ Err zk.Code }

// Encode writes the record in jute order.
func (r *ErrorResult) Encode(e *Encoder) { e.Int(int32(r.Err)) }

// Decode reads the record in jute order.
func (r *ErrorResult) Decode(d *Decoder) { r.Err = zk.Code(d.Int()) }

// AddWatchRequest is addWatch's request.
type AddWatchRequest struct {
	Path string
	Mode zk.AddWatchMode
}

// Encode writes the record in jute order.
func (r *AddWatchRequest) Encode(e *Encoder) { e.String(r.Path); e.Int(int32(r.Mode)) }

// Decode reads the record in jute order.
func (r *AddWatchRequest) Decode(d *Decoder) { r.Path = d.String(); r.Mode = zk.AddWatchMode(d.Int()) }

// PathType is RemoveWatchesRequest and CheckWatchesRequest.
type PathType struct {
	Path string
	Type zk.WatcherType
}

// Encode writes the record in jute order.
func (r *PathType) Encode(e *Encoder) { e.String(r.Path); e.Int(int32(r.Type)) }

// Decode reads the record in jute order.
func (r *PathType) Decode(d *Decoder) { r.Path = d.String(); r.Type = zk.WatcherType(d.Int()) }

// RemoveWatchesRequest has the layout of PathType.
type RemoveWatchesRequest = PathType

// CheckWatchesRequest has the layout of PathType.
type CheckWatchesRequest = PathType

// SetWatches re-registers a client's watches after a reconnect.
type SetWatches struct {
	RelativeZxid               int64
	DataWatches, ExistWatches  []string
	ChildWatches               []string
	PersistentWatches          []string // SetWatches2 only
	PersistentRecursiveWatches []string // SetWatches2 only
	Two                        bool     // SetWatches2
}

// Encode writes the record in jute order.
func (r *SetWatches) Encode(e *Encoder) {
	e.Long(r.RelativeZxid)
	e.Strings(r.DataWatches)
	e.Strings(r.ExistWatches)
	e.Strings(r.ChildWatches)
	if r.Two {
		e.Strings(r.PersistentWatches)
		e.Strings(r.PersistentRecursiveWatches)
	}
}

// Decode reads the record in jute order.
func (r *SetWatches) Decode(d *Decoder) {
	r.RelativeZxid = d.Long()
	r.DataWatches = d.Strings()
	r.ExistWatches = d.Strings()
	r.ChildWatches = d.Strings()
	if r.Two {
		r.PersistentWatches = d.Strings()
		r.PersistentRecursiveWatches = d.Strings()
	}
}

// WatcherEvent is a notification's body (reply xid -1).
type WatcherEvent struct {
	Type  zk.EventType
	State zk.KeeperState
	Path  string
}

// Encode writes the record in jute order.
func (r *WatcherEvent) Encode(e *Encoder) {
	e.Int(int32(r.Type))
	e.Int(int32(r.State))
	e.String(r.Path)
}

// Decode reads the record in jute order.
func (r *WatcherEvent) Decode(d *Decoder) {
	r.Type = zk.EventType(d.Int())
	r.State = zk.KeeperState(d.Int())
	r.Path = d.String()
}

// AuthPacket is addAuth's request (xid -4, opcode 100).
type AuthPacket struct {
	Type   int32
	Scheme string
	Auth   []byte
}

// Encode writes the record in jute order.
func (r *AuthPacket) Encode(e *Encoder) { e.Int(r.Type); e.String(r.Scheme); e.Buffer(r.Auth) }

// Decode reads the record in jute order.
func (r *AuthPacket) Decode(d *Decoder) { r.Type = d.Int(); r.Scheme = d.String(); r.Auth = d.Buffer() }

// ClientInfo is one authenticated identity in WhoAmIResponse.
type ClientInfo struct{ AuthScheme, User string }

// WhoAmIResponse is whoAmI's reply.
type WhoAmIResponse struct{ ClientInfo []ClientInfo }

// Encode writes the record in jute order.
func (r *WhoAmIResponse) Encode(e *Encoder) {
	if r.ClientInfo == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(r.ClientInfo)))
	for _, c := range r.ClientInfo {
		e.String(c.AuthScheme)
		e.String(c.User)
	}
}

// Decode reads the record in jute order.
func (r *WhoAmIResponse) Decode(d *Decoder) {
	n, null := d.VectorLen(8)
	if null || d.Err() != nil {
		r.ClientInfo = nil
		return
	}
	r.ClientInfo = make([]ClientInfo, n)
	for i := range r.ClientInfo {
		r.ClientInfo[i] = ClientInfo{d.String(), d.String()}
	}
}
