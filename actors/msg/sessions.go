package msg

// Session tracking. The leader's sessions actor owns expiry: its store
// tells it which sessions the replicated state holds when the node starts
// leading and as createSession/closeSession txns apply; every node's store
// sends the leader batches of the sessions its clients touched; the
// sessions actor asks its store to close the sessions that expired.

// SessionInfo is a live session and its negotiated timeout (ms).
type SessionInfo struct {
	ID      int64 `msgpack:"i"`
	Timeout int32 `msgpack:"t"`
}

// SessionsUpdate tells the local sessions actor what the replicated state
// holds. Reset replaces the whole table (sent when the node starts or
// stops leading: Leading says which); otherwise Opened and Closed are
// deltas from applied txns.
type SessionsUpdate struct {
	Epoch   uint64        `msgpack:"e"`
	Leading bool          `msgpack:"l"`
	Reset   bool          `msgpack:"r,omitempty"`
	Opened  []SessionInfo `msgpack:"o,omitempty"`
	Closed  []int64       `msgpack:"c,omitempty"`
}

// Touch carries the sessions a node's clients were heard from since its
// last Touch, to the leader's sessions actor.
type Touch struct {
	Epoch    uint64  `msgpack:"e"`
	Sessions []int64 `msgpack:"s"`
}

// Expire asks the leader's store to close these sessions: their timeout
// passed without a touch.
type Expire struct {
	Epoch    uint64  `msgpack:"e"`
	Sessions []int64 `msgpack:"s"`
}

func (*SessionsUpdate) Kind() Kind { return KindSessionsUpdate }
func (*Touch) Kind() Kind          { return KindTouch }
func (*Expire) Kind() Kind         { return KindExpire }

func (s *SessionsUpdate) EpochOf() uint64 { return s.Epoch }
func (t *Touch) EpochOf() uint64          { return t.Epoch }
func (e *Expire) EpochOf() uint64         { return e.Epoch }
