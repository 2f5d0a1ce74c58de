package natsbus

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/internal/testutil"
)

var (
	testPeer    = Credentials{User: "pdk", Password: "peer-secret"}
	testClients = []Credentials{{User: "alice", Password: "a-secret"}, {User: "bob", Password: "b-secret"}}
)

// securedCluster starts n nodes of ensemble "t" with the test credentials;
// edit may change a node's config before it starts.
func securedCluster(t *testing.T, n int, edit func(i int, cfg *Config)) ([]*Node, []int) {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ports[i] = testutil.FreePort(t)
	}
	nodes := make([]*Node, n)
	for i := 0; i < n; i++ {
		cfg := Config{Ensemble: "t", ID: msg.NodeID(i + 1), Host: "127.0.0.1", BusPort: -1, ClusterPort: ports[i],
			Peer: testPeer, Clients: testClients}
		for j := 0; j < n; j++ {
			if j != i {
				cfg.Peers = append(cfg.Peers, Peer{ID: msg.NodeID(j + 1), Host: "127.0.0.1", ClusterPort: ports[j]})
			}
		}
		if edit != nil {
			edit(i, &cfg)
		}
		nd, err := Start(cfg)
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = nd
		t.Cleanup(nd.Close)
	}
	return nodes, ports
}

// routed are the names of the servers nd has routes to (with accounts,
// nats-server opens several routes to each).
func routed(nd *Node) map[string]bool {
	out := map[string]bool{}
	rz, err := nd.srv.Routez(&server.RoutezOptions{})
	if err != nil {
		return out
	}
	for _, r := range rz.Routes {
		out[r.RemoteName] = true
	}
	return out
}

// errSink collects a connection's asynchronous errors (permission
// violations arrive that way).
type errSink struct {
	mu   sync.Mutex
	errs []string
}

func (s *errSink) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, err.Error())
}

func (s *errSink) has(substr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.errs {
		if strings.Contains(strings.ToLower(e), strings.ToLower(substr)) {
			return true
		}
	}
	return false
}

