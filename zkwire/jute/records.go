package jute

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
type RequestHeader struct{ Xid, Type int32 }

// Encode writes the record in jute order.
func (r *RequestHeader) Encode(e *Encoder) { e.Int(r.Xid); e.Int(r.Type) }

// Decode reads the record in jute order.
func (r *RequestHeader) Decode(d *Decoder) { r.Xid = d.Int(); r.Type = d.Int() }

// ReplyHeader starts every reply and notification.
type ReplyHeader struct {
	Xid  int32
	Zxid int64
	Err  int32
}

// Encode writes the record in jute order.
func (r *ReplyHeader) Encode(e *Encoder) { e.Int(r.Xid); e.Long(r.Zxid); e.Int(r.Err) }

// Decode reads the record in jute order.
func (r *ReplyHeader) Decode(d *Decoder) { r.Xid = d.Int(); r.Zxid = d.Long(); r.Err = d.Int() }

// Stat is a znode's stat.
type Stat struct {
	Czxid, Mzxid, Ctime, Mtime  int64
	Version, Cversion, Aversion int32
	EphemeralOwner              int64
	DataLength, NumChildren     int32
	Pzxid                       int64
}

// StatSize is the encoded size of a Stat.
const StatSize = 8*4 + 4*3 + 8 + 4*2 + 8

// Encode writes the record in jute order.
func (r *Stat) Encode(e *Encoder) {
	e.Long(r.Czxid)
	e.Long(r.Mzxid)
	e.Long(r.Ctime)
	e.Long(r.Mtime)
	e.Int(r.Version)
	e.Int(r.Cversion)
	e.Int(r.Aversion)
	e.Long(r.EphemeralOwner)
	e.Int(r.DataLength)
	e.Int(r.NumChildren)
	e.Long(r.Pzxid)
}

// Decode reads the record in jute order.
func (r *Stat) Decode(d *Decoder) {
	r.Czxid = d.Long()
	r.Mzxid = d.Long()
	r.Ctime = d.Long()
	r.Mtime = d.Long()
	r.Version = d.Int()
	r.Cversion = d.Int()
	r.Aversion = d.Int()
	r.EphemeralOwner = d.Long()
	r.DataLength = d.Int()
	r.NumChildren = d.Int()
	r.Pzxid = d.Long()
}

// ID is an authentication identity.
type ID struct{ Scheme, ID string }

// Encode writes the record in jute order.
func (r *ID) Encode(e *Encoder) { e.String(r.Scheme); e.String(r.ID) }

// Decode reads the record in jute order.
func (r *ID) Decode(d *Decoder) { r.Scheme = d.String(); r.ID = d.String() }

// ACL is one access control entry.
type ACL struct {
	Perms int32
	ID    ID
}

// Encode writes the record in jute order.
func (r *ACL) Encode(e *Encoder) { e.Int(r.Perms); r.ID.Encode(e) }

// Decode reads the record in jute order.
func (r *ACL) Decode(d *Decoder) { r.Perms = d.Int(); r.ID.Decode(d) }

func encodeACLs(e *Encoder, v []ACL) {
	if v == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(v)))
	for i := range v {
		v[i].Encode(e)
	}
}

func decodeACLs(d *Decoder) []ACL {
	n, null := d.VectorLen(12)
	if null || d.Err() != nil {
		return nil
	}
	v := make([]ACL, n)
	for i := range v {
		v[i].Decode(d)
	}
	return v
}

// CreateRequest is create, create2 and createContainer's request.
type CreateRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32
}

// Encode writes the record in jute order.
func (r *CreateRequest) Encode(e *Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	encodeACLs(e, r.ACL)
	e.Int(r.Flags)
}

// Decode reads the record in jute order.
func (r *CreateRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = decodeACLs(d)
	r.Flags = d.Int()
}

// CreateTTLRequest is createTTL's request.
type CreateTTLRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32
	TTL   int64
}

// Encode writes the record in jute order.
func (r *CreateTTLRequest) Encode(e *Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	encodeACLs(e, r.ACL)
	e.Int(r.Flags)
	e.Long(r.TTL)
}

// Decode reads the record in jute order.
func (r *CreateTTLRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = decodeACLs(d)
	r.Flags = d.Int()
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
	Stat Stat
}

// Encode writes the record in jute order.
func (r *Create2Response) Encode(e *Encoder) { e.String(r.Path); r.Stat.Encode(e) }

