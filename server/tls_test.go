package server

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testutil"
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
	keyStore := writeFile(t, filepath.Join(dir, "server.pem"), ca.Leaf(t, "node-1", testutil.ServerCert))
	trustStore := writeFile(t, filepath.Join(dir, "ca.pem"), ca.PEM)
	text := fmt.Sprintf("dataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\npaddock.busPort=%d\n4lw.commands.whitelist=ruok,srvr\n"+
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
	waitFor(t, "standalone serving", 10*time.Second, func() bool { return n.Mode() == zkwire.ModeStandalone })
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
	waitFor(t, "a session over TLS", 10*time.Second, func() bool { return c.State() == zk.StateHasSession })
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

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