// connectAs connects with credentials c and, unless "", the connection
// token tok.
func connectAs(t *testing.T, url string, c Credentials, tok string) (*nats.Conn, *errSink) {
	t.Helper()
	sink := &errSink{}
	opts := []nats.Option{nats.ErrorHandler(sink.handler)}
	if c.User != "" {
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	if tok != "" {
		opts = append(opts, nats.Token(tok))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connect as %s: %v", c.User, err)
	}
	t.Cleanup(nc.Close)
	return nc, sink
}

func encode(t *testing.T, env msg.Envelope) []byte {
	t.Helper()
	data, err := buswire.Encode(env)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestClientCredentialsAreFenced(t *testing.T) {
	nodes, _ := securedCluster(t, 2, nil)
	waitFor(t, "a route between the nodes", func() bool { return len(routed(nodes[0])) == 1 && len(routed(nodes[1])) == 1 })

	voter, store := &inbox{}, &inbox{}
	for addr, box := range map[msg.Addr]*inbox{{Node: 1, Role: msg.RoleVoter}: voter, {Node: 1, Role: msg.RoleStore}: store} {
		if _, err := nodes[0].Bus().Subscribe(addr, box.add); err != nil {
			t.Fatal(err)
		}
	}
	stop, err := nodes[0].Bus().ServeRequests(msg.Addr{Node: 1, Role: msg.RoleStore}, func(env msg.Envelope) {
		req := env.Body.(*msg.Request)
		_ = nodes[0].Bus().ToClient(env.To, req.ReplyTo, &msg.Reply{Session: req.Session, Xid: req.Xid, Zxid: 42})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// The peer credential works across the route: a legitimate vote from 2.
	waitFor(t, "a vote from node 2 at node 1", func() bool {
		_ = nodes[1].Bus().Send(msg.New(msg.Addr{Node: 2, Role: msg.RoleVoter}, msg.Addr{Role: msg.RoleVoter}, &msg.Vote{Leader: 2}))
		return voter.find(func(e msg.Envelope) bool { v, ok := e.Body.(*msg.Vote); return ok && v.Leader == 2 })
	})

	for _, via := range []int{0, 1} { // on the node itself and through the route
		aliceTok, bobTok := buswire.NewConnToken(), buswire.NewConnToken()
		alice, sink := connectAs(t, nodes[via].ClientURL(), testClients[0], aliceTok)
		forged := msg.New(msg.Addr{Node: 3, Role: msg.RoleVoter}, msg.Addr{Role: msg.RoleVoter}, &msg.Vote{Leader: 99})
		if err := alice.Publish(buswire.Subject("t", forged.To), encode(t, forged)); err != nil {
			t.Fatal(err)
		}
		proposal := msg.New(msg.Addr{Node: 2, Role: msg.RoleStore}, msg.Addr{Node: 1, Role: msg.RoleStore}, &msg.Ping{Epoch: 99})
		if err := alice.Publish(buswire.Subject("t", proposal.To), encode(t, proposal)); err != nil {
			t.Fatal(err)
		}
		// Requests in bob's name are refused too.
		if err := alice.Publish(buswire.RequestSubject("t", 1, bobTok), encode(t, proposal)); err != nil {
			t.Fatal(err)
		}
		_ = alice.Flush()
		waitFor(t, "publish permission violations", func() bool {
			return sink.has(`Publish to "pdk.t.elect"`) && sink.has(`Publish to "pdk.t.peer.1.store"`) &&
				sink.has(`Publish to "`+buswire.RequestSubject("t", 1, bobTok)+`"`)
		})

		// Reading consensus subjects or another connection's replies is
		// refused.
		got := make(chan *nats.Msg, 16)
		for _, subj := range []string{buswire.AllSubjects("t"), "pdk.t.elect", "_PDK.>", buswire.Inbox(bobTok), buswire.RequestSubject("t", 1, aliceTok)} {
			if _, err := alice.ChanSubscribe(subj, got); err != nil {
				t.Fatal(err)
			}
			_ = alice.Flush()
			waitFor(t, "subscription violation for "+subj, func() bool { return sink.has(`Subscription to "` + subj + `"`) })
		}

		// A request is answered on alice's own inbox, whatever NATS reply
		// subject she gives: not on the consensus subject she names.
		replies, err := alice.SubscribeSync(buswire.Inbox(aliceTok))
		if err != nil {
			t.Fatal(err)
		}
		_ = alice.Flush()
		req := msg.New(msg.Addr{}, msg.Addr{Node: 1, Role: msg.RoleStore}, &msg.Request{Session: 7, Xid: int32(via + 1)})
		var rep *nats.Msg
		waitFor(t, "a reply on alice's inbox", func() bool {
			if err := alice.PublishRequest(buswire.RequestSubject("t", 1, aliceTok), buswire.Subject("t", msg.Addr{Node: 1, Role: msg.RoleStore}), encode(t, req)); err != nil {
				t.Fatal(err)
			}
			rep, err = replies.NextMsg(200 * time.Millisecond)
			return err == nil
		})
		env, err := buswire.Decode(rep.Data)
		if r, ok := env.Body.(*msg.Reply); err != nil || !ok || r.Xid != int32(via+1) || r.Zxid != 42 {
			t.Fatalf("reply %+v, %v", env, err)
		}

		// A second connection with alice's own credential gets no further
		// into the first one's traffic than bob does.
		alice2, sink2 := connectAs(t, nodes[1-via].ClientURL(), testClients[0], buswire.NewConnToken())
		for _, subj := range []string{buswire.Inbox(aliceTok), "_PDK.*", ">"} {
			if _, err := alice2.ChanSubscribe(subj, got); err != nil {
				t.Fatal(err)
			}
			_ = alice2.Flush()
			waitFor(t, "subscription violation for "+subj, func() bool { return sink2.has(`Subscription to "` + subj + `"`) })
		}

		// Bob's traffic (and the peers') still flows, and none of it, nor
		// alice's, nor anything forged, reached a refused subscription.
		bob, _ := connectAs(t, nodes[via].ClientURL(), testClients[1], bobTok)
		bobReplies, err := bob.SubscribeSync(buswire.Inbox(bobTok))
		if err != nil {
			t.Fatal(err)
		}
		_ = bob.Flush()
		waitFor(t, "a reply on bob's inbox", func() bool {
			_ = bob.Publish(buswire.RequestSubject("t", 1, bobTok), encode(t, req))
			_, err := bobReplies.NextMsg(200 * time.Millisecond)
			return err == nil
		})
		waitFor(t, "another vote from node 2", func() bool {
			_ = nodes[1].Bus().Send(msg.New(msg.Addr{Node: 2, Role: msg.RoleVoter}, msg.Addr{Role: msg.RoleVoter}, &msg.Vote{Leader: 2, Round: uint64(via + 1)}))
			return voter.find(func(e msg.Envelope) bool { v, ok := e.Body.(*msg.Vote); return ok && v.Round == uint64(via+1) })
		})
		if len(got) != 0 {
			m := <-got
			t.Fatalf("a fenced connection read %s", m.Subject)
		}
		if voter.find(func(e msg.Envelope) bool { v, ok := e.Body.(*msg.Vote); return ok && v.Leader == 99 }) {
			t.Fatal("a forged vote reached the voter")
		}
		if store.find(func(e msg.Envelope) bool {
			_, isReply := e.Body.(*msg.Reply)
			p, ok := e.Body.(*msg.Ping)
			return isReply || ok && p.Epoch == 99
		}) {
			t.Fatal("a forged message (or a reply sent where a client asked) reached the store")
		}
	}

	// No credentials, no entry; nor with a wrong password, nor a client
	// without a connection token (or with one too short to be secret).
	for _, c := range []struct {
		Credentials
		tok string
	}{
		{Credentials{}, buswire.NewConnToken()},
		{Credentials{User: "alice", Password: "nope"}, buswire.NewConnToken()},
		{Credentials{User: "pdk", Password: "a-secret"}, buswire.NewConnToken()},
		{testClients[0], ""},
		{testClients[0], "short"},
		{testClients[0], "_zkwire.t.1.abcdefghijklmnop"},
	} {
		opts := []nats.Option{}
		if c.User != "" {
			opts = append(opts, nats.UserInfo(c.User, c.Password))
		}
		if c.tok != "" {
			opts = append(opts, nats.Token(c.tok))
		}
		if nc, err := nats.Connect(nodes[0].ClientURL(), opts...); err == nil {
			nc.Close()
			t.Fatalf("connection as %q with token %q accepted", c.User, c.tok)
		} else if !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
			t.Fatalf("connection as %q: %v, want an authorization violation", c.User, err)
		}
	}
}

func TestWrongPeerPasswordCannotJoin(t *testing.T) {
	nodes, ports := securedCluster(t, 2, nil)
	waitFor(t, "a route between the nodes", func() bool { return len(routed(nodes[0])) == 1 && len(routed(nodes[1])) == 1 })
	intruder, err := Start(Config{Ensemble: "t", ID: 3, Host: "127.0.0.1", BusPort: -1, ClusterPort: testutil.FreePort(t),
		Peers: []Peer{{ID: 1, Host: "127.0.0.1", ClusterPort: ports[0]}, {ID: 2, Host: "127.0.0.1", ClusterPort: ports[1]}},
		Peer:  Credentials{User: "pdk", Password: "guessed"}, Clients: testClients})
	if err != nil {
		t.Fatal(err)
	}
	defer intruder.Close()
	box := &inbox{}
	if _, err := nodes[0].Bus().Subscribe(msg.Addr{Node: 1, Role: msg.RoleVoter}, box.add); err != nil {
		t.Fatal(err)
	}
	// Route attempts retry every second or so; give several of them a
	// chance. The members must never take the intruder's route, and
	// nothing it publishes may reach them. (The intruder itself may list a
	// route for a moment: a member sends its INFO before it checks the
	// credentials and drops the connection.)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		for i, nd := range nodes {
			if r := routed(nd); len(r) != 1 || r["pdk-t-3"] {
				t.Fatalf("node %d has routes to %v, want only the other member", i+1, r)
			}
		}
		_ = intruder.Bus().Send(msg.New(msg.Addr{Node: 3, Role: msg.RoleVoter}, msg.Addr{Node: 1, Role: msg.RoleVoter}, &msg.Vote{Leader: 3}))
		time.Sleep(50 * time.Millisecond)
	}
	if box.find(func(e msg.Envelope) bool { v, ok := e.Body.(*msg.Vote); return ok && v.Leader == 3 }) {
		t.Fatal("a vote from the node with a wrong peer password reached a member")
	}
}

func TestAnonymousClientsWhenAllowed(t *testing.T) {
	nodes, _ := securedCluster(t, 1, func(_ int, cfg *Config) { cfg.AllowAnonymous, cfg.Peers = true, nil })
	stop, err := nodes[0].Bus().ServeRequests(msg.Addr{Node: 1, Role: msg.RoleStore}, func(env msg.Envelope) {
		req := env.Body.(*msg.Request)
		_ = nodes[0].Bus().ToClient(env.To, req.ReplyTo, &msg.Reply{Xid: req.Xid})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	tok, other := buswire.NewConnToken(), buswire.NewConnToken()
	nc, sink := connectAs(t, nodes[0].ClientURL(), Credentials{}, tok)
	replies, err := nc.SubscribeSync(buswire.Inbox(tok))
	if err != nil {
		t.Fatal(err)
	}
	req := msg.New(msg.Addr{}, msg.Addr{Node: 1, Role: msg.RoleStore}, &msg.Request{Xid: 5})
	if err := nc.Publish(buswire.RequestSubject("t", 1, tok), encode(t, req)); err != nil {
		t.Fatal(err)
	}
	if _, err := replies.NextMsg(5 * time.Second); err != nil {
		t.Fatalf("anonymous request: %v", err)
	}
	// Anonymous connections are fenced from each other as well.
	_ = nc.Publish("pdk.t.elect", []byte("x"))
	_, _ = nc.SubscribeSync(buswire.Inbox(other))
	_ = nc.Flush()
	waitFor(t, "the anonymous client fenced like a client", func() bool {
		return sink.has(`Publish to "pdk.t.elect"`) && sink.has(`Subscription to "`+buswire.Inbox(other)+`"`)
	})
}

// TestClosedBusWithoutCredentials: nodes with no credential at all form
// their cluster over unauthenticated routes, exchange messages, and admit
// no other connection to their bus ports, anonymous or guessing; only the
// node's own random credential gets in.
func TestClosedBusWithoutCredentials(t *testing.T) {
	nodes, _ := securedCluster(t, 2, func(_ int, cfg *Config) {
		cfg.Peer, cfg.Clients, cfg.Closed = Credentials{}, nil, true
	})
	waitFor(t, "routes between the closed nodes", func() bool {
		return len(routed(nodes[0])) > 0 && len(routed(nodes[1])) > 0
	})
	got := &inbox{}
	stop, err := nodes[1].Bus().Subscribe(msg.Addr{Node: 2, Role: msg.RoleVoter}, got.add)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	waitFor(t, "a message across the unauthenticated route", func() bool {
		_ = nodes[0].Bus().Send(msg.New(msg.Addr{Node: 1, Role: msg.RoleVoter}, msg.Addr{Node: 2, Role: msg.RoleVoter}, &msg.Ping{}))
		return got.find(func(e msg.Envelope) bool { return e.From.Node == 1 })
	})
	for _, c := range []Credentials{{}, testPeer, testClients[0], {User: "_node", Password: "guess"}} {
		if nc, err := nats.Connect(nodes[0].ClientURL(), nats.UserInfo(c.User, c.Password)); err == nil {
			nc.Close()
			t.Errorf("a connection as %q got into a closed bus", c.User)
		}
	}
	own := nodes[0].OwnCredentials()
	if own.User == "" || own.Password == "" || own == nodes[1].OwnCredentials() {
		t.Fatalf("own credentials %+v / %+v: want a random secret per node", own, nodes[1].OwnCredentials())
	}
	connectAs(t, nodes[0].ClientURL(), own, "")
}

func TestAuthorizeRejects(t *testing.T) {
	for _, cfg := range []Config{
		{Peer: Credentials{Password: "x"}},
		{Peer: Credentials{User: "a.b", Password: "x"}},
		{Peer: Credentials{User: "p"}},
		{Peer: Credentials{User: "p", Password: "x"}, Clients: []Credentials{{User: "p", Password: "y"}}},
		{Peer: Credentials{User: "p", Password: "x"}, Clients: []Credentials{{User: "_anonymous", Password: "y"}}},
		{Peer: Credentials{User: "p", Password: "x"}, Clients: []Credentials{{User: "c"}}},
		{Clients: []Credentials{{User: "c", Password: "y"}}, Peers: []Peer{{ID: 2}}},
		{Closed: true, Clients: []Credentials{{User: "c", Password: "y"}}},
		{Closed: true, AllowAnonymous: true},
	} {
		cfg.Ensemble, cfg.ID, cfg.Host, cfg.BusPort = "t", 1, "127.0.0.1", -1
		if nd, err := Start(cfg); err == nil {
			nd.Close()
			t.Errorf("started with %+v", cfg)
		}
	}
}
