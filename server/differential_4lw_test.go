package server

// The differential test of the four-letter words: the same clients do the
// same things on Apache ZooKeeper 3.8 and on Paddock, and every word's
// reply must have ZooKeeper's shape: the same lines in the same order with
// the same names and separators, values compared by their form (numbers,
// floats, hex ids, addresses, dates) since counts, ports, paths and times
// legitimately differ. Standalone, against a live ZooKeeper (startApache-
// ZooKeeper). Leader and follower, against replies a 3-node ZooKeeper
// 3.8.0 ensemble gave with the same workload (testdata/zookeeper-3.8/,
// captured with `printf WORD | nc -N 127.0.0.1 PORT`), since the live one
// here is standalone.

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zkwire"
)

// diffWords are the words compared, the resets last.
var diffWords = []string{"srvr", "stat", "conf", "mntr", "cons", "wchs", "wchc", "wchp", "dump", "envi", "isro", "ruok", "dirs", "crst", "srst"}

// fourLetterWorkload is the capture's workload: a session with two
// ephemerals under prefix, a data and a child watch on prefix/p and an
// exists watch on a missing node. It returns the session's connection.
func fourLetterWorkload(t *testing.T, addr, prefix string) *zk.Conn {
	t.Helper()
	c := zkConnect(t, []string{addr})
	all := zk.WorldACL(zk.PermAll)
	for _, p := range []string{prefix, prefix + "/p"} {
		if _, err := c.Create(p, nil, 0, all); err != nil && err != zk.ErrNodeExists {
			t.Fatal(err)
		}
	}
	for _, p := range []string{prefix + "/p/e", prefix + "/e2"} {
		if _, err := c.Create(p, []byte("x"), zk.FlagEphemeral, all); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, _, err := c.GetW(prefix + "/p"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ChildrenW(prefix + "/p"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ExistsW(prefix + "/zz"); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDifferentialFourLetterWords(t *testing.T) {
	testutil.SkipShort(t, "runs Apache ZooKeeper beside Paddock")
	zkAddr := startApacheZooKeeper(t)
	cfg := standalone(t, t.TempDir())
	cfg.FourLetterWords = []string{"*"}
	n, err := Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	testkit.WaitFor(t, "standalone node serving", 10*time.Second, func() bool { return n.Mode() == zkwire.ModeStandalone })
	fourLetterWorkload(t, zkAddr, "/w")
	fourLetterWorkload(t, n.ClientAddr(), "/w")
	for _, w := range diffWords {
		want, got := fourLetter(zkAddr, w), fourLetter(n.ClientAddr(), w)
		compareFourLetter(t, "standalone", w, want, got)
	}
}

func TestFourLetterWordsMatchZooKeeperEnsemble(t *testing.T) {
	testutil.SkipShort(t, "runs Apache ZooKeeper beside Paddock")
	cfgs := testkit.Configs(t, 3, "")
	for _, c := range cfgs {
		c.FourLetterWords = []string{"*"}
	}
	nodes := testkit.StartAll(t, cfgs, startNode)
	byMode := map[zkwire.Mode]*Node{}
	testkit.WaitFor(t, "a leader and a follower", 10*time.Second, func() bool {
		for _, n := range nodes {
			byMode[n.Mode()] = n
		}
		return byMode[zkwire.ModeLeader] != nil && byMode[zkwire.ModeFollower] != nil
	})
	// As in the capture: one session on the leader, one on a follower.
	fourLetterWorkload(t, byMode[zkwire.ModeLeader].ClientAddr(), "/L")
	fourLetterWorkload(t, byMode[zkwire.ModeFollower].ClientAddr(), "/F")
	for _, mode := range []zkwire.Mode{zkwire.ModeLeader, zkwire.ModeFollower} {
		addr := byMode[mode].ClientAddr()
		for _, w := range diffWords {
			b, err := os.ReadFile(filepath.Join("testdata", "zookeeper-3.8", string(mode)+"-"+w+".txt"))
			if os.IsNotExist(err) {
				continue // ruok, isro: the same in every mode
			}
			if err != nil {
				t.Fatal(err)
			}
			compareFourLetter(t, string(mode), w, string(b), fourLetter(addr, w))
		}
	}
}

// Value forms, most specific first.
var (
	javaDateRE = regexp.MustCompile(`[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d [A-Z]+ \d{4}`)
	hexRE      = regexp.MustCompile(`0x[0-9a-f]+`)
	addrRE     = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+:\d+`)
	floatRE    = regexp.MustCompile(`-?\d+\.\d+`)
	intRE      = regexp.MustCompile(`-?\d+`)
	lopRE      = regexp.MustCompile(`lop=[A-Z]+`)
)

// normLine replaces the values that legitimately differ by their form.
func normLine(l string) string {
	for _, p := range []string{"Zookeeper version: ", "zk_version\t", "zookeeper.version="} {
		if strings.HasPrefix(l, p) {
			return p + "V"
		}
	}
	for _, p := range []string{"dataDir=", "dataLogDir="} {
		if strings.HasPrefix(l, p) {
			return p + "PATH"
		}
	}
	l = javaDateRE.ReplaceAllString(l, "DATE")
	l = hexRE.ReplaceAllString(l, "HEX")
	l = addrRE.ReplaceAllString(l, "ADDR")
	l = lopRE.ReplaceAllString(l, "lop=OP") // the last op: PING or not, by timing
	l = floatRE.ReplaceAllString(l, "F")
	return intRE.ReplaceAllString(l, "N")
}

func normLines(ls []string) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = normLine(l)
	}
	return out
}

// sortedBetween sorts the lines after the first that starts with from up to
// the next one that starts with to: ZooKeeper prints connections and
// ephemerals in hash order.
func sortedBetween(ls []string, from, to string) []string {
	i := slices.IndexFunc(ls, func(l string) bool { return strings.HasPrefix(l, from) })
	if i < 0 {
		return ls
	}
	j := i + 1
	for j < len(ls) && !strings.HasPrefix(ls[j], to) {
		j++
	}
	out := slices.Clone(ls)
	slices.Sort(out[i+1 : j])
	return out
}

func compareFourLetter(t *testing.T, mode, word, want, got string) {
	t.Helper()
	if strings.TrimSpace(want) == "" {
		t.Fatalf("%s %s: ZooKeeper answered nothing", mode, word)
	}
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	switch word {
	case "mntr":
		compareMntr(t, mode, want, got)
		return
	case "envi":
		key := func(ls []string) []string {
			var ks []string
			for _, l := range ls {
				k, _, _ := strings.Cut(l, "=")
				ks = append(ks, k)
			}
			return ks
		}
		w, g = key(w), key(g)
	case "stat":
		w, g = sortedBetween(normLines(w), "Clients:", ""), sortedBetween(normLines(g), "Clients:", "")
	case "cons", "wchc", "wchp":
		w, g = normLines(w), normLines(g)
		slices.Sort(w)
		slices.Sort(g)
	case "dump":
		w, g = dumpShape(w), dumpShape(g)
	default:
		w, g = normLines(w), normLines(g)
	}
	if !slices.Equal(w, g) {
		t.Errorf("%s %s: Paddock's reply has not ZooKeeper's shape\nzookeeper (normalized):\n  %s\npaddock (normalized):\n  %s\npaddock:\n%s",
			mode, word, strings.Join(w, "\n  "), strings.Join(g, "\n  "), got)
	}
}

// dumpShape normalizes a dump reply. The session tracker's and the
// connections' expiry queues are compared as sets of line forms: how many
// buckets there are depends on timing, and ZooKeeper keeps empty ones.
func dumpShape(ls []string) []string {
	ls = sortedBetween(normLines(ls), "Sessions with Ephemerals", "Connections dump:")
	i := slices.Index(ls, "ephemeral nodes dump:")
	j := slices.Index(ls, "Connections dump:")
	if i < 1 || j < i {
		return ls
	}
	set := func(ls []string) []string { return slices.Compact(slices.Sorted(slices.Values(ls))) }
	out := append([]string{ls[0]}, set(ls[1:i])...)
	out = append(out, ls[i:j+1]...)
	return append(out, set(ls[j+1:])...)
}

// compareMntr checks that every zk_ key of Paddock's (but zk_last_zxid,
// which is its own) is one of ZooKeeper's, in ZooKeeper's order, with a
// value of the same form, and that Paddock's own keys come after them.
func compareMntr(t *testing.T, mode, want, got string) {
	t.Helper()
	parse := func(s string) (keys []string, vals map[string]string) {
		vals = map[string]string{}
		for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
			k, v, ok := strings.Cut(l, "\t")
			if !ok {
				t.Errorf("%s mntr: line %q is not key<TAB>value", mode, l)
				continue
			}
			keys = append(keys, k)
			vals[k] = v
		}
		return keys, vals
	}
	wk, wv := parse(want)
	gk, gv := parse(got)
	pos := map[string]int{}
	for i, k := range wk {
		pos[k] = i
	}
	last, own := -1, false
	for _, k := range gk {
		if !strings.HasPrefix(k, "zk_") || k == "zk_last_zxid" {
			own = true
			continue
		}
		i, ok := pos[k]
		switch {
		case !ok:
			t.Errorf("%s mntr: %s is not one of ZooKeeper's keys", mode, k)
		case own:
			t.Errorf("%s mntr: ZooKeeper's %s after Paddock's own keys", mode, k)
		case i < last:
			t.Errorf("%s mntr: %s out of ZooKeeper's order", mode, k)
		case normLine(k+"\t"+wv[k]) != normLine(k+"\t"+gv[k]):
			t.Errorf("%s mntr: %s is %q, ZooKeeper's is %q: not the same form", mode, k, gv[k], wv[k])
		}
		last = max(last, i)
	}
	for _, k := range []string{"zk_version", "zk_server_state", "zk_num_alive_connections", "zk_avg_latency", "zk_znode_count",
		"zk_packets_sent", "zk_packets_received", "zk_watch_count", "zk_min_latency", "zk_max_latency", "zk_uptime"} {
		if _, ok := gv[k]; !ok {
			t.Errorf("%s mntr: no %s", mode, k)
		}
	}
}
