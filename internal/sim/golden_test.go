package sim

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/replica"
	"github.com/paddock-zk/paddock/store"
	"github.com/paddock-zk/paddock/zk"
)

// TestGolden replays the scripts of testdata/*.txt on a fault-free
// simulated ensemble and compares the message traces they print: they
// document the protocols (ZAB discovery in ZooKeeper's classic start
// order, DIFF, TRUNC and SNAP syncs, session expiry). Refresh with
//
//	go test ./internal/sim -run TestGolden -rewrite
//
// Commands:
//
//	ensemble nodes=N [seed=S] [snapcount=C]  a new ensemble, all nodes down
//	trace KIND...                            the kinds printed (default: all
//	                                         but heartbeats and touches)
//	start ID... / crash ID...
//	tick [N]                                 N steps (default 1)
//	settle                                   steps until the live nodes agree
//	                                         on one serving leader
//	partition ID... | ID... / heal
//	session NAME node=ID [timeout=MS]        a client session
//	create NAME node=ID PATH [ephemeral]     a create, waited for
//	creates NAME node=ID PREFIX n=N          N creates, a step after each
//	send NAME node=ID PATH                   a setData, not waited for
//	exists PATH                              on every live node
//	status                                   every node's roles and zxids
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in testdata: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			g := &golden{t: t}
			runScript(t, f, g.do)
		})
	}
}

type golden struct {
	t       *testing.T
	s       *storeSim
	out     strings.Builder
	kinds   map[msg.Kind]bool // nil: the default
	clients map[string]*tc
}

// quiet are the kinds not traced by default: periodic, they would drown
// the story.
var quiet = map[msg.Kind]bool{msg.KindPing: true, msg.KindPong: true, msg.KindTouch: true, msg.KindSessionsUpdate: true}

func (g *golden) do(c ddCase) string {
	g.out.Reset()
	if c.cmd != "ensemble" && g.s == nil {
		g.t.Fatalf("line %d: %s before ensemble", c.line, c.cmd)
	}
	kv, pos := map[string]string{}, []string(nil)
	for _, a := range c.args {
		if k, v, ok := strings.Cut(a, "="); ok {
			kv[k] = v
		} else {
			pos = append(pos, a)
		}
	}
	num := func(k string, def int) int {
		v, ok := kv[k]
		if !ok {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			g.t.Fatalf("line %d: %s=%q: %v", c.line, k, v, err)
		}
		return n
	}
	nodes := func(args []string) []msg.NodeID {
		var out []msg.NodeID
		for _, a := range args {
			n, err := strconv.Atoi(a)
			if err != nil {
				g.t.Fatalf("line %d: node %q: %v", c.line, a, err)
			}
			out = append(out, msg.NodeID(n))
		}
		return out
	}
	switch c.cmd {
	case "ensemble":
		snap := num("snapcount", 0)
		opts := Options{StoreConfig: func(_ msg.NodeID, c *store.Config) {
			if snap > 0 {
				c.SnapCount = snap
			}
		}}
		g.s = newStoreSimDown(g.t, int64(num("seed", 1)), num("nodes", 3), opts)
		g.clients = map[string]*tc{}
		g.s.Bus.AddHook(g.hook)
	case "trace":
		g.kinds = map[msg.Kind]bool{}
		for _, name := range pos {
			g.kinds[kindNamed(g.t, name)] = true
		}
	case "start":
		for _, id := range nodes(pos) {
			g.s.Start(id)
		}
	case "crash":
		for _, id := range nodes(pos) {
			g.s.Crash(id)
		}
	case "tick":
		n := 1
		if len(pos) > 0 {
			n = int(nodes(pos)[0])
		}
		g.s.Run(n)
	case "settle":
		g.settle(c)
	case "partition":
		i := 0
		for i < len(pos) && pos[i] != "|" {
			i++
		}
		if i == len(pos) {
			g.t.Fatalf("line %d: partition without |", c.line)
		}
		g.s.Bus.Partition(nodes(pos[:i]), nodes(pos[i+1:]))
	case "heal":
		g.s.Bus.Heal()
	case "session":
		cl := g.s.client(pos[0])
		cl.timeout = int32(num("timeout", 0))
		rp := cl.do(msg.NodeID(num("node", 1)), msg.Op{Op: zk.OpCreateSession})
		cl.session = rp.Session
		g.clients[pos[0]] = cl
		g.reply(rp)
	case "create":
		mode := zk.Persistent
		if len(pos) > 2 && pos[2] == "ephemeral" {
			mode = zk.Ephemeral
		}
		g.reply(g.client(c, pos[0]).do(msg.NodeID(num("node", 1)), create(pos[1], "", mode)))
	case "creates":
		// Many creates, a step after each, so that background work
		// (snapshots) keeps up as in a node under steady load.
		cl, n := g.client(c, pos[0]), num("n", 1)
		var rp *msg.Reply
		for i := range n {
			rp = cl.do(msg.NodeID(num("node", 1)), create(fmt.Sprintf("%s%d", pos[1], i), "", zk.Persistent))
			if rp.Err != 0 {
				g.reply(rp)
				break
			}
			g.s.Step()
		}
		g.reply(rp)
	case "send":
		xid := g.client(c, pos[0]).send(msg.NodeID(num("node", 1)), setData(pos[1], "x", -1))
		fmt.Fprintf(&g.out, "sent xid %d\n", xid)
	case "exists":
		for _, id := range g.s.IDs {
			if n := g.s.Nodes[id]; n.Alive() {
				_, ok := n.Store.Tree().Exists(pos[0])
				fmt.Fprintf(&g.out, "%d: %v\n", id, ok)
			}
		}
	case "status":
		for _, id := range g.s.IDs {
			n := g.s.Nodes[id]
			if !n.Alive() {
				fmt.Fprintf(&g.out, "%d: down\n", id)
				continue
			}
			v, st := n.Voter.Status(), n.Store.Status()
			fmt.Fprintf(&g.out, "%d: %s leader=%d epoch=%d %s serving=%v last=%#x applied=%#x\n",
				id, v.State, v.Leader, v.Epoch, st.Role, st.Serving, st.LastZxid, st.AppliedZxid)
		}
	default:
		g.t.Fatalf("line %d: unknown command %q", c.line, c.cmd)
	}
	return g.out.String()
}

