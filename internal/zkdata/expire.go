package zkdata

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/paddock-zk/paddock/zk"
)

// Expired is what ExpireSessions did.
type Expired struct {
	// Orphans are ephemeral nodes whose session the database no longer
	// knew, deleted at LastZxid as ZooKeeperServer.loadData does.
	Orphans []string
	// Sessions are the live sessions closed, in the order of their
	// closeSession txns (session id order), and Deleted the ephemeral
	// nodes those deleted.
	Sessions []int64
	Deleted  []string
	// FirstZxid and LastZxid are the zxids the closeSession txns took
	// (0 when there was no live session).
	FirstZxid, LastZxid int64
}

// ExpireSessions ends every session as ZooKeeper would if the database
// were loaded and no client came back: ephemerals of unknown sessions are
// deleted at LastZxid (loadData's "clean up dead sessions"), then each live
// session expires through a closeSession txn of its own, applied with
// DataTree's rules at LastZxid+1, +2, ... in session id order. So each
// ephemeral's parent keeps its stored cversion (only creates count;
// clients see cversion*2 - children, which rises by one per child gone)
// and gets the zxid of the closeSession as its pzxid, exactly as after an
// expiry in ZooKeeper. ZooKeeper's expiry order is its session tracker's
// and so are its zxids; the sum of the effects is the same.
func (t *Tree) ExpireSessions() (Expired, error) {
	var ex Expired
	for _, owner := range t.ephemeralOwners() {
		if _, live := t.sessions[owner]; live {
			continue
		}
		paths := sortedPaths(t.ephemerals[owner])
		t.killSession(owner, t.LastZxid, nil)
		ex.Orphans = append(ex.Orphans, paths...)
	}
	ids := make([]int64, 0, len(t.sessions))
	for id := range t.sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		return ex, nil
	}
	if uint64(uint32(t.LastZxid))+uint64(len(ids)) > 0xffffffff {
		return ex, fmt.Errorf("zkdata: closing %d sessions after zxid %#x would overflow the epoch's counter", len(ids), t.LastZxid)
	}
	for _, id := range ids {
		zxid := t.LastZxid + 1
		paths := sortedPaths(t.ephemerals[id])
		t.apply(TxnHeader{ClientID: id, Zxid: zxid, Type: zk.OpCloseSession},
			Txn{Type: zk.OpCloseSession, Paths: paths, HasPaths: true})
		ex.Sessions = append(ex.Sessions, id)
		ex.Deleted = append(ex.Deleted, paths...)
		if ex.FirstZxid == 0 {
			ex.FirstZxid = zxid
		}
		ex.LastZxid = zxid
	}
	return ex, nil
}

func sortedPaths(set map[string]struct{}) []string {
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Quota node names and their root (Quotas.java).
const (
	quotaRoot  = "/zookeeper/quota"
	limitsNode = "zookeeper_limits"
	statsNode  = "zookeeper_stats"
)

// RecountQuotas sets every quota's stats node to the count and bytes of
// its subtree, as DataTree.setupQuota does whenever ZooKeeper loads its
// database: each leaf limits node under /zookeeper/quota names a quota,
// and its sibling stats node gets "count=N,bytes=M". It returns the quota
// paths.
func (t *Tree) RecountQuotas() []string {
	var roots []string
	if t.nodes[quotaRoot] == nil {
		return nil
	}
	stack := []string{quotaRoot}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := t.nodes[p]
		if len(n.children) > 0 {
			for _, c := range n.Children() {
				stack = append(stack, p+"/"+c)
			}
			continue
		}
		i := strings.Index(p, "/"+limitsNode)
		if !strings.HasSuffix(p, "/"+limitsNode) || i <= len(quotaRoot) {
			continue
		}
		qpath := p[len(quotaRoot):i]
		roots = append(roots, qpath)
		sp := quotaRoot + qpath + "/" + statsNode
		sn := t.nodes[sp]
		if sn == nil {
			continue
		}
		count, bytes := t.subtree(qpath)
		data := []byte("count=" + strconv.FormatInt(count, 10) + ",bytes=" + strconv.FormatInt(bytes, 10))
		t.change(sp, sn, func() { sn.Data = data })
	}
	slices.Sort(roots)
	return roots
}

// subtree is DataTree.getCounts: nodes and data bytes at and under path.
func (t *Tree) subtree(path string) (count, bytes int64) {
	if t.nodes[path] == nil {
		return 0, 0
	}
	stack := []string{path}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := t.nodes[p]
		count++
		bytes += int64(len(n.Data))
		for c := range n.children {
			stack = append(stack, join(p, c))
		}
	}
	return count, bytes
}
