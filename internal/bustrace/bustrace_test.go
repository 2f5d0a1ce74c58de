package bustrace_test

import (
	"bytes"
	"flag"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/internal/bustrace"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	sessA = int64(0x10000c0ffee0001)
	sessB = int64(0x20000c0ffee0002)
)

var at = time.Date(2026, 12, 5, 16, 40, 1, 234_000_000, time.UTC)

func addr(n msg.NodeID, r msg.Role) msg.Addr { return msg.Addr{Node: n, Role: r} }

func record(session int64, cxid int32, zxid uint64, typ zk.OpCode, t znode.Txn) msg.Entry {
	return msg.Entry{Zxid: zxid, Data: znode.EncodeRecord(znode.TxnHeader{Session: session, Cxid: cxid, Zxid: int64(zxid), Time: 1, Type: typ}, t)}
}

// sample is one message of a kind, named for the golden files.
type sample struct {
	name string
	env  msg.Envelope
}

// samples has at least one message of every kind, and the ops and txns
// a trace most often shows.
func samples() []sample {
	z := func(c uint32) uint64 { return msg.MakeZxid(1, c) }
	store1, store2 := addr(1, msg.RoleStore), addr(2, msg.RoleStore)
	voter1, voter2 := addr(1, msg.RoleVoter), addr(2, msg.RoleVoter)
	sess2 := addr(2, msg.RoleSessions)
	client := msg.Addr{}
	acl := zk.OpenACLUnsafe
	s := []sample{
		{"vote", msg.New(voter1, msg.Addr{Role: msg.RoleVoter}, &msg.Vote{Leader: 2, Zxid: z(7), PeerEpoch: 1, Round: 3, State: msg.StateLooking})},
		{"followerinfo", msg.New(voter1, voter2, &msg.FollowerInfo{AcceptedEpoch: 2, CurrentEpoch: 1, LastZxid: z(7)})},
		{"newepoch", msg.New(voter2, voter1, &msg.NewEpoch{Epoch: 2})},
		{"ackepoch", msg.New(voter1, voter2, &msg.AckEpoch{Epoch: 2, CurrentEpoch: 1, LastZxid: z(7), Fresh: true})},
		{"ping", msg.New(voter2, voter1, &msg.Ping{Epoch: 2})},
		{"pong", msg.New(voter1, voter2, &msg.Pong{Epoch: 2})},
		{"history", msg.New(store1, voter1, &msg.History{CurrentEpoch: 1, LastZxid: z(7)})},
		{"lead", msg.New(voter2, store2, &msg.Lead{Epoch: 2, Members: []msg.Member{{Node: 1, CurrentEpoch: 1, LastZxid: z(7)}}})},
		{"joined", msg.New(voter2, store2, &msg.Joined{Epoch: 2, Member: msg.Member{Node: 3, CurrentEpoch: 1, LastZxid: z(6)}})},
		{"follow", msg.New(voter1, store1, &msg.Follow{Leader: 2, Epoch: 2})},
		{"looking", msg.New(voter1, store1, &msg.Looking{Epoch: 2})},
		{"abdicate", msg.New(store1, voter1, &msg.Abdicate{Epoch: 2, Reason: "disk full"})},
		{"peerdown", msg.New(msg.Addr{Node: 1}, voter1, &msg.PeerDown{Node: 3})},
		{"peerup", msg.New(msg.Addr{Node: 1}, voter1, &msg.PeerUp{Node: 3})},
		{"syncreq", msg.New(store1, store2, &msg.SyncReq{Epoch: 2, Session: 0xabc00000001, CurrentEpoch: 1, LastZxid: z(7), Committed: z(6)})},
		{"syncstart", msg.New(store2, store1, &msg.SyncStart{Epoch: 2, Session: 0xabc00000001, Mode: msg.SyncSnap, Zxid: z(7), SnapSize: 4096})},
		{"snapchunk", msg.New(store2, store1, &msg.SnapChunk{Epoch: 2, Session: 0xabc00000001, Zxid: z(7), Offset: 1024, Data: make([]byte, 512)})},
		{"proposal", msg.New(store2, store1, &msg.Proposal{Epoch: 1, PrevZxid: z(2), Commit: z(2), Entries: []msg.Entry{
			record(sessA, 1, z(3), zk.OpCreate2, znode.CreateTxn{Path: "/app/a", Data: []byte("hello"), ACL: acl, ParentCVersion: 1}),
			record(sessA, 2, z(4), zk.OpSetData, znode.SetDataTxn{Path: "/app/a", Data: []byte("hello, world"), Version: 1}),
			record(sessA, 3, z(5), zk.OpCreate, znode.CreateTxn{Path: "/app/lock", Data: nil, ACL: acl, EphemeralOwner: sessA, ParentCVersion: 2}),
		}})},
		{"proposal-multi", msg.New(store2, store1, &msg.Proposal{Epoch: 1, PrevZxid: z(5), Commit: z(5), Entries: []msg.Entry{
			record(sessB, 7, z(6), zk.OpMulti, znode.MultiTxn{Ops: []znode.Txn{
				znode.CheckTxn{Path: "/app", Version: 2},
				znode.DeleteTxn{Path: "/app/a"},
				znode.SetACLTxn{Path: "/app", ACL: zk.ReadACLUnsafe, Version: 1},
			}}),
			record(sessB, 8, z(7), zk.OpMulti, znode.MultiTxn{Ops: []znode.Txn{znode.ErrorTxn{Err: zk.Ok}, znode.ErrorTxn{Err: zk.NoNode}}}),
		}})},
		{"proposal-sessions", msg.New(store2, store1, &msg.Proposal{Epoch: 1, PrevZxid: z(7), Commit: z(7), Entries: []msg.Entry{
			record(sessB, 0, z(8), zk.OpCreateSession, znode.CreateSessionTxn{Timeout: 4000}),
			record(sessA, 0, z(9), zk.OpCloseSession, znode.CloseSessionTxn{Paths: []string{"/app/lock"}}),
		}})},
		{"proposal-corrupt-entry", msg.New(store2, store1, &msg.Proposal{Epoch: 1, PrevZxid: z(9), Commit: z(9), Entries: []msg.Entry{{Zxid: z(10), Data: []byte{2, 0xff}}}})},
		{"newleader", msg.New(store2, store1, &msg.NewLeader{Epoch: 2, Session: 0xabc00000001, Zxid: z(7)})},
		{"newleaderack", msg.New(store1, store2, &msg.NewLeaderAck{Epoch: 2, Session: 0xabc00000001, Zxid: z(7)})},
		{"uptodate", msg.New(store2, store1, &msg.UpToDate{Epoch: 2, Commit: z(7), Session: 0xabc00000001, Serving: 1})},
		{"ack", msg.New(store1, store2, &msg.Ack{Epoch: 1, Zxid: z(5)})},
		{"commit", msg.New(store2, store1, &msg.Commit{Epoch: 1, Zxid: z(5)})},
		{"resend", msg.New(store1, store2, &msg.Resend{Epoch: 1, After: z(4)})},
		{"request-createsession", msg.New(client, store1, &msg.Request{Timeout: 4000, Op: msg.Op{Op: zk.OpCreateSession}})},
		{"request-create", msg.New(client, store1, &msg.Request{Session: sessA, Xid: 1, Passwd: []byte("secret"), ReplyTo: "_PDK.0123456789abcdef",
			Op: msg.Op{Op: zk.OpCreate2, Path: "/app/a", Data: []byte("hello"), ACL: acl, Mode: int32(zk.PersistentSequential)}})},
		{"request-getdata", msg.New(client, store1, &msg.Request{Session: sessA, Xid: 2, Op: msg.Op{Op: zk.OpGetData, Path: "/app/a", Watch: true}})},
		{"request-setdata", msg.New(client, store1, &msg.Request{Session: sessA, Xid: 3, Op: msg.Op{Op: zk.OpSetData, Path: "/app/a", Data: []byte{}, Version: -1}})},
		{"request-multi", msg.New(client, store1, &msg.Request{Session: sessB, Xid: 4, Op: msg.Op{Op: zk.OpMulti, Ops: []msg.Op{
			{Op: zk.OpCheck, Path: "/app", Version: 2},
			{Op: zk.OpDelete, Path: "/app/a", Version: -1},
		}}})},
		{"request-setwatches", msg.New(client, store1, &msg.Request{Session: sessB, Xid: -8, Op: msg.Op{Op: zk.OpSetWatches2,
			Watches: &msg.WatchSet{RelZxid: int64(z(5)), Data: []string{"/app/a"}, Child: []string{"/app"}}}})},
		{"request-auth", msg.New(client, store1, &msg.Request{Session: sessB, Xid: -4, Op: msg.Op{Op: zk.OpAuth,
			ACL: []zk.ACL{{ID: zk.ID{Scheme: "digest", ID: "bob:secret"}}}}})},
		{"reply-createsession", msg.New(store1, client, &msg.Reply{Session: sessA, Zxid: int64(z(2)), Timeout: 4000, Passwd: []byte("secret")})},
		{"reply-getdata", msg.New(store1, client, &msg.Reply{Session: sessA, Xid: 2, Zxid: int64(z(3)), Data: []byte("hello"),
			Stat: &zk.Stat{Czxid: int64(z(3)), Mzxid: int64(z(3)), Pzxid: int64(z(3)), DataLength: 5}})},
		{"reply-error", msg.New(store1, client, &msg.Reply{Session: sessA, Xid: 5, Zxid: int64(z(5)), Err: zk.NoNode})},
		{"reply-multi", msg.New(store1, client, &msg.Reply{Session: sessB, Xid: 4, Zxid: int64(z(6)), Results: []msg.OpResult{
			{Op: zk.OpCheck}, {Op: zk.OpDelete},
		}})},
		{"forward", msg.New(store1, store2, &msg.Forward{Epoch: 1, Origin: 1, Seq: 12, Request: msg.Request{Session: sessA, Xid: 3, Passwd: []byte("secret"),
			Op: msg.Op{Op: zk.OpSetData, Path: "/app/a", Data: []byte("hello, world"), Version: 0}}})},
		{"forwardreply", msg.New(store2, store1, &msg.ForwardReply{Epoch: 1, Session: sessA, Xid: 5, Zxid: z(5), Err: zk.NoNode, Path: "/app/b"})},
		{"sessionsupdate", msg.New(store2, sess2, &msg.SessionsUpdate{Epoch: 1, Leading: true, Opened: []msg.SessionInfo{{ID: sessB, Timeout: 4000}}, Closed: []int64{sessA}})},
		{"touch", msg.New(store1, sess2, &msg.Touch{Epoch: 1, Sessions: []int64{sessA, sessB}})},
		{"expire", msg.New(sess2, store2, &msg.Expire{Epoch: 1, Sessions: []int64{sessA}})},
		{"watchevent", msg.New(store1, client, &msg.WatchEvent{Session: sessA, Type: zk.EventNodeDataChanged, Path: "/app/a", Zxid: int64(z(4))})},
	}
	return s
}

