package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
)

const (
	zkCliSh = "/usr/share/zookeeper/bin/zkCli.sh"
	zkEnvSh = "/usr/share/zookeeper/bin/zkEnv.sh"
)

// zkCliNettyJars are what ClientCnxnSocketNetty needs beyond Debian's
// zookeeper.jar: its manifest's Class-Path names netty-buffer, -common,
// -handler and -transport but not netty-resolver (Bootstrap.connect
// needs io.netty.resolver.AddressResolverGroup) nor netty-codec
// (SslHandler is an io.netty.handler.codec.ByteToMessageDecoder), so
// zkCli.sh over TLS fails with NoClassDefFoundError without them. Both
// come with libnetty-java, which libzookeeper-java depends on.
var zkCliNettyJars = []string{"/usr/share/java/netty-resolver.jar", "/usr/share/java/netty-codec.jar"}

// zkCliLogJar is slf4j-simple (from libslf4j-java, another dependency of
// libzookeeper-java): set to warnings and errors, it puts the client's
// reason for a failed connection on stderr, which slf4j's default no-op
// logger would drop.
const zkCliLogJar = "/usr/share/java/slf4j-simple.jar"

// zkCliTLS runs zkCli.sh over TLS. zkEnv.sh sets CLASSPATH itself, so a
// -cp in CLIENT_JVMFLAGS, which zkCli.sh passes after its own -cp (the
// java launcher keeps the last), is how the classpath is extended without
// editing system files.
type zkCliTLS struct {
	classpath string
	trust     string
}

func newZkCliTLS(t *testing.T, trustStore string) *zkCliTLS {
	t.Helper()
	if _, err := os.Stat(zkCliSh); err != nil {
		t.Skipf("no zkCli.sh (%v); .ci/run installs Debian's zookeeper", err)
	}
	// The java and the classpath zkCli.sh will use, as it reads them.
	out, err := exec.Command("bash", "-c", `. "$1" && printf '%s\n%s' "$JAVA" "$CLASSPATH"`, "zkenv", zkEnvSh).Output()
	java, classpath, _ := strings.Cut(string(out), "\n")
	if err != nil || classpath == "" {
		t.Fatalf("reading JAVA and CLASSPATH from %s: %v %q", zkEnvSh, err, out)
	}
	if _, err := exec.LookPath(java); err != nil {
		t.Skipf("no java for zkCli.sh (%v); .ci/run installs Debian's zookeeper, which brings it", err)
	}
	cp := append(append([]string{classpath}, zkCliNettyJars...), zkCliLogJar)
	return &zkCliTLS{classpath: strings.Join(cp, ":"), trust: trustStore}
}

// run runs one zkCli.sh command against addr with keyStore as the
// client's certificate, and returns stdout (the command's output) and
// stderr (the client's log) apart, and whether it exited 0.
func (z *zkCliTLS) run(t *testing.T, addr, keyStore string, args ...string) (stdout, stderr string, ok bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, zkCliSh, append([]string{"-server", addr}, args...)...)
	cmd.Env = append(os.Environ(), "CLIENT_JVMFLAGS="+strings.Join([]string{
		"-cp", z.classpath,
		"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
		"-Dzookeeper.client.secure=true",
		"-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
		"-Dzookeeper.ssl.keyStore.location=" + keyStore,
		"-Dzookeeper.ssl.keyStore.type=PEM",
		"-Dzookeeper.ssl.trustStore.location=" + z.trust,
		"-Dzookeeper.ssl.trustStore.type=PEM",
	}, " "))
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("zkCli.sh %v did not finish in time:\n%s\n%s", args, o.String(), e.String())
	}
	return o.String(), e.String(), err == nil
}

