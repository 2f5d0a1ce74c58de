package admin

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/zkwire"
)

// fakeNode is a node whose answers the test sets.
type fakeNode struct {
	mu          sync.Mutex
	st          zkwire.Status
	ready       bool
	why         string
	resets      map[string]int
	asked       []string
	initial     string
	snapZxid    uint64
	snapWritten time.Time
}

func (f *fakeNode) Status(word string) zkwire.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, word)
	return f.st
}

func (f *fakeNode) reset(what string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resets[what]++
}

func (f *fakeNode) ResetServerStats()     { f.reset("srst") }
func (f *fakeNode) ResetConnectionStats() { f.reset("crst") }
func (f *fakeNode) Peer() Peer {
	return Peer{MyID: 2, LeaderID: 2, LeaderHost: "10.0.0.2", Leading: true, ZabState: "broadcast", Voting: true,
		QuorumAddr: "10.0.0.2:2888", ElectionAddr: "10.0.0.2:3888", ClientAddr: "127.0.0.1:2181"}
}

func (f *fakeNode) Ready() (bool, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ready, f.why
}

func (f *fakeNode) LastSnapshot() (uint64, time.Time, error) { return f.snapZxid, f.snapWritten, nil }
func (f *fakeNode) InitialConfig() (string, error)           { return f.initial, nil }

func (f *fakeNode) setReady(ok bool, why string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ready, f.why = ok, why
	if ok {
		f.st.Mode = zkwire.ModeLeader
	} else {
		f.st.Mode = zkwire.ModeLooking
	}
}

func start(t *testing.T, url string) (*fakeNode, string) {
	t.Helper()
	f := &fakeNode{ready: true, resets: map[string]int{}, initial: "tickTime=2000\n", snapZxid: 0x100000002,
		snapWritten: time.Unix(1700000000, 0),
		st: zkwire.Status{Version: "v", Mode: zkwire.ModeLeader, Zxid: 0x100000005, NodeCount: 7, Digest: 42, MyID: 2,
			ProposalSizes: [3]int64{10, 5, 20}, OpenFDs: -1, MaxFDs: -1,
			Clients: []zkwire.ClientInfo{{Remote: "127.0.0.1:5000", Interest: 1, Session: 0x1000, LastOp: "PING"},
				{Remote: "127.0.0.1:5001", Interest: 1, Session: 0x1001, Secure: true}},
			WatchList: []zkwire.WatchDump{{Session: 0x1000, Path: "/a"}, {Session: 0x1001, Path: "/a"}, {Session: 0x1000, Path: "/b"}},
			Conf: &zkwire.Conf{ClientPort: 2181, DataDir: "/d", DataLogDir: "/l", TickTime: 2000, ServerID: 2, DataDirSize: 3, DataLogSize: 4,
				Quorum: &zkwire.QuorumConf{Servers: []zkwire.ConfServer{{ID: 1, Host: "10.0.0.1", QuorumPort: 2888, ElectionPort: 3888, Role: "participant"},
					{ID: 2, Host: "::1", QuorumPort: 2888, ElectionPort: 3888, Role: "participant", ClientAddr: "0.0.0.0:2181"}}}},
			Sessions: []zkwire.SessionDump{{ID: 0x1000, Ephemerals: []string{"/e2", "/e1"}}, {ID: 0x1001}},
			Expiries: []zkwire.SessionExpiry{{ID: 0x1001, At: time.UnixMilli(1700000002000)}, {ID: 0x1000, At: time.UnixMilli(1700000002000)}},
		}}
	s, err := Listen(Config{Addr: "127.0.0.1:0", CommandURL: url, IdleTimeout: time.Second, Node: f})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return f, "http://" + s.Addr().String()
}

