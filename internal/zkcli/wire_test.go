package zkcli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/internal/zkcli"
	"github.com/paddock-zk/paddock/server"
	"github.com/paddock-zk/paddock/zkwire"
	"github.com/paddock-zk/paddock/zkwire/zkclient"
)

// startNode runs a standalone Paddock node in-process and returns its
// client address.
func startNode(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	text := fmt.Sprintf("tickTime=200\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\npaddock.busPort=%d\nadmin.enableServer=false\n",
		dir, testutil.FreePort(t), testutil.FreePort(t))
	path := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := quietNode(0, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	testkit.WaitFor(t, "the node serving", 20*time.Second, func() bool {
		m := n.Mode()
		return m == zkwire.ModeStandalone || m == zkwire.ModeLeader
	})
	return n.ClientAddr()
}

// cli runs `node cli -server server args...` with stdin, over the wire.
func cli(t *testing.T, server, stdin string, args ...string) (code int, out, errOut string) {
	t.Helper()
	var o, e bytes.Buffer
	noBus := func(context.Context, []string, time.Duration, zkcli.Credentials) (zkcli.Client, io.Closer, error) {
		t.Fatal("the bus dialer was used for -server")
		return nil, nil, nil
	}
	code = zkcli.Main(context.Background(), append([]string{"-server", server}, args...), strings.NewReader(stdin), &o, &e, noBus)
	return code, o.String(), e.String()
}

// `node cli -server host:clientPort` speaks ZooKeeper's protocol: one-shot
// commands, the interactive shell fed by a pipe, and a chroot.
func TestCLIWireServer(t *testing.T) {
	addr := startNode(t)
	if code, out, errOut := cli(t, addr, "", "create", "/x", "data"); code != 0 || out != "" || errOut != "Created /x\n" {
		t.Fatalf("create: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := cli(t, addr, "", "get", "/x"); code != 0 || out != "data\n" || errOut != "" {
		t.Fatalf("get: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := cli(t, addr, "", "get", "/nope"); code != 1 || errOut != "Node does not exist: /nope\n" {
		t.Fatalf("get missing: %d %q", code, errOut)
	}
	code, out, _ := cli(t, addr, "create /y data2\nget /y\ncreate -e /x/eph\nls /x\nquit\n")
	want := "Connecting to " + addr + "\n" +
		"[zk: " + addr + "(CONNECTED) 0] " +
		"[zk: " + addr + "(CONNECTED) 1] data2\n" +
		"[zk: " + addr + "(CONNECTED) 2] " +
		"[zk: " + addr + "(CONNECTED) 3] [eph]\n" +
		"[zk: " + addr + "(CONNECTED) 4] "
	if code != 0 || out != want {
		t.Fatalf("interactive: %d\n%q\nwant\n%q", code, out, want)
	}
	// The session ended with the shell: its ephemeral is gone.
	if code, out, _ := cli(t, addr, "", "ls", "/x"); code != 0 || out != "[]\n" {
		t.Fatalf("ephemeral after the shell ended: %d %q", code, out)
	}
	// A chroot: paths are under /x, and the created path is shown without it.
	if code, _, errOut := cli(t, addr+"/x", "", "create", "/in", "c"); code != 0 || errOut != "Created /in\n" {
		t.Fatalf("chroot create: %d %q", code, errOut)
	}
	if code, out, _ := cli(t, addr, "", "get", "/x/in"); code != 0 || out != "c\n" {
		t.Fatalf("chroot's node: %d %q", code, out)
	}
	if code, _, errOut := cli(t, "127.0.0.1:1", "", "-timeout", "1000", "ls", "/"); code == 0 || !strings.HasPrefix(errOut, "Unable to connect to 127.0.0.1:1") {
		t.Fatalf("no server: %d %q", code, errOut)
	}
}

// The commands the bus protocol cannot carry, against Paddock over the
// wire; the quota commands' znodes are checked byte for byte.
func TestCLIWireNewCommands(t *testing.T) {
	addr := startNode(t)
	script := strings.Join([]string{
		"whoami",
		"addauth digest alice:secret",
		"whoami",
		"create -e /eph1",
		"create /p",
		"create -e /p/eph2",
		"getEphemerals",
		"getEphemerals /p",
		"config -c",
		"setquota -n 5 /p",
		"setquota -B 100 /p",
		"get /zookeeper/quota/p/zookeeper_limits",
		"listquota /p",
		"delquota -B /p",
		"get /zookeeper/quota/p/zookeeper_limits",
		"delquota /p",
		"ls /zookeeper/quota",
		"listquota /p",
	}, "\n") + "\n"
	code, out, errOut := cli(t, addr, script)
	out = regexp.MustCompile(`\[zk: [^\]]*\] `).ReplaceAllString(out, "")
	wantOut := "Connecting to " + addr + "\n" +
		"Auth scheme: User\nip: 127.0.0.1\n" +
		"Auth scheme: User\nip: 127.0.0.1\ndigest: alice\n" +
		"[/eph1, /p/eph2]\n" + // sorted here; ZooKeeper's order is its hash set's
		"[/p/eph2]\n" +
		" \n" +
		"count=5,bytes=-1=;byteHardLimit=100;countHardLimit=-1\n" +
		"Output quota for /p count=5,bytes=-1=;byteHardLimit=100;countHardLimit=-1\n" +
		"Output stat for /p count=0,bytes=0\n" +
		"count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1\n" +
		"[]\n\n"
	// The stats node's numbers are the server's to keep up to date.
	out = regexp.MustCompile(`Output stat for /p count=\d+,bytes=\d+`).ReplaceAllString(out, "Output stat for /p count=0,bytes=0")
	if code != 0 || out != wantOut {
		t.Fatalf("exit %d\n%s\nwant\n%s\nstderr:\n%s", code, out, wantOut, errOut)
	}
	wantErr := "Created /eph1\nCreated /p\nCreated /p/eph2\n" +
		"absolute path is /zookeeper/quota/p/zookeeper_limits\n" +
		"absolute path is /zookeeper/quota/p/zookeeper_limits\n" +
		"quota for /p does not exist.\n"
	if errOut != wantErr {
		t.Fatalf("stderr\n%s\nwant\n%s", errOut, wantErr)
	}
}

// quietNode starts an in-process node with its log discarded.
func quietNode(_ int, cfg *config.Config, _ *slog.Logger) (*server.Node, error) {
	return server.Start(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// The shell's session survives the death of its node: the wire client
// moves to another listed server with the same session (its ephemeral
// stays) and re-registers the watch, whose event the shell then prints.
func TestCLIWireFailover(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), quietNode)
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.ClientAddr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	zc, err := zkclient.Connect(ctx, strings.Join(addrs, ","), zkclient.WithoutShuffle(), zkclient.WithSessionTimeout(6*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()
	if zc.Server() != addrs[0] {
		t.Fatalf("connected to %s, want the first listed, %s", zc.Server(), addrs[0])
	}
	var out testutil.SyncBuffer
	var errOut bytes.Buffer
	sh := &zkcli.Shell{Client: zkcli.Wire(zc), Server: "ensemble", Out: &out, Err: &errOut}
	run := func(line string) {
		t.Helper()
		if err := sh.ExecuteLine(ctx, line); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, errOut.String())
		}
	}
	sh.Options.OnWatch = sh.PrintEvents
	run("create -e /eph v")
	run("create /w a")
	run("get -w /w")
	session := zc.SessionID()

	nodes[0].Close()
	// A request in flight when the connection breaks fails with
	// ConnectionLoss, as in ZooKeeper; wait for the move first.
	deadline := time.Now().Add(20 * time.Second)
	for s := zc.Server(); s == "" || s == addrs[0]; s = zc.Server() {
		if time.Now().After(deadline) {
			t.Fatal("the session did not move")
		}
		time.Sleep(10 * time.Millisecond)
	}
	run("sync /eph")
	if zc.SessionID() != session {
		t.Fatalf("session %#x on %s after the move; want %#x elsewhere", zc.SessionID(), zc.Server(), session)
	}
	run("stat /eph")
	other, err := zkclient.Connect(ctx, strings.Join(addrs[1:], ","))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Set(ctx, "/w", []byte("b"), -1); err != nil {
		t.Fatal(err)
	}
	want := "WATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/w\n"
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no event after the move:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("ephemeralOwner = 0x%x\n", session)) {
		t.Fatalf("the ephemeral's owner is not the session:\n%s", out.String())
	}
}
