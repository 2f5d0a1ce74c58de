package zkdata

import (
	"fmt"

	"github.com/paddock-zk/paddock/zk"
)

// TxnHeader is txn.TxnHeader.
type TxnHeader struct {
	ClientID int64
	Cxid     int32
	Zxid     int64
	Time     int64
	Type     zk.OpCode
}

// Txn is one decoded txn record (the Record after a TxnHeader, or one op
// of a multi).
type Txn struct {
	Type           zk.OpCode
	Path           string
	Data           []byte
	ACL            []zk.ACL
	Ephemeral      bool
	ParentCVersion int32
	TTL            int64
	Version        int32
	Timeout        int32    // createSession
	Paths          []string // closeSession's paths2Delete
	HasPaths       bool     // closeSession carried a CloseSessionTxn (3.6+)
	Err            int32    // error
	Ops            []Txn    // multi
}

// decodeTxn decodes the record of type op, as SerializeUtils.deserializeTxn
// and DataTree's multi loop do. A trailing TxnDigest is ignored.
func decodeTxn(op zk.OpCode, d *dec, inMulti bool) (Txn, error) {
	tx := Txn{Type: op}
	switch op {
	case zk.OpCreateSession:
		tx.Timeout = d.int32()
	case zk.OpCloseSession:
		// Before 3.6, and with zookeeper.closeSessionTxn.enabled=false, a
		// closeSession carries no record, only perhaps a TxnDigest (12
		// bytes): a record is what parses leaving nothing or a digest.
		if len(d.b) > 0 {
			rest := d.b
			paths := d.strings()
			if d.err == nil && (len(d.b) == 0 || len(d.b) == 12) {
				tx.Paths, tx.HasPaths = paths, true
			} else {
				d.b, d.err = rest, nil
			}
		}
	case zk.OpCreate, zk.OpCreate2:
		tx.Path, tx.Data, tx.ACL, tx.Ephemeral = d.str(), d.buffer(), d.acls(), d.bool()
		if d.err == nil && len(d.b) == 0 && !inMulti {
			// A CreateTxnV0 has no parentCVersion; -1 makes DataTree
			// compute it.
			tx.ParentCVersion = -1
		} else {
			tx.ParentCVersion = d.int32()
		}
	case zk.OpCreateTTL:
		tx.Path, tx.Data, tx.ACL, tx.ParentCVersion, tx.TTL = d.str(), d.buffer(), d.acls(), d.int32(), d.int64()
	case zk.OpCreateContainer:
		tx.Path, tx.Data, tx.ACL, tx.ParentCVersion = d.str(), d.buffer(), d.acls(), d.int32()
	case zk.OpDelete, zk.OpDeleteContainer:
		tx.Path = d.str()
	case zk.OpSetData, zk.OpReconfig:
		tx.Path, tx.Data, tx.Version = d.str(), d.buffer(), d.int32()
	case zk.OpSetACL:
		tx.Path, tx.ACL, tx.Version = d.str(), d.acls(), d.int32()
	case zk.OpCheck:
		tx.Path, tx.Version = d.str(), d.int32()
	case zk.OpError:
		tx.Err = d.int32()
	case zk.OpMulti:
		if inMulti {
			return tx, fmt.Errorf("%w: a multi inside a multi", ErrCorrupt)
		}
		n := d.int32()
		if d.err == nil && (n < 0 || int(n) > len(d.b)/8) {
			return tx, fmt.Errorf("%w: multi of %d ops", ErrCorrupt, n)
		}
		for i := 0; i < int(n) && d.err == nil; i++ {
			sub := zk.OpCode(d.int32())
			data := d.buffer()
			if d.err != nil {
				break
			}
			switch sub {
			case zk.OpCreate, zk.OpCreateTTL, zk.OpCreateContainer, zk.OpDelete, zk.OpDeleteContainer,
				zk.OpSetData, zk.OpError, zk.OpCheck:
			default:
				return tx, fmt.Errorf("%w: multi op %d has type %d, which ZooKeeper's DataTree does not apply", ErrUnsupported, i, sub)
			}
			op, err := decodeTxn(sub, &dec{b: data}, true)
			if err != nil {
				return tx, fmt.Errorf("multi op %d: %w", i, err)
			}
			tx.Ops = append(tx.Ops, op)
		}
	default:
		return tx, fmt.Errorf("%w: txn type %d", ErrUnsupported, op)
	}
	if d.err != nil {
		return tx, fmt.Errorf("%s txn: %w", op, d.err)
	}
	return tx, nil
}