func decode(t *testing.T, env msg.Envelope) bustrace.Message {
	t.Helper()
	b, err := buswire.Encode(env)
	if err != nil {
		t.Fatal(err)
	}
	return bustrace.Decode(at, buswire.Subject("t", env.To), b)
}

// Every kind decodes into named fields, as text and as JSON without a
// key twice; testdata/kinds.txt and kinds.jsonl show each.
func TestEveryKindDecodes(t *testing.T) {
	covered := map[msg.Kind]bool{}
	var text, js bytes.Buffer
	for _, s := range samples() {
		m := decode(t, s.env)
		if m.Err != nil {
			t.Fatalf("%s: %v", s.name, m.Err)
		}
		covered[s.env.Kind] = true
		line := m.Text()
		if strings.Contains(line, " body=") {
			t.Errorf("%s: no decoder for %s, shown raw: %s", s.name, s.env.Kind, line)
		}
		for _, secret := range []string{"secret", "0123456789abcdef", "hello"} {
			if strings.Contains(line, secret) || bytes.Contains(m.JSON(), []byte(secret)) {
				t.Errorf("%s: shows %q: %s", s.name, secret, line)
			}
		}
		if err := testutil.CheckJSONObject(m.JSON()); err != nil {
			t.Errorf("%s: JSON %s: %v", s.name, m.JSON(), err)
		}
		text.WriteString("# " + s.name + "\n" + line + "\n")
		js.Write(append(m.JSON(), '\n'))
	}
	for _, k := range msg.AllKinds() {
		if !covered[k] {
			t.Errorf("no sample of %s: add one, and a case to describe if it shows raw", k)
		}
	}
	testutil.Golden(t, "kinds.txt", text.Bytes(), *update)
	testutil.Golden(t, "kinds.jsonl", js.Bytes(), *update)
}

