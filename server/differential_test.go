package server

// The differential test of the wire protocol: the same scripted sequences
// of operations run through go-zookeeper/zk against Apache ZooKeeper (the
// Debian package, standalone, started here) and against an in-process
// 3-node Paddock ensemble, and the normalized transcripts must be equal:
// error codes, paths, data, sorted children, ACLs, Stat fields other than
// times and zxids (zxids only by their relations within one Stat), multi
// results per op, and the watch events each client received, in order.
//
// go-zookeeper/zk v1.0.4 has no AddWatch, so persistent and recursive
// watches are not covered here.

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
)

// startApacheZooKeeper runs a standalone ZooKeeper (testutil's) and
// returns its client address; props are extra -Dkey=value flags.
func startApacheZooKeeper(t *testing.T, props ...string) string {
	return testutil.StartZooKeeper(t, props...)
}

func fourLetter(addr, word string) string { return testutil.FourLetter(addr, word) }

// diffTarget is one server under test: ZooKeeper (one address) or Paddock
// (three; client i connects to node i mod 3).
type diffTarget struct {
	name  string
	addrs []string
}

// diffClient is one session of a script, with every watch event it got,
// in the order the client library received them.
type diffClient struct {
	name   string
	conn   *zk.Conn
	closed bool
	mu     sync.Mutex
	events []string
}

func (c *diffClient) takeEvents() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ev := c.events
	c.events = nil
	return ev
}

func (c *diffClient) eventCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

// diffRun runs one script against one target and records its transcript:
// one line per operation, one line per client per events fence.
type diffRun struct {
	t       *testing.T
	tgt     diffTarget
	root    string
	clients []*diffClient
	lines   []string
	// counts holds the number of events each client had at each fence;
	// hint is ZooKeeper's, which the Paddock run waits for.
	counts [][]int
	hint   [][]int
	last   int // the session of the last operation
}

func (r *diffRun) rec(format string, a ...any) {
	r.lines = append(r.lines, fmt.Sprintf(format, a...))
}

// use returns the script's i-th session for the next operation. When the
// previous operation was another session's, it syncs first: ZooKeeper
// promises a session its own writes in order, and another session's only
// after a sync (Paddock serves reads from the node the session is on;
// the standalone ZooKeeper would pass without it).
func (r *diffRun) use(i int) *diffClient {
	r.t.Helper()
	c := r.client(i)
	if r.last != i {
		r.last = i
		if _, err := c.conn.Sync("/"); err != nil {
			r.t.Fatalf("%s: %s sync: %v", r.tgt.name, c.name, err)
		}
	}
	return c
}

// client returns the script's i-th session, connecting it on first use.
func (r *diffRun) client(i int) *diffClient {
	r.t.Helper()
	for len(r.clients) <= i {
		r.clients = append(r.clients, nil)
	}
	if c := r.clients[i]; c != nil {
		return c
	}
	dc := &diffClient{name: fmt.Sprintf("c%d", i+1)}
	addr := r.tgt.addrs[i%len(r.tgt.addrs)]
	// A long session timeout: go-zookeeper gives up on a reply after two
	// thirds of it, and a 1 MB write under -race on a loaded machine can
	// take seconds on either server.
	conn, _, err := zk.Connect([]string{addr}, 15*time.Second, zk.WithLogger(quietLogger{r.t}),
		zk.WithEventCallback(func(ev zk.Event) {
			if ev.Type == zk.EventSession || ev.Type == zk.EventNotWatching {
				return
			}
			dc.mu.Lock()
			dc.events = append(dc.events, fmt.Sprintf("%v %s", ev.Type, ev.Path))
			dc.mu.Unlock()
		}))
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(conn.Close)
	testkit.WaitFor(r.t, r.tgt.name+" session", 10*time.Second, func() bool { return conn.State() == zk.StateHasSession })
	dc.conn = conn
	r.clients[i] = dc
	return dc
}

// fence makes every open client sync (a watch event precedes the reply of
// any later request on its connection) and records the events each got
// since the last fence. The Paddock run waits for as many as ZooKeeper
// delivered before it records.
func (r *diffRun) fence() {
	n := len(r.counts)
	var counts []int
	for i, c := range r.clients {
		if c == nil || c.closed {
			counts = append(counts, 0)
			continue
		}
		if _, err := c.conn.Sync("/"); err != nil {
			r.t.Fatalf("%s: %s sync: %v", r.tgt.name, c.name, err)
		}
		want := -1
		if r.hint != nil && n < len(r.hint) && i < len(r.hint[n]) {
			want = r.hint[n][i]
		}
		if want < 0 {
			time.Sleep(50 * time.Millisecond) // ZooKeeper: the sync already ordered them
		} else {
			deadline := time.Now().Add(3 * time.Second)
			for c.eventCount() < want && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(30 * time.Millisecond) // room for an extra event to show
		}
		ev := c.takeEvents()
		counts = append(counts, len(ev))
		r.rec("%s events: [%s]", c.name, strings.Join(ev, ", "))
	}
	r.counts = append(r.counts, counts)
}

