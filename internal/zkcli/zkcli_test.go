package zkcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/zkclient"
	"github.com/paddock-zk/paddock/znode"
)

// memClient is an in-memory Client with ZooKeeper's basic rules.
type memClient struct {
	nodes map[string]*memNode
	zxid  int64
	calls []string
	w     memWatches
	auth  []zkclient.ClientInfo
}

type memNode struct {
	data []byte
	stat zk.Stat
	acl  []zk.ACL
}

const t0 = 1_796_130_000_000 // Tue Dec 01 13:00:00 UTC 2026

func newMem() *memClient {
	return &memClient{nodes: map[string]*memNode{"/": {acl: zk.OpenACLUnsafe}}}
}

func (m *memClient) kids(p string) []string {
	var out []string
	for k := range m.nodes {
		if k != "/" && path.Dir(k) == p {
			out = append(out, path.Base(k))
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out))) // the shell must sort
	return out
}

func nerr(c zk.Code, p string) error { return &zk.Error{Code: c, Path: p} }

func (m *memClient) Create(_ context.Context, p string, data []byte, mode zk.CreateMode, acl []zk.ACL) (string, error) {
	m.calls = append(m.calls, fmt.Sprintf("create %s %s %v", p, mode, acl))
	parent := m.nodes[path.Dir(p)]
	if parent == nil {
		return "", nerr(zk.NoNode, p)
	}
	if mode.IsSequential() {
		p += fmt.Sprintf("%010d", parent.stat.Cversion)
	}
	if m.nodes[p] != nil {
		return "", nerr(zk.NodeExists, p)
	}
	if len(acl) == 0 {
		return "", nerr(zk.InvalidACL, p)
	}
	m.zxid++
	parent.stat.Cversion++
	parent.stat.NumChildren++
	parent.stat.Pzxid = m.zxid
	var owner int64
	if mode.IsEphemeral() {
		owner = 0x1000000abc
	}
	m.nodes[p] = &memNode{data: data, acl: acl, stat: zk.Stat{Czxid: m.zxid, Mzxid: m.zxid, Pzxid: m.zxid,
		Ctime: t0, Mtime: t0, DataLength: int32(len(data)), EphemeralOwner: owner}}
	m.fire(p, client.EventNodeCreated)
	return p, nil
}

func (m *memClient) CreateTTL(ctx context.Context, p string, data []byte, mode zk.CreateMode, acl []zk.ACL, ttl time.Duration) (string, error) {
	m.calls = append(m.calls, fmt.Sprintf("ttl %s", ttl))
	return m.Create(ctx, p, data, mode, acl)
}

func (m *memClient) Get(_ context.Context, p string) ([]byte, zk.Stat, error) {
	n := m.nodes[p]
	if n == nil {
		return nil, zk.Stat{}, nerr(zk.NoNode, p)
	}
	return n.data, n.stat, nil
}

func (m *memClient) Set(_ context.Context, p string, data []byte, v int32) (zk.Stat, error) {
	n := m.nodes[p]
	if n == nil {
		return zk.Stat{}, nerr(zk.NoNode, p)
	}
	if v != -1 && v != n.stat.Version {
		return zk.Stat{}, nerr(zk.BadVersion, p)
	}
	m.zxid++
	n.data, n.stat.Version, n.stat.Mzxid, n.stat.Mtime, n.stat.DataLength = data, n.stat.Version+1, m.zxid, t0+1000, int32(len(data))
	m.fire(p, client.EventNodeDataChanged)
	return n.stat, nil
}

func (m *memClient) Exists(_ context.Context, p string) (zk.Stat, bool, error) {
	n := m.nodes[p]
	if n == nil {
		return zk.Stat{}, false, nil
	}
	return n.stat, true, nil
}

func (m *memClient) Delete(_ context.Context, p string, v int32) error {
	m.calls = append(m.calls, "delete "+p)
	n := m.nodes[p]
	if n == nil {
		return nerr(zk.NoNode, p)
	}
	if v != -1 && v != n.stat.Version {
		return nerr(zk.BadVersion, p)
	}
	if len(m.kids(p)) > 0 {
		return nerr(zk.NotEmpty, p)
	}
	delete(m.nodes, p)
	parent := m.nodes[path.Dir(p)]
	parent.stat.NumChildren--
	m.fire(p, client.EventNodeDeleted)
	return nil
}

