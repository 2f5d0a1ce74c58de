package zkwire

import (
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// countingWriter counts the Write calls a reply takes.
type countingWriter struct {
	writes int
	b      strings.Builder
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.b.Write(p)
}

// Every reply is one Write: a client that reads once gets all of it.
func TestFourLetterReplyIsOneWrite(t *testing.T) {
	st := wireStatus()
	st.Clients = []ClientInfo{{Remote: "127.0.0.1:1", Interest: 1, Session: 5, Received: 2, Sent: 2}, {Remote: "127.0.0.1:2", Received: 1}}
	st.Sessions = []SessionDump{{ID: 5, Timeout: 4000, Ephemerals: []string{"/a", "/b"}}}
	conf := wireConf()
	st.Conf = &conf
	for word := range words {
		for _, mode := range []Mode{ModeFollower, ModeLooking} {
			st.Mode = mode
			var w countingWriter
			AnswerFourLetter(&w, word, NewAllowed([]string{"*"}), st)
			if w.writes != 1 {
				t.Errorf("%s (mode %q): %d writes for %d bytes, want 1", word, mode, w.writes, w.b.Len())
			}
		}
	}
}

func wireStatus() Status {
	return Status{Version: "v", Mode: ModeFollower, Zxid: 0x100000002, NodeCount: 4, MyID: 3,
		Learners: 2, SyncedFollowers: 2, ProposalSizes: [3]int64{-1, -1, -1}, QuorumSize: 3}
}

// zeroSummaries are mntr's lines of summaries without observations.
func zeroSummaries(names ...string) string {
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, `zk_avg_%s\t0\.0\nzk_min_%s\t0\nzk_max_%s\t0\nzk_cnt_%s\t0\nzk_sum_%s\t0\n`, n, n, n, n, n)
	}
	return b.String()
}

func wireConf() Conf {
	return Conf{ClientPort: 2181, SecureClientPort: -1, DataDir: "/d", DataDirSize: 10, DataLogDir: "/l", DataLogSize: 20,
		TickTime: 2000, MaxClientCnxns: 60, MinSessionTimeout: 4000, MaxSessionTimeout: 40000, ClientPortListenBacklog: -1, ServerID: 3,
		Quorum: &QuorumConf{InitLimit: 10, SyncLimit: 5, ElectionAlg: 3, ElectionPort: 3883, QuorumPort: 2883,
			Servers: []ConfServer{{ID: 1, Host: "h1", QuorumPort: 2881, ElectionPort: 3881, Role: "participant"},
				{ID: 3, Host: "h3", QuorumPort: 2883, ElectionPort: 3883, Role: "participant", ClientAddr: "0.0.0.0:2181"}}}}
}

// wireReplies are the whole replies of a follower with no clients, as
// ZooKeeper 3.8 prints them; the asking connection is one of the clients.
var wireReplies = map[string]string{
	"srvr": `Zookeeper version: v\nLatency min/avg/max: 0/0\.0/0\nReceived: \d+\nSent: \d+\nConnections: 1\nOutstanding: 0\nZxid: 0x100000002\nMode: follower\nNode count: 4\n`,
	"stat": `Zookeeper version: v\nClients:\n /127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,sent=0\)\n\nLatency min/avg/max: 0/0\.0/0\nReceived: \d+\nSent: \d+\nConnections: 1\nOutstanding: 0\nZxid: 0x100000002\nMode: follower\nNode count: 4\n`,
	"ruok": `imok`,
	"isro": `rw`,
	"conf": `clientPort=2181\nsecureClientPort=-1\ndataDir=/d\ndataDirSize=10\ndataLogDir=/l\ndataLogSize=20\ntickTime=2000\nmaxClientCnxns=60\n` +
		`minSessionTimeout=4000\nmaxSessionTimeout=40000\nclientPortListenBacklog=-1\nserverId=3\ninitLimit=10\nsyncLimit=5\nelectionAlg=3\n` +
		`electionPort=3883\nquorumPort=2883\npeerType=0\nmembership: \nserver\.1=h1:2881:3881:participant\nserver\.3=h3:2883:3883:participant;0\.0\.0\.0:2181\nversion=0`,
	"mntr": `zk_version\tv\nzk_server_state\tfollower\nzk_peer_state\tfollowing - broadcast\nzk_ephemerals_count\t0\nzk_num_alive_connections\t1\n` +
		`zk_avg_latency\t0\.0\nzk_outstanding_requests\t0\nzk_znode_count\t4\nzk_global_sessions\t0\nzk_packets_sent\t\d+\nzk_packets_received\t\d+\n` +
		`zk_watch_count\t0\nzk_min_latency\t0\nzk_max_file_descriptor_count\t\d+\nzk_approximate_data_size\t0\nzk_open_file_descriptor_count\t\d+\n` +
		`zk_local_sessions\t0\nzk_uptime\t\d+\nzk_max_latency\t0\nzk_quorum_size\t3\nzk_proposal_count\t0\nzk_looking_count\t0\n` +
		`zk_learner_proposal_received_count\t0\nzk_bytes_received_count\t0\nzk_learner_commit_received_count\t0\nzk_connection_request_count\t0\n` +
		`zk_commit_count\t0\n` + zeroSummaries("follower_sync_time", "fsynctime", "snapshottime", "election_time", "updatelatency", "readlatency") +
		`zk_last_zxid\t0x100000002\n` +
		`paddock_bus_received\t0\npaddock_bus_sent\t0\npaddock_digest\t0{16}\npaddock_disk_full\t0\npaddock_epoch\t0\npaddock_leader\t0\npaddock_myid\t3\n`,
	"cons": ` /127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,sent=0\)\n\n`,
	"wchs": `2 connections watching 2 paths\nTotal watches:3\n`,
	"dirs": `datadir_size: 10\nlogdir_size: 20\n`,
	"wchp": `/a\n\t0x5\n\t0x6\n/b\n\t0x5\n\n`,
	"dump": `SessionTracker dump:\nGlobal Sessions\(300\):\n(0x[0-9a-f]+\t30000ms\n){300}ephemeral nodes dump:\nSessions with Ephemerals \(300\):\n(0x[0-9a-f]+:\n\t/app/[a-z-]+\d+\n){300}` +
		`Connections dump:\nConnections Sets \(1\)/\(1\):\n1 expire at \w{3} \w{3} \d\d \d\d:\d\d:\d\d \w+ \d{4}:\n\tip: /127\.0\.0\.1:\d+ sessionId: 0x0\n`,
	"envi": `Environment:\nzookeeper\.version=v\nhost\.name=.+\njava\.version=go.*\n(java\.[a-z.]+=.*\n){6}os\.name=.+\nos\.arch=.+\nos\.version=.+\n` +
		`user\.name=.+\nuser\.home=.+\nuser\.dir=.+\nos\.memory\.free=\d+MB\nos\.memory\.max=\d+MB\nos\.memory\.total=\d+MB\n`,
	"wchc": `wchc is not executed because it is not in the whitelist\.\n`,
}

