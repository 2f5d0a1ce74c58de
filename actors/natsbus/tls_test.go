package natsbus

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/internal/pemtls"
	"github.com/paddock-zk/paddock/internal/testutil"
)

// routeErr is what nats-server logs when a route's TLS handshake fails.
const routeErr = "TLS route handshake error"

// quorumTLS is node name's route config: its own certificate signed by
// signer, peers checked against ca and the host 127.0.0.1.
func quorumTLS(t *testing.T, dir, name string, signer, ca *testutil.CA) *tls.Config {
	t.Helper()
	cfg, err := pemtls.MutualConfig(pemtls.Files{
		KeyStore:   testutil.WriteFile(t, filepath.Join(dir, name+".pem"), signer.Leaf(t, name, testutil.PeerCert)),
		TrustStore: testutil.WriteFile(t, filepath.Join(dir, name+"-ca.pem"), ca.PEM),
	}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestRouteTLS: nodes whose routes need mutual TLS form their mesh and
// carry messages; a node with the right peer credential but a
// certificate of another CA gets no route, however often it tries.
func TestRouteTLS(t *testing.T) {
	dir := t.TempDir()
	ca, rogue := testutil.NewCA(t, "quorum CA"), testutil.NewCA(t, "rogue CA")
	refused := make([]*testutil.LogCounter, 3)
	nodes, ports := securedCluster(t, 3, func(i int, cfg *Config) {
		cfg.RouteTLS = quorumTLS(t, dir, fmt.Sprintf("node%d", i+1), ca, ca)
		cfg.Logger, refused[i] = testutil.NewLogCounter(routeErr)
	})
	waitFor(t, "a full mesh of TLS routes", func() bool {
		for _, nd := range nodes {
			if len(routed(nd)) != 2 {
				return false
			}
		}
		return true
	})
	got := &inbox{}
	if _, err := nodes[2].Bus().Subscribe(msg.Addr{Node: 3, Role: msg.RoleVoter}, got.add); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a message over a TLS route", func() bool {
		_ = nodes[0].Bus().Send(msg.New(msg.Addr{Node: 1, Role: msg.RoleVoter}, msg.Addr{Node: 3, Role: msg.RoleVoter}, &msg.Ping{Epoch: 9}))
		return got.find(func(e msg.Envelope) bool { return e.From.Node == 1 })
	})
	if v, err := nodes[0].srv.Varz(nil); err != nil || !v.Cluster.TLSRequired || !v.Cluster.TLSVerify || v.Cluster.TLSTimeout != DefaultTLSTimeout.Seconds() {
		t.Fatalf("varz: %v, cluster %+v", err, v.Cluster)
	}

	var peers []Peer
	for i, p := range ports {
		peers = append(peers, Peer{ID: msg.NodeID(i + 1), Host: "127.0.0.1", ClusterPort: p})
	}
	intruder, err := Start(Config{Ensemble: "t", ID: 4, Host: "127.0.0.1", BusPort: -1, ClusterPort: testutil.FreePort(t),
		Peers: peers, Peer: testPeer, Clients: testClients, RouteTLS: quorumTLS(t, dir, "intruder", rogue, ca)})
	if err != nil {
		t.Fatal(err)
	}
	defer intruder.Close()
	// Each member has refused the intruder's handshakes more than once
	// (nats-server retries a route every second or so); none may succeed.
	for i, c := range refused {
		waitFor(t, fmt.Sprintf("node %d to refuse the intruder", i+1), func() bool { return c.Count() > 0 })
		first := c.Count()
		waitFor(t, fmt.Sprintf("node %d to refuse the intruder again", i+1), func() bool { return c.Count() > first })
	}
	for i, nd := range nodes {
		if r := routed(nd); len(r) != 2 || r["pdk-t-4"] {
			t.Fatalf("node %d has routes to %v", i+1, r)
		}
	}
	if r := routed(intruder); len(r) != 0 || len(intruder.Peers()) != 0 {
		t.Fatalf("the intruder has routes to %v (peers %v)", r, intruder.Peers())
	}
}

// TestBusTLS: with BusTLS and client certificates required, a client
// with a certificate of the CA is served over TLS; one without a
// certificate, with another CA's or speaking plain NATS is refused; the
// node's own in-process connection works all along.
func TestBusTLS(t *testing.T) {
	dir := t.TempDir()
	ca, rogue := testutil.NewCA(t, "client CA"), testutil.NewCA(t, "rogue CA")
	busTLS, err := pemtls.ServerConfig(pemtls.Files{
		KeyStore:   testutil.WriteFile(t, filepath.Join(dir, "node.pem"), ca.Leaf(t, "node", testutil.ServerCert)),
		TrustStore: testutil.WriteFile(t, filepath.Join(dir, "ca.pem"), ca.PEM),
	}, tls.RequireAndVerifyClientCert)
	if err != nil {
		t.Fatal(err)
	}
	nodes, _ := securedCluster(t, 1, func(_ int, cfg *Config) { cfg.Peers, cfg.BusTLS = nil, busTLS })
	nd := nodes[0]
	stop, err := nd.Bus().ServeRequests(msg.Addr{Node: 1, Role: msg.RoleStore}, func(env msg.Envelope) {
		req := env.Body.(*msg.Request)
		_ = nd.Bus().ToClient(env.To, req.ReplyTo, &msg.Reply{Xid: req.Xid})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	alice, tok := testClients[0], buswire.NewConnToken()
	connect := func(cfg *tls.Config) (*nats.Conn, error) {
		opts := append(buswire.ClientOptions(tok), nats.UserInfo(alice.User, alice.Password), nats.Timeout(5*time.Second))
		if cfg != nil {
			opts = append(opts, nats.Secure(cfg))
		}
		return nats.Connect(nd.ClientURL(), opts...)
	}
	nc, err := connect(testutil.ClientTLS(t, ca.Leaf(t, "alice", testutil.ClientCert), ca))
	if err != nil {
		t.Fatalf("a client with a certificate of the CA: %v", err)
	}
	defer nc.Close()
	if _, err := nc.TLSConnectionState(); err != nil {
		t.Fatalf("not over TLS: %v", err)
	}
	req := msg.New(msg.Addr{}, msg.Addr{Node: 1, Role: msg.RoleStore}, &msg.Request{Xid: 7})
	if _, err := nc.Request(buswire.RequestSubject("t", 1, tok), encode(t, req), 5*time.Second); err != nil {
		t.Fatalf("request over TLS: %v", err)
	}
	for name, cfg := range map[string]*tls.Config{
		"without a certificate":         testutil.ClientTLS(t, nil, ca),
		"with another CA certificate":   testutil.ClientTLS(t, rogue.Leaf(t, "mallory", testutil.ClientCert), ca),
		"that trusts only the system's": nil,
	} {
		if nc, err := connect(cfg); err == nil {
			nc.Close()
			t.Errorf("a client %s was let in", name)
		}
	}
	// nats.go always upgrades when the server asks for TLS; a client that
	// goes on in plain text gets no PONG.
	c, err := net.Dial("tcp", strings.TrimPrefix(nd.ClientURL(), "tls://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	if info, err := r.ReadString('\n'); err != nil || !strings.Contains(info, `"tls_required":true`) {
		t.Fatalf("INFO %q %v, want tls_required", info, err)
	}
	fmt.Fprintf(c, "CONNECT {\"user\":%q,\"pass\":%q}\r\nPING\r\n", alice.User, alice.Password)
	if line, err := r.ReadString('\n'); err == nil && strings.HasPrefix(line, "PONG") {
		t.Fatal("a plain-text client was served")
	}
}
