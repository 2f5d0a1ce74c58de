package znode

import (
	"slices"
	"strconv"
	"strings"

	"github.com/paddock-zk/paddock/zk"
)

// Quotas, as ZooKeeper 3.8 keeps them. A quota on /a/b is the node
// /zookeeper/quota/a/b/zookeeper_limits (its limits, a StatsTrack string
// such as "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=10") and
// /zookeeper/quota/a/b/zookeeper_stats (the subtree's usage, "count=N,bytes=M").
// The tree tracks the quota roots (DataTree's pTrie) and rewrites the stats
// node's data as txns apply; Prep refuses a write past a hard limit when
// enforcement is on (ZooKeeperServer.checkQuota).
const (
	QuotaLimitNode = "zookeeper_limits"
	QuotaStatNode  = "zookeeper_stats"
)

// QuotaLimitPath is the limits node of a quota on path (Quotas.limitPath).
func QuotaLimitPath(path string) string { return QuotaPath + path + "/" + QuotaLimitNode }

// QuotaStatPath is the stats node of a quota on path (Quotas.statPath).
func QuotaStatPath(path string) string { return QuotaPath + path + "/" + QuotaStatNode }

// StatsTrack keys.
const (
	stCount          = "count"
	stBytes          = "bytes"
	stCountHardLimit = "countHardLimit"
	stByteHardLimit  = "byteHardLimit"
)

// statsTrack is ZooKeeper's StatsTrack: key=value pairs, -1 for a key
// that is absent.
type statsTrack map[string]int64

func (s statsTrack) get(k string) int64 {
	if v, ok := s[k]; ok {
		return v
	}
	return -1
}

// parseStatsTrack parses as StatsTrack(String) does: pairs split on runs
// of ',' and ';', each split on '=' with trailing empty parts dropped (so
// the "bytes=5=" of the 3.7+ form reads as 5); a later pair of the same
// key wins. ok is false where Java throws (a pair without a value, a
// value that is not a long).
func parseStatsTrack(data []byte) (st statsTrack, ok bool) {
	st = statsTrack{}
	if len(data) == 0 {
		return st, true
	}
	pairs := strings.FieldsFunc(string(data), func(r rune) bool { return r == ',' || r == ';' })
	if (data[0] == ',' || data[0] == ';') && len(pairs) > 0 {
		// Pattern.split keeps the empty leading piece, which has no value.
		return nil, false
	}
	for _, pair := range pairs {
		kv := strings.Split(pair, "=")
		for len(kv) > 0 && kv[len(kv)-1] == "" {
			kv = kv[:len(kv)-1]
		}
		if len(kv) < 2 {
			return nil, false
		}
		v := int64(-1) // an empty value reads as -1 ("a==5")
		if kv[1] != "" {
			var err error
			if v, err = strconv.ParseInt(kv[1], 10, 64); err != nil {
				return nil, false
			}
		}
		st[kv[0]] = v
	}
	return st, true
}

// String is StatsTrack.toString: count and bytes first, then, after an
// extra "=" that pre-3.7 parsers skip, the other keys sorted, ';'-separated.
func (s statsTrack) String() string {
	var b strings.Builder
	b.WriteString("count=" + strconv.FormatInt(s.get(stCount), 10))
	b.WriteString(",bytes=" + strconv.FormatInt(s.get(stBytes), 10))
	var rest []string
	for k := range s {
		if k != stCount && k != stBytes {
			rest = append(rest, k)
		}
	}
	if len(rest) > 0 {
		b.WriteByte('=')
		slices.Sort(rest)
		for _, k := range rest {
			b.WriteString(";" + k + "=" + strconv.FormatInt(s[k], 10))
		}
	}
	return b.String()
}

// SetQuotaEnforced turns hard-limit enforcement on in Prep (ZooKeeper's
// zookeeper.enforceQuota). Local configuration, like SetSuperDigest: the
// stats are kept whether or not it is on.
func (t *Tree) SetQuotaEnforced(on bool) { t.enforceQuota = on }

