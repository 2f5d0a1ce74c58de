package replica

import (
	"errors"
	"fmt"

	"github.com/paddock-zk/paddock/actors/msg"
)

// Entry is one transaction of the log. Data is opaque here.
type Entry = msg.Entry

// Errors a Storage returns for expected conditions.
var (
	// ErrCompacted: the entries asked for were dropped by compaction; the
	// reader must fall back to the snapshot.
	ErrCompacted = errors.New("replica: log compacted")
	// ErrNoSnapshot: no snapshot with the asked zxid exists (any more).
	ErrNoSnapshot = errors.New("replica: no such snapshot")
)

// Storage is the read side of a node's durable history: its log, its latest
// snapshot and its epochs. The Replica only reads it; the shell writes it
// by carrying out Ready (see Ready for the order) and then calls Advance, so
// whatever Storage returns has been made durable.
//
// The log is contiguous: it holds every entry after the snapshot's zxid (it
// may hold older ones too) up to LastZxid. A fresh storage has an empty
// snapshot at zxid 0.
type Storage interface {
	// LastZxid is the zxid of the last log entry, or the snapshot's zxid if
	// the log holds nothing after it.
	LastZxid() uint64
	// FirstZxid is the zxid of the first entry in the log, 0 if it is empty.
	FirstZxid() uint64
	// CurrentEpoch is the epoch of the last history this node installed
	// (ZooKeeper's currentEpoch file).
	CurrentEpoch() uint64
	// AcceptedEpoch is the last epoch this node accepted (written by the
	// voter's shell; the replica only reports it).
	AcceptedEpoch() uint64
	// Entries returns the entries with zxid > after in order, at most
	// maxBytes of Data in total but always at least one if any exists. It
	// returns ErrCompacted if entries right after `after` are no longer held.
	Entries(after uint64, maxBytes int) ([]Entry, error)
	// Snapshot describes the latest snapshot: its zxid and size in bytes.
	// A snapshot is of applied, hence committed, state.
	Snapshot() (zxid uint64, size int64, err error)
	// ReadSnapshot reads up to n bytes at off of the snapshot at zxid.
	ReadSnapshot(zxid uint64, off int64, n int) ([]byte, error)
}

// MemStorage is an in-memory Storage with the write side a shell needs, for
// tests and simulation. It models durability: writes change the live state,
// Sync makes it durable, and Crash throws away whatever was not synced, as
// a power failure would. Epoch writes are durable at once (the wal writes
// them with fsync and rename), and SetCurrentEpoch refuses to run while log
// writes are unsynced, which enforces ZOOKEEPER-4785's ordering in tests.
//
// It is not safe for concurrent use.
type MemStorage struct {
	live, durable memState
	accepted      uint64
	current       uint64
}

type memState struct {
	snapZxid uint64
	snap     []byte
	ents     []Entry // all with zxid > snapZxid, ascending
}

var _ Storage = (*MemStorage)(nil)

// NewMemStorage returns an empty storage: no log, an empty snapshot at 0.
func NewMemStorage() *MemStorage { return &MemStorage{} }

// LastZxid implements Storage.
func (m *MemStorage) LastZxid() uint64 {
	if n := len(m.live.ents); n > 0 {
		return m.live.ents[n-1].Zxid
	}
	return m.live.snapZxid
}

// FirstZxid implements Storage.
func (m *MemStorage) FirstZxid() uint64 {
	if len(m.live.ents) > 0 {
		return m.live.ents[0].Zxid
	}
	return 0
}

// CurrentEpoch implements Storage.
func (m *MemStorage) CurrentEpoch() uint64 { return m.current }

// AcceptedEpoch implements Storage.
func (m *MemStorage) AcceptedEpoch() uint64 { return m.accepted }

// Entries implements Storage.
func (m *MemStorage) Entries(after uint64, maxBytes int) ([]Entry, error) {
	if after < m.live.snapZxid {
		return nil, fmt.Errorf("%w: entries after %s (snapshot at %s)", ErrCompacted, msg.FormatZxid(after), msg.FormatZxid(m.live.snapZxid))
	}
	i := m.search(after)
	var out []Entry
	size := 0
	for ; i < len(m.live.ents); i++ {
		e := m.live.ents[i]
		if len(out) > 0 && size+len(e.Data) > maxBytes {
			break
		}
		size += len(e.Data)
		out = append(out, e)
	}
	return out, nil
}