func (m *memClient) Children(_ context.Context, p string) ([]string, zk.Stat, error) {
	n := m.nodes[p]
	if n == nil {
		return nil, zk.Stat{}, nerr(zk.NoNode, p)
	}
	return m.kids(p), n.stat, nil
}

func (m *memClient) GetACL(_ context.Context, p string) ([]zk.ACL, zk.Stat, error) {
	n := m.nodes[p]
	if n == nil {
		return nil, zk.Stat{}, nerr(zk.NoNode, p)
	}
	return n.acl, n.stat, nil
}

func (m *memClient) SetACL(_ context.Context, p string, acl []zk.ACL, v int32) (zk.Stat, error) {
	n := m.nodes[p]
	if n == nil {
		return zk.Stat{}, nerr(zk.NoNode, p)
	}
	if len(acl) == 0 {
		return zk.Stat{}, nerr(zk.InvalidACL, p)
	}
	if v != -1 && v != n.stat.Aversion {
		return zk.Stat{}, nerr(zk.BadVersion, p)
	}
	n.acl = acl
	n.stat.Aversion++
	return n.stat, nil
}

func (m *memClient) Sync(_ context.Context, p string) error {
	if m.nodes[p] == nil {
		return nerr(zk.NoNode, p)
	}
	return nil
}

func (m *memClient) AllChildrenNumber(_ context.Context, p string) (int, error) {
	if m.nodes[p] == nil {
		return 0, nerr(zk.NoNode, p)
	}
	n := 0
	for k := range m.nodes {
		if k != p && strings.HasPrefix(k, strings.TrimSuffix(p, "/")+"/") {
			n++
		}
	}
	return n, nil
}

var _ Client = (*memClient)(nil)

const statA = `cZxid = 0x1
ctime = Tue Dec 01 13:00:00 UTC 2026
mZxid = 0x1
mtime = Tue Dec 01 13:00:00 UTC 2026
pZxid = 0x3
cversion = 2
dataVersion = 0
aclVersion = 0
ephemeralOwner = 0x0
dataLength = 5
numChildren = 2
`

// statNE is the Stat of a node created after seed's.
const statNE = `cZxid = 0x5
ctime = Tue Dec 01 13:00:00 UTC 2026
mZxid = 0x5
mtime = Tue Dec 01 13:00:00 UTC 2026
pZxid = 0x5
cversion = 0
dataVersion = 0
aclVersion = 0
ephemeralOwner = 0x0
dataLength = 0
numChildren = 0
`

