package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
)

// kazooScript drives an ensemble the way Kazoo users do: server_version
// (an envi four-letter word read with one recv), ensure_path (parents with
// empty data), null data, the register/monitor pattern with a
// ChildrenWatch on another node, a transaction, a version conflict, the
// Lock recipe, and an ephemeral gone with its closed session. It prints
// OK at the end, or FAIL and what.
const kazooScript = `
import sys, threading, time
from kazoo.client import KazooClient
from kazoo.exceptions import BadVersionError, NoNodeError
a, b = sys.argv[1], sys.argv[2]

def check(cond, what):
    if not cond:
        print("FAIL:", what, flush=True)
        sys.exit(1)

def wait(pred, what, secs=20):
    end = time.time() + secs
    while not pred():
        if time.time() > end:
            check(False, "timed out waiting for " + what)
        time.sleep(0.02)

zk = KazooClient(hosts=a, timeout=10)
zk.start(timeout=20)
other = KazooClient(hosts=b, timeout=10)
other.start(timeout=20)

v = zk.server_version()
check(v[:2] == (3, 8), "server_version %r" % (v,))

zk.ensure_path("/app/config")
data, stat = zk.get("/app")
check(data == b"", "ensure_path's parent has data %r, want b''" % data)
zk.create("/app/null", None)
check(zk.get("/app/null")[0] is None, "a null create reads back %r" % zk.get("/app/null")[0])
zk.create("/app/empty", b"")
check(zk.get("/app/empty")[0] == b"", "an empty create reads back %r" % zk.get("/app/empty")[0])
zk.set("/app/empty", b"x")
zk.set("/app/empty", b"")
other.sync("/app/empty")
check(other.get("/app/empty")[0] == b"", "empty after set reads back %r on another node" % other.get("/app/empty")[0])

other.ensure_path("/serverList")
seen = []
@other.ChildrenWatch("/serverList")
def watch(children):
    seen.append(sorted(children))
p = zk.create("/serverList/server", b"host-a:8080", ephemeral=True, sequence=True)
name = p.rsplit("/", 1)[1]
check(name.startswith("server") and len(name) == len("server") + 10, "sequential name %r" % name)
wait(lambda: seen and seen[-1] == [name], "the monitor on another node to list " + name)

t = zk.transaction()
t.create("/app/t1", b"one")
t.check("/app/config", 0)
t.set_data("/app/config", b"v1")
res = t.commit()
check(len(res) == 3 and res[0] == "/app/t1", "transaction results %r" % (res,))
try:
    zk.set("/app/config", b"v2", version=0)
    check(False, "a stale version was accepted")
except BadVersionError:
    pass

lock = zk.Lock("/locks/job", "kazoo")
check(lock.acquire(timeout=10), "lock not acquired")
lock.release()

zk.stop()
zk.close()
wait(lambda: seen and seen[-1] == [], "the ephemeral to go with its closed session")
try:
    other.get(p)
    check(False, "the ephemeral outlived its session")
except NoNodeError:
    pass
other.stop()
other.close()
print("OK", flush=True)
`

// kazooPython finds a Python with Kazoo (Debian's python3-kazoo installs
// it for /usr/bin/python3).
func kazooPython(t *testing.T) string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import kazoo").Run() == nil {
			return py
		}
	}
	t.Skip("no python3 with kazoo (.ci/run installs Debian's python3-kazoo)")
	return ""
}

// TestKazooAgainstPlainEnsemble runs Kazoo, a third-party ZooKeeper
// client, against three nodes started from a plain zoo.cfg.
func TestKazooAgainstPlainEnsemble(t *testing.T) {
	testutil.SkipShort(t, "multi-process ensemble test")
	py := kazooPython(t)
	e := testkit.Processes(t, 3, testkit.Options{Plain: true})
	for _, id := range e.IDs() {
		e.Up(t, id)
	}
	e.Settle(t, e.IDs()...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c", kazooScript,
		e.ClientAddr(1), e.ClientAddr(3))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("kazoo: %v\n%s\n%s", err, out, e.Logs())
	}
}