// apply is DataTree.processTxn with FileTxnSnapLog.processTransaction's
// session bookkeeping: errors from txns a fuzzy snapshot already holds
// (NONODE, NODEEXISTS) are ignored, and a create that finds its node
// already there still raises the parent's cversion and pzxid.
func (t *Tree) apply(h TxnHeader, tx Txn) {
	switch h.Type {
	case zk.OpCreateSession:
		t.sessions[h.ClientID] = tx.Timeout
	case zk.OpCloseSession:
		delete(t.sessions, h.ClientID)
	}
	t.applyOp(h, tx)
	if h.Zxid > t.LastZxid {
		t.LastZxid = h.Zxid
	}
}

func (t *Tree) applyOp(h TxnHeader, tx Txn) zk.Code {
	var rc zk.Code
	switch tx.Type {
	case zk.OpCreate, zk.OpCreate2:
		owner := int64(0)
		if tx.Ephemeral {
			owner = h.ClientID
		}
		rc = t.createNode(tx.Path, tx.Data, tx.ACL, owner, tx.ParentCVersion, h.Zxid, h.Time)
	case zk.OpCreateTTL:
		rc = t.createNode(tx.Path, tx.Data, tx.ACL, extendedMask|tx.TTL, tx.ParentCVersion, h.Zxid, h.Time)
	case zk.OpCreateContainer:
		rc = t.createNode(tx.Path, tx.Data, tx.ACL, containerOwner, tx.ParentCVersion, h.Zxid, h.Time)
	case zk.OpDelete, zk.OpDeleteContainer:
		rc = t.deleteNode(tx.Path, h.Zxid)
	case zk.OpSetData, zk.OpReconfig:
		n := t.lookup(tx.Path)
		if n == nil {
			return zk.NoNode
		}
		t.change(canonical(tx.Path), n, func() {
			n.Data, n.Stat.Mtime, n.Stat.Mzxid, n.Stat.Version = tx.Data, h.Time, h.Zxid, tx.Version
		})
	case zk.OpSetACL:
		n := t.lookup(tx.Path)
		if n == nil {
			return zk.NoNode
		}
		t.change(canonical(tx.Path), n, func() { n.Stat.Aversion, n.ACL = tx.Version, t.convertACL(tx.ACL) })
	case zk.OpCloseSession:
		var paths []string
		if tx.HasPaths {
			paths = tx.Paths
		}
		t.killSession(h.ClientID, h.Zxid, paths)
	case zk.OpError:
		rc = zk.Code(tx.Err)
	case zk.OpMulti:
		failed := false
		for _, op := range tx.Ops {
			if op.Type == zk.OpError {
				failed = true
				break
			}
		}
		// A multi with an error op failed: DataTree turns every other op
		// into an error result, so nothing changes.
		if failed {
			return zk.Ok
		}
		for _, op := range tx.Ops {
			sub := TxnHeader{ClientID: h.ClientID, Cxid: h.Cxid, Zxid: h.Zxid, Time: h.Time, Type: op.Type}
			t.applyOp(sub, op)
		}
		return zk.Ok
	}
	// processTxn's fix-up for a create replayed over a fuzzy snapshot
	// that holds the node already (only for OpCode.create, as there).
	if h.Type == zk.OpCreate && rc == zk.NodeExists {
		pp, _ := split(tx.Path)
		t.setCversionPzxid(pp, tx.ParentCVersion, h.Zxid)
	}
	return rc
}
