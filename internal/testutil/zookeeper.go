package testutil

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ZooKeeperJar is Debian's Apache ZooKeeper 3.8; it names its
// dependencies in its manifest's Class-Path.
const ZooKeeperJar = "/usr/share/java/zookeeper.jar"

// zookeeperJava finds java and the jar, or skips the test: .ci/run
// installs Debian's zookeeper, a developer's machine may not have it.
func zookeeperJava(t testing.TB) string {
	t.Helper()
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("differential test: no java on PATH (.ci/run installs Debian's zookeeper)")
	}
	if _, err := os.Stat(ZooKeeperJar); err != nil {
		t.Skipf("differential test: %s missing (.ci/run installs Debian's zookeeper)", ZooKeeperJar)
	}
	return java
}

// runZooKeeper starts one QuorumPeerMain on cfg in dir, killed when the
// test ends (its log's tail shown if the test failed).
func runZooKeeper(t testing.TB, java, dir, cfg string, jvm ...string) {
	t.Helper()
	cfgPath := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "zookeeper.log"))
	if err != nil {
		t.Fatal(err)
	}
	cp := ZooKeeperJar
	if _, err := os.Stat("/usr/share/java/slf4j-simple.jar"); err == nil {
		cp += ":/usr/share/java/slf4j-simple.jar" // a log instead of NOP
	}
	args := append(append([]string{"-XX:+UseSerialGC"}, jvm...), "-cp", cp,
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", cfgPath)
	cmd := exec.Command(java, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil && len(b) > 0 {
				if len(b) > 4000 {
					b = b[len(b)-4000:]
				}
				t.Logf("zookeeper log tail (%s):\n%s", dir, b)
			}
		}
	})
}

// StartZooKeeper runs a standalone Apache ZooKeeper on 127.0.0.1 in a
// temporary directory (every four-letter word allowed, TTL nodes on, the
// container reaper every 100 ms) and returns its client address once it
// answers ruok; props are extra -Dkey=value flags.
func StartZooKeeper(t testing.TB, props ...string) string {
	t.Helper()
	java := zookeeperJava(t)
	dir := t.TempDir()
	port := FreePort(t)
	cfg := fmt.Sprintf("tickTime=2000\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"+
		"admin.enableServer=false\n4lw.commands.whitelist=*\nextendedTypesEnabled=true\n",
		filepath.Join(dir, "data"), port)
	jvm := append([]string{"-Xmx256m", "-Dznode.container.checkIntervalMs=100",
		"-Dznode.container.maxNeverUsedIntervalMs=0"}, props...)
	runZooKeeper(t, java, dir, cfg, jvm...)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitZooKeeper(t, "Apache ZooKeeper answering ruok", 30*time.Second, func() bool {
		return FourLetter(addr, "ruok") == "imok"
	})
	return addr
}

// StartZooKeeperEnsemble runs an n-node Apache ZooKeeper ensemble (static
// config, reconfigEnabled=false) on 127.0.0.1 and returns the client
// addresses once every node has a mode.
func StartZooKeeperEnsemble(t testing.TB, n int) []string {
	t.Helper()
	java := zookeeperJava(t)
	dir := t.TempDir()
	var servers strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&servers, "server.%d=127.0.0.1:%d:%d\n", i, FreePort(t), FreePort(t))
	}
	var addrs []string
	for i := 1; i <= n; i++ {
		d := filepath.Join(dir, fmt.Sprint(i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "myid"), []byte(fmt.Sprintln(i)), 0o644); err != nil {
			t.Fatal(err)
		}
		port := FreePort(t)
		cfg := fmt.Sprintf("tickTime=500\ninitLimit=20\nsyncLimit=10\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"+
			"admin.enableServer=false\n4lw.commands.whitelist=*\nreconfigEnabled=false\n%s", d, port, servers.String())
		runZooKeeper(t, java, d, cfg, "-Xmx96m", "-XX:TieredStopAtLevel=1")
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	waitZooKeeper(t, "the Apache ZooKeeper ensemble serving", 60*time.Second, func() bool {
		for _, a := range addrs {
			if !strings.Contains(FourLetter(a, "srvr"), "Mode: ") {
				return false
			}
		}
		return true
	})
	return addrs
}

// FourLetter sends word to addr and returns the whole answer ("" if
// nothing answers).
func FourLetter(addr, word string) string {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte(word)); err != nil {
		return ""
	}
	b, _ := io.ReadAll(c)
	return string(b)
}

func waitZooKeeper(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