// TestZkCliOverTLS runs Apache ZooKeeper's own CLI, zkCli.sh from Debian's
// zookeeper 3.8, against a node's secureClientPort with
// ssl.clientAuth=need and PEM stores on both sides: with a certificate
// from the node's CA it creates a znode and a second run reads it back;
// with a certificate from another CA the handshake fails and nothing is
// written.
func TestZkCliOverTLS(t *testing.T) {
	e := testkit.Processes(t, 1, testkit.Options{Plain: true})
	zkCli := newZkCliTLS(t, filepath.Join(e.Dir(1), "ca.pem"))

	ca, rogue := testutil.NewCA(t, "paddock test CA"), testutil.NewCA(t, "rogue CA")
	files := map[string][]byte{
		"server.pem":   ca.Leaf(t, "node-1", testutil.ServerCert),
		"ca.pem":       ca.PEM,
		"app.pem":      ca.Leaf(t, "app", testutil.ClientCert),
		"intruder.pem": rogue.Leaf(t, "intruder", testutil.ClientCert),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(e.Dir(1), name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	securePort := testutil.FreePort(t)
	f, err := os.OpenFile(e.ConfigPath(1), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "secureClientPort=%d\nsecureClientPortAddress=127.0.0.1\nssl.keyStore.location=%s\nssl.keyStore.type=PEM\n"+
		"ssl.trustStore.location=%s\nssl.trustStore.type=PEM\nssl.clientAuth=need\n",
		securePort, filepath.Join(e.Dir(1), "server.pem"), filepath.Join(e.Dir(1), "ca.pem"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	e.Up(t, 1)
	e.WaitFor(t, "the node to serve", 20*time.Second, func() bool { return e.Mode(1) == "standalone" })
	addr := fmt.Sprintf("127.0.0.1:%d", securePort)
	// The secure port is up once a handshake with the good certificate
	// completes; a JVM is too slow to poll with.
	good, err := tls.X509KeyPair(files["app.pem"], files["app.pem"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.PEM)
	e.WaitFor(t, "a TLS handshake on the secure client port", 10*time.Second, func() bool {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr,
			&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{good}})
		if err != nil {
			return false
		}
		c.Close()
		return true
	})

	app, intruder := filepath.Join(e.Dir(1), "app.pem"), filepath.Join(e.Dir(1), "intruder.pem")
	// zkCli's create prints "Created" on stderr; get prints the data on
	// stdout.
	if out, log, ok := zkCli.run(t, addr, app, "create", "/x", "data"); !ok || !strings.Contains(log, "Created /x") {
		t.Fatalf("zkCli.sh create over TLS: ok=%v\nstdout:\n%s\nstderr:\n%s\n%s", ok, out, log, e.Logs())
	}
	if out, log, ok := zkCli.run(t, addr, app, "get", "/x"); !ok || !hasLine(out, "data") {
		t.Fatalf("zkCli.sh get over TLS: ok=%v\nstdout:\n%s\nstderr:\n%s\n%s", ok, out, log, e.Logs())
	}

	out, log, ok := zkCli.run(t, addr, intruder, "create", "/y", "intruder")
	if ok || strings.Contains(out+log, "Created") || strings.Contains(out, "SyncConnected") {
		t.Fatalf("zkCli.sh with another CA's certificate was served: ok=%v\nstdout:\n%s\nstderr:\n%s", ok, out, log)
	}
	// Refused at the handshake, not by a key the client could not load:
	// the latter would fail the same way without ever asking the node.
	if !strings.Contains(log, "SSLHandshakeException") || strings.Contains(log, "KeyManager") {
		t.Fatalf("zkCli.sh with another CA's certificate failed, but not at the TLS handshake:\nstdout:\n%s\nstderr:\n%s", out, log)
	}

	// What zkCli.sh wrote (and did not) is there for a plain client too.
	c, _, err := zk.Connect([]string{e.ClientAddr(1)}, 8*time.Second, zk.WithLogger(zkTestLogger{t}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if data, _, err := c.Get("/x"); err != nil || string(data) != "data" {
		t.Fatalf("/x on the plain port: %q %v", data, err)
	}
	if ok, _, err := c.Exists("/y"); err != nil || ok {
		t.Fatalf("/y exists=%v (%v): the refused client wrote", ok, err)
	}
}

// hasLine reports whether s has a line equal to line.
func hasLine(s, line string) bool {
	for l := range strings.Lines(s) {
		if strings.TrimRight(l, "\r\n") == line {
			return true
		}
	}
	return false
}
