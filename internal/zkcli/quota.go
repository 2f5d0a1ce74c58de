package zkcli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// Quotas as ZooKeeper 3.8's SetQuotaCommand, ListQuotaCommand and
// DelQuotaCommand keep them, client side: under /zookeeper/quota<path>,
// a zookeeper_limits node holds the limits and a zookeeper_stats node the
// usage, both as StatsTrack strings. The server keeps the stats node up
// to date and enforces the hard limits; these commands only write the
// limits (and create the stats node at "count=0,bytes=0").
const (
	quotaRoot = znode.QuotaPath
	limitNode = "zookeeper_limits"
	statNode  = "zookeeper_stats"
)

func quotaPath(path string) string { return quotaRoot + path }
func limitPath(path string) string { return quotaRoot + path + "/" + limitNode }
func statPath(path string) string  { return quotaRoot + path + "/" + statNode }

// statsTrack is ZooKeeper's StatsTrack: named longs, -1 when unset.
type statsTrack map[string]int64

// Its keys.
const (
	stCount          = "count"
	stBytes          = "bytes"
	stCountHardLimit = "countHardLimit"
	stByteHardLimit  = "byteHardLimit"
)

// parseStatsTrack reads "k=v" pairs separated by runs of ',' or ';'.
// Like Java's String.split, empty tails are dropped, so the "bytes=5="
// trick reads as bytes 5; a key without a value reads as -1.
func parseStatsTrack(s string) (statsTrack, error) {
	st := statsTrack{}
	for _, kv := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		parts := strings.Split(kv, "=")
		for len(parts) > 1 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		if len(parts) < 2 || parts[1] == "" {
			st[parts[0]] = -1
			continue
		}
		v, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			return nil, cliErrorf("For input string: \"%s\"", parts[1])
		}
		st[parts[0]] = v
	}
	return st, nil
}

func (st statsTrack) get(k string) int64 {
	if v, ok := st[k]; ok {
		return v
	}
	return -1
}

// String is StatsTrack.toString: count and bytes first (for parsers of
// 3.4.3 and older), then, after a spurious "=", the other keys sorted and
// ';'-separated.
func (st statsTrack) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "count=%d,bytes=%d", st.get(stCount), st.get(stBytes))
	var keys []string
	for k := range st {
		if k != stCount && k != stBytes {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		b.WriteByte('=')
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, ";%s=%d", k, st[k])
		}
	}
	return b.String()
}

// cmdSetQuota is SetQuotaCommand. Its refusals of the values and of paths
// under /zookeeper/quota are printed and end the command without an
// error status, as zkCli's exec returns false for them.
func cmdSetQuota(e *env) error {
	path := e.args[0]
	if strings.HasPrefix(path, quotaRoot) {
		fmt.Fprintln(e.err, "cannot set a quota under the path: "+quotaRoot)
		return nil
	}
	quota := statsTrack{stCount: -1, stBytes: -1, stCountHardLimit: -1, stByteHardLimit: -1}
	for _, o := range []struct {
		flag  byte
		key   string
		bits  int
		least int64
		msg   string
	}{
		{'n', stCount, 32, 1, "the num quota must be greater than zero"},
		{'b', stBytes, 64, 0, "the bytes quota must be greater than or equal to zero"},
		{'N', stCountHardLimit, 32, 1, "the num quota must be greater than zero"},
		{'B', stByteHardLimit, 64, 0, "the bytes quota must be greater than or equal to zero"},
	} {
		v, ok := e.flags[o.flag]
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, o.bits)
		if err != nil {
			fmt.Fprintln(e.err, "NumberFormatException happens when parsing the option value")
			return nil
		}
		if n < o.least {
			fmt.Fprintln(e.err, o.msg)
			return nil
		}
		quota[o.key] = n
	}
	return createQuota(e, path, quota)
}

