package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zkwire"
)

func standalone(t *testing.T, dir string) *config.Config {
	text := fmt.Sprintf("dataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\npaddock.busPort=%d\nadmin.enableServer=false\n4lw.commands.whitelist=srvr,ruok\n",
		filepath.Join(dir, "data"), testutil.FreePort(t), testutil.FreePort(t))
	c, err := config.Parse(strings.NewReader(text), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStandaloneNodeServesAndLocksItsDataDir(t *testing.T) {
	dir := t.TempDir()
	cfg := standalone(t, dir)
	n, err := Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	deadline := time.Now().Add(10 * time.Second)
	for n.Mode() != zkwire.ModeStandalone {
		if time.Now().After(deadline) {
			t.Fatalf("standalone node mode %q", n.Mode())
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	mode, running, ok, err := AskMode(ctx, n.ClientAddr())
	if err != nil || !running || !ok || mode != zkwire.ModeStandalone {
		t.Fatalf("srvr: mode %q running %v ok %v err %v", mode, running, ok, err)
	}
	if st := n.VoterStatus(); st.Epoch != 1 {
		t.Fatalf("first epoch %d, want 1", st.Epoch)
	}

	// A second node on the same data directory is refused.
	other := standalone(t, dir)
	if _, err := Start(other, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("second node on one data dir: %v, want ErrLocked", err)
	}
	n.Close()

	// Restarted, it leads a new epoch above the one it accepted before.
	n2, err := Start(standalone(t, dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	for n2.VoterStatus().Epoch != 2 {
		if time.Now().After(deadline.Add(10 * time.Second)) {
			t.Fatalf("restarted node epoch %d, want 2", n2.VoterStatus().Epoch)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A standalone node without a peer password keys session passwords with a
// random secret of its own, kept (0600) across restarts; a damaged key file
// is an error, never silently replaced (its sessions would all expire).
func TestStandaloneSessionKey(t *testing.T) {
	dir := t.TempDir()
	cfg := standalone(t, dir)
	if cfg.PeerPassword != "" {
		t.Fatalf("standalone config has a peer password")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil { // as Start does
		t.Fatal(err)
	}
	k1, err := sessionSecret(cfg)
	if err != nil || len(k1) != 32 {
		t.Fatalf("key %x, %v", k1, err)
	}
	path := filepath.Join(cfg.DataDir, "paddock.sessionkey")
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", st, err)
	}
	k2, err := sessionSecret(cfg)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second start: key %x, %v; want %x", k2, err, k1)
	}
	cfg2 := standalone(t, t.TempDir())
	if err := os.MkdirAll(cfg2.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if other, err := sessionSecret(cfg2); err != nil || bytes.Equal(other, k1) {
		t.Fatal("two nodes made the same key")
	}
	if err := os.WriteFile(path, []byte("not hex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sessionSecret(cfg); err == nil || !strings.Contains(err.Error(), "paddock.sessionkey") {
		t.Fatalf("damaged key file: %v, want an error naming it", err)
	}
}