func get(t *testing.T, method, url string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// getJSON asks for a command and decodes its answer.
func getJSON(t *testing.T, base, name string, wantCode int) map[string]any {
	t.Helper()
	code, h, body := get(t, http.MethodGet, base+"/commands/"+name)
	if code != wantCode || h.Get("Content-Type") != "application/json" {
		t.Fatalf("%s: %d %q, want %d application/json\n%s", name, code, h.Get("Content-Type"), wantCode, body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, body)
	}
	return m
}

// TestCommandNamesAndAliases: every name ZooKeeper gives a command,
// primary or alias, answers as the primary name; the list page links
// every primary name under the command URL.
func TestCommandNamesAndAliases(t *testing.T) {
	_, base := start(t, "/commands")
	aliases := map[string][]string{
		"connection_stat_reset": {"crst"}, "configuration": {"conf", "config"}, "connections": {"cons"}, "hash": nil,
		"dirs": nil, "dump": nil, "environment": {"env", "envi"}, "initial_configuration": {"icfg"},
		"is_read_only": {"isro"}, "last_snapshot": {"lsnp"}, "leader": {"lead"}, "monitor": {"mntr"},
		"observers": {"obsr"}, "ruok": nil, "server_stats": {"srvr"}, "stats": {"stat"}, "stat_reset": {"srst"},
		"system_properties": {"sysp"}, "voting_view": nil, "watches": {"wchc"}, "watches_by_path": {"wchp"},
		"watch_summary": {"wchs"}, "zabstate": nil,
	}
	code, h, page := get(t, http.MethodGet, base+"/commands")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("list: %d %q", code, h.Get("Content-Type"))
	}
	if n := strings.Count(page, "<a href="); n != len(aliases) {
		t.Errorf("list has %d links, want %d:\n%s", n, len(aliases), page)
	}
	for primary, more := range aliases {
		if !strings.Contains(page, `<a href="/commands/`+primary+`">`+primary+"</a>\n<br/>\n") {
			t.Errorf("list lacks %s:\n%s", primary, page)
		}
		for _, name := range append([]string{primary}, more...) {
			m := getJSON(t, base, name, http.StatusOK)
			if m["command"] != primary || m["error"] != nil {
				t.Errorf("%s: command %v error %v, want %s and null", name, m["command"], m["error"], primary)
			}
		}
	}
	if _, _, slash := get(t, http.MethodGet, base+"/commands/"); slash != page {
		t.Errorf("/commands/ differs from /commands:\n%s", slash)
	}
}

// TestUnknownCommand: ZooKeeper's error JSON, naming the command as
// asked, with 404 so a checker cannot take it for an answer; paths
// outside the command URL are plain 404s.
func TestUnknownCommand(t *testing.T) {
	_, base := start(t, "/zk/cmds")
	code, _, _ := get(t, http.MethodGet, base+"/commands/ruok")
	if code != http.StatusNotFound {
		t.Errorf("the default URL under another commandURL: %d", code)
	}
	code, h, body := get(t, http.MethodGet, base+"/zk/cmds/nope")
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil || code != http.StatusNotFound || h.Get("Content-Type") != "application/json" {
		t.Fatalf("unknown command: %d %q %v\n%s", code, h.Get("Content-Type"), err, body)
	}
	if len(m) != 2 || m["command"] != "nope" || m["error"] != "Unknown command: nope" {
		t.Errorf("unknown command answered %v", m)
	}
	if code, _, body := get(t, http.MethodGet, base+"/zk/cmds/ruok"); code != http.StatusOK || !strings.Contains(body, `"command": "ruok"`) {
		t.Errorf("ruok under /zk/cmds: %d\n%s", code, body)
	}
}

// TestMethods: GET and HEAD only.
func TestMethods(t *testing.T) {
	_, base := start(t, "/commands")
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, "TRACE"} {
		code, h, _ := get(t, m, base+"/commands/ruok")
		if code != http.StatusMethodNotAllowed || h.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d, Allow %q", m, code, h.Get("Allow"))
		}
	}
	if code, _, body := get(t, http.MethodHead, base+"/livez"); code != http.StatusOK || body != "" {
		t.Errorf("HEAD /livez: %d %q", code, body)
	}
}

