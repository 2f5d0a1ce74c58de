package store

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/actors"
	"github.com/paddock-zk/paddock/actors/membus"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/voter"
	"github.com/paddock-zk/paddock/zk"
)

// A node's proposal sizes are those of the newest epoch's entries, and
// none in an epoch it has logged nothing of yet.
func TestProposalSizes(t *testing.T) {
	var p proposalSizes
	if got := p.sizes(1); got != [3]int64{-1, -1, -1} {
		t.Errorf("before any entry: %v", got)
	}
	e := func(epoch uint64, size int) msg.Entry {
		return msg.Entry{Zxid: msg.MakeZxid(epoch, 1), Data: make([]byte, size)}
	}
	p.add([]msg.Entry{e(1, 30), e(1, 10), e(1, 20)})
	if got := p.sizes(1); got != [3]int64{20, 10, 30} {
		t.Errorf("epoch 1: %v", got)
	}
	if got := p.sizes(2); got != [3]int64{-1, -1, -1} {
		t.Errorf("epoch 2 before its first entry: %v", got)
	}
	p.add([]msg.Entry{e(1, 99), e(2, 5)})
	if got := p.sizes(2); got != [3]int64{5, 5, 5} {
		t.Errorf("epoch 2: %v", got)
	}
}

// The shell's tests run a one-node ensemble (a voter and the store actor)
// over membus by hand, with the store's disk in memory: client requests
// come in as the bus delivers them, and replies leave through the Bus's
// ToClient seam to a client subscribed on membus.

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

var openACL = zk.OpenACLUnsafe

var (
	errFull = errors.New("disk full")
	errIO   = errors.New("input/output error")
)

// memDisk is a Disk in memory whose Persist fails with fail while it is
// set.
type memDisk struct {
	*replica.MemStorage
	fail error

	mu       sync.Mutex // the snapshot is written from another goroutine
	snapZxid uint64
	snap     []byte
}

func (d *memDisk) Persist(rd replica.Ready) error {
	if d.fail != nil {
		return d.fail
	}
	return d.MemStorage.Persist(rd)
}

func (d *memDisk) SaveSnapshot(zxid uint64, data []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.snapZxid, d.snap = zxid, data
	return nil
}

func (d *memDisk) Latest() (uint64, []byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.snapZxid, d.snap, nil
}

func (d *memDisk) Purge(int) error { return nil }
func (d *memDisk) Roll()           {}

// handClock stands still; the machines are ticked by hand.
type handClock struct{ now time.Time }

func (c handClock) Now() time.Time                        { return c.now }
func (c handClock) NewTicker(time.Duration) actors.Ticker { panic("ticked by hand") }

type shellNode struct {
	t       *testing.T
	bus     *membus.Bus
	disk    *memDisk
	store   *Actor
	voter   *voter.Actor
	running []running
	fatal   []error
	replies []msg.Envelope // what client "c" got
	session int64
	xid     int32
}

// running is a machine with its context.
type running struct {
	ctx *actors.Context
	m   actors.Machine
}

var storeAddr = msg.Addr{Node: 1, Role: msg.RoleStore}