// What does not decode is shown as such, with its kind byte and size.
func TestUndecodable(t *testing.T) {
	vote, err := buswire.Encode(msg.New(addr(1, msg.RoleVoter), msg.Addr{Role: msg.RoleVoter}, &msg.Vote{Leader: 1}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "undecodable Invalid on pdk.t.elect (0 bytes)"},
		{"unknown kind", []byte{0xff, 1, 2}, "undecodable Kind(255) on pdk.t.elect (3 bytes)"},
		{"truncated vote", vote[:len(vote)-2], "undecodable Vote on pdk.t.elect (" + strconv.Itoa(len(vote)-2) + " bytes)"},
		{"trailing bytes", append(append([]byte{}, vote...), 0), "undecodable Vote on pdk.t.elect (" + strconv.Itoa(len(vote)+1) + " bytes)"},
	} {
		m := bustrace.Decode(at, "pdk.t.elect", tc.data)
		if m.Err == nil {
			t.Fatalf("%s: decoded", tc.name)
		}
		if got := m.Text(); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q does not contain %q", tc.name, got, tc.want)
		}
		if err := testutil.CheckJSONObject(m.JSON()); err != nil || !bytes.Contains(m.JSON(), []byte(`"error":`)) {
			t.Errorf("%s: JSON %s: %v", tc.name, m.JSON(), err)
		}
		if !(bustrace.Filter{}).Match(&m) || (bustrace.Filter{Session: sessA}).Match(&m) || (bustrace.Filter{Path: "/"}).Match(&m) {
			t.Errorf("%s: an undecodable message must pass no filter but on kinds", tc.name)
		}
	}
}

