package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/server"
	"github.com/paddock-zk/paddock/zkwire"
)

// TestCLIAndTraceOverBusTLS: with paddock.sslBus and client certificates
// required, `node cli -config` and `node trace --config` reach the bus
// with the node's own stores, `node cli -bus` with -tls-ca and -tls-cert,
// and not without them.
func TestCLIAndTraceOverBusTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testutil.NewCA(t, "paddock test CA")
	write := func(name string, data []byte) string { return testutil.WriteFile(t, filepath.Join(dir, name), data) }
	// The node's certificate serves clients and, for the tools that run
	// with its config, is their client certificate too.
	nodeKey, trust := write("node.pem", ca.Leaf(t, "node", testutil.PeerCert)), write("ca.pem", ca.PEM)
	appKey := write("app.pem", ca.Leaf(t, "app", testutil.ClientCert))
	busPort := testutil.FreePort(t)
	cfgPath := write("zoo.cfg", []byte(fmt.Sprintf("dataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\npaddock.busPort=%d\nadmin.enableServer=false\n"+
		"paddock.clientUsers=app:app-secret\npaddock.sslBus=true\nssl.keyStore.location=%s\nssl.trustStore.location=%s\nssl.clientAuth=need\n",
		filepath.Join(dir, "data"), testutil.FreePort(t), busPort, nodeKey, trust)))
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	n, err := server.Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	deadline := time.Now().Add(10 * time.Second)
	for n.Mode() != zkwire.ModeStandalone {
		if time.Now().After(deadline) {
			t.Fatal("the node never served")
		}
		time.Sleep(10 * time.Millisecond)
	}

	if out, code := nodeCmd(t, "cli", "-config", cfgPath, "create", "/tls", "data"); code != 0 || !strings.Contains(out, "Created /tls") {
		t.Fatalf("cli -config: exit %d\n%s", code, out)
	}
	bus := fmt.Sprintf("127.0.0.1:%d", busPort)
	if out, code := nodeCmd(t, "cli", "-bus", bus, "-user", "app", "-password", "app-secret", "-tls-ca", trust, "-tls-cert", appKey, "get", "/tls"); code != 0 || out != "data\n" {
		t.Fatalf("cli -bus with -tls-ca and -tls-cert: exit %d\n%s", code, out)
	}
	if out, code := nodeCmd(t, "cli", "-bus", bus, "-user", "app", "-password", "app-secret", "-tls-ca", trust, "get", "/tls"); code == 0 {
		t.Fatalf("cli -bus without a client certificate: exit 0\n%s", out)
	}
	if out, code := nodeCmd(t, "cli", "-bus", bus, "-user", "app", "-password", "app-secret", "get", "/tls"); code == 0 {
		t.Fatalf("cli -bus without TLS flags: exit 0\n%s", out)
	}

	trace := exec.Command(testkit.NodeBin(t), "trace", "--config", cfgPath, "--kind", "Request")
	traced, traceErr := &testutil.SyncBuffer{}, &testutil.SyncBuffer{}
	trace.Stdout, trace.Stderr = traced, traceErr
	if err := trace.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = trace.Process.Signal(os.Interrupt)
		_ = trace.Wait()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, []string{bus}, client.WithCredentials("app", "app-secret"),
		client.WithTLS(testutil.ClientTLS(t, ca.Leaf(t, "app", testutil.ClientCert), ca)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The trace shows requests once it has subscribed; ask until it does.
	for !strings.Contains(traced.String(), "Request") {
		if ctx.Err() != nil {
			t.Fatalf("the trace over TLS showed no request\nstdout: %s\nstderr: %s", traced.String(), traceErr.String())
		}
		if _, _, err := c.Get(ctx, "/tls"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
