package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zkwire"
)

// adminGet asks a node's AdminServer for path.
func adminGet(t *testing.T, n *Node, path string) (int, string) {
	t.Helper()
	if n.AdminAddr() == "" {
		t.Fatalf("node %d runs no AdminServer", n.ID())
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + n.AdminAddr() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// adminCommand runs a command and decodes its JSON, which must be an
// answer without error.
func adminCommand(t *testing.T, n *Node, name string) map[string]any {
	t.Helper()
	code, body := adminGet(t, n, "/commands/"+name)
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil || code != http.StatusOK || m["error"] != nil {
		t.Fatalf("node %d %s: %d %v\n%s", n.ID(), name, code, err, body)
	}
	return m
}

// adminFields are the fields each command answers on a node of an
// ensemble, by ZooKeeper 3.8's names, besides command and error.
var adminFields = map[string][]string{
	"connection_stat_reset": nil,
	"configuration": {"client_port", "data_dir", "data_log_dir", "tick_time", "max_client_cnxns", "min_session_timeout",
		"max_session_timeout", "server_id", "client_port_listen_backlog"},
	"connections":           {"connections", "secure_connections"},
	"hash":                  {"digests"},
	"dirs":                  {"datadir_size", "logdir_size"},
	"dump":                  {"expiry_time_to_session_ids", "session_id_to_ephemeral_paths"},
	"environment":           {"zookeeper.version", "host.name", "java.version", "os.name", "user.dir", "os.memory.free"},
	"initial_configuration": {"initial_configuration"},
	"is_read_only":          {"read_only"},
	"last_snapshot":         {"zxid", "timestamp"},
	"leader":                {"is_leader", "leader_id", "leader_ip"},
	"monitor": {"version", "server_state", "peer_state", "num_alive_connections", "avg_latency", "outstanding_requests",
		"znode_count", "packets_sent", "packets_received", "watch_count", "min_latency", "uptime", "max_latency",
		"last_zxid", "paddock_digest", "paddock_myid"},
	"observers":         {"synced_observers", "observers"},
	"ruok":              nil,
	"server_stats":      {"version", "read_only", "server_stats", "node_count"},
	"stats":             {"version", "read_only", "server_stats", "node_count", "connections", "secure_connections"},
	"stat_reset":        nil,
	"system_properties": {"go.version", "go.os", "go.arch", "process.pid", "build.main.path"},
	"voting_view":       {"current_config"},
	"watches":           {"session_id_to_watched_paths"},
	"watches_by_path":   {"path_to_session_ids"},
	"watch_summary":     {"num_connections", "num_paths", "num_total_watches"},
	"zabstate": {"myid", "is_leader", "quorum_address", "election_address", "client_address", "voting", "last_zxid",
		"zab_epoch", "zab_counter", "zabstate"},
}

// TestAdminServerOnEnsemble: every command answers JSON with ZooKeeper's
// fields on a leader and on a follower of a running ensemble, with the
// figures of the node it runs on: its role, its session's ephemeral node
// and watch, the membership; the aliases answer the same commands.
func TestAdminServerOnEnsemble(t *testing.T) {
	l := testkit.NewLocal(t, testkit.Configs(t, 3, ""), startNode)
	li := l.Leader()
	leader, follower := l.Nodes[li], l.Nodes[(li+1)%3]

	// A session on the follower with an ephemeral node it watches.
	c := zkConnect(t, []string{follower.ClientAddr()})
	if _, err := c.Create("/admin-eph", []byte("x"), zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.GetW("/admin-eph"); err != nil {
		t.Fatal(err)
	}
	sid := fmt.Sprint(c.SessionID())

	for _, n := range []*Node{leader, follower} {
		role := string(n.Mode())
		list, page := adminGet(t, n, "/commands")
		if list != http.StatusOK || strings.Count(page, "<a href=") != len(adminFields) {
			t.Fatalf("%s: command list %d:\n%s", role, list, page)
		}
		answers := map[string]map[string]any{}
		for name, fields := range adminFields {
			m := adminCommand(t, n, name)
			if m["command"] != name {
				t.Errorf("%s %s: command %v", role, name, m["command"])
			}
			for _, f := range fields {
				if _, ok := m[f]; !ok {
					t.Errorf("%s %s: no %s in %v", role, name, f, m)
				}
			}
			if !strings.Contains(page, `<a href="/commands/`+name+`">`) {
				t.Errorf("%s: the list lacks %s", role, name)
			}
			answers[name] = m
		}
		isLeader := n == leader
		if m := answers["monitor"]; m["server_state"] != role || m["paddock_myid"] != float64(n.ID()) {
			t.Errorf("%s monitor: %v", role, m)
		}
		if _, ok := answers["monitor"]["synced_followers"]; ok != isLeader {
			t.Errorf("%s monitor: synced_followers present %v", role, ok)
		}
		if m := answers["leader"]; m["is_leader"] != isLeader || m["leader_id"] != float64(leader.ID()) || m["leader_ip"] != "127.0.0.1" {
			t.Errorf("%s leader: %v", role, m)
		}
		if _, ok := answers["server_stats"]["proposal_stats"]; ok != isLeader {
			t.Errorf("%s server_stats: proposal_stats present %v", role, ok)
		}
		if ss, _ := answers["server_stats"]["server_stats"].(map[string]any); ss["server_state"] != role {
			t.Errorf("%s server_stats: %v", role, answers["server_stats"])
		}
		if v, _ := answers["voting_view"]["current_config"].(map[string]any); len(v) != 3 {
			t.Errorf("%s voting_view: %v", role, answers["voting_view"])
		}
		if m := answers["configuration"]; m["client_port"] != float64(l.Cfgs[n.ID()-1].ClientPort) || m["server_id"] != float64(n.ID()) {
			t.Errorf("%s configuration: %v", role, m)
		}
		if z := answers["zabstate"]; z["zabstate"] != "broadcast" || z["is_leader"] != isLeader || z["voting"] != true {
			t.Errorf("%s zabstate: %v", role, z)
		}
		eph, _ := answers["dump"]["session_id_to_ephemeral_paths"].(map[string]any)
		if paths, _ := eph[sid].([]any); len(paths) != 1 || paths[0] != "/admin-eph" {
			t.Errorf("%s dump: session %s's ephemerals %v", role, sid, eph)
		}
		expiry, _ := answers["dump"]["expiry_time_to_session_ids"].(map[string]any)
		if (len(expiry) > 0) != isLeader {
			t.Errorf("%s dump: expiry queue %v (the leader's only)", role, expiry)
		}
		icfg, _ := answers["initial_configuration"]["initial_configuration"].(string)
		if !strings.Contains(icfg, "tickTime=200\n") || strings.Contains(icfg, testkit.PeerPassword) || strings.Contains(icfg, testkit.ClientPassword) {
			t.Errorf("%s initial_configuration (passwords must be hidden):\n%s", role, icfg)
		}
		if ls := answers["last_snapshot"]; ls["timestamp"].(float64) <= 0 {
			t.Errorf("%s last_snapshot: %v", role, ls)
		}
		// The session, its connection and its watch live on the follower.
		watched, _ := answers["watches"]["session_id_to_watched_paths"].(map[string]any)
		conns, _ := answers["connections"]["connections"].([]any)
		if isLeader {
			if len(watched) != 0 || len(conns) != 0 {
				t.Errorf("leader: watches %v, connections %v; want none", watched, conns)
			}
			continue
		}
		if paths, _ := watched[sid].([]any); len(paths) != 1 || paths[0] != "/admin-eph" {
			t.Errorf("follower watches: %v", watched)
		}
		if byPath, _ := answers["watches_by_path"]["path_to_session_ids"].(map[string]any); len(byPath) != 1 {
			t.Errorf("follower watches_by_path: %v", byPath)
		}
		if len(conns) != 1 || fmt.Sprint(int64(conns[0].(map[string]any)["session_id"].(float64))) != sid {
			t.Errorf("follower connections: %v (session %s)", conns, sid)
		}
	}

	// ZooKeeper's aliases answer as the primary names.
	for alias, primary := range map[string]string{"mntr": "monitor", "srvr": "server_stats", "stat": "stats", "conf": "configuration",
		"config": "configuration", "cons": "connections", "crst": "connection_stat_reset", "lead": "leader", "wchc": "watches",
		"wchp": "watches_by_path", "wchs": "watch_summary", "envi": "environment", "env": "environment", "icfg": "initial_configuration",
		"lsnp": "last_snapshot", "isro": "is_read_only", "sysp": "system_properties", "srst": "stat_reset", "obsr": "observers"} {
		if m := adminCommand(t, follower, alias); m["command"] != primary {
			t.Errorf("%s answered as %v, want %s", alias, m["command"], primary)
		}
	}

	// An unknown command: ZooKeeper's error, as a 404.
	code, body := adminGet(t, leader, "/commands/no_such_command")
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil || code != http.StatusNotFound ||
		m["command"] != "no_such_command" || m["error"] != "Unknown command: no_such_command" {
		t.Errorf("unknown command: %d %v\n%s", code, err, body)
	}
}

// TestAdminServerReadyz: /readyz follows the quorum (503 with the reason
// once two of three nodes are gone, 200 again when they return) while
// /livez stays 200, and the commands that need a serving node say it is
// not serving meanwhile.
func TestAdminServerReadyz(t *testing.T) {
	l := testkit.NewLocal(t, testkit.Configs(t, 3, ""), startNode)
	n := l.Nodes[0]
	if code, body := adminGet(t, n, "/readyz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("readyz on a serving node: %d %q", code, body)
	}
	l.Stop(1)
	l.Stop(2)
	testkit.WaitFor(t, "node 1 not ready", testkit.ServeTimeout, func() bool {
		code, _ := adminGet(t, n, "/readyz")
		return code == http.StatusServiceUnavailable
	})
	if code, body := adminGet(t, n, "/readyz"); code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "not ready: ") {
		t.Errorf("readyz without a quorum: %d %q", code, body)
	}
	if code, body := adminGet(t, n, "/livez"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("livez without a quorum: %d %q", code, body)
	}
	code, body := adminGet(t, n, "/commands/ruok")
	if !strings.Contains(body, "This ZooKeeper instance is not currently serving requests") || code != http.StatusOK {
		t.Errorf("ruok without a quorum: %d %s", code, body)
	}
	if m := adminCommand(t, n, "environment"); m["zookeeper.version"] != Version {
		t.Errorf("environment without a quorum: %v", m)
	}
	l.Start(1)
	l.Start(2)
	l.WaitServing()
	testkit.WaitFor(t, "node 1 ready again", testkit.ServeTimeout, func() bool {
		code, _ := adminGet(t, n, "/readyz")
		return code == http.StatusOK
	})
	if code, body := adminGet(t, n, "/livez"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("livez with the quorum back: %d %q", code, body)
	}
}

// TestAdminServerPortTaken: a node whose AdminServer port is taken logs
// the error and serves all the same, as ZooKeeper does.
func TestAdminServerPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	text := fmt.Sprintf("dataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\npaddock.busPort=%d\nadmin.serverPort=%d\n",
		filepath.Join(dir, "data"), testutil.FreePort(t), testutil.FreePort(t), ln.Addr().(*net.TCPAddr).Port)
	cfg, err := config.Parse(strings.NewReader(text), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	var logs testutil.SyncBuffer
	n, err := Start(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("a taken AdminServer port stopped the node: %v", err)
	}
	defer n.Close()
	testkit.WaitFor(t, "the node serving", 10*time.Second, func() bool { return n.Mode() == zkwire.ModeStandalone })
	if n.AdminAddr() != "" || !strings.Contains(logs.String(), "AdminServer not started") ||
		!strings.Contains(logs.String(), "address already in use") {
		t.Errorf("admin %q, log:\n%s", n.AdminAddr(), logs.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if mode, running, ok, err := AskMode(ctx, n.ClientAddr()); err != nil || !running || !ok || mode != zkwire.ModeStandalone {
		t.Errorf("srvr: mode %q running %v ok %v err %v", mode, running, ok, err)
	}
}

// TestAdminServerStandalone: a standalone node is no quorum server, as
// ZooKeeper's commands say: leader answers its error, the voting view is
// empty, zabstate is not voting; it is ready as soon as it serves.
func TestAdminServerStandalone(t *testing.T) {
	text := fmt.Sprintf("dataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\npaddock.busPort=%d\nadmin.serverPort=0\n",
		filepath.Join(t.TempDir(), "data"), testutil.FreePort(t), testutil.FreePort(t))
	cfg, err := config.Parse(strings.NewReader(text), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	n, err := Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	testkit.WaitFor(t, "the node serving", 10*time.Second, func() bool { return n.Mode() == zkwire.ModeStandalone })
	if code, body := adminGet(t, n, "/readyz"); code != http.StatusOK {
		t.Errorf("readyz: %d %q", code, body)
	}
	code, body := adminGet(t, n, "/commands/leader")
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil || code != http.StatusOK || m["error"] != "server is not initialized" {
		t.Errorf("leader on a standalone node: %d %v\n%s", code, err, body)
	}
	if v, _ := adminCommand(t, n, "voting_view")["current_config"].(map[string]any); len(v) != 0 {
		t.Errorf("voting_view on a standalone node: %v", v)
	}
	if z := adminCommand(t, n, "zabstate"); z["voting"] != false || z["zabstate"] != "" {
		t.Errorf("zabstate on a standalone node: %v", z)
	}
	if s := adminCommand(t, n, "srvr")["server_stats"].(map[string]any); s["server_state"] != "standalone" {
		t.Errorf("server_stats on a standalone node: %v", s)
	}
}
