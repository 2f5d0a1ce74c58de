package server

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/zkwire"
)

// The four-letter words against live nodes: the figures come from the
// front end (cons, stat, srvr's counters), the store actor (wchs) and
// the replicated session table (dump, on a follower too).
func TestFourLetterWordsLive(t *testing.T) {
	cfgs := testkit.Configs(t, 3, "")
	for _, c := range cfgs {
		c.FourLetterWords = []string{"*"}
	}
	nodes := testkit.StartAll(t, cfgs, startNode)
	var follower *Node
	testkit.WaitFor(t, "a follower", 10*time.Second, func() bool {
		for _, n := range nodes {
			if n.Mode() == zkwire.ModeFollower {
				follower = n
				return true
			}
		}
		return false
	})
	addr := follower.ClientAddr()
	c := zkConnect(t, []string{addr})
	if _, err := c.Create("/w", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	eph, err := c.Create("/eph", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.GetW("/w"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ChildrenW("/"); err != nil {
		t.Fatal(err)
	}
	ask := func(w string) string {
		t.Helper()
		r, err := zkwire.Ask(t.Context(), addr, w)
		if err != nil {
			t.Fatalf("%s: %v", w, err)
		}
		return r
	}
	sid := fmt.Sprintf("sid=0x%x,", c.SessionID())
	if cons := ask("cons"); !strings.Contains(cons, sid) || !strings.Contains(cons, "lop=GETC") || !strings.Contains(cons, "[1](queued=0,recved=") {
		t.Errorf("cons: %q", cons)
	}
	if stat := ask("stat"); !strings.Contains(stat, "Clients:\n /127.0.0.1:") || !strings.Contains(stat, "Mode: follower\n") || strings.Contains(stat, "Received: 0\n") {
		t.Errorf("stat: %q", stat)
	}
	if srvr := ask("srvr"); strings.Contains(srvr, "Received: 0\n") || strings.Contains(srvr, "Sent: 0\n") || !strings.Contains(srvr, "Connections: 2\n") { // the client and the asking connection
		t.Errorf("srvr: %q", srvr)
	}
	// wchs, wchc and wchp show data watches only, as ZooKeeper's data
	// watch manager: the child watch on / is not among them.
	if w := ask("wchs"); w != "1 connections watching 1 paths\nTotal watches:1\n" {
		t.Errorf("wchs: %q", w)
	}
	if w, want := ask("wchc"), fmt.Sprintf("0x%x\n\t/w\n\n", c.SessionID()); w != want {
		t.Errorf("wchc: %q, want %q", w, want)
	}
	if w, want := ask("wchp"), fmt.Sprintf("/w\n\t0x%x\n\n", c.SessionID()); w != want {
		t.Errorf("wchp: %q, want %q", w, want)
	}
	if d := ask("dump"); !strings.Contains(d, fmt.Sprintf("0x%x:\n\t%s\n", c.SessionID(), eph)) || !strings.Contains(d, "Global Sessions(1):\n") {
		t.Errorf("dump: %q", d)
	}
	if e := ask("envi"); !strings.HasPrefix(e, "Environment:\nzookeeper.version="+Version+"\n") || !strings.Contains(e, "java.version=go") {
		t.Errorf("envi: %q", e)
	}
	if r := ask("ruok"); r != "imok" {
		t.Errorf("ruok: %q", r)
	}
	if m, _, ok, err := AskMode(t.Context(), addr); err != nil || !ok || m != zkwire.ModeFollower {
		t.Errorf("AskMode: %q %v %v", m, ok, err)
	}
	// The leader's proposals of its term, as srvr and mntr show them.
	for _, n := range nodes {
		if n.Mode() != zkwire.ModeLeader {
			continue
		}
		r, err := zkwire.Ask(t.Context(), n.ClientAddr(), "srvr")
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`\nProposal sizes last/min/max: (\d+)/(\d+)/(\d+)\n$`).FindStringSubmatch(r)
		if m == nil {
			t.Fatalf("leader srvr: %q", r)
		}
		last, lo, hi := atoi(t, m[1]), atoi(t, m[2]), atoi(t, m[3])
		if lo <= 0 || lo > last || last > hi {
			t.Errorf("leader's proposal sizes last/min/max %d/%d/%d", last, lo, hi)
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
