package sim

import (
	"bytes"
	"sort"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/store"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// History is the canonical applied history of an ensemble: every node's
// applied txns must be a prefix of it, with the reference tree's digest
// at every zxid, and at most one leader may commit in each epoch. It
// learns what a node applied from the node's tree and its log after each
// Flush: the txns between the zxid it saw last and the tree's are those
// of the log, unless a snapshot replaced the tree (the log then no longer
// holds them), when the tree alone is compared.
type History struct {
	e       *Ensemble
	canon   []msg.Entry
	index   map[uint64]int   // zxid -> index in canon
	digests map[int64]uint64 // zxid -> reference digest after it
	// Txns maps each committed request to the zxid of its txn.
	Txns map[TxnKey]int64
	// Errs is the client-visible code each txn applied with.
	Errs    map[int64]zk.Code
	isClose map[int64]bool
	paths   map[string][]RefState
	// Ref is a tree that applied exactly the canonical history.
	Ref     *znode.Tree
	pos     map[msg.NodeID]int    // index in canon of the node's last applied txn, -1 for none
	seen    map[msg.NodeID]uint64 // the tree zxid last observed
	leaders map[uint64]msg.NodeID
	// elected is every leader a voter established, by epoch; accepted
	// the last durable acceptedEpoch of each node.
	elected  map[uint64]msg.NodeID
	accepted map[msg.NodeID]uint64
}

// TxnKey names a client request: its session and xid.
type TxnKey struct {
	Session int64
	Cxid    int32
}

// RefState is a znode's state right after a canonical txn.
type RefState struct {
	Zxid    int64
	Exists  bool
	Data    []byte
	Version int32
}

// expiryCxid is the cxid of the txns the leader proposes on its own
// (expired sessions' closes, container and TTL deletes): no request.
const expiryCxid = -1

func newHistory(e *Ensemble) *History {
	return &History{e: e, index: map[uint64]int{}, digests: map[int64]uint64{0: znode.New().Digest()},
		Txns: map[TxnKey]int64{}, Errs: map[int64]zk.Code{}, isClose: map[int64]bool{},
		paths: map[string][]RefState{}, Ref: znode.New(), pos: map[msg.NodeID]int{}, seen: map[msg.NodeID]uint64{},
		leaders: map[uint64]msg.NodeID{}, elected: map[uint64]msg.NodeID{}, accepted: map[msg.NodeID]uint64{}}
}

// observeVoter checks the election after a voter's Flush: at most one
// leader established per epoch, and an accepted epoch never goes back.
func (h *History) observeVoter(n *Node) {
	st := n.Voter.Status()
	if st.State == msg.StateLeading && st.Established {
		if other, ok := h.elected[st.Epoch]; ok && other != n.ID {
			h.e.Fatalf("two leaders established for epoch %d: %d and %d", st.Epoch, other, n.ID)
		}
		h.elected[st.Epoch] = n.ID
	}
	acc := n.Disk.AcceptedEpoch()
	if acc < h.accepted[n.ID] {
		h.e.Fatalf("node %d: accepted epoch %d went back from %d", n.ID, acc, h.accepted[n.ID])
	}
	h.accepted[n.ID] = acc
}

// Len is the number of committed txns.
func (h *History) Len() int { return len(h.canon) }

// LastZxid is the zxid of the last committed txn.
func (h *History) LastZxid() uint64 {
	if len(h.canon) == 0 {
		return 0
	}
	return h.canon[len(h.canon)-1].Zxid
}

// started checks a node's recovered tree.
func (h *History) started(n *Node) {
	t := n.Store.Tree()
	h.checkTree(n, t)
	h.seen[n.ID] = uint64(t.LastZxid())
}

// observe checks what the node applied since it was last observed.
func (h *History) observe(n *Node) {
	t := n.Store.Tree()
	z := uint64(t.LastZxid())
	seen := h.seen[n.ID]
	if z == seen {
		return
	}
	if z < seen || !h.fromLog(n, seen, z) {
		h.e.Logf("node %d installs a snapshot at %x", n.ID, z)
	}
	h.checkTree(n, t)
	h.seen[n.ID] = z
}

// fromLog checks the txns after `after` up to z in the node's log against
// the canonical history; false if the log no longer holds them.
func (h *History) fromLog(n *Node, after, z uint64) bool {
	st := n.Store.Status()
	for after < z {
		es, err := n.Disk.Entries(after, 64<<10)
		if err != nil || len(es) == 0 {
			return false
		}
		for _, e := range es {
			if e.Zxid > z {
				return true
			}
			h.applied(n, st, e)
			after = e.Zxid
		}
	}
	return true
}

// applied checks one txn the node applied.
func (h *History) applied(n *Node, st store.Status, e msg.Entry) {
	p := h.pos[n.ID] + 1
	if p < len(h.canon) {
		if c := h.canon[p]; c.Zxid != e.Zxid || !bytes.Equal(c.Data, e.Data) {
			h.e.Fatalf("node %d applied %x at index %d where another applied %x", n.ID, e.Zxid, p, c.Zxid)
		}
	} else {
		if p > 0 && h.canon[p-1].Zxid >= e.Zxid {
			h.e.Fatalf("node %d applied %x after %x", n.ID, e.Zxid, h.canon[p-1].Zxid)
		}
		h.extend(e)
	}
	h.pos[n.ID] = p
	if st.Role == replica.RoleLeader && msg.ZxidEpoch(e.Zxid) == st.Epoch {
		if other, ok := h.leaders[st.Epoch]; ok && other != n.ID {
			h.e.Fatalf("epoch %d committed by two leaders: %d and %d", st.Epoch, other, n.ID)
		}
		h.leaders[st.Epoch] = n.ID
	}
}

// checkTree compares a node's tree with the reference at its zxid.
func (h *History) checkTree(n *Node, t *znode.Tree) {
	z := t.LastZxid()
	want, ok := h.digests[z]
	if !ok {
		h.e.Fatalf("node %d: tree at %x, not a committed zxid", n.ID, z)
	}
	if t.Digest() != want {
		h.e.Fatalf("node %d: tree digest %x at %x, the reference has %x", n.ID, t.Digest(), z, want)
	}
	if z == 0 {
		h.pos[n.ID] = -1
	} else {
		h.pos[n.ID] = h.index[uint64(z)]
	}
}

// extend adds a newly committed txn to the canonical history.
func (h *History) extend(e msg.Entry) {
	hdr, txn, err := znode.DecodeRecord(e.Data)
	if err != nil {
		h.e.Fatalf("committed %x does not decode: %v", e.Zxid, err)
	}
	res := h.Ref.Apply(hdr, txn)
	if res.Fault != nil {
		h.e.Fatalf("committed %x does not apply to the reference: %v", e.Zxid, res.Fault)
	}
	k := TxnKey{hdr.Session, hdr.Cxid}
	if hdr.Session == 0 && hdr.Cxid == expiryCxid {
		// The leader's own deletes of containers and TTL nodes: no
		// client request, no key.
		k = TxnKey{0, int32(-1 - len(h.canon))}
	}
	if z, dup := h.Txns[k]; dup {
		h.e.Fatalf("request (session %x, xid %d) committed twice: %x and %x", hdr.Session, hdr.Cxid, z, e.Zxid)
	}
	h.Txns[k] = hdr.Zxid
	h.Errs[hdr.Zxid] = res.Err
	if hdr.Type == zk.OpCloseSession {
		h.isClose[hdr.Zxid] = true
	}
	h.index[e.Zxid] = len(h.canon)
	h.canon = append(h.canon, e)
	h.digests[hdr.Zxid] = h.Ref.Digest()
	for _, ch := range res.Changes {
		if ch.Type == znode.ChildrenChanged {
			continue
		}
		rs := RefState{Zxid: hdr.Zxid}
		if data, st, err := h.Ref.Get(ch.Path); err == nil {
			rs.Exists, rs.Data, rs.Version = true, data, st.Version
		}
		h.paths[ch.Path] = append(h.paths[ch.Path], rs)
	}
}

// ClosedAt is the zxid of the session's closeSession, or 0.
func (h *History) ClosedAt(session int64) int64 {
	for k, z := range h.Txns {
		if k.Session == session && k.Cxid != 0 && h.isClose[z] {
			return z
		}
	}
	return 0
}

// StateAt is the reference state of path right after zxid.
func (h *History) StateAt(path string, zxid int64) RefState {
	ps := h.paths[path]
	i := sort.Search(len(ps), func(i int) bool { return ps[i].Zxid > zxid })
	if i == 0 {
		return RefState{}
	}
	return ps[i-1]
}
