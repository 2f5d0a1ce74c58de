package pemtls

import (
	"crypto/tls"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/internal/testutil"
)

// result is what each side of one handshake saw.
type result struct {
	serverErr, clientErr error
	serverSaw, clientSaw string // the peer certificate's common name
}

// handshake runs one TLS connection over loopback TCP and reports both
// sides. The server writes a byte and the client reads it, so a client
// certificate refused after a TLS 1.3 client has finished its handshake
// still fails the client.
func handshake(t *testing.T, server, client *tls.Config) result {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var r result
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			r.serverErr = err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		tc := tls.Server(c, server)
		if r.serverErr = tc.Handshake(); r.serverErr != nil {
			return
		}
		if p := tc.ConnectionState().PeerCertificates; len(p) > 0 {
			r.serverSaw = p[0].Subject.CommonName
		}
		_, r.serverErr = tc.Write([]byte{1})
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if client.ServerName == "" {
		client = dialing(client)
	}
	tc := tls.Client(c, client)
	if r.clientErr = tc.Handshake(); r.clientErr == nil {
		r.clientSaw = tc.ConnectionState().PeerCertificates[0].Subject.CommonName
		_, r.clientErr = tc.Read(make([]byte, 1))
	}
	c.Close()
	<-done
	return r
}

// dialing is how nats-server and nats.go dial: a clone of the config with
// the server name of the address.
func dialing(cfg *tls.Config) *tls.Config {
	c := cfg.Clone()
	c.ServerName = "127.0.0.1"
	return c
}

func TestServerConfigClientAuthAndReload(t *testing.T) {
	dir := t.TempDir()
	ca, rogue := testutil.NewCA(t, "ca"), testutil.NewCA(t, "rogue")
	key := testutil.WriteFile(t, filepath.Join(dir, "key.pem"), ca.Leaf(t, "node", testutil.ServerCert))
	trust := testutil.WriteFile(t, filepath.Join(dir, "ca.pem"), ca.PEM)
	srv, err := ServerConfig(Files{KeyStore: key, TrustStore: trust}, tls.RequireAndVerifyClientCert)
	if err != nil {
		t.Fatal(err)
	}
	good := testutil.ClientTLS(t, ca.Leaf(t, "app", testutil.ClientCert), ca)
	if r := handshake(t, srv, good); r.serverErr != nil || r.clientErr != nil || r.clientSaw != "node" || r.serverSaw != "app" {
		t.Fatalf("good client: %+v", r)
	}
	if r := handshake(t, srv, testutil.ClientTLS(t, nil, ca)); r.serverErr == nil {
		t.Fatal("a client without a certificate was accepted")
	}
	if r := handshake(t, srv, testutil.ClientTLS(t, rogue.Leaf(t, "x", testutil.ClientCert), ca)); r.serverErr == nil {
		t.Fatal("a client with another CA's certificate was accepted")
	}

	testutil.Replace(t, key, ca.Leaf(t, "node-renewed", testutil.ServerCert))
	if r := handshake(t, srv, good); r.clientErr != nil || r.clientSaw != "node-renewed" {
		t.Fatalf("after renewal: %+v", r)
	}
	// A half-written key store keeps the last good one in use.
	testutil.Replace(t, key, []byte("-----BEGIN EC PRIV"))
	if r := handshake(t, srv, good); r.clientErr != nil || r.clientSaw != "node-renewed" {
		t.Fatalf("with a broken key store: %+v", r)
	}
	// The stores load together: a new trust store waits for a good key
	// store. Then the old CA's clients are out.
	testutil.Replace(t, trust, rogue.PEM)
	if r := handshake(t, srv, good); r.serverErr != nil || r.clientSaw != "node-renewed" {
		t.Fatalf("new trust store with a broken key store: %+v", r)
	}
	testutil.Replace(t, key, ca.Leaf(t, "node-again", testutil.ServerCert))
	if r := handshake(t, srv, good); r.serverErr == nil {
		t.Fatal("a client of the CA no longer trusted was accepted")
	}
}

func TestServerConfigOptionalClientCert(t *testing.T) {
	dir := t.TempDir()
	ca := testutil.NewCA(t, "ca")
	key := testutil.WriteFile(t, filepath.Join(dir, "key.pem"), ca.Leaf(t, "node", testutil.ServerCert))
	for _, auth := range []tls.ClientAuthType{tls.NoClientCert, tls.VerifyClientCertIfGiven} {
		srv, err := ServerConfig(Files{KeyStore: key}, auth)
		if err != nil {
			t.Fatal(err)
		}
		if r := handshake(t, srv, testutil.ClientTLS(t, nil, ca)); r.serverErr != nil || r.clientErr != nil {
			t.Fatalf("%v without a client certificate: %+v", auth, r)
		}
	}
}

// peer is one node's quorum stores.
type peer struct{ key, trust string }

func newPeer(t *testing.T, dir, name string, signer, trusted *testutil.CA, usage int) peer {
	return peer{
		key:   testutil.WriteFile(t, filepath.Join(dir, name+".pem"), signer.Leaf(t, name, usage)),
		trust: testutil.WriteFile(t, filepath.Join(dir, name+"-ca.pem"), trusted.PEM),
	}
}

