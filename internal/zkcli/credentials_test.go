package zkcli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
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
		got != (Credentials{"alice", "pw"}) {
		t.Fatalf("flags: code %d credentials %+v", code, got)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	text := "dataDir=" + dir + "\nclientPort=2181\npaddock.busPort=12345\npaddock.clientUsers=bob:b1,carol:c1\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := Main(context.Background(), []string{"-config", cfg, "get", "/a"}, nil, io.Discard, io.Discard, dial); code != 0 ||
		got != (Credentials{"bob", "b1"}) || len(gotServers) != 1 || gotServers[0] != "127.0.0.1:12345" {
		t.Fatalf("-config: code %d credentials %+v servers %v", code, got, gotServers)
	}
	if code := Main(context.Background(), []string{"-config", cfg, "-bus", "h:2", "-user", "carol", "-password", "c1", "get", "/a"}, nil, io.Discard, io.Discard, dial); code != 0 ||
		got != (Credentials{"carol", "c1"}) || gotServers[0] != "h:2" {
		t.Fatalf("-config with flags: code %d credentials %+v servers %v", code, got, gotServers)
	}
	if code := Main(context.Background(), []string{"-config", filepath.Join(dir, "nope.cfg"), "get", "/a"}, nil, io.Discard, io.Discard, dial); code != 2 {
		t.Fatalf("missing config: code %d", code)
	}
}