// search is the index of the first entry with zxid > after.
func (m *MemStorage) search(after uint64) int {
	lo, hi := 0, len(m.live.ents)
	for lo < hi {
		mid := (lo + hi) / 2
		if m.live.ents[mid].Zxid <= after {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// Snapshot implements Storage.
func (m *MemStorage) Snapshot() (uint64, int64, error) {
	return m.live.snapZxid, int64(len(m.live.snap)), nil
}

// ReadSnapshot implements Storage.
func (m *MemStorage) ReadSnapshot(zxid uint64, off int64, n int) ([]byte, error) {
	if zxid != m.live.snapZxid {
		return nil, fmt.Errorf("%w: %s (have %s)", ErrNoSnapshot, msg.FormatZxid(zxid), msg.FormatZxid(m.live.snapZxid))
	}
	if off < 0 || off > int64(len(m.live.snap)) {
		return nil, fmt.Errorf("replica: snapshot offset %d outside [0,%d]", off, len(m.live.snap))
	}
	end := off + int64(n)
	if end > int64(len(m.live.snap)) {
		end = int64(len(m.live.snap))
	}
	return m.live.snap[off:end], nil
}

// Append adds entries after the last one; their zxids must ascend.
func (m *MemStorage) Append(ents []Entry) error {
	last := m.LastZxid()
	for _, e := range ents {
		if e.Zxid <= last {
			return fmt.Errorf("replica: append %s after %s: zxids must ascend", msg.FormatZxid(e.Zxid), msg.FormatZxid(last))
		}
		last = e.Zxid
	}
	m.live.ents = append(m.live.ents, ents...)
	return nil
}

// TruncateAfter drops every entry with zxid > zxid. It cannot cut into the
// snapshot.
func (m *MemStorage) TruncateAfter(zxid uint64) error {
	if zxid < m.live.snapZxid {
		return fmt.Errorf("replica: truncate after %s below the snapshot at %s", msg.FormatZxid(zxid), msg.FormatZxid(m.live.snapZxid))
	}
	// Cap the slice so a later append reallocates instead of overwriting
	// entries the durable state still shares.
	i := m.search(zxid)
	m.live.ents = m.live.ents[:i:i]
	return nil
}

// InstallSnapshot replaces the state with data at zxid and discards the
// whole log (it continues after zxid).
func (m *MemStorage) InstallSnapshot(zxid uint64, data []byte) {
	m.live = memState{snapZxid: zxid, snap: data}
}

// Compact records data as the snapshot at zxid (the shell's serialization
// of its applied state) and drops the log entries up to zxid. zxid must be
// the snapshot base or an entry in the log.
func (m *MemStorage) Compact(zxid uint64, data []byte) error {
	if zxid < m.live.snapZxid || zxid > m.LastZxid() {
		return fmt.Errorf("replica: compact at %s outside the log (%s, %s]", msg.FormatZxid(zxid), msg.FormatZxid(m.live.snapZxid), msg.FormatZxid(m.LastZxid()))
	}
	i := m.search(zxid)
	if zxid != m.live.snapZxid && (i == 0 || m.live.ents[i-1].Zxid != zxid) {
		return fmt.Errorf("replica: compact at %s: no such entry", msg.FormatZxid(zxid))
	}
	m.live = memState{snapZxid: zxid, snap: data, ents: m.live.ents[i:len(m.live.ents):len(m.live.ents)]}
	// Compaction of already durable state is itself durable in this model
	// (the wal writes the snapshot file and fsyncs before purging logs).
	if m.synced() {
		m.durable = m.live
	}
	return nil
}

// Sync makes every write so far durable.
func (m *MemStorage) Sync() { m.durable = m.live }

// synced reports whether the live state equals the durable one (same
// slices, not just equal contents, since writes always replace them).
func (m *MemStorage) synced() bool {
	a, b := m.live, m.durable
	return a.snapZxid == b.snapZxid && len(a.ents) == len(b.ents) && len(a.snap) == len(b.snap) &&
		(len(a.ents) == 0 || &a.ents[0] == &b.ents[0]) && (len(a.snap) == 0 || &a.snap[0] == &b.snap[0])
}

// SetCurrentEpoch durably writes the currentEpoch. It fails if log writes
// are not yet synced: the epoch must never be ahead of the history it
// names (ZOOKEEPER-4785).
func (m *MemStorage) SetCurrentEpoch(e uint64) error {
	if !m.synced() {
		return errors.New("replica: currentEpoch written before the log is durable")
	}
	m.current = e
	return nil
}

// SetAcceptedEpoch durably writes the acceptedEpoch.
func (m *MemStorage) SetAcceptedEpoch(e uint64) { m.accepted = e }

// Crash discards every write not made durable by Sync.
func (m *MemStorage) Crash() { m.live = m.durable }

// Persist carries out the storage part of rd in the order Ready demands:
// truncate, snapshot, append, sync, then currentEpoch. The caller applies
// rd.Committed and sends rd.Messages afterwards, then calls Advance.
func (m *MemStorage) Persist(rd Ready) error {
	if rd.Truncate != nil {
		if err := m.TruncateAfter(*rd.Truncate); err != nil {
			return err
		}
	}
	if rd.Snapshot != nil {
		m.InstallSnapshot(rd.Snapshot.Zxid, rd.Snapshot.Data)
	}
	if len(rd.Entries) > 0 {
		if err := m.Append(rd.Entries); err != nil {
			return err
		}
	}
	m.Sync()
	if rd.CurrentEpoch != 0 {
		if err := m.SetCurrentEpoch(rd.CurrentEpoch); err != nil {
			return err
		}
	}
	return nil
}