// TestHealthAndNotServing: /livez answers whatever the node's state;
// /readyz and the commands that need a serving node follow it, with the
// node's reason and ZooKeeper's error; the others answer regardless.
func TestHealthAndNotServing(t *testing.T) {
	f, base := start(t, "/commands")
	check := func(path string, wantCode int, wantBody string) {
		t.Helper()
		if code, h, body := get(t, http.MethodGet, base+path); code != wantCode || body != wantBody ||
			h.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%s: %d %q (%s), want %d %q", path, code, body, h.Get("Content-Type"), wantCode, wantBody)
		}
	}
	check("/livez", http.StatusOK, "ok\n")
	check("/readyz", http.StatusOK, "ok\n")
	f.setReady(false, "looking for a leader")
	check("/livez", http.StatusOK, "ok\n")
	check("/readyz", http.StatusServiceUnavailable, "not ready: looking for a leader\n")
	for _, name := range []string{"ruok", "srvr", "stat", "cons", "dump", "conf", "wchs", "lead", "voting_view"} {
		m := getJSON(t, base, name, http.StatusOK)
		if m["error"] != "This ZooKeeper instance is not currently serving requests" || m["command"] != name || len(m) != 2 {
			t.Errorf("%s on a node not serving: %v", name, m)
		}
	}
	for _, name := range []string{"environment", "system_properties", "zabstate"} {
		if m := getJSON(t, base, name, http.StatusOK); m["error"] != nil {
			t.Errorf("%s on a node not serving: %v", name, m)
		}
	}
	// monitor, as mntr: not serving, unless a full disk is why.
	if m := getJSON(t, base, "mntr", http.StatusOK); m["error"] != "This ZooKeeper instance is not currently serving requests" {
		t.Errorf("monitor on a node not serving: %v", m)
	}
	f.mu.Lock()
	f.st.DiskFull = true
	f.mu.Unlock()
	if m := getJSON(t, base, "mntr", http.StatusOK); m["error"] != nil || m["paddock_disk_full"] != 1.0 || m["server_state"] != "" {
		t.Errorf("monitor on a full disk: %v", m)
	}
	f.setReady(true, "")
	check("/readyz", http.StatusOK, "ok\n")
}

// TestResets: crst and srst reach the node, once per request.
func TestResets(t *testing.T) {
	f, base := start(t, "/commands")
	getJSON(t, base, "crst", http.StatusOK)
	getJSON(t, base, "connection_stat_reset", http.StatusOK)
	getJSON(t, base, "srst", http.StatusOK)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.resets["crst"] != 2 || f.resets["srst"] != 1 {
		t.Errorf("resets %v, want crst 2 and srst 1", f.resets)
	}
}