func startShellNode(t *testing.T) *shellNode {
	n := &shellNode{t: t, bus: membus.New(1), disk: &memDisk{MemStorage: replica.NewMemStorage()}}
	n.store = NewActor(Config{Replica: replica.Config{ID: 1, Voters: []msg.NodeID{1}}, Logger: discardLogger()}, n.disk,
		ActorOptions{Faults: StorageFaults{
			Transient: func(err error) bool { return errors.Is(err, errFull) },
			Fatal:     func(err error) { n.fatal = append(n.fatal, err) },
		}})
	vcfg := voter.ConfigFor(1, []msg.NodeID{1}, 2*time.Second, 10, 5, 50*time.Millisecond)
	vcfg.AwaitHistory = true
	n.voter = voter.NewActor(vcfg, &voter.MemEpochStore{})
	ctx := func(role msg.Role) *actors.Context {
		return &actors.Context{Self: msg.Addr{Node: 1, Role: role}, Bus: n.bus, Clock: handClock{time.Unix(1e9, 0)}, Log: discardLogger()}
	}
	n.running = []running{{ctx(msg.RoleVoter), n.voter}, {ctx(msg.RoleStore), n.store}}
	for _, r := range n.running {
		n.bus.Subscribe(r.ctx.Self, func(env msg.Envelope) {
			r.m.Receive(r.ctx, env)
			r.m.(actors.Flusher).Flush(r.ctx)
		})
		if err := r.m.Init(r.ctx); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(n.store.Wait)
	n.bus.SubscribeClient("c", func(env msg.Envelope) { n.replies = append(n.replies, env) })
	n.until("the node serves", func() bool { return n.store.Status().Serving })
	return n
}

// step ticks both actors once and delivers what follows.
func (n *shellNode) step() {
	for _, r := range n.running {
		r.m.Tick(r.ctx)
		r.m.(actors.Flusher).Flush(r.ctx)
	}
	n.bus.DeliverAll()
}

func (n *shellNode) until(what string, cond func() bool) {
	n.t.Helper()
	for i := 0; !cond(); i++ {
		if i > 1000 {
			n.t.Fatalf("%s: not after 1000 ticks", what)
		}
		n.step()
	}
}

// send hands the store a request of client "c", as the bus does.
func (n *shellNode) send(o msg.Op) int32 {
	req := &msg.Request{Session: n.session, Op: o, ReplyTo: "c"}
	if o.Op == zk.OpCreateSession {
		req.Timeout = 10000
	} else {
		n.xid++
		req.Xid, req.Passwd = n.xid, Passwd(n.session)
	}
	_ = n.bus.Send(msg.New(msg.Addr{}, storeAddr, req))
	n.bus.DeliverAll()
	return req.Xid
}

// reply is the reply to xid, once it came.
func (n *shellNode) reply(xid int32) *msg.Reply {
	for _, env := range n.replies {
		if rp, ok := env.Body.(*msg.Reply); ok && rp.Xid == xid {
			if env.From != storeAddr {
				n.t.Errorf("reply to xid %d from %s, want %s", xid, env.From, storeAddr)
			}
			return rp
		}
	}
	return nil
}

func (n *shellNode) do(o msg.Op) *msg.Reply {
	n.t.Helper()
	xid := n.send(o)
	var rp *msg.Reply
	n.until(fmt.Sprintf("the reply to xid %d", xid), func() bool { rp = n.reply(xid); return rp != nil })
	return rp
}

func TestActorRepliesThroughTheBus(t *testing.T) {
	n := startShellNode(t)
	rp := n.do(msg.Op{Op: zk.OpCreateSession})
	if rp.Err != 0 || rp.Session == 0 {
		t.Fatalf("createSession: %+v", rp)
	}
	n.session = rp.Session
	if rp := n.do(msg.Op{Op: zk.OpCreate, Path: "/a", Data: []byte("x"), ACL: openACL}); rp.Err != 0 {
		t.Fatalf("create: %+v", rp)
	}
	if rp := n.do(msg.Op{Op: zk.OpGetData, Path: "/a"}); rp.Err != 0 || string(rp.Data) != "x" {
		t.Fatalf("getData: %+v", rp)
	}
	if st := n.store.Status(); st.Nodes < 2 || st.Sessions != 1 || st.DiskFull {
		t.Fatalf("status %+v", st)
	}
}

// A full disk holds the Ready, refuses requests at once and stops the
// node serving; once space returns the node serves again.
func TestActorHoldsOnFullDisk(t *testing.T) {
	n := startShellNode(t)
	n.session = n.do(msg.Op{Op: zk.OpCreateSession}).Session
	n.disk.fail = errFull
	n.send(msg.Op{Op: zk.OpCreate, Path: "/b", ACL: openACL})
	if st := n.store.Status(); !st.DiskFull || st.Serving {
		t.Fatalf("status with the disk full: %+v", st)
	}
	xid := n.send(msg.Op{Op: zk.OpGetData, Path: "/"})
	if rp := n.reply(xid); rp == nil || rp.Err != zk.ConnectionLoss || !rp.Refused {
		t.Fatalf("a request while the disk is full: %+v, want a refused ConnectionLoss", rp)
	}
	n.step()
	if !n.store.Status().DiskFull || len(n.fatal) != 0 {
		t.Fatalf("retrying on a full disk: status %+v, fatal %v", n.store.Status(), n.fatal)
	}
	n.disk.fail = nil
	n.until("the node serves again", func() bool { st := n.store.Status(); return st.Serving && !st.DiskFull })
}

// Any other storage failure goes to Fatal once, and the actor does
// nothing more.
func TestActorStopsOnStorageFailure(t *testing.T) {
	n := startShellNode(t)
	n.session = n.do(msg.Op{Op: zk.OpCreateSession}).Session
	n.disk.fail = errIO
	xid := n.send(msg.Op{Op: zk.OpCreate, Path: "/b", ACL: openACL})
	for range 10 {
		n.step()
	}
	if len(n.fatal) != 1 || !errors.Is(n.fatal[0], errIO) {
		t.Fatalf("fatal got %v, want one error wrapping %v", n.fatal, errIO)
	}
	if n.reply(xid) != nil || n.store.Status().Serving {
		t.Fatalf("after the failure: reply %+v, status %+v", n.reply(xid), n.store.Status())
	}
	if err := n.store.Init(n.running[1].ctx); !errors.Is(err, errIO) { // the store's
		t.Fatalf("a restart after the failure: %v, want it refused", err)
	}
}

// Backup hands over a frozen view of the applied tree with the epoch to
// restore above; writes after it do not change it; a node that does not
// serve makes none.
func TestActorBackup(t *testing.T) {
	n := startShellNode(t)
	n.session = n.do(msg.Op{Op: zk.OpCreateSession}).Session
	if rp := n.do(msg.Op{Op: zk.OpCreate, Path: "/a", Data: []byte("x"), ACL: openACL}); rp.Err != 0 {
		t.Fatalf("create: %+v", rp)
	}
	before := n.store.Status()
	var got BackupView
	var gotErr error
	calls := 0
	n.store.Backup(func(v BackupView, err error) { got, gotErr = v, err; calls++ })
	n.until("the backup view", func() bool { return calls > 0 })
	if gotErr != nil || calls != 1 {
		t.Fatalf("Backup: %v after %d calls", gotErr, calls)
	}
	zxid := uint64(got.Tree.LastZxid())
	if zxid != before.AppliedZxid || got.Tree.Digest() != before.Digest || got.Tree.NodeCount() != before.Nodes {
		t.Fatalf("view at %#x digest %#x, %d znodes; the store was at %#x, %#x, %d",
			zxid, got.Tree.Digest(), got.Tree.NodeCount(), before.AppliedZxid, before.Digest, before.Nodes)
	}
	if want := max(n.disk.CurrentEpoch(), n.disk.AcceptedEpoch(), msg.ZxidEpoch(zxid)); got.Epoch != want || got.Epoch == 0 {
		t.Fatalf("view epoch %d, want %d", got.Epoch, want)
	}
	if rp := n.do(msg.Op{Op: zk.OpCreate, Path: "/b", ACL: openACL}); rp.Err != 0 {
		t.Fatalf("create: %+v", rp)
	}
	if uint64(got.Tree.LastZxid()) != zxid || got.Tree.Digest() != before.Digest || got.Tree.NodeCount() != before.Nodes {
		t.Fatal("a write after the backup changed its view")
	}

	n.disk.fail = errFull
	n.send(msg.Op{Op: zk.OpCreate, Path: "/c", ACL: openACL})
	n.store.Backup(func(_ BackupView, err error) { gotErr = err; calls++ })
	if calls != 2 || !errors.Is(gotErr, ErrNotServing) {
		t.Fatalf("Backup with the disk full: %v after %d calls, want ErrNotServing at once", gotErr, calls)
	}
}
