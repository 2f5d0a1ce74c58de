package testkit

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testutil"
)

// The credentials Configs writes: every node's peer credential and
// one client user; anonymous clients are allowed too (fenced like one).
const (
	PeerUser       = "peer"
	PeerPassword   = "peer-secret"
	ClientUser     = "app"
	ClientPassword = "app-secret"
)

// Configs writes an n-node ensemble on free loopback ports in a
// temporary directory (tickTime 200 ms, the credentials above, srvr
// allowed, each AdminServer on a port the system picks, extra appended
// to every zoo.cfg) and returns the loaded configs in id order, for
// in-process nodes.
func Configs(t testing.TB, n int, extra string) []*config.Config {
	t.Helper()
	return ConfigsEach(t, n, func(int) string { return extra })
}

// ConfigsEach is Configs with lines of node id's own
// (its key store, say) from extra(id).
func ConfigsEach(t testing.TB, n int, extra func(id int) string) []*config.Config {
	t.Helper()
	dir := t.TempDir()
	var servers strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&servers, "server.%d=127.0.0.1:%d:%d\n", i, testutil.FreePort(t), testutil.FreePort(t))
	}
	cfgs := make([]*config.Config, n)
	for i := 1; i <= n; i++ {
		data := filepath.Join(dir, fmt.Sprint(i))
		if err := os.MkdirAll(data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, "myid"), []byte(fmt.Sprintln(i)), 0o644); err != nil {
			t.Fatal(err)
		}
		text := fmt.Sprintf("tickTime=200\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\npaddock.ensemble=t\n4lw.commands.whitelist=srvr\nadmin.serverPort=0\n"+
			"paddock.peerUser=%s\npaddock.peerPassword=%s\npaddock.clientUsers=%s:%s\npaddock.allowAnonymousClients=true\n%s%s",
			data, testutil.FreePort(t), PeerUser, PeerPassword, ClientUser, ClientPassword, servers.String(), extra(i))
		path := filepath.Join(data, "zoo.cfg")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := config.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		cfgs[i-1] = c
	}
	return cfgs
}
