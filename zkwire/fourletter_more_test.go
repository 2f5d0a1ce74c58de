package zkwire

import (
	"bytes"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// The words beyond srvr against a fake Status, as AnswerFourLetter prints
// them.
func TestFourLetterWordsReplies(t *testing.T) {
	est := time.UnixMilli(1700000000000)
	st := Status{
		Version: "3.8.4-paddock", Mode: ModeLeader, Zxid: 0x200000007, NodeCount: 9,
		Received: 12, Sent: 11, Outstanding: 1, Connections: 2,
		MinLatency: 0, AvgLatency: 1.5, MaxLatency: 7,
		Watches:   5,
		WatchList: []WatchDump{{0x10000b, "/a"}, {0x10000a, "/a/e1"}, {0x10000b, "/a/e1"}, {0x10000a, "/b"}}, ProposalSizes: [3]int64{36, 36, 89},
		Clients: []ClientInfo{
			{Remote: "127.0.0.1:54321", Interest: 1, Expires: est.Add(30 * time.Second), Queued: 1, Received: 5, Sent: 4, Session: 0x10000a, LastOp: "GETD", Est: est,
				Timeout: 30 * time.Second, LastCxid: 4, LastZxid: 0x200000007, LastResp: est.Add(time.Second), LastLat: 1, MinLat: 0, AvgLat: 1, MaxLat: 7},
			{Remote: "127.0.0.1:54322", Interest: 1, Expires: est.Add(9500 * time.Millisecond), Received: 1, Sent: 1, Session: 0x10000b, LastOp: "SESS", Est: est, Timeout: 10 * time.Second, LastCxid: 0, LastZxid: 0x200000001},
			{Remote: "127.0.0.1:54323", Received: 1, Est: est, Expires: est.Add(9800 * time.Millisecond)}, // the asking connection
		},
		Expiries: []SessionExpiry{{0x10000a, est.Add(30 * time.Second)}, {0x10000b, est.Add(10 * time.Second)}},
		Sessions: []SessionDump{{ID: 0x10000a, Timeout: 30000, Ephemerals: []string{"/a/e1", "/e2"}}, {ID: 0x10000b, Timeout: 10000}},
	}
	all := NewAllowed([]string{"*"})
	ask := func(word string, st Status) string {
		var b bytes.Buffer
		AnswerFourLetter(&b, word, all, st)
		return b.String()
	}
	at := func(d time.Duration) string { return est.Add(d).Format(javaDate) }
	tests := []struct{ word, want string }{
		{"srvr", "Zookeeper version: 3.8.4-paddock\nLatency min/avg/max: 0/1.5/7\nReceived: 12\nSent: 11\nConnections: 2\nOutstanding: 1\nZxid: 0x200000007\nMode: leader\nNode count: 9\nProposal sizes last/min/max: 36/36/89\n"},
		{"stat", "Zookeeper version: 3.8.4-paddock\nClients:\n /127.0.0.1:54321[1](queued=1,recved=5,sent=4)\n /127.0.0.1:54322[1](queued=0,recved=1,sent=1)\n /127.0.0.1:54323[0](queued=0,recved=1,sent=0)\n\n" +
			"Latency min/avg/max: 0/1.5/7\nReceived: 12\nSent: 11\nConnections: 2\nOutstanding: 1\nZxid: 0x200000007\nMode: leader\nNode count: 9\nProposal sizes last/min/max: 36/36/89\n"},
		{"cons", " /127.0.0.1:54321[1](queued=1,recved=5,sent=4,sid=0x10000a,lop=GETD,est=1700000000000,to=30000,lcxid=0x4,lzxid=0x200000007,lresp=1700000001000,llat=1,minlat=0,avglat=1,maxlat=7)\n" +
			" /127.0.0.1:54322[1](queued=0,recved=1,sent=1,sid=0x10000b,lop=SESS,est=1700000000000,to=10000,lcxid=0x0,lzxid=0x200000001,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0)\n" +
			" /127.0.0.1:54323[0](queued=0,recved=1,sent=0)\n\n"},
		{"wchs", "2 connections watching 3 paths\nTotal watches:4\n"},
		{"wchc", "0x10000a\n\t/a/e1\n\t/b\n0x10000b\n\t/a\n\t/a/e1\n\n"},
		{"wchp", "/a\n\t0x10000b\n/a/e1\n\t0x10000a\n\t0x10000b\n/b\n\t0x10000a\n\n"},
		{"dump", "SessionTracker dump:\nSession Sets (2)/(2):\n1 expire at " + at(10*time.Second) + ":\n\t0x10000b\n1 expire at " + at(30*time.Second) + ":\n\t0x10000a\n" +
			"ephemeral nodes dump:\nSessions with Ephemerals (1):\n0x10000a:\n\t/a/e1\n\t/e2\n" +
			"Connections dump:\nConnections Sets (2)/(3):\n" +
			"2 expire at " + at(10*time.Second) + ":\n\tip: /127.0.0.1:54322 sessionId: 0x10000b\n\tip: /127.0.0.1:54323 sessionId: 0x0\n" +
			"1 expire at " + at(31*time.Second) + ":\n\tip: /127.0.0.1:54321 sessionId: 0x10000a\n"},
		{"isro", "rw"},
		{"ruok", "imok"},
		{"srst", "Server stats reset.\n"},
		{"crst", "Connection stats reset.\n"},
		{"dirs", "datadir_size: 0\nlogdir_size: 0\n"},
	}
	for _, tt := range tests {
		if got := ask(tt.word, st); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.word, got, tt.want)
		}
	}
	// A follower lists every session of the replicated tree instead of
	// the leader's expiry queue, as ZooKeeper's LearnerSessionTracker.
	fst := st
	fst.Mode = ModeFollower
	if got := ask("dump", fst); !strings.HasPrefix(got, "SessionTracker dump:\nGlobal Sessions(2):\n0x10000a\t30000ms\n0x10000b\t10000ms\nephemeral nodes dump:\n") {
		t.Errorf("follower's dump: %q", got)
	}
	envi := ask("envi", st)
	for _, want := range []string{"Environment:\n", "zookeeper.version=3.8.4-paddock\n", "java.version=" + runtime.Version() + "\n",
		"os.arch=" + runtime.GOARCH + "\n", "host.name=", "user.name=", "user.dir="} {
		if !strings.Contains(envi, want) {
			t.Errorf("envi lacks %q:\n%s", want, envi)
		}
	}
	mntr := ask("mntr", st)
	for _, want := range []string{"zk_avg_latency\t1.5\n", "zk_max_latency\t7\n", "zk_watch_count\t5\n", "zk_packets_received\t12\n"} {
		if !strings.Contains(mntr, want) {
			t.Errorf("mntr lacks %q:\n%s", want, mntr)
		}
	}
	// Not serving: the figures are refused, the environment is not.
	looking := Status{Mode: ModeLooking, Version: "v"}
	for _, w := range []string{"stat", "cons", "wchs", "dump", "mntr"} {
		if got := ask(w, looking); got != notServing {
			t.Errorf("%s while looking: %q", w, got)
		}
	}
	if got := ask("envi", looking); !strings.HasPrefix(got, "Environment:\n") {
		t.Errorf("envi while looking: %q", got)
	}
	// The default allow-list is srvr alone, as ZooKeeper's.
	def := NewAllowed([]string{"srvr"})
	for _, w := range []string{"stat", "cons", "wchs", "dump", "envi", "ruok", "mntr", "conf", "isro"} {
		var b bytes.Buffer
		AnswerFourLetter(&b, w, def, st)
		if got := b.String(); got != w+" is not executed because it is not in the whitelist.\n" {
			t.Errorf("%s with the default allow-list: %q", w, got)
		}
	}
}