// QuotaRoots lists the paths that have a quota (a limits node), sorted.
func (t *Tree) QuotaRoots() []string {
	out := make([]string, 0, len(t.quotas))
	for p := range t.quotas {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// quotaRootFor is DataTree.getMaxPrefixWithQuota: the deepest quota root
// at or above path, "" if none (a quota on "/" is never tracked).
func (t *Tree) quotaRootFor(path string) string {
	if len(t.quotas) == 0 {
		return ""
	}
	for p := path; p != "/"; {
		if _, ok := t.quotas[p]; ok {
			return p
		}
		p, _, _ = parentOf(p)
	}
	return ""
}

// quotaOf returns the quota path a node under /zookeeper/quota names as
// its parent (/zookeeper/quota/a/b/zookeeper_limits → /a/b, limit).
func quotaOf(path string) (root, name string, ok bool) {
	parent, name, _ := parentOf(path)
	if !strings.HasPrefix(parent, QuotaPath+"/") {
		return "", "", false
	}
	return parent[len(QuotaPath):], name, true
}

// quotaCreated is createNode's quota part, run after the node is linked:
// a limits node makes its path a quota root, a stats node gets the
// subtree's usage computed, and the new node counts in its quota.
func (t *Tree) quotaCreated(path string, size int) {
	if root, name, ok := quotaOf(path); ok {
		switch name {
		case QuotaLimitNode:
			t.quotas[root] = struct{}{}
		case QuotaStatNode:
			t.recountQuota(root)
		}
	}
	if root := t.quotaRootFor(path); root != "" {
		t.addQuotaUsage(root, 1, int64(size))
	}
}

// quotaDeleted is deleteNode's quota part, run after the node is gone.
func (t *Tree) quotaDeleted(path string, size int) {
	if root, name, ok := quotaOf(path); ok && name == QuotaLimitNode {
		delete(t.quotas, root)
	}
	if root := t.quotaRootFor(path); root != "" {
		t.addQuotaUsage(root, -1, -int64(size))
	}
}

// quotaDataSet is setData's quota part.
func (t *Tree) quotaDataSet(path string, oldSize, newSize int) {
	if root := t.quotaRootFor(path); root != "" && oldSize != newSize {
		t.addQuotaUsage(root, 0, int64(newSize-oldSize))
	}
}

// addQuotaUsage is updateQuotaStat: it rewrites the stats node's data in
// place, leaving its Stat (mzxid, version) alone and firing no watch, as
// ZooKeeper does. A missing stats node is skipped, as in ZooKeeper; so is
// one whose data does not parse, where ZooKeeper would throw in the
// middle of applying the txn.
func (t *Tree) addQuotaUsage(root string, count, bytes int64) {
	sp := QuotaStatPath(root)
	n := t.nodes[sp]
	if n == nil {
		return
	}
	st, ok := parseStatsTrack(n.data)
	if !ok {
		return
	}
	st[stCount] = st.get(stCount) + count
	st[stBytes] = st.get(stBytes) + bytes
	t.setQuotaStats(sp, st)
}

// recountQuota is updateQuotaForPath: the stats node of root gets the
// count and bytes of root's subtree, root included.
func (t *Tree) recountQuota(root string) {
	sp := QuotaStatPath(root)
	if t.nodes[sp] == nil {
		return
	}
	var count, bytes int64
	if t.nodes[root] != nil {
		stack := []string{root}
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n := t.nodes[p]
			count++
			bytes += int64(len(n.data))
			for c := range n.children {
				stack = append(stack, joinPath(p, c))
			}
		}
	}
	t.setQuotaStats(sp, statsTrack{stCount: count, stBytes: bytes})
}

func joinPath(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

func (t *Tree) setQuotaStats(sp string, st statsTrack) {
	data := []byte(st.String())
	t.update(t.mut(sp), func(n *node) {
		n.data = data
		n.chash = contentHash(sp, data)
	})
}

// rebuildQuotas finds the quota roots of a loaded tree: every limits node
// under /zookeeper/quota. The stats nodes are kept as the snapshot has
// them: ZooKeeper recounts them on load (setupQuota), which would make a
// restarted replica's stats, and digest, differ from one that never
// restarted wherever the incremental counts differ from a recount (nested
// quotas, a stats node created before its limits node).
func (t *Tree) rebuildQuotas() {
	clear(t.quotas)
	for p := range t.nodes {
		if root, name, ok := quotaOf(p); ok && name == QuotaLimitNode {
			t.quotas[root] = struct{}{}
		}
	}
}

// quotaDelta is the usage a prepared, not yet applied txn adds to a quota.
type quotaDelta struct {
	zxid         int64
	root         string
	count, bytes int64
}

// noteQuota records in the overlay what a prepared write adds to its
// quota's usage, so that checkQuota sees writes in flight.
func (p *Prep) noteQuota(zxid int64, path string, count, bytes int64) {
	if !p.t.enforceQuota {
		return
	}
	root := p.t.quotaRootFor(path)
	if root == "" || (count == 0 && bytes == 0) {
		return
	}
	p.qlog = append(p.qlog, quotaDelta{zxid, root, count, bytes})
	s := p.qsum[root]
	p.qsum[root] = [2]int64{s[0] + count, s[1] + bytes}
}

// dropQuota removes deltas from the pending sums: those of applied txns
// (from the front) or of a failed multi (from mark on).
func (p *Prep) dropQuota(ds []quotaDelta) {
	for _, d := range ds {
		s := p.qsum[d.root]
		s = [2]int64{s[0] - d.count, s[1] - d.bytes}
		if s == [2]int64{} {
			delete(p.qsum, d.root)
		} else {
			p.qsum[d.root] = s
		}
	}
}

func (p *Prep) rollbackQuota(mark int) {
	p.dropQuota(p.qlog[mark:])
	p.qlog = p.qlog[:mark]
}

func (p *Prep) appliedQuota(zxid int64) {
	i := 0
	for i < len(p.qlog) && p.qlog[i].zxid <= zxid {
		i++
	}
	p.dropQuota(p.qlog[:i])
	p.qlog = p.qlog[i:]
	if len(p.qlog) == 0 {
		p.qlog = nil
	}
}

// checkQuota is ZooKeeperServer.checkQuota for a create (count 1) or a
// setData (count 0) adding bytes to path's quota. It reads the limits
// and stats of the applied tree, as ZooKeeper does, plus the writes
// prepared and not yet applied (earlier ops of the same multi included),
// which ZooKeeper leaves out, so a hard limit holds however writes are
// batched. An exceeded soft limit passes (ZooKeeper only logs it). The
// error names the quota root, as QuotaExceededException does; a limits or
// stats node that does not parse is a MarshallingError, as the exception
// ZooKeeper's parser throws becomes.
func (p *Prep) checkQuota(path string, count, bytes int64) error {
	if !p.t.enforceQuota {
		return nil
	}
	root := p.t.quotaRootFor(path)
	if root == "" {
		return nil
	}
	ln := p.t.nodes[QuotaLimitPath(root)]
	if ln == nil {
		return nil
	}
	limits, ok := parseStatsTrack(ln.data)
	if !ok {
		return newErr(zk.MarshallingError, path)
	}
	checkCount := count != 0 && (limits.get(stCount) > -1 || limits.get(stCountHardLimit) > -1)
	checkBytes := bytes != 0 && (limits.get(stBytes) > -1 || limits.get(stByteHardLimit) > -1)
	if !checkCount && !checkBytes {
		return nil
	}
	sn := p.t.nodes[QuotaStatPath(root)]
	if sn == nil {
		return nil
	}
	cur, ok := parseStatsTrack(sn.data)
	if !ok {
		return newErr(zk.MarshallingError, path)
	}
	pend := p.qsum[root]
	if hard := limits.get(stCountHardLimit); checkCount && hard > -1 && cur.get(stCount)+pend[0]+count > hard {
		return newErr(zk.QuotaExceeded, root)
	}
	if hard := limits.get(stByteHardLimit); checkBytes && hard > -1 && cur.get(stBytes)+pend[1]+bytes > hard {
		return newErr(zk.QuotaExceeded, root)
	}
	return nil
}