// createQuota is SetQuotaCommand.createQuota.
func createQuota(e *env, path string, quota statsTrack) error {
	if err := checkPath(path, false); err != nil {
		return err
	}
	_, ok, err := e.c.Exists(e.ctx, path)
	if err != nil {
		return err
	}
	if !ok {
		return &cliError{path + " does not exist."}
	}
	if err := checkChildQuota(e, path); err != nil {
		return err
	}
	if err := checkParentQuota(e, path); err != nil {
		return err
	}
	// ZooKeeper's tree always has /zookeeper/quota; Java stops at the
	// NodeExists of /zookeeper. Each is made if missing here, which
	// leaves the same nodes.
	for _, p := range []string{znode.ZookeeperPath, quotaRoot} {
		if err := e.createIfMissing(p, nil); err != nil {
			return err
		}
	}
	qp := quotaRoot
	for _, part := range strings.Split(path, "/")[1:] {
		if part == "" {
			continue
		}
		qp += "/" + part
		if err := e.createIfMissing(qp, nil); err != nil {
			return err
		}
	}
	lp, sp := qp+"/"+limitNode, qp+"/"+statNode
	_, ok, err = e.c.Exists(e.ctx, lp)
	if err != nil {
		return err
	}
	if !ok {
		if _, err := e.c.Create(e.ctx, lp, []byte(quota.String()), zk.Persistent, zk.OpenACLUnsafe); err != nil {
			return err
		}
		zero := statsTrack{stCount: 0, stBytes: 0}
		if _, err := e.c.Create(e.ctx, sp, []byte(zero.String()), zk.Persistent, zk.OpenACLUnsafe); err != nil {
			return err
		}
		limits, err := e.readStats(lp)
		if err != nil {
			return err
		}
		stats, err := e.readStats(sp)
		if err != nil {
			return err
		}
		checkQuota(e, limits, stats)
		return nil
	}
	limits, err := e.readStats(lp)
	if err != nil {
		return err
	}
	for k, v := range quota {
		if v > -1 {
			limits[k] = v
		}
	}
	stats, err := e.readStats(sp)
	if err != nil {
		return err
	}
	checkQuota(e, limits, stats)
	_, err = e.c.Set(e.ctx, lp, []byte(limits.String()), -1)
	return err
}

func (e *env) createIfMissing(p string, data []byte) error {
	_, ok, err := e.c.Exists(e.ctx, p)
	if err != nil || ok {
		return err
	}
	_, err = e.c.Create(e.ctx, p, data, zk.Persistent, zk.OpenACLUnsafe)
	if zk.CodeOf(err) == zk.NodeExists {
		return nil
	}
	return err
}

func (e *env) readStats(p string) (statsTrack, error) {
	data, _, err := e.c.Get(e.ctx, p)
	if err != nil {
		return nil, err
	}
	return parseStatsTrack(string(data))
}

// checkQuota is SetQuotaCommand.checkQuota's warnings (on stdout, as
// Java's System.out).
func checkQuota(e *env, limits, stats statsTrack) {
	below := func(limit, used int64) bool { return limit > -1 && limit < used }
	if below(limits.get(stCount), stats.get(stCount)) || below(limits.get(stCountHardLimit), stats.get(stCount)) {
		fmt.Fprintf(e.out, "[Warning]: the count quota you create is less than the existing count:%d\n", stats.get(stCount))
	}
	if below(limits.get(stBytes), stats.get(stBytes)) || below(limits.get(stByteHardLimit), stats.get(stBytes)) {
		fmt.Fprintf(e.out, "[Warning]: the bytes quota you create is less than the existing bytes:%d\n", stats.get(stBytes))
	}
}