// TestCommandFields: each command's fields from the node's status, by
// ZooKeeper's names, and each asks the node for its word's status.
func TestCommandFields(t *testing.T) {
	f, base := start(t, "/commands")
	m := getJSON(t, base, "monitor", http.StatusOK)
	for k, want := range map[string]any{"version": "v", "server_state": "leader", "znode_count": 7.0, "synced_followers": 0.0,
		"last_zxid": "0x100000005", "paddock_myid": 2.0, "paddock_disk_full": 0.0, "avg_latency": 0.0} {
		if m[k] != want {
			t.Errorf("monitor %s = %#v, want %#v", k, m[k], want)
		}
	}
	for k := range m {
		if strings.HasPrefix(k, "zk_") {
			t.Errorf("monitor key %s keeps mntr's prefix", k)
		}
	}
	stat := getJSON(t, base, "stat", http.StatusOK)
	conns, _ := stat["connections"].([]any)
	secure, _ := stat["secure_connections"].([]any)
	if len(conns) != 1 || len(secure) != 1 || stat["node_count"] != 7.0 || stat["read_only"] != false {
		t.Fatalf("stat: %v", stat)
	}
	if c := conns[0].(map[string]any); c["remote_socket_address"] != "127.0.0.1:5000" || c["session_id"] != nil {
		t.Errorf("stat's brief connection: %v", c)
	}
	ps, _ := stat["proposal_stats"].(map[string]any)
	if ps["last_buffer_size"] != 10.0 || ps["min_buffer_size"] != 5.0 || ps["max_buffer_size"] != 20.0 {
		t.Errorf("proposal_stats %v", ps)
	}
	ss, _ := stat["server_stats"].(map[string]any)
	if ss["server_state"] != "leader" || ss["last_processed_zxid"] != float64(0x100000005) {
		t.Errorf("server_stats %v", ss)
	}
	cons := getJSON(t, base, "cons", http.StatusOK)
	if c := cons["connections"].([]any)[0].(map[string]any); c["session_id"] != float64(0x1000) || c["last_operation"] != "PING" {
		t.Errorf("cons connection: %v", c)
	}
	if d := getJSON(t, base, "dump", http.StatusOK); !jsonEqual(d["expiry_time_to_session_ids"], `{"1700000002000":[4096,4097]}`) ||
		!jsonEqual(d["session_id_to_ephemeral_paths"], `{"4096":["/e1","/e2"]}`) {
		t.Errorf("dump: %v", d)
	}
	if w := getJSON(t, base, "wchc", http.StatusOK); !jsonEqual(w["session_id_to_watched_paths"], `{"4096":["/a","/b"],"4097":["/a"]}`) {
		t.Errorf("watches: %v", w)
	}
	if w := getJSON(t, base, "wchp", http.StatusOK); !jsonEqual(w["path_to_session_ids"], `{"/a":[4096,4097],"/b":[4096]}`) {
		t.Errorf("watches_by_path: %v", w)
	}
	if w := getJSON(t, base, "wchs", http.StatusOK); w["num_connections"] != 2.0 || w["num_paths"] != 2.0 || w["num_total_watches"] != 3.0 {
		t.Errorf("watch_summary: %v", w)
	}
	if v := getJSON(t, base, "voting_view", http.StatusOK); !jsonEqual(v["current_config"],
		`{"1":{"server_addresses":["10.0.0.1:2888"],"election_addresses":["10.0.0.1:3888"],"client_address":"","learner_type":"participant"},`+
			`"2":{"server_addresses":["[::1]:2888"],"election_addresses":["[::1]:3888"],"client_address":"0.0.0.0:2181","learner_type":"participant"}}`) {
		t.Errorf("voting_view: %v", v)
	}
	if c := getJSON(t, base, "conf", http.StatusOK); c["client_port"] != 2181.0 || c["data_dir"] != "/d" || c["server_id"] != 2.0 {
		t.Errorf("conf: %v", c)
	}
	if d := getJSON(t, base, "dirs", http.StatusOK); d["datadir_size"] != 3.0 || d["logdir_size"] != 4.0 {
		t.Errorf("dirs: %v", d)
	}
	if l := getJSON(t, base, "lead", http.StatusOK); l["is_leader"] != true || l["leader_id"] != 2.0 || l["leader_ip"] != "10.0.0.2" {
		t.Errorf("leader: %v", l)
	}
	if s := getJSON(t, base, "lsnp", http.StatusOK); s["zxid"] != "100000002" || s["timestamp"] != 1700000000.0 {
		t.Errorf("last_snapshot: %v", s)
	}
	if h := getJSON(t, base, "hash", http.StatusOK); !jsonEqual(h["digests"], `[{"zxid":4294967301,"digest":42}]`) {
		t.Errorf("hash: %v", h)
	}
	if z := getJSON(t, base, "zabstate", http.StatusOK); z["zabstate"] != "broadcast" || z["last_zxid"] != "0x100000005" ||
		z["zab_epoch"] != 1.0 || z["zab_counter"] != 5.0 || z["myid"] != 2.0 {
		t.Errorf("zabstate: %v", z)
	}
	if i := getJSON(t, base, "icfg", http.StatusOK); i["initial_configuration"] != "tickTime=2000\n" {
		t.Errorf("initial_configuration: %v", i)
	}
	if e := getJSON(t, base, "envi", http.StatusOK); e["zookeeper.version"] != "v" || e["java.version"] == nil {
		t.Errorf("environment: %v", e)
	}
	if s := getJSON(t, base, "sysp", http.StatusOK); s["go.version"] == nil || s["process.pid"] == nil {
		t.Errorf("system_properties: %v", s)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, w := range []string{"mntr", "stat", "cons", "dump", "wchc", "wchp", "wchs", "conf", "dirs"} {
		found := false
		for _, a := range f.asked {
			found = found || a == w
		}
		if !found {
			t.Errorf("no command asked the node for %s's status (asked %v)", w, f.asked)
		}
	}
}

// jsonEqual compares v, decoded, with want's JSON.
func jsonEqual(v any, want string) bool {
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		return false
	}
	a, err1 := json.Marshal(v)
	b, err2 := json.Marshal(w)
	return err1 == nil && err2 == nil && string(a) == string(b)
}