func (g *golden) client(c ddCase, name string) *tc {
	cl, ok := g.clients[name]
	if !ok {
		g.t.Fatalf("line %d: no session %q", c.line, name)
	}
	return cl
}

func (g *golden) reply(rp *msg.Reply) {
	fmt.Fprintf(&g.out, "reply xid=%d zxid=%#x err=%s", rp.Xid, rp.Zxid, rp.Err)
	if rp.Path != "" {
		fmt.Fprintf(&g.out, " path=%s", rp.Path)
	}
	g.out.WriteString("\n")
}

// settle steps until the live nodes agree on one serving leader and have
// applied up to its commit point.
func (g *golden) settle(c ddCase) {
	for i := 0; ; i++ {
		var live []msg.NodeID
		for _, id := range g.s.IDs {
			if g.s.Nodes[id].Alive() {
				live = append(live, id)
			}
		}
		if l, ok := settled(g.s.Ensemble, live...); ok && g.caughtUp(l, live) {
			return
		}
		if i > 500 {
			g.t.Fatalf("line %d: no settled leader after %d steps:\n%s", c.line, i, g.s.Describe())
		}
		g.s.Step()
	}
}

func (g *golden) caughtUp(leader msg.NodeID, live []msg.NodeID) bool {
	ls := g.s.Nodes[leader].Store.Status()
	if ls.Role != replica.RoleLeader {
		return false
	}
	for _, id := range live {
		st := g.s.Nodes[id].Store.Status()
		if !st.Serving || st.AppliedZxid != ls.CommittedZxid {
			return false
		}
	}
	return true
}

func (g *golden) hook(env msg.Envelope) bool {
	if g.kinds != nil && !g.kinds[env.Kind] || g.kinds == nil && quiet[env.Kind] {
		return true
	}
	fmt.Fprintf(&g.out, "t=%-3d %-10s -> %-10s %s\n", g.s.Bus.Now(), env.From, env.To, traceBody(env))
	return true
}

func kindNamed(t *testing.T, name string) msg.Kind {
	for k := range 256 {
		if msg.Kind(k).String() == name {
			return msg.Kind(k)
		}
	}
	t.Fatalf("no message kind %q", name)
	return 0
}

// traceBody shows what a message says, without what changes from run to
// run of a script that changes nothing (sync session numbers, data).
func traceBody(env msg.Envelope) string {
	switch b := env.Body.(type) {
	case *msg.Vote:
		return fmt.Sprintf("Vote leader=%d zxid=%#x peerEpoch=%d round=%d %s", b.Leader, b.Zxid, b.PeerEpoch, b.Round, b.State)
	case *msg.SyncReq:
		return fmt.Sprintf("SyncReq epoch=%d currentEpoch=%d last=%#x committed=%#x", b.Epoch, b.CurrentEpoch, b.LastZxid, b.Committed)
	case *msg.SyncStart:
		return fmt.Sprintf("SyncStart %s zxid=%#x", b.Mode, b.Zxid)
	case *msg.SnapChunk:
		return fmt.Sprintf("SnapChunk zxid=%#x offset=%d", b.Zxid, b.Offset)
	case *msg.Proposal:
		zs := make([]string, len(b.Entries))
		for i, e := range b.Entries {
			zs[i] = fmt.Sprintf("%#x", e.Zxid)
		}
		return fmt.Sprintf("Proposal prev=%#x commit=%#x entries=[%s]", b.PrevZxid, b.Commit, strings.Join(zs, " "))
	case *msg.NewLeader:
		return fmt.Sprintf("NewLeader zxid=%#x", b.Zxid)
	case *msg.NewLeaderAck:
		return fmt.Sprintf("NewLeaderAck zxid=%#x", b.Zxid)
	case *msg.UpToDate:
		return fmt.Sprintf("UpToDate commit=%#x", b.Commit)
	case *msg.Ack:
		return fmt.Sprintf("Ack zxid=%#x", b.Zxid)
	case *msg.Commit:
		return fmt.Sprintf("Commit zxid=%#x", b.Zxid)
	case *msg.Forward:
		return fmt.Sprintf("Forward origin=%d op=%s session=%#x xid=%d", b.Origin, zk.OpCode(b.Request.Op.Op), b.Request.Session, b.Request.Xid)
	default:
		return fmt.Sprintf("%s %+v", env.Kind, env.Body)
	}
}