// The filters keep what names their session, path or kind.
func TestFilters(t *testing.T) {
	msgs := map[string]bustrace.Message{}
	for _, s := range samples() {
		msgs[s.name] = decode(t, s.env)
	}
	for _, tc := range []struct {
		name string
		f    bustrace.Filter
		want []string
	}{
		{"kinds", bustrace.Filter{Kinds: []msg.Kind{msg.KindPing, msg.KindExpire}}, []string{"ping", "expire"}},
		{"session A", bustrace.Filter{Session: sessA}, []string{"proposal", "proposal-sessions", "request-create", "request-getdata",
			"request-setdata", "reply-createsession", "reply-getdata", "reply-error", "forward", "forwardreply", "sessionsupdate",
			"touch", "expire", "watchevent"}},
		{"session B and kind", bustrace.Filter{Session: sessB, Kinds: []msg.Kind{msg.KindProposal}}, []string{"proposal-multi", "proposal-sessions"}},
		{"path /app/a", bustrace.Filter{Path: "/app/a"}, []string{"proposal", "proposal-multi", "request-create", "request-getdata",
			"request-setdata", "request-multi", "request-setwatches", "forward", "watchevent"}},
		{"path /app/l", bustrace.Filter{Path: "/app/l"}, []string{"proposal", "proposal-sessions"}},
		{"path and session", bustrace.Filter{Path: "/app/b", Session: sessA}, []string{"forwardreply"}},
	} {
		var got []string
		for _, s := range samples() {
			m := msgs[s.name]
			if tc.f.Match(&m) {
				got = append(got, s.name)
			}
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: kept %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseFilters(t *testing.T) {
	if id, err := bustrace.ParseSession("0x10000C0FFEE0001"); err != nil || id != sessA {
		t.Errorf("ParseSession hex: %x %v", id, err)
	}
	if id, err := bustrace.ParseSession("72058422965436417"); err != nil || id != 0x10000c0ffee0001 {
		t.Errorf("ParseSession decimal: %x %v", id, err)
	}
	for _, bad := range []string{"", "0x", "0", "zz", "0x1ffffffffffffffff", "-1"} {
		if _, err := bustrace.ParseSession(bad); err == nil {
			t.Errorf("ParseSession(%q) accepted", bad)
		}
	}
	if _, err := bustrace.ParsePath("app"); err == nil {
		t.Error("ParsePath accepted a path without /")
	}
	if ks, err := bustrace.ParseKinds("Vote, Proposal"); err != nil || len(ks) != 2 || ks[0] != msg.KindVote || ks[1] != msg.KindProposal {
		t.Errorf("ParseKinds: %v %v", ks, err)
	}
	if _, err := bustrace.ParseKinds("Vote,Nope"); err == nil || !strings.Contains(err.Error(), `"Nope"`) {
		t.Errorf("ParseKinds of an unknown kind: %v", err)
	}
}

// Decode never panics, whatever comes over the bus.
func FuzzDecode(f *testing.F) {
	for _, s := range samples() {
		b, err := buswire.Encode(s.env)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := bustrace.Decode(at, "pdk.t.x", data)
		_ = m.Text()
		if err := testutil.CheckJSONObject(m.JSON()); err != nil {
			t.Fatalf("JSON %s: %v", m.JSON(), err)
		}
	})
}

// A client connection's token, which would let its holder read the
// connection's replies, is cut out of the subjects a trace shows.
func TestTokensRedacted(t *testing.T) {
	tok := buswire.NewConnToken()
	b, err := buswire.Encode(msg.New(msg.Addr{}, addr(1, msg.RoleStore), &msg.Request{Session: sessA, Op: msg.Op{Op: zk.OpPing}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ subject, want string }{
		{buswire.RequestSubject("t", 1, tok), "pdk.t.req.1." + tok[:6] + "~"},
		{buswire.Inbox(tok), "_PDK." + tok[:6] + "~"},
		{buswire.Inbox(tok) + ".x1", "_PDK." + tok[:6] + "~.x1"},
		{buswire.ClientStreamSubject("t", 1, "abcdefghijkl"), "_PDK._zkwire.t.1.abcdefghijkl"},
		{"pdk.t.peer.1.store", "pdk.t.peer.1.store"},
	} {
		for _, data := range [][]byte{b, {0xff}} {
			m := bustrace.Decode(at, tc.subject, data)
			if m.Subject != tc.want || bytes.Contains(m.JSON(), []byte(tok)) || strings.Contains(m.Text(), tok) {
				t.Errorf("%s: shown as %s: %s", tc.subject, m.Subject, m.JSON())
			}
		}
	}
}