func (r *diffRun) close(i int) {
	c := r.use(i)
	c.conn.Close()
	c.closed = true
	r.rec("%s close", c.name)
}

// The normal forms.

var zkErrs = []struct {
	err  error
	name string
}{
	{zk.ErrNoNode, "NoNode"}, {zk.ErrNoAuth, "NoAuth"}, {zk.ErrBadVersion, "BadVersion"},
	{zk.ErrNoChildrenForEphemerals, "NoChildrenForEphemerals"}, {zk.ErrNodeExists, "NodeExists"},
	{zk.ErrNotEmpty, "NotEmpty"}, {zk.ErrSessionExpired, "SessionExpired"}, {zk.ErrInvalidACL, "InvalidACL"},
	{zk.ErrAuthFailed, "AuthFailed"}, {zk.ErrClosing, "Closing"}, {zk.ErrNothing, "Nothing"},
	{zk.ErrSessionMoved, "SessionMoved"}, {zk.ErrBadArguments, "BadArguments"}, {zk.ErrAPIError, "APIError"},
	{zk.ErrInvalidPath, "InvalidPath(client)"}, {zk.ErrInvalidFlags, "InvalidFlags(client)"},
	{zk.ErrUnknown, "Unknown"}, {zk.ErrConnectionClosed, "ConnectionClosed"},
}

func errName(err error) string {
	if err == nil {
		return "ok"
	}
	// A server that drops the connection while the client is still
	// writing a large frame shows up as a write error rather than
	// ErrConnectionClosed, depending on timing, with either server.
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return "ConnectionClosed"
	}
	for _, e := range zkErrs {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	return "err(" + err.Error() + ")"
}

func zrel(a, b int64) string {
	switch {
	case a == b:
		return "="
	case a > b:
		return ">"
	}
	return "<"
}

// statStr drops times and zxid values but keeps how the zxids relate.
func statStr(s *zk.Stat) string {
	if s == nil {
		return "stat=nil"
	}
	return fmt.Sprintf("{v=%d cv=%d av=%d eph=%s len=%d nc=%d mz%scz pz%scz}",
		s.Version, s.Cversion, s.Aversion, ownerStr(s.EphemeralOwner), s.DataLength, s.NumChildren,
		zrel(s.Mzxid, s.Czxid), zrel(s.Pzxid, s.Czxid))
}

// ownerStr keeps the kind of an ephemeralOwner, not the session id: 0, a
// session, or one of the server-internal encodings of containers
// (Long.MIN_VALUE) and TTL nodes (0xFF in the top byte), which ZooKeeper
// never shows a client.
func ownerStr(owner int64) string {
	switch {
	case owner == 0:
		return "0"
	case owner == math.MinInt64:
		return "container"
	case uint64(owner)>>56 == 0xFF:
		return "ttl"
	}
	return "session"
}

// dataStr quotes short data and summarizes long data by length and hash.
func dataStr(d []byte) string {
	if len(d) <= 64 {
		return strconv.Quote(string(d))
	}
	return fmt.Sprintf("<%d bytes sha256:%x>", len(d), sha256.Sum256(d))
}

