package zkcli

import (
	"context"
	"crypto/x509"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/internal/testutil"
)

func TestCLICredentials(t *testing.T) {
	m := seed(t)
	var got Credentials
	var gotServers []string
	dial := func(_ context.Context, servers []string, _ time.Duration, cred Credentials) (Client, io.Closer, error) {
		got, gotServers = cred, servers
		return m, io.NopCloser(nil), nil
	}
	if code := Main(context.Background(), []string{"-bus", "h:1", "-user", "alice", "-password", "pw", "get", "/a"}, nil, io.Discard, io.Discard, dial); code != 0 ||
		got != (Credentials{User: "alice", Password: "pw"}) {
		t.Fatalf("flags: code %d credentials %+v", code, got)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	text := "dataDir=" + dir + "\nclientPort=2181\npaddock.busPort=12345\npaddock.clientUsers=bob:b1,carol:c1\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := Main(context.Background(), []string{"-config", cfg, "get", "/a"}, nil, io.Discard, io.Discard, dial); code != 0 ||
		got != (Credentials{User: "bob", Password: "b1"}) || len(gotServers) != 1 || gotServers[0] != "127.0.0.1:12345" {
		t.Fatalf("-config: code %d credentials %+v servers %v", code, got, gotServers)
	}
	if code := Main(context.Background(), []string{"-config", cfg, "-bus", "h:2", "-user", "carol", "-password", "c1", "get", "/a"}, nil, io.Discard, io.Discard, dial); code != 0 ||
		got != (Credentials{User: "carol", Password: "c1"}) || gotServers[0] != "h:2" {
		t.Fatalf("-config with flags: code %d credentials %+v servers %v", code, got, gotServers)
	}
	if code := Main(context.Background(), []string{"-config", filepath.Join(dir, "nope.cfg"), "get", "/a"}, nil, io.Discard, io.Discard, dial); code != 2 {
		t.Fatalf("missing config: code %d", code)
	}
}

// TestCLIBusTLS: -tls-ca and -tls-cert put the bus connection under TLS;
// -config with paddock.sslBus does so with the node's stores (its key
// store only when client certificates are required); neither goes with
// -server.
func TestCLIBusTLS(t *testing.T) {
	m := seed(t)
	var got Credentials
	dial := func(_ context.Context, _ []string, _ time.Duration, cred Credentials) (Client, io.Closer, error) {
		got = cred
		return m, io.NopCloser(nil), nil
	}
	dir := t.TempDir()
	ca := testutil.NewCA(t, "ca")
	write := func(name string, data []byte) string { return testutil.WriteFile(t, filepath.Join(dir, name), data) }
	trust, nodeKey, appKey := write("ca.pem", ca.PEM), write("node.pem", ca.Leaf(t, "node", testutil.PeerCert)), write("app.pem", ca.Leaf(t, "app", testutil.ClientCert))
	presents := func(cn string) bool {
		if got.TLS == nil || got.TLS.RootCAs == nil || len(got.TLS.Certificates) != 1 {
			return false
		}
		leaf, err := x509.ParseCertificate(got.TLS.Certificates[0].Certificate[0])
		return err == nil && leaf.Subject.CommonName == cn
	}
	cli := func(args ...string) int {
		got = Credentials{}
		return Main(context.Background(), append(args, "get", "/a"), nil, io.Discard, io.Discard, dial)
	}
	if code := cli("-bus", "h:1"); code != 0 || got.TLS != nil {
		t.Fatalf("plain -bus: code %d, TLS %v", code, got.TLS)
	}
	if code := cli("-bus", "h:1", "-tls-ca", trust, "-tls-cert", appKey); code != 0 || !presents("app") {
		t.Fatalf("-bus with TLS flags: code %d, TLS %+v", code, got.TLS)
	}
	for _, auth := range []string{"need", "want"} {
		cfg := write("zoo-"+auth+".cfg", []byte("dataDir="+dir+"\nclientPort=2181\npaddock.busPort=12345\npaddock.sslBus=true\n"+
			"ssl.keyStore.location="+nodeKey+"\nssl.trustStore.location="+trust+"\nssl.clientAuth="+auth+"\n"))
		code := cli("-config", cfg)
		if auth == "need" && (code != 0 || !presents("node")) || auth == "want" && (code != 0 || got.TLS == nil || len(got.TLS.Certificates) != 0) {
			t.Fatalf("-config with ssl.clientAuth=%s: code %d, TLS %+v", auth, code, got.TLS)
		}
		if code := cli("-config", cfg, "-tls-cert", appKey); code != 0 || !presents("app") {
			t.Fatalf("-config with -tls-cert: code %d, TLS %+v", code, got.TLS)
		}
	}
	if code := cli("-bus", "h:1", "-tls-ca", filepath.Join(dir, "missing.pem")); code != 2 {
		t.Fatalf("a missing CA file: code %d", code)
	}
	if code := cli("-server", "h:1", "-tls-ca", trust); code != 2 {
		t.Fatalf("-tls-ca with -server: code %d", code)
	}
}