func (p peer) config(t *testing.T, names []string) *tls.Config {
	t.Helper()
	cfg, err := MutualConfig(Files{KeyStore: p.key, TrustStore: p.trust}, names)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestMutualConfigBothWays(t *testing.T) {
	dir := t.TempDir()
	ca, rogue := testutil.NewCA(t, "ca"), testutil.NewCA(t, "rogue")
	a := newPeer(t, dir, "a", ca, ca, testutil.PeerCert)
	b := newPeer(t, dir, "b", ca, ca, testutil.PeerCert)
	intruder := newPeer(t, dir, "intruder", rogue, ca, testutil.PeerCert)
	names := []string{"127.0.0.1"}
	ac, bc, ic := a.config(t, names), b.config(t, names), intruder.config(t, names)

	if r := handshake(t, ac, bc); r.serverErr != nil || r.clientErr != nil || r.serverSaw != "b" || r.clientSaw != "a" {
		t.Fatalf("b dials a: %+v", r)
	}
	if r := handshake(t, ac, ic); r.serverErr == nil {
		t.Fatalf("a accepted the intruder: %+v", r)
	}
	if r := handshake(t, ic, ac); r.clientErr == nil {
		t.Fatalf("a dialed the intruder and took its certificate: %+v", r)
	}

	// Renewal of a's certificate and a change of its trust store take
	// effect on the next handshake, accepting and dialing.
	testutil.Replace(t, a.key, ca.Leaf(t, "a-renewed", testutil.PeerCert))
	if r := handshake(t, bc, ac); r.serverErr != nil || r.serverSaw != "a-renewed" {
		t.Fatalf("a dials b after renewal: %+v", r)
	}
	if r := handshake(t, ac, bc); r.clientErr != nil || r.clientSaw != "a-renewed" {
		t.Fatalf("b dials a after renewal: %+v", r)
	}
	testutil.Replace(t, a.trust, rogue.PEM)
	if r := handshake(t, ac, bc); r.serverErr == nil {
		t.Fatal("a accepted b after dropping b's CA")
	}
	if r := handshake(t, bc, ac); r.clientErr == nil {
		t.Fatal("a dialed b after dropping b's CA")
	}
	if r := handshake(t, ac, ic); r.serverErr != nil {
		t.Fatalf("a refused the peer of its new CA: %+v", r)
	}
}

func TestMutualConfigNames(t *testing.T) {
	dir := t.TempDir()
	ca := testutil.NewCA(t, "ca")
	a := newPeer(t, dir, "a", ca, ca, testutil.PeerCert)
	// Client certificates of the same CA name no host.
	app := newPeer(t, dir, "app", ca, ca, testutil.ClientCert)

	r := handshake(t, a.config(t, []string{"127.0.0.1"}), app.config(t, nil))
	if !errors.Is(r.serverErr, ErrPeerName) {
		t.Fatalf("a certificate naming no ensemble host: server %v, want ErrPeerName", r.serverErr)
	}
	if r := handshake(t, a.config(t, nil), app.config(t, nil)); r.serverErr != nil {
		t.Fatalf("without hostname verification: %+v", r)
	}
	// Dialing: a's certificate names 127.0.0.1, not the ensemble's host.
	other := newPeer(t, dir, "b", ca, ca, testutil.PeerCert)
	if r := handshake(t, a.config(t, nil), other.config(t, []string{"[::1]", "db.example"})); !errors.Is(r.clientErr, ErrPeerName) {
		t.Fatalf("dialed a peer not named: client %v, want ErrPeerName", r.clientErr)
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	ca := testutil.NewCA(t, "ca")
	key := testutil.WriteFile(t, filepath.Join(dir, "key.pem"), ca.Leaf(t, "n", testutil.PeerCert))
	trust := testutil.WriteFile(t, filepath.Join(dir, "ca.pem"), ca.PEM)
	junk := testutil.WriteFile(t, filepath.Join(dir, "junk.pem"), []byte("not PEM"))
	missing := filepath.Join(dir, "missing.pem")
	errs := map[string]error{}
	_, errs["server, missing key store"] = ServerConfig(Files{KeyStore: missing}, tls.NoClientCert)
	_, errs["server, junk key store"] = ServerConfig(Files{KeyStore: junk}, tls.NoClientCert)
	_, errs["server, junk trust store"] = ServerConfig(Files{KeyStore: key, TrustStore: junk}, tls.NoClientCert)
	_, errs["mutual, no trust store"] = MutualConfig(Files{KeyStore: key}, nil)
	_, errs["mutual, missing trust store"] = MutualConfig(Files{KeyStore: key, TrustStore: missing}, nil)
	_, errs["client, junk key store"] = ClientConfig(Files{KeyStore: junk, TrustStore: trust})
	_, errs["client, missing trust store"] = ClientConfig(Files{TrustStore: missing})
	_, errs["client, a CA as key store"] = ClientConfig(Files{KeyStore: trust})
	for name, err := range errs {
		if !errors.Is(err, ErrBadFiles) {
			t.Errorf("%s: %v, want ErrBadFiles", name, err)
		}
	}
	if c, err := ClientConfig(Files{KeyStore: key, TrustStore: trust}); err != nil || len(c.Certificates) != 1 || c.RootCAs == nil {
		t.Fatalf("client config: %v", err)
	}
}