// checkChildQuota refuses a quota on a path with a quota below it.
func checkChildQuota(e *env, path string) error {
	root := quotaPath(path)
	err := visitDFS(e, root, func(qp string) error {
		kids, _, err := e.c.Children(e.ctx, qp)
		if zk.CodeOf(err) == zk.NoNode {
			return nil
		}
		if err != nil {
			return err
		}
		for _, k := range kids {
			if qp != root && k == limitNode {
				return &cliError{path + " has a child " + strings.TrimPrefix(qp, quotaRoot) + " which has a quota"}
			}
		}
		return nil
	})
	if zk.CodeOf(err) == zk.NoNode {
		return nil
	}
	return err
}

// checkParentQuota refuses a quota on a path with a quota above it; it
// stops at the first missing or childless quota node.
func checkParentQuota(e *env, path string) error {
	parts := strings.Split(path, "/")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	qp := quotaRoot
	for i := 1; i < len(parts)-1; i++ {
		qp += "/" + parts[i]
		kids, _, err := e.c.Children(e.ctx, qp)
		if zk.CodeOf(err) == zk.NoNode {
			return nil
		}
		if err != nil {
			return err
		}
		if len(kids) == 0 {
			return nil
		}
		for _, k := range kids {
			if qp != quotaPath(path) && k == limitNode {
				return &cliError{path + " has a parent " + strings.TrimPrefix(qp, quotaRoot) + " which has a quota"}
			}
		}
	}
	return nil
}

// cmdListQuota is ListQuotaCommand: the limits, then the stats.
func cmdListQuota(e *env) error {
	path := e.args[0]
	fmt.Fprintln(e.err, "absolute path is "+limitPath(path))
	for i, p := range []string{limitPath(path), statPath(path)} {
		if err := checkPath(p, false); err != nil {
			return err
		}
		st, err := e.readStats(p)
		if zk.CodeOf(err) == zk.NoNode {
			fmt.Fprintln(e.err, "quota for "+path+" does not exist.")
			return nil
		}
		if err != nil {
			return err
		}
		what := "quota"
		if i > 0 {
			what = "stat"
		}
		fmt.Fprintf(e.out, "Output %s for %s %s\n", what, path, st)
	}
	return nil
}

// cmdDelQuota is DelQuotaCommand: without a flag the whole quota (its
// nodes, then the quota nodes left empty above it); with one, that limit
// set back to -1.
func cmdDelQuota(e *env) error {
	path := e.args[0]
	parent, lp := quotaPath(path), limitPath(path)
	if err := checkPath(lp, false); err != nil {
		return err
	}
	err := delQuota(e, path, parent, lp)
	if zk.CodeOf(err) == zk.NoNode {
		fmt.Fprintln(e.err, "quota for "+path+" does not exist.")
		return nil
	}
	return err
}

func delQuota(e *env, path, parent, lp string) error {
	_, ok, err := e.c.Exists(e.ctx, lp)
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintln(e.out, "Quota does not exist for "+path)
		return nil
	}
	limits, err := e.readStats(lp)
	if err != nil {
		return err
	}
	keys := map[byte]string{'n': stCount, 'b': stBytes, 'N': stCountHardLimit, 'B': stByteHardLimit}
	some := false
	for f, k := range keys {
		if e.has(f) {
			limits[k] = -1
			some = true
		}
	}
	if some {
		_, err := e.c.Set(e.ctx, lp, []byte(limits.String()), -1)
		return err
	}
	kids, _, err := e.c.Children(e.ctx, parent)
	if err != nil {
		return err
	}
	for _, k := range kids {
		if err := e.c.Delete(e.ctx, parent+"/"+k, -1); err != nil {
			return err
		}
	}
	// trimProcQuotas: delete the quota nodes left without children, up to
	// /zookeeper/quota.
	for p := parent; p != quotaRoot && strings.HasPrefix(p, quotaRoot); p = p[:strings.LastIndexByte(p, '/')] {
		kids, _, err := e.c.Children(e.ctx, p)
		if err != nil {
			return err
		}
		if len(kids) > 0 {
			return nil
		}
		if err := e.c.Delete(e.ctx, p, -1); err != nil {
			return err
		}
	}
	return nil
}
