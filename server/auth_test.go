package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testkit"
)

// The credentials testkit.Configs writes.
const (
	testPeerUser       = testkit.PeerUser
	testPeerPassword   = testkit.PeerPassword
	testClientUser     = testkit.ClientUser
	testClientPassword = testkit.ClientPassword
)

func TestClientsWithoutPeerCredentialRefused(t *testing.T) {
	dir := t.TempDir()
	text := "tickTime=200\ninitLimit=10\nsyncLimit=5\ndataDir=" + dir + "\nclientPort=1\npaddock.ensemble=t\n" +
		"server.1=127.0.0.1:1:2\nserver.2=127.0.0.1:3:4\nserver.3=127.0.0.1:5:6\n"
	if err := os.WriteFile(filepath.Join(dir, "myid"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ extra, want string }{
		{"paddock.allowAnonymousClients=true\n", "native clients on a multi-server ensemble need paddock.peerUser"},
		{"paddock.clientUsers=a:b\n", "need paddock.peerUser and paddock.peerPassword as well"},
	} {
		path := filepath.Join(dir, "zoo.cfg")
		if err := os.WriteFile(path, []byte(text+tt.extra), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		n, err := Start(cfg, nil)
		if err == nil {
			n.Close()
			t.Fatalf("started with\n%s", tt.extra)
		}
		if !errors.Is(err, config.ErrOpenBus) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
			t.Fatalf("error %q, want ErrOpenBus naming %s and containing %q", err, path, tt.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "paddock.pid")); err == nil {
			t.Fatal("a refused node left a pid file")
		}
	}
}

func TestClientCredentialsEndToEnd(t *testing.T) {
	nodes := testkit.StartAll(t, testkit.Configs(t, 3, ""), startNode)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, []string{nodes[0].BusURL()}, client.WithCredentials(testClientUser, testClientPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Create(ctx, "/creds", []byte("x"), 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Connect(ctx, []string{nodes[1].BusURL()}, client.WithCredentials(testClientUser, "wrong")); err == nil {
		t.Fatal("a wrong client password connected")
	}
}
