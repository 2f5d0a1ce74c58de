package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	pzk "github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire"
)

// askTLS sends a four-letter word over TLS; "" when the connection is
// refused at any step.
func askTLS(addr, word string, cfg *tls.Config) (string, *tls.ConnectionState) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return "", nil
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	st := c.ConnectionState()
	if _, err := io.WriteString(c, word); err != nil {
		return "", &st
	}
	b, _ := io.ReadAll(c)
	return string(b), &st
}

// TestSecureClientPort: a node with ZooKeeper's secureClientPort and PEM
// stores serves a ZooKeeper client over TLS with a client certificate
// (ssl.clientAuth=need), refuses a client without one or with one from
// another CA, is refused by a client that does not trust it, and serves a
// renewed certificate to new connections without a restart.
func TestSecureClientPort(t *testing.T) {
	dir := t.TempDir()
	ca, rogue := testutil.NewCA(t, "paddock test CA"), testutil.NewCA(t, "rogue CA")
	keyStore := testutil.WriteFile(t, filepath.Join(dir, "server.pem"), ca.Leaf(t, "node-1", testutil.ServerCert))
	trustStore := testutil.WriteFile(t, filepath.Join(dir, "ca.pem"), ca.PEM)
	text := fmt.Sprintf("dataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\npaddock.busPort=%d\nadmin.enableServer=false\n4lw.commands.whitelist=ruok,srvr\n"+
		"secureClientPort=%d\nssl.keyStore.location=%s\nssl.trustStore.location=%s\nssl.clientAuth=need\n",
		filepath.Join(dir, "data"), testutil.FreePort(t), testutil.FreePort(t), testutil.FreePort(t), keyStore, trustStore)
	cfg, err := config.Parse(strings.NewReader(text), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	n, err := Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	testkit.WaitFor(t, "standalone serving", 10*time.Second, func() bool { return n.Mode() == zkwire.ModeStandalone })
	addr := n.SecureClientAddr()

	good := testutil.ClientTLS(t, ca.Leaf(t, "app", testutil.ClientCert), ca)
	if got, _ := askTLS(addr, "ruok", good); got != "imok" {
		t.Fatalf("ruok over TLS with a client certificate: %q", got)
	}
	if got, _ := askTLS(addr, "ruok", testutil.ClientTLS(t, nil, ca)); got == "imok" {
		t.Fatal("a client without a certificate was served")
	}
	if got, _ := askTLS(addr, "ruok", testutil.ClientTLS(t, rogue.Leaf(t, "intruder", testutil.ClientCert), ca)); got == "imok" {
		t.Fatal("a client with another CA's certificate was served")
	}
	if got, st := askTLS(addr, "ruok", testutil.ClientTLS(t, ca.Leaf(t, "app", testutil.ClientCert), rogue)); got == "imok" || st != nil {
		t.Fatal("a client that does not trust the node's CA completed a handshake")
	}

	c, _, err := zk.Connect([]string{addr}, 8*time.Second, zk.WithLogger(quietLogger{t}),
		zk.WithDialer(func(network, address string, timeout time.Duration) (net.Conn, error) {
			return tls.DialWithDialer(&net.Dialer{Timeout: timeout}, network, address, good)
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testkit.WaitFor(t, "a session over TLS", 10*time.Second, func() bool { return c.State() == zk.StateHasSession })
	if _, err := c.Create("/tls", []byte("secret"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if data, _, err := c.Get("/tls"); err != nil || string(data) != "secret" {
		t.Fatalf("get over TLS: %q %v", data, err)
	}

	// A renewed certificate, written over the key store: new connections
	// get it, without a restart.
	testutil.Replace(t, keyStore, ca.Leaf(t, "node-1-renewed", testutil.ServerCert))
	if got, st := askTLS(addr, "ruok", good); got != "imok" || st == nil || st.PeerCertificates[0].Subject.CommonName != "node-1-renewed" {
		t.Fatalf("after renewal: %q, certificate %v", got, st)
	}
	// The plain client port still serves plain clients.
	if out, err := zkwire.Ask(t.Context(), n.ClientAddr(), "ruok"); err != nil || out != "imok" {
		t.Fatalf("plain ruok: %q %v", out, err)
	}
}

// routeErr is what nats-server logs when a route's TLS handshake fails.
const routeErr = "TLS route handshake error"

// routesTo lists the node ids nd's NATS server has routes to right now.
func routesTo(t *testing.T, nd *Node) map[string]bool {
	t.Helper()
	rz, err := nd.bus.Server().Routez(nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range rz.Routes {
		out[r.RemoteName] = true
	}
	return out
}

// TestTLSQuorumAndBus: a 3-node ensemble with sslQuorum and
// paddock.sslBus (ssl.clientAuth=need) forms its routes over mutual TLS
// and serves native clients over TLS; a client without a certificate or
// with another CA's is refused; renewed key stores reach new connections,
// on the bus and on the routes, without a restart; and a node restarted
// with a quorum certificate of another CA gets no route while the other
// two go on serving writes.
func TestTLSQuorumAndBus(t *testing.T) {
	dir := t.TempDir()
	ca, rogue := testutil.NewCA(t, "paddock test CA"), testutil.NewCA(t, "rogue CA")
	trust := testutil.WriteFile(t, filepath.Join(dir, "ca.pem"), ca.PEM)
	quorumKey := func(id int) string { return filepath.Join(dir, fmt.Sprintf("quorum-%d.pem", id)) }
	busKey := func(id int) string { return filepath.Join(dir, fmt.Sprintf("bus-%d.pem", id)) }
	for id := 1; id <= 3; id++ {
		testutil.WriteFile(t, quorumKey(id), ca.Leaf(t, fmt.Sprintf("node-%d", id), testutil.PeerCert))
		testutil.WriteFile(t, busKey(id), ca.Leaf(t, fmt.Sprintf("bus-%d", id), testutil.ServerCert))
	}
	cfgs := testkit.ConfigsEach(t, 3, func(id int) string {
		return fmt.Sprintf("sslQuorum=true\nssl.quorum.keyStore.location=%s\nssl.quorum.trustStore.location=%s\n"+
			"paddock.sslBus=true\nssl.keyStore.location=%s\nssl.trustStore.location=%s\nssl.clientAuth=need\n",
			quorumKey(id), trust, busKey(id), trust)
	})
	// Nodes 1 and 2 count their refused route handshakes: the evidence
	// that node 3, once rogue, tried.
	refused := make([]*testutil.LogCounter, 3)
	nodes := testkit.StartAll(t, cfgs, func(i int, c *config.Config, _ *slog.Logger) (*Node, error) {
		var log *slog.Logger
		log, refused[i] = testutil.NewLogCounter(routeErr)
		return Start(c, log)
	})
	testkit.WaitFor(t, "every node's routes over TLS", 20*time.Second, func() bool {
		for _, n := range nodes {
			if len(n.bus.Peers()) != 2 {
				return false
			}
		}
		return true
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	appTLS := testutil.ClientTLS(t, ca.Leaf(t, "app", testutil.ClientCert), ca)
	connect := func(n *Node, cfg *tls.Config) (*client.Conn, error) {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return client.Connect(cctx, []string{n.BusURL()}, client.WithTLS(cfg),
			client.WithCredentials(testkit.ClientUser, testkit.ClientPassword))
	}
	c1, err := connect(nodes[0], appTLS)
	if err != nil {
		t.Fatalf("a native client with a certificate of the CA: %v", err)
	}
	defer c1.Close()
	if _, err := c1.Create(ctx, "/tls", []byte("over TLS"), pzk.Persistent, nil); err != nil {
		t.Fatal(err)
	}
	c2, err := connect(nodes[1], appTLS)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Sync(ctx, "/tls"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := c2.Get(ctx, "/tls"); err != nil || string(data) != "over TLS" {
		t.Fatalf("read through node 2: %q %v", data, err)
	}
	for name, cfg := range map[string]*tls.Config{
		"without a certificate":         testutil.ClientTLS(t, nil, ca),
		"with another CA's certificate": testutil.ClientTLS(t, rogue.Leaf(t, "mallory", testutil.ClientCert), ca),
	} {
		if c, err := connect(nodes[0], cfg); err == nil {
			c.Close()
			t.Errorf("a native client %s was let in", name)
		}
	}

	// Renewed certificates: the next connection to the bus port, and the
	// next to the route port, gets the new one.
	testutil.Replace(t, busKey(1), ca.Leaf(t, "bus-1-renewed", testutil.ServerCert))
	var saw atomic.Value
	seeing := appTLS.Clone()
	seeing.VerifyConnection = func(cs tls.ConnectionState) error {
		saw.Store(cs.PeerCertificates[0].Subject.CommonName)
		return nil
	}
	c3, err := connect(nodes[0], seeing)
	if err != nil {
		t.Fatal(err)
	}
	c3.Close()
	if got := saw.Load(); got != "bus-1-renewed" {
		t.Fatalf("bus certificate after renewal: %v", got)
	}
	testutil.Replace(t, quorumKey(1), ca.Leaf(t, "node-1-renewed", testutil.PeerCert))
	peerTLS := testutil.ClientTLS(t, ca.Leaf(t, "probe", testutil.PeerCert), ca)
	route := net.JoinHostPort("127.0.0.1", fmt.Sprint(cfgs[0].ClusterPort))
	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", route, peerTLS)
	if err != nil {
		t.Fatal(err)
	}
	if cn := tc.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "node-1-renewed" {
		t.Fatalf("route certificate after renewal: %q", cn)
	}
	tc.Close()

	// Node 3 comes back with a quorum certificate of another CA: the
	// others refuse it, accepting and dialing, again and again.
	nodes[2].Close()
	testkit.WaitFor(t, "nodes 1 and 2 to lose node 3", 10*time.Second, func() bool {
		return len(nodes[0].bus.Peers()) == 1 && len(nodes[1].bus.Peers()) == 1
	})
	testutil.Replace(t, quorumKey(3), rogue.Leaf(t, "node-3", testutil.PeerCert))
	before := []int64{refused[0].Count(), refused[1].Count()}
	rogueNode, err := Start(cfgs[2], nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rogueNode.Close)
	for i := range 2 {
		testkit.WaitFor(t, fmt.Sprintf("node %d to refuse node 3", i+1), 10*time.Second, func() bool { return refused[i].Count() > before[i] })
		first := refused[i].Count()
		testkit.WaitFor(t, fmt.Sprintf("node %d to refuse node 3 again", i+1), 10*time.Second, func() bool { return refused[i].Count() > first })
	}
	for i, n := range nodes[:2] {
		if r := routesTo(t, n); r["pdk-t-3"] || len(r) != 1 {
			t.Fatalf("node %d has routes to %v, want only the other good node", i+1, r)
		}
	}
	if r := routesTo(t, rogueNode); len(r) != 0 || len(rogueNode.bus.Peers()) != 0 || testkit.Serving(rogueNode) {
		t.Fatalf("the rogue node has routes to %v, mode %v", r, rogueNode.Mode())
	}
	if _, err := c1.Set(ctx, "/tls", []byte("majority"), -1); err != nil {
		t.Fatalf("write on the good majority: %v", err)
	}
}
