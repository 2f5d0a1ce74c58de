package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/logging"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/server"
	"github.com/paddock-zk/paddock/zk"
)

// TestJSONLogs runs a 3-node ensemble logging JSON at debug, but its
// voters at info (--log-level debug,voter=info), through elections,
// sessions, writes over the ZooKeeper protocol, a session's expiry and
// the leader's loss, and checks every line: one JSON object, no key
// twice, each actor at its level.
func TestJSONLogs(t *testing.T) {
	levels, err := logging.ParseLevels("debug,voter=info")
	if err != nil {
		t.Fatal(err)
	}
	cfgs := testkit.Configs(t, 3, "")
	logs := make([]*testutil.SyncBuffer, len(cfgs))
	for i := range logs {
		logs[i] = &testutil.SyncBuffer{}
	}
	l := testkit.NewLocal(t, cfgs, func(i int, c *config.Config, _ *slog.Logger) (*server.Node, error) {
		return server.Start(c, slog.New(logging.NewHandler(logs[i], logging.JSON, levels)))
	})

	zc, _, err := gozk.Connect([]string{l.Nodes[0].ClientAddr()}, 8*time.Second, gozk.WithLogger(zkTestLogger{t}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(zc.Close)
	acl := gozk.WorldACL(gozk.PermAll)
	if _, err := zc.Create("/logs", []byte("a"), 0, acl); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := zc.GetW("/logs"); err != nil {
		t.Fatal(err)
	}
	if _, err := zc.Set("/logs", []byte("b"), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := zc.Multi(&gozk.CreateRequest{Path: "/logs/x", Acl: acl}, &gozk.DeleteRequest{Path: "/logs/x", Version: -1}); err != nil {
		t.Fatal(err)
	}

	// A session that stops asking expires, with its ephemeral.
	raw := newRawClient(t, l.Nodes[1].BusURL(), 2)
	s := raw.session(400)
	raw.do(msg.Request{Session: s, Xid: 1, Op: msg.Op{Op: zk.OpCreate, Path: "/logs/eph", ACL: zk.OpenACLUnsafe, Mode: int32(zk.Ephemeral)}})
	testkit.WaitFor(t, "the raw session to expire", 20*time.Second, func() bool {
		ok, _, err := zc.Exists("/logs/eph")
		return err == nil && !ok
	})

	// The leader goes: the two others elect again; it comes back.
	lead := l.Leader()
	if lead < 0 {
		t.Fatal("no leader")
	}
	l.Stop(lead)
	l.WaitServing()
	l.Start(lead)
	l.WaitServing()
	l.StopAll()

	debug, voterInfo := 0, 0
	for i, buf := range logs {
		for _, line := range bytes.Split(bytes.TrimSpace([]byte(buf.String())), []byte("\n")) {
			if err := testutil.CheckJSONObject(line); err != nil {
				t.Errorf("node %d: %v: %s", i+1, err, line)
				continue
			}
			var rec struct{ Level, Actor, Msg string }
			if err := json.Unmarshal(line, &rec); err != nil {
				t.Fatal(err)
			}
			switch {
			case rec.Actor == "voter" && rec.Level == "DEBUG":
				t.Errorf("node %d: a voter line below info: %s", i+1, line)
			case rec.Actor == "voter":
				voterInfo++
			case rec.Level == "DEBUG":
				debug++
			}
			if strings.Contains(rec.Actor, ".") {
				t.Errorf("node %d: actor %q repeats the node: %s", i+1, rec.Actor, line)
			}
		}
	}
	if debug == 0 || voterInfo == 0 {
		t.Errorf("%d debug lines of the other actors and %d voter lines: want some of both", debug, voterInfo)
	}
}

// A bad --log-level or --log-format stops `node start` and `node local
// up` before anything starts, naming what is wrong.
func TestBadLogSettings(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"start", "--config", "zoo.cfg", "--log-level", "info,raft=debug"}, `unknown actor "raft" (known: voter, store, replica, sessions, wal, bus, zkwire)`},
		{[]string{"start", "--config", "zoo.cfg", "--log-level", "chatty"}, `unknown level "chatty"`},
		{[]string{"start", "--config", "zoo.cfg", "--background", "--log-format", "yaml"}, `--log-format "yaml": want text or json`},
		{[]string{"local", "up", "--dir", dir, "--log-level", "voter=loud"}, `unknown level "loud"`},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("node %v: exit %d, stderr %q; want exit 1 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("local up with a bad level wrote %d files", len(entries))
	}
}

// `node start --background` passes --log-format and --log-level on to
// the node it starts: its paddock.out holds JSON lines, the store's
// debug ones among them.
func TestBackgroundNodeLogsJSON(t *testing.T) {
	testutil.SkipShort(t, "builds and starts a node process")
	cfgs := testkit.Configs(t, 1, "")
	cfg := zooCfg(cfgs[0])
	if out, code := nodeCmd(t, "start", "--config", cfg, "--background", "--log-format", "json", "--log-level", "warn,store=debug"); code != 0 {
		t.Fatalf("start --background: exit %d\n%s", code, out)
	}
	defer nodeCmd(t, "stop", "--config", cfg)
	out := filepath.Join(cfgs[0].DataDir, "paddock.out")
	var lines [][]byte
	testkit.WaitFor(t, "a store line in paddock.out", 20*time.Second, func() bool {
		b, _ := os.ReadFile(out)
		lines = bytes.Split(bytes.TrimSpace(b), []byte("\n"))
		return bytes.Contains(b, []byte(`"actor":"store"`))
	})
	for _, line := range lines {
		if err := testutil.CheckJSONObject(line); err != nil {
			t.Errorf("%v: %s", err, line)
		}
		if bytes.Contains(line, []byte(`"level":"INFO"`)) && !bytes.Contains(line, []byte(`"actor":"store"`)) {
			t.Errorf("an info line outside the store at warn,store=debug: %s", line)
		}
	}
}