func startWireServer(t *testing.T) string {
	t.Helper()
	var sessions []SessionDump
	for i := range 300 {
		sessions = append(sessions, SessionDump{ID: 0x300000000000000 + int64(i), Timeout: 30000,
			Ephemerals: []string{fmt.Sprintf("/app/member-%010d", i)}})
	}
	allowed := NewAllowed([]string{"stat", "ruok", "isro", "conf", "mntr", "cons", "wchs", "wchp", "dump", "envi", "dirs"})
	srv, err := Listen(Config{Addr: "127.0.0.1:0", Allowed: allowed,
		Status:  wireStatus,
		Dump:    func() []SessionDump { return sessions },
		Conf:    wireConf,
		Watches: func() []WatchDump { return []WatchDump{{5, "/a"}, {6, "/a"}, {5, "/b"}} }})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	return srv.Addr().String()
}

func dialWord(t *testing.T, addr, send string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, send); err != nil {
		t.Fatal(err)
	}
	return c.(*net.TCPConn)
}

func checkReply(t *testing.T, how, word, got string) {
	t.Helper()
	if !regexp.MustCompile(`\A` + wireReplies[word] + `\z`).MatchString(got) {
		t.Errorf("%s %s:\n got %q\nwant /%s/", word, how, got, wireReplies[word])
	}
}

// A client that reads once gets the whole reply: on loopback one Write of
// less than 64 KiB arrives whole, and the next Read finds the end.
func TestFourLetterWordsOneRead(t *testing.T) {
	addr := startWireServer(t)
	for word := range wireReplies {
		c := dialWord(t, addr, word)
		buf := make([]byte, 64<<10)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("%s: read: %v", word, err)
		}
		checkReply(t, "in one read", word, string(buf[:n]))
		if m, err := c.Read(buf); m != 0 || !errors.Is(err, io.EOF) {
			t.Errorf("%s: after the reply: %d more bytes (%q), %v; want EOF", word, m, buf[:m], err)
		}
	}
}

// A client that half-closes after the word (`echo srvr | nc -N`, with or
// without the newline) gets the whole reply, and so does one that sends a
// newline and keeps its side open: the server closes only after the
// client, so no RST cuts the reply short.
func TestFourLetterWordsHalfClosed(t *testing.T) {
	addr := startWireServer(t)
	for word := range wireReplies {
		for _, send := range []string{word, word + "\n"} {
			c := dialWord(t, addr, send)
			if err := c.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(c)
			if err != nil {
				t.Errorf("%q half-closed: %v after %d bytes", send, err, len(b))
			}
			checkReply(t, fmt.Sprintf("half-closed after %q", send), word, string(b))
		}
		c := dialWord(t, addr, word+"\r\n")
		b, err := io.ReadAll(c)
		if err != nil {
			t.Errorf("%q: %v after %d bytes", word+"\r\n", err, len(b))
		}
		checkReply(t, "after a CRLF", word, string(b))
	}
}

// A node that is not serving answers as ZooKeeper's commands do without a
// running server: ruok and envi as ever, isro "null", the rest refused.
func TestFourLetterWordsNotServing(t *testing.T) {
	st := Status{Mode: ModeLooking, Version: "v"}
	all := NewAllowed([]string{"*"})
	for _, word := range []string{"srvr", "stat", "conf", "cons", "wchs", "dump", "mntr"} {
		if got := string(FourLetterReply(word, all, st)); got != notServing {
			t.Errorf("%s while not serving: %q", word, got)
		}
	}
	for word, want := range map[string]string{"ruok": "imok", "isro": "null"} {
		if got := string(FourLetterReply(word, all, st)); got != want {
			t.Errorf("%s while not serving: %q, want %q", word, got, want)
		}
	}
	// srvr is always allowed, as zkServer.sh status needs it.
	if got := string(FourLetterReply("srvr", NewAllowed(nil), st)); got != notServing {
		t.Errorf("srvr with an empty allow-list: %q", got)
	}
}