// Decode reads the record in jute order.
func (r *Create2Response) Decode(d *Decoder) { r.Path = d.String(); r.Stat.Decode(d) }

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
type StatResponse struct{ Stat Stat }

// Encode writes the record in jute order.
func (r *StatResponse) Encode(e *Encoder) { r.Stat.Encode(e) }

// Decode reads the record in jute order.
func (r *StatResponse) Decode(d *Decoder) { r.Stat.Decode(d) }

// ExistsResponse has the layout of StatResponse.
type ExistsResponse = StatResponse

// SetDataResponse has the layout of StatResponse.
type SetDataResponse = StatResponse

// SetACLResponse has the layout of StatResponse.
type SetACLResponse = StatResponse

// GetDataResponse is getData's reply.
type GetDataResponse struct {
	Data []byte
	Stat Stat
}

// Encode writes the record in jute order.
func (r *GetDataResponse) Encode(e *Encoder) { e.Buffer(r.Data); r.Stat.Encode(e) }

// Decode reads the record in jute order.
func (r *GetDataResponse) Decode(d *Decoder) { r.Data = d.Buffer(); r.Stat.Decode(d) }

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
	ACL  []ACL
	Stat Stat
}

// Encode writes the record in jute order.
func (r *GetACLResponse) Encode(e *Encoder) { encodeACLs(e, r.ACL); r.Stat.Encode(e) }

// Decode reads the record in jute order.
func (r *GetACLResponse) Decode(d *Decoder) { r.ACL = decodeACLs(d); r.Stat.Decode(d) }

// SetACLRequest is setACL's request.
type SetACLRequest struct {
	Path    string
	ACL     []ACL
	Version int32
}

// Encode writes the record in jute order.
func (r *SetACLRequest) Encode(e *Encoder) { e.String(r.Path); encodeACLs(e, r.ACL); e.Int(r.Version) }

// Decode reads the record in jute order.
func (r *SetACLRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.ACL = decodeACLs(d)
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
	Stat     Stat
}

// Encode writes the record in jute order.
func (r *GetChildren2Response) Encode(e *Encoder) { e.Strings(r.Children); r.Stat.Encode(e) }

// Decode reads the record in jute order.
func (r *GetChildren2Response) Decode(d *Decoder) { r.Children = d.Strings(); r.Stat.Decode(d) }

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
	Type int32
	Done bool
	Err  int32
}

// Encode writes the record in jute order.
func (r *MultiHeader) Encode(e *Encoder) { e.Int(r.Type); e.Bool(r.Done); e.Int(r.Err) }

// Decode reads the record in jute order.
func (r *MultiHeader) Decode(d *Decoder) { r.Type = d.Int(); r.Done = d.Bool(); r.Err = d.Int() }

// ErrorResult is a failed op's result in a multi response.
type ErrorResult struct{ Err int32 }

// Encode writes the record in jute order.
func (r *ErrorResult) Encode(e *Encoder) { e.Int(r.Err) }

// Decode reads the record in jute order.
func (r *ErrorResult) Decode(d *Decoder) { r.Err = d.Int() }

// AddWatchRequest is addWatch's request (mode 0 persistent, 1 recursive).
type AddWatchRequest struct {
	Path string
	Mode int32
}

// Encode writes the record in jute order.
func (r *AddWatchRequest) Encode(e *Encoder) { e.String(r.Path); e.Int(r.Mode) }

// Decode reads the record in jute order.
func (r *AddWatchRequest) Decode(d *Decoder) { r.Path = d.String(); r.Mode = d.Int() }

// PathType is RemoveWatchesRequest and CheckWatchesRequest (Type is the
// WatcherType: 1 children, 2 data, 3 any).
type PathType struct {
	Path string
	Type int32
}

// Encode writes the record in jute order.
func (r *PathType) Encode(e *Encoder) { e.String(r.Path); e.Int(r.Type) }

// Decode reads the record in jute order.
func (r *PathType) Decode(d *Decoder) { r.Path = d.String(); r.Type = d.Int() }

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
	Type, State int32
	Path        string
}

// Encode writes the record in jute order.
func (r *WatcherEvent) Encode(e *Encoder) { e.Int(r.Type); e.Int(r.State); e.String(r.Path) }

// Decode reads the record in jute order.
func (r *WatcherEvent) Decode(d *Decoder) { r.Type = d.Int(); r.State = d.Int(); r.Path = d.String() }

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
