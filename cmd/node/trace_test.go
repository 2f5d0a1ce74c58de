package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/server"
	"github.com/paddock-zk/paddock/zk"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// rawClient speaks to one node's request subject without the client
// package: its sessions are never pinged, so they expire once it stops
// asking. Replies and watch events come on its connection's inbox.
type rawClient struct {
	t     *testing.T
	nc    *nats.Conn
	tok   string
	node  msg.NodeID
	inbox chan *nats.Msg
	pw    map[int64][]byte
}

func newRawClient(t *testing.T, busURL string, node msg.NodeID) *rawClient {
	t.Helper()
	tok := buswire.NewConnToken()
	nc, err := nats.Connect(busURL, buswire.ClientOptions(tok)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	r := &rawClient{t: t, nc: nc, tok: tok, node: node, inbox: make(chan *nats.Msg, 64), pw: map[int64][]byte{}}
	if _, err := nc.ChanSubscribe(buswire.Inbox(tok), r.inbox); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return r
}

// do sends req and returns its reply, skipping watch events, asking
// again while the node refuses because it is not serving yet (the tests
// call it once the node serves, so a request is never lost).
func (r *rawClient) do(req msg.Request) *msg.Reply {
	r.t.Helper()
	req.Passwd = r.pw[req.Session]
	b, err := buswire.Encode(msg.New(msg.Addr{}, msg.Addr{Node: r.node, Role: msg.RoleStore}, &req))
	if err != nil {
		r.t.Fatal(err)
	}
	deadline := time.After(20 * time.Second)
	for {
		if err := r.nc.Publish(buswire.RequestSubject("t", r.node, r.tok), b); err != nil {
			r.t.Fatal(err)
		}
		var rp *msg.Reply
		for rp == nil {
			select {
			case m := <-r.inbox:
				env, err := buswire.Decode(m.Data)
				if err != nil {
					r.t.Fatal(err)
				}
				if p, ok := env.Body.(*msg.Reply); ok && p.Xid == req.Xid {
					rp = p
				}
			case <-deadline:
				r.t.Fatalf("%s %s: no reply", req.Op.Op, req.Path)
			}
		}
		if rp.Refused {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if rp.Err != zk.Ok {
			r.t.Fatalf("%s %s: %s", req.Op.Op, req.Path, rp.Err)
		}
		if req.Op.Op == zk.OpCreateSession {
			r.pw[rp.Session] = rp.Passwd
		}
		return rp
	}
}

func (r *rawClient) session(timeout int32) int64 {
	return r.do(msg.Request{Timeout: timeout, Op: msg.Op{Op: zk.OpCreateSession}}).Session
}

// tracer runs `node trace` with args in the background.
type tracer struct {
	out, err testutil.SyncBuffer
	cancel   context.CancelFunc
	done     chan error
}

func startTrace(t *testing.T, args ...string) *tracer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tr := &tracer{cancel: cancel, done: make(chan error, 1)}
	go func() { tr.done <- trace(ctx, args, &tr.out, &tr.err) }()
	t.Cleanup(func() { tr.stop(t) })
	testkit.WaitFor(t, "node trace to subscribe", 20*time.Second, func() bool {
		return strings.Contains(tr.err.String(), "tracing ")
	})
	return tr
}

func (tr *tracer) waitFor(t *testing.T, what string, cond func(out string) bool) {
	t.Helper()
	testkit.WaitFor(t, what, 20*time.Second, func() bool { return cond(tr.out.String()) })
}

// stop ends the trace and returns what it printed.
func (tr *tracer) stop(t *testing.T) string {
	t.Helper()
	tr.cancel()
	if err := <-tr.done; err != nil {
		t.Errorf("node trace: %v\nstderr: %s", err, tr.err.String())
	}
	tr.done <- nil // a second stop returns at once
	return tr.out.String()
}

func zooCfg(c *config.Config) string { return filepath.Join(c.DataDir, "zoo.cfg") }

var traceTime = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} `)

// TestTraceGolden traces a create, a setData and a session's expiry on a
// 3-node ensemble led by node 2, from follower node 1, where the client
// is; testdata/trace-story.txt is what an operator sees. The times and
// the session's id are normalised, the leader's heartbeats dropped, and
// the two copies of a proposal (to nodes 1 and 3, in the order the leader
// walks its followers) sorted.
func TestTraceGolden(t *testing.T) {
	cfgs := testkit.Configs(t, 3, "")
	// Nodes 1 and 2 elect 2 before node 3 starts, so node 2 leads.
	var started []*server.Node
	l := testkit.NewLocal(t, cfgs, func(i int, c *config.Config, _ *slog.Logger) (*server.Node, error) {
		if i == 2 {
			testkit.WaitFor(t, "nodes 1 and 2 to elect", testkit.ServeTimeout, func() bool { return testkit.Serving(started...) })
		}
		n, err := server.Start(c, quiet)
		if err == nil {
			started = append(started, n)
		}
		return n, err
	})
	if lead := l.Leader(); lead != 1 {
		t.Fatalf("node %d leads, want node 2", lead+1)
	}
	tr := startTrace(t, "--config", zooCfg(cfgs[0]), "--kind", "Ping,Request,Forward,ForwardReply,Proposal,Reply,WatchEvent,Expire")
	// Node 2's server has the trace's subscription once its heartbeats to
	// node 3 show.
	tr.waitFor(t, "node 2's heartbeat to node 3", func(out string) bool { return strings.Contains(out, " 2.voter -> 3.voter Ping ") })
	start := strings.Count(tr.out.String(), "\n")

	c := newRawClient(t, l.Nodes[0].BusURL(), 1)
	s := c.session(1000)
	acl := zk.OpenACLUnsafe
	c.do(msg.Request{Session: s, Xid: 1, Op: msg.Op{Op: zk.OpCreate, Path: "/golden", Data: []byte("hello"), ACL: acl}})
	c.do(msg.Request{Session: s, Xid: 2, Op: msg.Op{Op: zk.OpGetData, Path: "/golden", Watch: true}})
	c.do(msg.Request{Session: s, Xid: 3, Op: msg.Op{Op: zk.OpSetData, Path: "/golden", Data: []byte("hello, world"), Version: 0}})
	c.do(msg.Request{Session: s, Xid: 4, Op: msg.Op{Op: zk.OpCreate, Path: "/golden/eph", ACL: acl, Mode: int32(zk.Ephemeral)}})
	// The client goes quiet: the leader expires the session.
	tr.waitFor(t, "the closeSession proposals", func(out string) bool { return strings.Count(out, "type=closeSession") >= 2 })
	out := tr.stop(t)

	var lines []string
	last := 0 // the story ends with the closeSession; a resent Expire may follow
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n")[start:] {
		if strings.Contains(line, " Ping ") {
			continue
		}
		line = traceTime.ReplaceAllString(line, "hh:mm:ss.mmm ")
		lines = append(lines, strings.ReplaceAll(line, fmt.Sprintf("%#x", s), "0xSESSION"))
		if strings.Contains(line, "type=closeSession") {
			last = len(lines)
		}
	}
	lines = lines[:last]
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && strings.Contains(lines[j], " Proposal ") {
			j++
		}
		slices.Sort(lines[i:j])
		i = max(j, i+1)
	}
	got := strings.Join(lines, "\n") + "\n"
	testutil.Golden(t, "trace-story.txt", []byte(got), *update)
}

// --json prints one object per message, a malformed message is shown as
// such and the trace goes on, and --session and --path keep what names
// their session or path.
func TestTraceJSONFiltersAndGarbage(t *testing.T) {
	cfgs := testkit.Configs(t, 1, "")
	n, err := server.Start(cfgs[0], quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	c := newRawClient(t, n.BusURL(), 1)
	s, other := c.session(4000), c.session(4000)
	sHex := fmt.Sprintf("%#x", s)
	cfg := zooCfg(cfgs[0])
	all := startTrace(t, "--config", cfg, "--json")
	bySession := startTrace(t, "--config", cfg, "--json", "--session", sHex)
	byPath := startTrace(t, "--config", cfg, "--json", "--path", "/b")

	peer, err := nats.Connect(n.BusURL(), nats.UserInfo(testkit.PeerUser, testkit.PeerPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if err := peer.Publish("pdk.t.elect", []byte{0xff, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := peer.Flush(); err != nil { // the server has it before the requests below
		t.Fatal(err)
	}
	acl := zk.OpenACLUnsafe
	c.do(msg.Request{Session: s, Xid: 1, Op: msg.Op{Op: zk.OpCreate, Path: "/a", Data: []byte("x"), ACL: acl}})
	c.do(msg.Request{Session: other, Xid: 1, Op: msg.Op{Op: zk.OpCreate, Path: "/b", ACL: acl}})
	c.do(msg.Request{Session: s, Xid: 2, Op: msg.Op{Op: zk.OpSetData, Path: "/a", Data: []byte("y"), Version: -1}})
	c.do(msg.Request{Session: other, Xid: 2, Op: msg.Op{Op: zk.OpGetData, Path: "/b"}})
	// The last request names both s and /b: once every trace shows it,
	// each has seen everything before it.
	c.do(msg.Request{Session: s, Xid: 3, Op: msg.Op{Op: zk.OpExists, Path: "/b"}})
	for _, tr := range []*tracer{all, bySession, byPath} {
		tr.waitFor(t, "the exists request", func(out string) bool { return strings.Contains(out, `"op":"exists"`) })
	}

	check := func(name string, tr *tracer, must, mustNot []string, each string) {
		t.Helper()
		out := tr.stop(t)
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if err := testutil.CheckJSONObject([]byte(line)); err != nil {
				t.Errorf("%s: %s: %v", name, line, err)
			}
			if !strings.Contains(line, each) {
				t.Errorf("%s: line without %s: %s", name, each, line)
			}
		}
		for _, m := range must {
			if !strings.Contains(out, m) {
				t.Errorf("%s: no %s in\n%s", name, m, out)
			}
		}
		for _, m := range mustNot {
			if strings.Contains(out, m) {
				t.Errorf("%s: %s in\n%s", name, m, out)
			}
		}
	}
	check("all", all, []string{`"kind":"Kind(255)","error":`, `"bytes":3,`, `"op":"create","path":"/a"`, `"op":"create","path":"/b"`,
		`"op":"exists","path":"/b"`}, nil, `"kind":`)
	check("--session", bySession, []string{`"op":"create","path":"/a"`, `"op":"setData","path":"/a"`, `"op":"exists","path":"/b"`},
		[]string{`"path":"/b","dataLen"`, `"op":"getData"`, "Kind(255)"}, `"`+sHex+`"`)
	check("--path", byPath, []string{`"op":"create","path":"/b"`, `"op":"getData","path":"/b"`, `"op":"exists","path":"/b"`},
		[]string{`"path":"/a"`, "Kind(255)"}, `"path":"/b"`)
	if out := all.out.String(); strings.Index(out, "Kind(255)") > strings.Index(out, `"op":"exists"`) {
		t.Error("the malformed message shows after the requests that followed it")
	}

	for _, bad := range [][]string{
		{"--session", "bogus"}, {"--path", "b"}, {"--kind", "Vote,Nope"},
	} {
		var out, errb bytes.Buffer
		err := trace(context.Background(), append([]string{"--config", cfg}, bad...), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("trace %v: %v, want an error naming %s", bad, err, bad[0])
		}
	}
}