// seed makes /a (data "hello") with children b and c, and /a/b/d.
func seed(t *testing.T) *memClient {
	m := newMem()
	for _, line := range []string{"create /a hello", "create /a/c", "create /a/b", "create /a/b/d x"} {
		if err := Run(context.Background(), m, Split(line), io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func TestCLICommands(t *testing.T) {
	tests := []struct {
		line    string
		out     string
		errOut  string
		failed  bool
		setup   string // run first, output ignored
		checkFn func(*testing.T, *memClient)
	}{
		{line: "create /x", errOut: "Created /x\n"},
		{line: "create /a", errOut: "Node already exists: /a\n", failed: true},
		{line: "create /nope/x", errOut: "Node does not exist: /nope/x\n", failed: true},
		{line: "create -s /a/s- v", errOut: "Created /a/s-0000000002\n"},
		{line: "create -e -s /a/e", errOut: "Created /a/e0000000002\n", checkFn: func(t *testing.T, m *memClient) {
			if !strings.Contains(m.calls[len(m.calls)-1], "EPHEMERAL_SEQUENTIAL") {
				t.Errorf("calls %v", m.calls)
			}
		}},
		{line: "create -es /a/e2", errOut: "Created /a/e20000000002\n"},
		{line: "create -c -e /k", errOut: "-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.\n", failed: true},
		{line: "create -t 500 -e /k", errOut: "TTLs cannot be used with Ephemeral znodes\n", failed: true},
		{line: "create -t abc /k", errOut: "-t argument must be a long value\n", failed: true},
		{line: "create -t 0 /k", errOut: "ttl must be positive and cannot be larger than: 1099511627775\n", failed: true},
		{line: "create -t 500 /k", errOut: "Created /k\n", checkFn: func(t *testing.T, m *memClient) {
			if got := strings.Join(m.calls[len(m.calls)-2:], ";"); !strings.Contains(got, "ttl 500ms") || !strings.Contains(got, "PERSISTENT_WITH_TTL") {
				t.Errorf("calls %v", got)
			}
		}},
		{line: "create", errOut: "create [-s] [-e] [-c] [-t ttl] path [data] [acl]\n", failed: true},
		{line: "create -x /k", errOut: "Unrecognized option: -x\n", failed: true},
		{line: "create k", errOut: "Path must start with / character\n", failed: true},
		{line: "create /k/", errOut: "Path must not end with / character\n", failed: true},
		{line: "create /k/../j", errOut: "Invalid path string \"/k/../j\" caused by relative paths not allowed @4\n", failed: true},
		{line: "create /k v digest:u:h:rw,bad,world:anyone:rz", errOut: "bad does not have the form scheme:id:perm\nUnknown perm type: z\nCreated /k\n",
			checkFn: func(t *testing.T, m *memClient) {
				want := []zk.ACL{{Perms: zk.PermRead | zk.PermWrite, ID: zk.ID{Scheme: "digest", ID: "u:h"}}, {Perms: zk.PermRead, ID: zk.AnyoneID}}
				if got := m.nodes["/k"].acl; fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("acl %v", got)
				}
			}},
		{line: `create /q "two words"`, errOut: "Created /q\n", checkFn: func(t *testing.T, m *memClient) {
			if string(m.nodes["/q"].data) != "two words" {
				t.Errorf("data %q", m.nodes["/q"].data)
			}
		}},
		{line: "get /a", out: "hello\n"},
		{line: "get /a/c", out: "null\n"},
		// Null and empty data: "null" only for null, as zkCli's GetCommand.
		{line: `create /ne ""`, errOut: "Created /ne\n", checkFn: func(t *testing.T, m *memClient) {
			if d := m.nodes["/ne"].data; d == nil || len(d) != 0 {
				t.Errorf("create with \"\" made %#v, want empty", d)
			}
		}},
		{line: "create /nn", errOut: "Created /nn\n", checkFn: func(t *testing.T, m *memClient) {
			if d := m.nodes["/nn"].data; d != nil {
				t.Errorf("create without data made %#v, want null", d)
			}
		}},
		{line: "get /ne", setup: `create /ne ""`, out: "\n"},
		{line: "get -s /ne", setup: `create /ne ""`, out: "\n" + statNE},
		{line: "get /nn", setup: "create /nn", out: "null\n"},
		{line: `set /a ""`, checkFn: func(t *testing.T, m *memClient) {
			if d := m.nodes["/a"].data; d == nil || len(d) != 0 {
				t.Errorf("set to \"\" left %#v, want empty", d)
			}
		}},
		{line: "get /a", setup: `set /a ""`, out: "\n"},
		{line: "get -s /a", out: "hello\n" + statA},
		{line: "get /zz", errOut: "Node does not exist: /zz\n", failed: true},
		{line: "get -w /a", out: "hello\n", errOut: OneShotWatchNote + "\n"},
		{line: "stat /a", out: statA},
		{line: "stat /zz", errOut: "Node does not exist: /zz\n", failed: true},
		{line: "set /a bye", checkFn: func(t *testing.T, m *memClient) {
			if string(m.nodes["/a"].data) != "bye" {
				t.Errorf("data %q", m.nodes["/a"].data)
			}
		}},
		{line: "set -v 3 /a bye", errOut: "version No is not valid : /a\n", failed: true},
		{line: "set -s -v 0 /a bye", out: strings.NewReplacer("mZxid = 0x1", "mZxid = 0x5", "mtime = Tue Dec 01 13:00:00", "mtime = Tue Dec 01 13:00:01",
			"dataVersion = 0", "dataVersion = 1", "dataLength = 5", "dataLength = 3").Replace(statA)},
		{line: "set /a", errOut: "set [-s] [-v version] path data\n", failed: true},
		{line: "set -v x /a d", errOut: "For input string: \"x\"\n", failed: true},
		{line: "set -v /a", errOut: "set [-s] [-v version] path data\n", failed: true},
		{line: "ls /", out: "[a]\n"},
		{line: "ls /a", out: "[b, c]\n"},
		{line: "ls -s /a", out: "[b, c]\n" + statA},
		{line: "ls -R /", out: "/\n/a\n/a/b\n/a/c\n/a/b/d\n"},
		{line: "ls -R /a/b", out: "/a/b\n/a/b/d\n"},
		{line: "ls -R /zz", errOut: "Node does not exist: /zz\n", failed: true},
		{line: "ls /zz", errOut: "Node does not exist: /zz\n", failed: true},
		{line: "ls -w /", out: "[a]\n", errOut: OneShotWatchNote + "\n"},
		{line: "delete /a", errOut: "Node not empty: /a\n", failed: true},
		{line: "delete -v 1 /a/c", errOut: "version No is not valid : /a/c\n", failed: true},
		{line: "delete -v 0 /a/c", checkFn: func(t *testing.T, m *memClient) {
			if m.nodes["/a/c"] != nil {
				t.Error("not deleted")
			}
		}},
		{line: "deleteall /a", checkFn: func(t *testing.T, m *memClient) {
			if len(m.nodes) != 1 {
				t.Errorf("left %v", m.nodes)
			}
			if got := strings.Join(m.calls[len(m.calls)-4:], ","); !strings.HasPrefix(got, "delete /a/b/d,") || !strings.HasSuffix(got, ",delete /a") {
				t.Errorf("order %s", got)
			}
		}},
		{line: "deleteall /zz", errOut: "Node does not exist: /zz\n", failed: true},
		{line: "deleteall /", checkFn: func(t *testing.T, m *memClient) {
			if len(m.nodes) != 1 || m.nodes["/"] == nil {
				t.Errorf("left %v", m.nodes)
			}
		}},
		{line: "sync /a", out: "Sync is OK\n"},
		{line: "sync /zz", errOut: "Sync has failed. rc=-101\n", failed: true},
		{line: "getAcl /a", out: "'world,'anyone\n: cdrwa\n"},
		{line: "getAcl -s /a", out: "'world,'anyone\n: cdrwa\n" + statA},
		{line: "getAcl /zz", errOut: "Node does not exist: /zz\n", failed: true},
		{line: "setAcl /a world:anyone:r,digest:bob:x/y=:cdrwa", setup: "", out: "", checkFn: func(t *testing.T, m *memClient) {
			var b bytes.Buffer
			Run(context.Background(), m, []string{"getAcl", "/a"}, &b, io.Discard)
			if b.String() != "'world,'anyone\n: r\n'digest,'bob:x/y=\n: cdrwa\n" {
				t.Errorf("getAcl after setAcl:\n%s", b.String())
			}
		}},
		{line: "setAcl -s /a world:anyone:r", out: strings.Replace(statA, "aclVersion = 0", "aclVersion = 1", 1)},
		{line: "setAcl -v 4 /a world:anyone:r", errOut: "version No is not valid : /a\n", failed: true},
		{line: "setAcl /a bad", errOut: "bad does not have the form scheme:id:perm\nAcl is not valid : /a\n", failed: true},
		{line: "setAcl -R /a world:anyone:rw", checkFn: func(t *testing.T, m *memClient) {
			for _, p := range []string{"/a", "/a/b", "/a/b/d", "/a/c"} {
				if m.nodes[p].acl[0].Perms != zk.PermRead|zk.PermWrite {
					t.Errorf("%s acl %v", p, m.nodes[p].acl)
				}
			}
			if m.nodes["/"].acl[0].Perms != zk.PermAll {
				t.Error("root changed")
			}
		}},
		{line: "getAllChildrenNumber /a", out: "3\n"},
		{line: "getAllChildrenNumber /", out: "4\n"},
		{line: "bogus /a", errOut: "Command not found: Command not found bogus\n", failed: true},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			m := seed(t)
			if tt.setup != "" {
				if err := Run(context.Background(), m, Split(tt.setup), io.Discard, io.Discard); err != nil {
					t.Fatalf("setup %q: %v", tt.setup, err)
				}
			}
			var out, errOut bytes.Buffer
			err := RunWith(context.Background(), m, Split(tt.line), &out, &errOut, Options{Location: time.UTC})
			if (err != nil) != tt.failed {
				t.Fatalf("err = %v, want failed=%v", err, tt.failed)
			}
			if out.String() != tt.out {
				t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), tt.out)
			}
			gotErr := errOut.String()
			if strings.HasPrefix(tt.line, "bogus") {
				// Usage comes first, then the message.
				if !strings.HasPrefix(gotErr, "ZooKeeper -server host:port cmd args\n") {
					t.Errorf("no usage:\n%s", gotErr)
				}
				gotErr = gotErr[strings.LastIndex(gotErr[:len(gotErr)-1], "\n")+1:]
			}
			if gotErr != tt.errOut {
				t.Errorf("stderr:\n%q\nwant:\n%q", gotErr, tt.errOut)
			}
			if tt.checkFn != nil {
				tt.checkFn(t, m)
			}
		})
	}
}

