package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/paddock-zk/paddock/internal/testkit"
)

// The first acceptance through the CLI: create through node 1,
// get through nodes 2 and 3 with equal Stat; errors in zkCli's words.
func TestCLIAgainstEnsemble(t *testing.T) {
	e := testkit.Processes(t, 3, testkit.Options{})
	e.UpSettled(t)
	server := func(id int) string { return e.BusAddr(id) }
	cli := func(id int, args ...string) (string, int) {
		return nodeCmd(t, append([]string{"cli", "-bus", server(id)}, args...)...)
	}
	if out, code := cli(1, "create", "/node-test01", "node-test01"); code != 0 || !strings.Contains(out, "Created /node-test01") {
		t.Fatalf("create: exit %d\n%s", code, out)
	}
	var stats []string
	for _, id := range e.IDs() {
		if out, code := cli(id, "sync", "/node-test01"); code != 0 {
			t.Fatalf("sync on node %d: exit %d\n%s", id, code, out)
		}
		out, code := cli(id, "get", "-s", "/node-test01")
		if code != 0 || !strings.HasPrefix(out, "node-test01\n") || !strings.Contains(out, "dataVersion = 0") {
			t.Fatalf("get -s on node %d: exit %d\n%s", id, code, out)
		}
		stats = append(stats, out)
	}
	if stats[0] != stats[1] || stats[0] != stats[2] {
		t.Fatalf("Stat differs between nodes:\n%s\n%s\n%s", stats[0], stats[1], stats[2])
	}
	if out, code := cli(2, "create", "/node-test01", "again"); code == 0 || !strings.Contains(out, "Node already exists: /node-test01") {
		t.Fatalf("second create: exit %d\n%s", code, out)
	}
	if out, code := cli(3, "get", "/b"); code == 0 || !strings.Contains(out, "Node does not exist: /b") {
		t.Fatalf("get missing: exit %d\n%s", code, out)
	}

	// The interactive shell, fed from a script.
	sh := exec.Command(testkit.NodeBin(t), "cli", "-bus", server(2))
	sh.Stdin = strings.NewReader("create /s\ncreate -s /s/n- a\ncreate -s /s/n- b\nls /s\nset -v 0 /s/n-0000000000 c\nset -v 0 /s/n-0000000000 d\ndelete /s\ndeleteall /s\nls /\nhistory\nquit\n")
	outb, err := sh.CombinedOutput()
	out := string(outb)
	if err != nil {
		t.Fatalf("shell: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Created /s/n-0000000000", "Created /s/n-0000000001",
		"[n-0000000000, n-0000000001]",
		"version No is not valid : /s/n-0000000000",
		"Node not empty: /s",
		"[node-test01, zookeeper]",
		"[zk: " + server(2) + "(CONNECTED) ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("shell output lacks %q:\n%s", want, out)
		}
	}
}

// `node cli -server` takes client ports, as zkCli.sh does: the ZooKeeper
// wire protocol, one-shot and through a piped shell; -bus still reaches
// the native client.
func TestCLIServerIsClientPort(t *testing.T) {
	e := testkit.Processes(t, 3, testkit.Options{})
	e.UpSettled(t)
	client := func(id int) string { return e.ClientAddr(id) }
	all := client(1) + "," + client(2) + "," + client(3)
	if out, code := nodeCmd(t, "cli", "-server", client(1), "create", "/x", "data"); code != 0 || !strings.Contains(out, "Created /x") {
		t.Fatalf("create: exit %d\n%s", code, out)
	}
	if out, code := nodeCmd(t, "cli", "-server", all, "get", "/x"); code != 0 || out != "data\n" {
		t.Fatalf("get: exit %d\n%q", code, out)
	}
	sh := exec.Command(testkit.NodeBin(t), "cli", "-server", client(2))
	sh.Stdin = strings.NewReader("create /y data2\nget /y\nwhoami\nquit\n")
	outb, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("shell: %v\n%s", err, outb)
	}
	for _, want := range []string{"Connecting to " + client(2), "Created /y", "data2\n", "Auth scheme: User\nip: 127.0.0.1\n", "[zk: " + client(2) + "(CONNECTED) 3] "} {
		if !strings.Contains(string(outb), want) {
			t.Errorf("shell output lacks %q:\n%s", want, outb)
		}
	}
	bus := e.BusAddr(3)
	if out, code := nodeCmd(t, "cli", "-bus", bus, "get", "/y"); code != 0 || out != "data2\n" {
		t.Fatalf("get over the bus: exit %d\n%q", code, out)
	}
	if out, code := nodeCmd(t, "cli", "-server", client(1), "-bus", bus, "ls", "/"); code != 2 || !strings.Contains(out, "exclude each other") {
		t.Fatalf("-server with -bus: exit %d\n%s", code, out)
	}
}
