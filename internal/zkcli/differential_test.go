package zkcli_test

// The differential test of the commands zkCli has and the bus could not
// carry: the same interactive script through `node cli -server` against
// Apache ZooKeeper 3.8 (the Debian package, standalone, started here) and
// against a Paddock node; stdout and stderr must be equal once prompts and
// addresses are normalised, quota stats kept by the server and the
// standalone /zookeeper/config included.

import (
	"regexp"
	"strings"
	"testing"

	"github.com/paddock-zk/paddock/internal/testutil"
)

var cliScript = []string{
	"create /q data",
	"create /q/r",
	"create /s",
	"create /s/t",
	// setquota's parsing and validation
	"setquota",
	"setquota /q",
	"setquota -n 5 -b 10 /q",
	"setquota -n 0 /q",
	"setquota -b -1 /q",
	"setquota -N x /q",
	"setquota -n 5 /nope",
	"setquota -n 5 /zookeeper/quota/x",
	"setquota -n 5 bad",
	"setquota -n 5 /q/",
	// the limits node, created and updated
	"setquota -n 5 /q",
	"get /zookeeper/quota/q/zookeeper_limits",
	"listquota /q",
	"setquota -B 100 /q",
	"setquota -N 7 /q",
	"setquota -b 9 /q",
	"get /zookeeper/quota/q/zookeeper_limits",
	"ls /zookeeper/quota/q",
	// no quota above or below another
	"setquota -n 1 /q/r",
	"setquota -n 1 /s/t",
	"setquota -N 1 /s",
	"ls -R /zookeeper/quota",
	// delquota: one limit, then the whole quota and the empty nodes above
	"delquota -n -b /q",
	"delquota -n /q",
	"delquota -B /q",
	"get /zookeeper/quota/q/zookeeper_limits",
	"delquota /q",
	"listquota /q",
	"delquota /q",
	"delquota /s/t",
	"ls /zookeeper/quota",
	"listquota",
	"delquota",
	"listquota nope",
	// identities
	"whoami",
	"addauth digest u:p",
	"whoami",
	"addauth",
	// ephemerals of this session
	"getEphemerals",
	"create -e /e1",
	"getEphemerals",
	"getEphemerals /e",
	"getEphemerals /q",
	"getEphemerals e",
	"config -c",
	"config",
}

var (
	promptRE = regexp.MustCompile(`\[zk: [^\]]*\((CONNECTED|CONNECTING)\) (\d+)\] `)
)

func normalise(s, addr string) string {
	s = strings.ReplaceAll(s, addr, "SERVER")
	s = promptRE.ReplaceAllString(s, "[zk: $2] ")
	return s
}

func TestCLIDifferentialZooKeeper(t *testing.T) {
	zk := testutil.StartZooKeeper(t)
	pdk := startNode(t)
	script := strings.Join(cliScript, "\n") + "\n"
	zcode, zout, zerr := cli(t, zk, script)
	pcode, pout, perr := cli(t, pdk, script)
	if testing.Verbose() {
		t.Logf("zookeeper's stdout:\n%s\nstderr:\n%s", zout, zerr)
	}
	zout, pout = normalise(zout, zk), normalise(pout, pdk)
	zerr, perr = normalise(zerr, zk), normalise(perr, pdk)
	if zcode != pcode {
		t.Errorf("exit status: zookeeper %d, paddock %d", zcode, pcode)
	}
	for _, c := range []struct{ name, want, got string }{{"stdout", zout, pout}, {"stderr", zerr, perr}} {
		if c.want == c.got {
			continue
		}
		w, g := strings.Split(c.want, "\n"), strings.Split(c.got, "\n")
		for i := 0; i < max(len(w), len(g)); i++ {
			var wl, gl string
			if i < len(w) {
				wl = w[i]
			}
			if i < len(g) {
				gl = g[i]
			}
			if wl != gl {
				t.Errorf("%s line %d:\nzookeeper: %q\npaddock:   %q", c.name, i+1, wl, gl)
				break
			}
		}
	}
	// The script must have done something on ZooKeeper: the limits as
	// ZooKeeper writes them.
	if !strings.Contains(zout, "count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1\n") {
		t.Fatalf("zookeeper's transcript lacks the limits node:\n%s", zout)
	}
}