func TestCLIStatPrinterExtremes(t *testing.T) {
	var b bytes.Buffer
	PrintStat(&b, zk.Stat{Czxid: -1, EphemeralOwner: znode.ContainerOwner, Mzxid: 0x500000003}, time.UTC)
	for _, want := range []string{"cZxid = 0xffffffffffffffff\n", "ephemeralOwner = 0x8000000000000000\n",
		"mZxid = 0x500000003\n", "ctime = Thu Jan 01 00:00:00 UTC 1970\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
	if got := PermString(zk.PermRead | zk.PermAdmin | zk.PermCreate); got != "cra" {
		t.Errorf("perm string %q", got)
	}
	if got := csvEscape("a,b%}\n"); got != "a%2Cb%25%7D%0A" {
		t.Errorf("csv %q", got)
	}
}

func TestCLISplit(t *testing.T) {
	tests := map[string][]string{
		"ls /":                       {"ls", "/"},
		"  create   /a  'x y'  acl ": {"create", "/a", "x y", "acl"},
		`set /a "{\"k\": 1}"`:        {"set", "/a", `{\`, `k\":`, `1}"`},
		`set /a "unterminated`:       {"set", "/a", `"unterminated`},
		`create /a ""`:               {"create", "/a", ""},
	}
	for line, want := range tests {
		if got := Split(line); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Errorf("Split(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestCLIShellHistoryRedo(t *testing.T) {
	m := seed(t)
	var out, errOut bytes.Buffer
	sh := &Shell{Client: m, Server: "127.0.0.1:12181", Out: &out, Err: &errOut, Options: Options{Location: time.UTC}}
	in := strings.NewReader("ls /\n\ncreate /n\nget /zz\nredo 0\nredo 9\nredo 4\nhistory\nquit\nls /\n")
	if err := sh.Serve(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	wantOut := "[zk: 127.0.0.1:12181(CONNECTED) 0] [a]\n" +
		"[zk: 127.0.0.1:12181(CONNECTED) 1] " + // blank line: same number
		"[zk: 127.0.0.1:12181(CONNECTED) 1] " +
		"[zk: 127.0.0.1:12181(CONNECTED) 2] " +
		"[zk: 127.0.0.1:12181(CONNECTED) 3] [a, n]\n" +
		"[zk: 127.0.0.1:12181(CONNECTED) 4] " +
		"[zk: 127.0.0.1:12181(CONNECTED) 5] " +
		"[zk: 127.0.0.1:12181(CONNECTED) 6] " +
		"0 - ls /\n1 - create /n\n2 - get /zz\n3 - ls /\n4 - redo 9\n5 - redo 4\n6 - history\n" +
		"[zk: 127.0.0.1:12181(CONNECTED) 7] "
	if out.String() != wantOut {
		t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), wantOut)
	}
	wantErr := "Created /n\nNode does not exist: /zz\nCommand index out of range\nNo redoing redos\n"
	if errOut.String() != wantErr {
		t.Errorf("stderr:\n%q\nwant:\n%q", errOut.String(), wantErr)
	}
}

func TestCLIShellEOFReturnsLastError(t *testing.T) {
	m := seed(t)
	sh := &Shell{Client: m, Server: "s", Out: io.Discard, Err: io.Discard}
	if err := sh.Serve(context.Background(), strings.NewReader("get /zz\n")); !errors.Is(err, zk.ErrNoNode) {
		t.Fatalf("got %v", err)
	}
	if err := sh.Serve(context.Background(), strings.NewReader("get /a\n")); err != nil {
		t.Fatalf("got %v", err)
	}
}

type nopCloser struct{ closed *bool }

func (n nopCloser) Close() error { *n.closed = true; return nil }

func TestCLIMain(t *testing.T) {
	m := seed(t)
	var closed bool
	var gotServers []string
	var gotTimeout time.Duration
	dial := func(_ context.Context, servers []string, to time.Duration, _ Credentials) (Client, io.Closer, error) {
		gotServers, gotTimeout = servers, to
		return m, nopCloser{&closed}, nil
	}
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"-bus", "h1:1,h2:2", "-timeout", "5000", "get", "/a"}, strings.NewReader(""), &out, &errOut, dial)
	if code != 0 || out.String() != "hello\n" || !closed || len(gotServers) != 2 || gotTimeout != 5*time.Second {
		t.Fatalf("code %d out %q err %q closed %v servers %v timeout %s", code, out.String(), errOut.String(), closed, gotServers, gotTimeout)
	}
	out.Reset()
	errOut.Reset()
	if code := Main(context.Background(), []string{"-bus", "h:1", "get", "/zz"}, nil, &out, &errOut, dial); code != 1 || errOut.String() != "Node does not exist: /zz\n" {
		t.Fatalf("code %d err %q", code, errOut.String())
	}
	out.Reset()
	if code := Main(context.Background(), []string{"-bus", "h:1"}, strings.NewReader("ls /\nquit\n"), &out, io.Discard, dial); code != 0 ||
		out.String() != "Connecting to h:1\n[zk: h:1(CONNECTED) 0] [a]\n[zk: h:1(CONNECTED) 1] " {
		t.Fatalf("interactive: code %d out %q", code, out.String())
	}
	failDial := func(context.Context, []string, time.Duration, Credentials) (Client, io.Closer, error) {
		return nil, nil, errors.New("boom")
	}
	errOut.Reset()
	if code := Main(context.Background(), []string{"-bus", "h:1", "ls", "/"}, nil, io.Discard, &errOut, failDial); code != 1 ||
		errOut.String() != "Unable to connect to h:1: boom\n" {
		t.Fatalf("dial failure: code %d err %q", code, errOut.String())
	}
	if code := Main(context.Background(), []string{"-nope"}, nil, io.Discard, io.Discard, dial); code != 2 {
		t.Fatalf("bad flag: code %d", code)
	}
	for _, args := range [][]string{
		{"-server", "h:1", "-bus", "h:2", "ls", "/"},
		{"-server", "h:1", "-config", "zoo.cfg", "ls", "/"},
		{"-server", "h:1", "-user", "u", "ls", "/"},
	} {
		errOut.Reset()
		if code := Main(context.Background(), args, nil, io.Discard, &errOut, dial); code != 2 || errOut.Len() == 0 {
			t.Fatalf("%v: code %d err %q", args, code, errOut.String())
		}
	}
}

func (m *memClient) GetConfig(ctx context.Context, watch bool) ([]byte, zk.Stat, <-chan client.Event, error) {
	if watch {
		return m.GetW(ctx, znode.ConfigPath)
	}
	data, st, err := m.Get(ctx, znode.ConfigPath)
	return data, st, nil, err
}

func (m *memClient) AddAuth(_ context.Context, scheme string, auth []byte) error {
	m.calls = append(m.calls, "addauth "+scheme+" "+string(auth))
	if scheme != "digest" {
		return nerr(zk.AuthFailed, "")
	}
	user, _, _ := strings.Cut(string(auth), ":")
	m.auth = append(m.auth, zkclient.ClientInfo{AuthScheme: scheme, User: user})
	return nil
}

func (m *memClient) WhoAmI(context.Context) ([]zkclient.ClientInfo, error) {
	return append([]zkclient.ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}}, m.auth...), nil
}

func (m *memClient) Ephemerals(_ context.Context, prefix string) ([]string, error) {
	var out []string
	for p, n := range m.nodes {
		if n.stat.EphemeralOwner != 0 && strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}