// The front end counts its own packets and latencies, lists its clients
// for cons and stat, asks for the dump only for dump, and tells the node
// the client's address.
func TestFourLetterWordsFromTheFrontEnd(t *testing.T) {
	var dumps atomic.Int32
	fb := &fakeBus{answer: echo}
	srv, err := Listen(Config{Addr: "127.0.0.1:0", Allowed: NewAllowed([]string{"*"}),
		Status: func() Status { return Status{Mode: ModeStandalone, Version: "v"} },
		Dump: func() []SessionDump {
			dumps.Add(1)
			return []SessionDump{{ID: 7, Timeout: 4000, Ephemerals: []string{"/e"}}}
		},
		Bus: fb})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Close()
	addr := srv.Addr().String()
	c := dial(t, srv)
	c.connect(false)
	for range 2 {
		c.send(&jute.RequestHeader{Xid: jute.XidPing, Type: zk.OpPing})
		c.reply(nil)
	}
	if r := fb.requests()[0]; r.ClientAddr != "127.0.0.1" {
		t.Errorf("createSession ClientAddr %q", r.ClientAddr)
	}
	cons := mustAsk(t.Context(), t, addr, "cons")
	if !strings.HasPrefix(cons, " /"+c.c.LocalAddr().String()+"[1](queued=0,recved=3,sent=3,sid=0x77,lop=PING,est=") || !strings.Contains(cons, ",to=3000,lcxid=0x0,lzxid=0x6,lresp=") {
		t.Errorf("cons: %q", cons)
	}
	stat := mustAsk(t.Context(), t, addr, "stat")
	// The client's packets and the words (cons, stat) and cons's reply
	// count; the asking connection is listed and counted, as in ZooKeeper.
	if !strings.Contains(stat, "Clients:\n /"+c.c.LocalAddr().String()+"[1](queued=0,recved=3,sent=3)\n /127.0.0.1:") ||
		!regexp.MustCompile(`\[0\]\(queued=0,recved=1,sent=0\)\n\nLatency min/avg/max: \d+/\d+\.\d{1,4}/\d+\nReceived: 5\nSent: 4\nConnections: 2\nOutstanding: 0\n`).MatchString(stat) {
		t.Errorf("stat: %q", stat)
	}
	if n := dumps.Load(); n != 0 {
		t.Errorf("Dump called %d times for other words", n)
	}
	if d := mustAsk(t.Context(), t, addr, "dump"); !strings.Contains(d, "0x7:\n\t/e\n") || dumps.Load() != 1 {
		t.Errorf("dump (%d calls): %q", dumps.Load(), d)
	}

	// crst zeroes the connections' counters, srst the server's; both
	// count again from there (srst's own reply, then srvr's word).
	if r := mustAsk(t.Context(), t, addr, "crst"); r != "Connection stats reset.\n" {
		t.Errorf("crst: %q", r)
	}
	if cons := mustAsk(t.Context(), t, addr, "cons"); !strings.Contains(cons, "[1](queued=0,recved=0,sent=0,sid=0x77,lop=NA,est=") ||
		strings.Contains(cons, "lcxid") || !strings.Contains(cons, ",lresp=0,llat=0,minlat=0,avglat=0,maxlat=0)") {
		t.Errorf("cons after crst: %q", cons)
	}
	if r := mustAsk(t.Context(), t, addr, "srst"); r != "Server stats reset.\n" {
		t.Errorf("srst: %q", r)
	}
	if srvr := mustAsk(t.Context(), t, addr, "srvr"); !strings.Contains(srvr, "Latency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 1\n") {
		t.Errorf("srvr after srst: %q", srvr)
	}
}