func aclStr(acl []zk.ACL) string {
	parts := make([]string, len(acl))
	for i, a := range acl {
		parts[i] = fmt.Sprintf("%s:%s:%d", a.Scheme, a.ID, a.Perms)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// The operations, each recorded as one line.

func (r *diffRun) create(i int, path string, data []byte, flags int32, acl []zk.ACL) string {
	c := r.use(i)
	p, err := c.conn.Create(path, data, flags, acl)
	r.rec("%s create(%s, %s, flags=%d, %s) → %s %q", c.name, path, dataStr(data), flags, aclStr(acl), errName(err), p)
	return p
}

func (r *diffRun) createContainer(i int, path string) {
	c := r.use(i)
	p, err := c.conn.CreateContainer(path, nil, zk.FlagContainer, zk.WorldACL(zk.PermAll))
	r.rec("%s createContainer(%s) → %s %q", c.name, path, errName(err), p)
}

func (r *diffRun) createTTL(i int, path string, flags int32, ttl time.Duration) string {
	c := r.use(i)
	p, err := c.conn.CreateTTL(path, nil, flags, zk.WorldACL(zk.PermAll), ttl)
	r.rec("%s createTTL(%s, flags=%d, %v) → %s %q", c.name, path, flags, ttl, errName(err), p)
	return p
}

func (r *diffRun) get(i int, path string) {
	c := r.use(i)
	d, st, err := c.conn.Get(path)
	if err != nil {
		st = nil
	}
	r.rec("%s get(%s) → %s %s %s", c.name, path, errName(err), dataStr(d), statStr(st))
}

func (r *diffRun) getW(i int, path string) {
	c := r.use(i)
	d, st, _, err := c.conn.GetW(path)
	if err != nil {
		st = nil
	}
	r.rec("%s getW(%s) → %s %s %s", c.name, path, errName(err), dataStr(d), statStr(st))
}

func (r *diffRun) set(i int, path string, data []byte, version int32) {
	c := r.use(i)
	st, err := c.conn.Set(path, data, version)
	if err != nil {
		st = nil
	}
	r.rec("%s set(%s, %s, %d) → %s %s", c.name, path, dataStr(data), version, errName(err), statStr(st))
}

func (r *diffRun) del(i int, path string, version int32) {
	c := r.use(i)
	err := c.conn.Delete(path, version)
	r.rec("%s delete(%s, %d) → %s", c.name, path, version, errName(err))
}

func (r *diffRun) exists(i int, path string) {
	c := r.use(i)
	ok, st, err := c.conn.Exists(path)
	if !ok {
		st = nil
	}
	r.rec("%s exists(%s) → %s %t %s", c.name, path, errName(err), ok, statStr(st))
}

// existsAfterReconnect is exists once the client has its connection
// back: the client may still take the dropped connection for a live one
// for a moment (its state reads HasSession until it notices), so an
// answer that only says "not connected" is asked again.
func (r *diffRun) existsAfterReconnect(i int, path string) {
	c := r.use(i)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, st, err := c.conn.Exists(path)
		if name := errName(err); (name == "ConnectionClosed" || errors.Is(err, zk.ErrNoServer)) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if !ok {
			st = nil
		}
		r.rec("%s exists(%s) → %s %t %s", c.name, path, errName(err), ok, statStr(st))
		return
	}
}

func (r *diffRun) existsW(i int, path string) {
	c := r.use(i)
	ok, st, _, err := c.conn.ExistsW(path)
	if !ok {
		st = nil
	}
	r.rec("%s existsW(%s) → %s %t %s", c.name, path, errName(err), ok, statStr(st))
}

func (r *diffRun) children(i int, path string) {
	c := r.use(i)
	kids, st, err := c.conn.Children(path)
	if err != nil {
		st = nil
	}
	slices.Sort(kids)
	r.rec("%s children(%s) → %s %v %s", c.name, path, errName(err), kids, statStr(st))
}

func (r *diffRun) childrenW(i int, path string) {
	c := r.use(i)
	kids, st, _, err := c.conn.ChildrenW(path)
	if err != nil {
		st = nil
	}
	slices.Sort(kids)
	r.rec("%s childrenW(%s) → %s %v %s", c.name, path, errName(err), kids, statStr(st))
}

func (r *diffRun) getACL(i int, path string) {
	c := r.use(i)
	acl, st, err := c.conn.GetACL(path)
	if err != nil {
		st = nil
	}
	r.rec("%s getACL(%s) → %s %s %s", c.name, path, errName(err), aclStr(acl), statStr(st))
}

func (r *diffRun) setACL(i int, path string, acl []zk.ACL, version int32) {
	c := r.use(i)
	st, err := c.conn.SetACL(path, acl, version)
	if err != nil {
		st = nil
	}
	r.rec("%s setACL(%s, %s, %d) → %s %s", c.name, path, aclStr(acl), version, errName(err), statStr(st))
}

func (r *diffRun) addAuth(i int, scheme, auth string) {
	c := r.use(i)
	err := c.conn.AddAuth(scheme, []byte(auth))
	r.rec("%s addAuth(%s, %s) → %s", c.name, scheme, auth, errName(err))
}

func opStr(op any) string {
	switch o := op.(type) {
	case *zk.CreateRequest:
		return fmt.Sprintf("create(%s, %s, flags=%d)", o.Path, dataStr(o.Data), o.Flags)
	case *zk.DeleteRequest:
		return fmt.Sprintf("delete(%s, %d)", o.Path, o.Version)
	case *zk.SetDataRequest:
		return fmt.Sprintf("set(%s, %s, %d)", o.Path, dataStr(o.Data), o.Version)
	case *zk.CheckVersionRequest:
		return fmt.Sprintf("check(%s, %d)", o.Path, o.Version)
	}
	return fmt.Sprintf("%T", op)
}

func (r *diffRun) multi(i int, ops ...any) {
	c := r.use(i)
	res, err := c.conn.Multi(ops...)
	names := make([]string, len(ops))
	for j, op := range ops {
		names[j] = opStr(op)
	}
	out := make([]string, len(res))
	for j, m := range res {
		s := errName(m.Error)
		if m.String != "" {
			s += " " + m.String
		}
		if m.Stat != nil {
			s += " " + statStr(m.Stat)
		}
		out[j] = s
	}
	r.rec("%s multi(%s) → %s [%s]", c.name, strings.Join(names, "; "), errName(err), strings.Join(out, "; "))
}

// awaitGone polls until path is gone (ZooKeeper's ContainerManager runs
// every 100 ms here) or d passes, and records whether it went.
func (r *diffRun) awaitGone(i int, path string, d time.Duration) {
	c := r.use(i)
	deadline := time.Now().Add(d)
	for {
		ok, _, err := c.conn.Exists(path)
		if err != nil || !ok || time.Now().After(deadline) {
			r.rec("%s awaitGone(%s) → %s gone=%t", c.name, path, errName(err), !ok)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// awaitSession waits for session i to be connected again and records
// whether it is.
func (r *diffRun) awaitSession(i int) {
	c := r.client(i)
	deadline := time.Now().Add(10 * time.Second)
	for c.conn.State() != zk.StateHasSession && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	r.rec("%s state %v", c.name, c.conn.State())
}

func (r *diffRun) sync(i int, path string) {
	c := r.use(i)
	p, err := c.conn.Sync(path)
	r.rec("%s sync(%s) → %s %q", c.name, path, errName(err), p)
}

func (r *diffRun) relate(what string, a, b int64) {
	r.rec("%s: %s", what, zrel(a, b))
}

// A script works under its own root, r.root, made fresh by the harness.
type diffScript struct {
	name string
	run  func(r *diffRun)
}

// knownDiff is a way Paddock is known to differ from ZooKeeper: it
// rewrites a Paddock line into what ZooKeeper would have said. A step
// whose lines differ but agree after the rewrites is logged, not failed,
// so everything else in that line is still checked; once Paddock is fixed
// the lines agree without the rewrite.
// A knownDiff with equiv instead accepts a pair of lines equiv says agree;
// one with neither tolerates any difference in the steps of script whose
// ZooKeeper line contains zkLine.
type knownDiff struct {
	name    string
	why     string
	rewrite func(line string) string
	equiv   func(zkLine, paddockLine string) bool
	script  string
	zkLine  string
}

// sameEventsAnyOrder says two events lines list the same events.
func sameEventsAnyOrder(a, b string) bool {
	split := func(l string) (string, []string) {
		head, list, ok := strings.Cut(l, " events: [")
		if !ok {
			return l, nil
		}
		ev := strings.Split(strings.TrimSuffix(list, "]"), ", ")
		slices.Sort(ev)
		return head, ev
	}
	ha, ea := split(a)
	hb, eb := split(b)
	return ea != nil && ha == hb && slices.Equal(ea, eb)
}

var knownDiffs = []knownDiff{
	{
		name: "closeSessionOrder",
		why: "a closed session's ephemerals are deleted in a different order: Paddock in path order, " +
			"ZooKeeper in the iteration order of its per-session set (DataTree.ephemerals → " +
			"CloseSessionTxn paths), so one client's events from one closeSession come in another order",
		equiv:  sameEventsAnyOrder,
		script: "multiEphemerals",
	},
}

var worldAll = zk.WorldACL(zk.PermAll)

var diffScripts = []diffScript{
	{"createModes", func(r *diffRun) {
		p := r.root
		r.create(0, p+"/p", []byte("data"), zk.FlagPersistent, worldAll)
		r.create(0, p+"/p", []byte("again"), zk.FlagPersistent, worldAll)
		r.create(0, p+"/missing/x", nil, zk.FlagPersistent, worldAll)
		r.create(0, p+"/empty", []byte{}, zk.FlagPersistent, worldAll)
		r.get(0, p+"/empty")
		r.create(0, p+"/e", []byte("eph"), zk.FlagEphemeral, worldAll)
		r.create(0, p+"/e/kid", nil, zk.FlagPersistent, worldAll)
		r.create(0, p+"/e/kid", nil, zk.FlagEphemeral, worldAll)
		r.create(0, p+"/s-", []byte("s"), zk.FlagSequence, worldAll)
		r.create(0, p+"/s-", nil, zk.FlagSequence, worldAll)
		r.create(0, p+"/es-", nil, zk.FlagEphemeralSequential, worldAll)
		r.create(0, p+"/", nil, zk.FlagSequence, worldAll) // a sequential name may end in "/"
		r.createContainer(0, p+"/box")
		r.create(0, p+"/box/in", nil, zk.FlagPersistent, worldAll)
		r.createTTL(0, p+"/ttl", zk.FlagTTL, time.Hour)
		r.createTTL(0, p+"/ttls-", zk.FlagPersistentSequentialWithTTL, time.Hour)
		r.createTTL(0, p+"/ttl0", zk.FlagTTL, 0)
		r.create(0, p+"/noacl", nil, zk.FlagPersistent, nil)
		r.create(0, p+"/badacl", nil, zk.FlagPersistent, []zk.ACL{{Perms: zk.PermAll, Scheme: "nosuch", ID: "x"}})
		for _, n := range []string{"/p", "/e", "/s-0000000000", "/box", "/ttl"} {
			r.get(0, p+n)
		}
		r.children(0, p)
		r.exists(0, p)
		r.getACL(0, p+"/p")
		// Paths the client library does not validate in a multi.
		for _, bad := range []string{"a", p + "/a/", p + "//b", p + "/.", p + "/..", p + "/x/../y"} {
			r.multi(0, &zk.CreateRequest{Path: bad, Acl: worldAll})
		}
		r.create(0, "/zookeeper/x", nil, zk.FlagPersistent, worldAll)
		r.exists(0, "/zookeeper")
		r.children(0, "/zookeeper")
		r.get(0, "/")
		r.create(0, "/", nil, zk.FlagPersistent, worldAll)
		r.del(0, "/", -1)
	}},
	{"versions", func(r *diffRun) {
		p := r.root
		r.create(0, p+"/n", []byte("0"), 0, worldAll)
		r.set(0, p+"/n", []byte("1"), 0)
		r.set(0, p+"/n", []byte("x"), 0)
		r.set(0, p+"/n", []byte("x"), 5)
		r.set(0, p+"/n", []byte("22"), -1)
		r.set(0, p+"/n", nil, 2)
		r.get(0, p+"/n")
		r.set(0, p+"/missing", nil, -1)
		r.get(0, p+"/missing")
		r.exists(0, p+"/missing")
		r.children(0, p+"/missing")
		r.getACL(0, p+"/missing")
		r.setACL(0, p+"/missing", worldAll, -1)
		r.del(0, p+"/missing", -1)
		r.create(0, p+"/n/k", nil, 0, worldAll)
		r.del(0, p+"/n", -1)
		r.del(0, p+"/n/k", 3)
		r.del(0, p+"/n/k", 0)
		r.del(0, p+"/n", 2)
		r.del(0, p+"/n", 3)
		r.exists(0, p+"/n")
		r.children(0, p)
	}},
	{"multi", func(r *diffRun) {
		p := r.root
		r.create(0, p+"/a", []byte("a"), 0, worldAll)
		r.multi(0,
			&zk.CreateRequest{Path: p + "/m", Data: []byte("m"), Acl: worldAll},
			&zk.SetDataRequest{Path: p + "/m", Data: []byte("m2"), Version: 0},
			&zk.CheckVersionRequest{Path: p + "/m", Version: 1},
			&zk.CreateRequest{Path: p + "/m/s-", Acl: worldAll, Flags: zk.FlagSequence},
			&zk.DeleteRequest{Path: p + "/a", Version: 0},
		)
		r.get(0, p+"/m")
		r.children(0, p)
		r.multi(0,
			&zk.CreateRequest{Path: p + "/m2", Acl: worldAll},
			&zk.SetDataRequest{Path: p + "/m", Data: []byte("zz"), Version: -1},
			&zk.CheckVersionRequest{Path: p + "/m", Version: 7},
			&zk.DeleteRequest{Path: p + "/m", Version: -1},
			&zk.CreateRequest{Path: p + "/m3", Acl: worldAll},
		)
		r.multi(0,
			&zk.CreateRequest{Path: p + "/m4", Acl: worldAll},
			&zk.DeleteRequest{Path: p + "/nope", Version: -1},
		)
		r.multi(0,
			&zk.CreateRequest{Path: p + "/m5", Acl: worldAll},
			&zk.CreateRequest{Path: p + "/m5", Acl: worldAll},
		)
		r.multi(0,
			&zk.DeleteRequest{Path: p + "/m", Version: -1},
		)
		r.multi(0,
			&zk.CreateRequest{Path: p + "/m6", Acl: worldAll},
			&zk.CreateRequest{Path: p + "/m6/k", Acl: worldAll},
			&zk.DeleteRequest{Path: p + "/m6/k", Version: 0},
			&zk.DeleteRequest{Path: p + "/m6", Version: 0},
		)
		r.multi(0)
		r.get(0, p+"/m")
		r.children(0, p)
		r.exists(0, p+"/m2")
	}},
	{"sequence", func(r *diffRun) {
		p := r.root
		r.exists(0, p)
		a := r.create(0, p+"/a-", nil, zk.FlagSequence, worldAll)
		r.exists(0, p)
		b := r.create(0, p+"/b-", nil, zk.FlagSequence, worldAll)
		r.create(0, p+"/plain", nil, 0, worldAll)
		r.create(0, p+"/a-", nil, zk.FlagEphemeralSequential, worldAll)
		r.exists(0, p)
		r.del(0, a, -1)
		r.del(0, b, -1)
		r.exists(0, p)
		r.create(0, p+"/a-", nil, zk.FlagSequence, worldAll)
		r.children(0, p)
		r.create(0, p+"/plain", nil, 0, worldAll) // a failed create does not count
		r.create(0, p+"/a-", nil, zk.FlagSequence, worldAll)
		r.set(0, p+"/plain", []byte("x"), -1) // data changes do not count
		r.create(0, p+"/a-", nil, zk.FlagSequence, worldAll)
		r.exists(0, p)
		// pzxid follows the last child created or deleted, not data changes.
		c := r.client(0).conn
		_, par, _ := c.Exists(p)
		k := r.create(0, p+"/k", nil, 0, worldAll)
		_, kid, _ := c.Exists(k)
		_, par2, _ := c.Exists(p)
		if par != nil && kid != nil && par2 != nil {
			r.relate("pzxid(parent after create) vs czxid(child)", par2.Pzxid, kid.Czxid)
			r.relate("pzxid(parent after create) vs pzxid(before)", par2.Pzxid, par.Pzxid)
		}
		r.set(0, p+"/k", []byte("d"), -1)
		_, par3, _ := c.Exists(p)
		if par3 != nil && par2 != nil {
			r.relate("pzxid(parent after child set) vs before", par3.Pzxid, par2.Pzxid)
		}
		r.del(0, p+"/k", -1)
		_, par4, _ := c.Exists(p)
		if par4 != nil && par3 != nil {
			r.relate("pzxid(parent after child delete) vs before", par4.Pzxid, par3.Pzxid)
			r.relate("mzxid(parent) vs czxid(parent)", par4.Mzxid, par4.Czxid)
		}
		r.exists(0, p)
	}},
	{"watches", func(r *diffRun) {
		p := r.root
		r.create(1, p+"/n", []byte("0"), 0, worldAll)
		r.fence()
		r.getW(0, p+"/n")
		r.childrenW(0, p+"/n")
		r.existsW(0, p+"/later")
		r.getW(0, p+"/missing") // no watch on NoNode
		r.childrenW(0, p+"/missing")
		r.set(1, p+"/n", []byte("1"), -1)
		r.fence()
		r.set(1, p+"/n", []byte("2"), -1) // one-shot: no second event
		r.fence()
		r.create(1, p+"/n/k", nil, 0, worldAll)
		r.create(1, p+"/n/k2", nil, 0, worldAll)
		r.create(1, p+"/later", nil, 0, worldAll)
		r.create(1, p+"/missing", nil, 0, worldAll)
		r.fence()
		// A client's own write fires its own watch.
		r.existsW(0, p+"/n/k")
		r.getW(0, p+"/n")
		r.set(0, p+"/n/k", []byte("own"), -1)
		r.fence()
		// Delete with a data, a child and an exists watch on the node.
		r.getW(0, p+"/n/k")
		r.childrenW(0, p+"/n/k")
		r.childrenW(0, p+"/n")
		r.existsW(1, p+"/n/k")
		r.del(1, p+"/n/k", -1)
		r.fence()
		// Several watches of several clients fired by one multi.
		r.getW(0, p+"/n")
		r.childrenW(0, p+"/n")
		r.existsW(0, p+"/m")
		r.existsW(2, p+"/n/k2")
		r.getW(2, p+"/later")
		r.multi(1,
			&zk.SetDataRequest{Path: p + "/later", Data: []byte("x"), Version: -1},
			&zk.CreateRequest{Path: p + "/m", Acl: worldAll},
			&zk.DeleteRequest{Path: p + "/n/k2", Version: -1},
			&zk.SetDataRequest{Path: p + "/n", Data: []byte("3"), Version: -1},
		)
		r.fence()
		// A failed multi fires nothing.
		r.getW(0, p+"/n")
		r.multi(1,
			&zk.SetDataRequest{Path: p + "/n", Data: []byte("4"), Version: -1},
			&zk.CheckVersionRequest{Path: p + "/n", Version: 99},
		)
		r.fence()
		// The same path watched twice by one client fires once.
		r.existsW(2, p+"/twice")
		r.existsW(2, p+"/twice")
		r.create(1, p+"/twice", nil, 0, worldAll)
		r.fence()
		// Set with the wrong version fires nothing; the watch stays.
		r.getW(2, p+"/twice")
		r.set(1, p+"/twice", []byte("v"), 9)
		r.fence()
		r.del(1, p+"/twice", -1)
		r.fence()
	}},
	{"ephemeralClose", func(r *diffRun) {
		p := r.root
		r.create(1, p+"/e", []byte("e"), zk.FlagEphemeral, worldAll)
		es := r.create(1, p+"/es-", nil, zk.FlagEphemeralSequential, worldAll)
		r.create(1, p+"/keep", nil, 0, worldAll)
		r.get(0, p+"/e")
		r.existsW(0, p+"/e")
		r.getW(0, es)
		r.childrenW(0, p)
		r.getW(2, p+"/e")
		r.fence()
		r.close(1)
		r.fence()
		r.children(0, p)
		r.exists(0, p+"/e")
		r.exists(2, es)
	}},
	{"acl", func(r *diffRun) {
		p := r.root
		digest := zk.DigestACL(zk.PermAll, "alice", "secret")
		r.addAuth(0, "digest", "alice:secret")
		r.create(0, p+"/d", []byte("private"), 0, digest)
		r.getACL(0, p+"/d")
		r.get(0, p+"/d")
		r.get(1, p+"/d")
		r.set(1, p+"/d", []byte("x"), -1)
		r.getACL(1, p+"/d")
		r.create(1, p+"/d/k", nil, 0, worldAll)
		r.create(0, p+"/d/k", nil, 0, worldAll)
		r.del(1, p+"/d/k", -1)
		r.children(1, p+"/d")
		r.exists(1, p+"/d")
		r.setACL(1, p+"/d", worldAll, -1)
		r.setACL(0, p+"/d", zk.WorldACL(zk.PermRead), 5)
		r.setACL(0, p+"/d", zk.WorldACL(zk.PermRead), 0)
		r.getACL(0, p+"/d")
		r.get(1, p+"/d")
		r.set(1, p+"/d", nil, -1)
		r.set(0, p+"/d", nil, -1)
		r.setACL(0, p+"/d", worldAll, -1)
		// The auth scheme: the creator's identities.
		r.create(0, p+"/au", nil, 0, zk.AuthACL(zk.PermAll))
		r.getACL(0, p+"/au")
		r.create(1, p+"/au2", nil, 0, zk.AuthACL(zk.PermAll))
		r.create(1, p+"/empty", nil, 0, []zk.ACL{})
		// Wrong password, then the right one on another session.
		r.addAuth(2, "digest", "alice:wrong")
		r.get(2, p+"/au")
		r.addAuth(1, "digest", "alice:secret")
		r.get(1, p+"/au")
		r.set(1, p+"/au", []byte("ok"), 0)
		r.addAuth(1, "nosuch", "x")
		r.get(0, p+"/au") // after another session's failed auth, this one is fine
		// Per-permission checks.
		onlyCreate := []zk.ACL{{Perms: zk.PermCreate | zk.PermRead, Scheme: "world", ID: "anyone"}}
		r.create(0, p+"/c", nil, 0, onlyCreate)
		r.create(2, p+"/c/k", nil, 0, worldAll)
		r.del(2, p+"/c/k", -1)
		r.set(2, p+"/c", nil, -1)
		r.getACL(2, p+"/c")
		r.setACL(2, p+"/c", worldAll, -1)
		r.multi(2,
			&zk.CreateRequest{Path: p + "/c/k2", Acl: worldAll},
			&zk.SetDataRequest{Path: p + "/c", Version: -1},
		)
		r.children(2, p+"/c")
		r.get(2, p+"/c")
	}},
}

func init() {
	diffScripts = append(diffScripts, moreDiffScripts...)
}

var moreDiffScripts = []diffScript{
	{"watchKinds", func(r *diffRun) {
		p := r.root
		r.create(0, p+"/n", []byte("0"), 0, worldAll)
		r.create(0, p+"/n/k", nil, 0, worldAll)
		// An exists watch on an existing node fires on a data change.
		r.existsW(1, p+"/n")
		r.set(0, p+"/n", []byte("1"), -1)
		r.fence()
		// setACL fires no watch.
		r.getW(1, p+"/n")
		r.existsW(1, p+"/n/k")
		r.setACL(0, p+"/n", worldAll, -1)
		r.fence()
		// A child watch on a node that is deleted: NodeDeleted.
		r.childrenW(2, p+"/n/k")
		r.del(0, p+"/n/k", -1) // also fires c2's getW? no: that is on /n (data)
		r.fence()
		// Data, child and exists watches of three clients on one node, deleted.
		r.getW(1, p+"/n")
		r.childrenW(2, p+"/n")
		r.existsW(0, p+"/n")
		r.childrenW(1, p)
		r.del(0, p+"/n", -1)
		r.fence()
		// Set on an ephemeral; delete with the right version; and a
		// create in a multi under an ephemeral.
		r.create(1, p+"/e", nil, zk.FlagEphemeral, worldAll)
		r.set(0, p+"/e", []byte("x"), 0)
		r.multi(0,
			&zk.CreateRequest{Path: p + "/ok", Acl: worldAll},
			&zk.CreateRequest{Path: p + "/e/k", Acl: worldAll},
		)
		r.multi(0,
			&zk.CheckVersionRequest{Path: p + "/nope", Version: 0},
		)
		r.multi(0,
			&zk.CreateRequest{Path: p + "/es", Acl: worldAll, Flags: zk.FlagEphemeral},
			&zk.CreateRequest{Path: p + "/ps-", Acl: worldAll, Flags: zk.FlagSequence},
			&zk.CreateRequest{Path: p + "/ps-", Acl: worldAll, Flags: zk.FlagSequence},
		)
		r.get(0, p+"/es")
		r.children(0, p)
		r.existsW(2, p+"/e")
		r.del(0, p+"/e", 0)
		r.del(0, p+"/e", 1)
		r.fence()
		r.sync(0, p)
		r.sync(0, p+"/missing")
	}},
	{"multiEphemerals", func(r *diffRun) {
		p := r.root
		r.multi(1,
			&zk.CreateRequest{Path: p + "/e1", Data: []byte("1"), Acl: worldAll, Flags: zk.FlagEphemeral},
			&zk.CreateRequest{Path: p + "/q-", Acl: worldAll, Flags: zk.FlagEphemeralSequential},
			&zk.CreateRequest{Path: p + "/p", Acl: worldAll},
		)
		r.get(0, p+"/e1")
		r.getW(0, p+"/q-0000000001")
		r.childrenW(0, p)
		r.childrenW(2, p)
		r.existsW(2, p+"/e1")
		r.close(1)
		r.fence()
		r.create(2, p+"/q-", nil, zk.FlagSequence, worldAll)
		r.children(2, p)
		r.exists(0, p+"/e1")
	}},
	{"bigData", func(r *diffRun) {
		p := r.root
		big := bytes.Repeat([]byte("x"), 1000*1000)
		r.create(0, p+"/big", big[:10], 0, worldAll)
		r.set(0, p+"/big", big, -1)
		r.exists(0, p+"/big")
		// Over jute.maxbuffer (1 MiB less one byte): the server drops the
		// connection; the client reconnects to the same session.
		r.set(0, p+"/big", bytes.Repeat([]byte("y"), 1<<20), -1)
		r.awaitSession(0)
		r.existsAfterReconnect(0, p+"/big")
	}},
	{"reaping", func(r *diffRun) {
		p := r.root
		r.createContainer(0, p+"/box")
		r.create(0, p+"/box/k", nil, 0, worldAll)
		r.createContainer(0, p+"/never") // never had a child: stays
		r.createTTL(0, p+"/ttl", zk.FlagTTL, 200*time.Millisecond)
		r.existsW(1, p+"/box")
		r.childrenW(1, p)
		r.del(0, p+"/box/k", -1)
		r.awaitGone(0, p+"/box", 2*time.Second)
		r.awaitGone(0, p+"/ttl", 2*time.Second)
		r.fence()
		r.children(0, p)
	}},
}

// runScript runs one script on one target under a fresh root.
func runScript(t *testing.T, tgt diffTarget, s diffScript, hint [][]int) *diffRun {
	r := &diffRun{t: t, tgt: tgt, root: "/" + s.name, hint: hint}
	if _, err := r.client(0).conn.Create(r.root, nil, 0, worldAll); err != nil {
		t.Fatalf("%s: create %s: %v", tgt.name, r.root, err)
	}
	s.run(r)
	r.fence()
	for _, c := range r.clients {
		if c != nil && !c.closed {
			c.conn.Close()
			c.closed = true
		}
	}
	return r
}

func TestDifferentialZooKeeper(t *testing.T) {
	testutil.SkipShort(t, "runs Apache ZooKeeper beside Paddock")
	zkAddr := startApacheZooKeeper(t)
	// The same container check interval as the ZooKeeper above.
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, "znode.container.checkIntervalMs=100\nmaxSessionTimeout=20000\n"), startNode)
	var pdk diffTarget
	pdk.name = "paddock"
	for _, n := range nodes {
		pdk.addrs = append(pdk.addrs, n.ClientAddr())
	}
	ref := diffTarget{name: "zookeeper", addrs: []string{zkAddr}}

	for _, s := range diffScripts {
		t.Run(s.name, func(t *testing.T) {
			want := runScript(t, ref, s, nil)
			if testing.Verbose() {
				t.Logf("zookeeper's transcript:\n  %s", strings.Join(want.lines, "\n  "))
			}
			got := runScript(t, pdk, s, want.counts)
			compareTranscripts(t, s.name, want.lines, got.lines)
		})
	}
}

func compareTranscripts(t *testing.T, script string, want, got []string) {
	t.Helper()
	var diff bytes.Buffer
	known := map[string]int{}
	n := max(len(want), len(got))
	for i := range n {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w == g {
			continue
		}
		fixed, used := g, []string(nil)
		for _, k := range knownDiffs {
			if k.equiv != nil {
				if k.script == script && k.equiv(w, fixed) {
					fixed = w
					used = append(used, k.name)
				}
				continue
			}
			if k.rewrite == nil {
				if k.script == script && w != "" && strings.Contains(w, k.zkLine) {
					fixed = w
					used = append(used, k.name)
				}
				continue
			}
			if r := k.rewrite(fixed); r != fixed {
				fixed = r
				used = append(used, k.name)
			}
		}
		if fixed == w && w != "" {
			for _, u := range used {
				known[u]++
			}
			t.Logf("known difference (%s) at step %d:\n  zookeeper: %s\n  paddock:   %s", strings.Join(used, ", "), i+1, w, g)
			continue
		}
		fmt.Fprintf(&diff, "step %d:\n  zookeeper: %s\n  paddock:   %s\n", i+1, w, g)
	}
	for _, k := range knownDiffs {
		if known[k.name] > 0 {
			t.Logf("%s: known difference %q in %d steps: %s", script, k.name, known[k.name], k.why)
		}
	}
	if diff.Len() > 0 {
		t.Errorf("%s: paddock differs from zookeeper:\n%s\nzookeeper's transcript:\n  %s",
			script, diff.String(), strings.Join(want, "\n  "))
	}
}
