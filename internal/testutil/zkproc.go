package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// ZooKeeperProcess is a standalone Apache ZooKeeper whose lifecycle the
// test controls: it can be stopped (SIGTERM or kill -9) and started again
// on the same data directory.
type ZooKeeperProcess struct {
	t       testing.TB
	java    string
	dir     string
	Addr    string // client address, 127.0.0.1:port
	DataDir string // ZooKeeper's dataDir
	jvm     []string
	cmd     *exec.Cmd
	done    chan struct{}
	runs    int
}

// NewZooKeeperProcess prepares a standalone ZooKeeper in a temporary
// directory (TTL nodes on, every four-letter word allowed, cfg appended
// to its zoo.cfg, props as extra -D flags) without starting it; it skips
// the test when java or ZooKeeper's jar is missing.
func NewZooKeeperProcess(t testing.TB, cfg string, props ...string) *ZooKeeperProcess {
	t.Helper()
	z := &ZooKeeperProcess{t: t, java: zookeeperJava(t), dir: t.TempDir()}
	z.DataDir = filepath.Join(z.dir, "data")
	port := FreePort(t)
	z.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	text := fmt.Sprintf("tickTime=200\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"+
		"admin.enableServer=false\n4lw.commands.whitelist=*\nextendedTypesEnabled=true\n%s",
		z.DataDir, port, cfg)
	if err := os.WriteFile(filepath.Join(z.dir, "zoo.cfg"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	z.jvm = append([]string{"-XX:+UseSerialGC", "-Xmx256m", "-XX:TieredStopAtLevel=1"}, props...)
	t.Cleanup(func() { z.Stop(syscall.SIGKILL) })
	return z
}

// Start runs ZooKeeper and waits until it answers ruok.
func (z *ZooKeeperProcess) Start() {
	z.t.Helper()
	if z.cmd != nil {
		z.t.Fatal("ZooKeeper is already running")
	}
	z.runs++
	logPath := filepath.Join(z.dir, fmt.Sprintf("zookeeper.%d.log", z.runs))
	logf, err := os.Create(logPath)
	if err != nil {
		z.t.Fatal(err)
	}
	cp := ZooKeeperJar
	if _, err := os.Stat("/usr/share/java/slf4j-simple.jar"); err == nil {
		cp += ":/usr/share/java/slf4j-simple.jar"
	}
	args := append(append([]string{}, z.jvm...), "-cp", cp,
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", filepath.Join(z.dir, "zoo.cfg"))
	cmd := exec.Command(z.java, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		z.t.Fatal(err)
	}
	z.cmd, z.done = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(z.done)
	}()
	z.t.Cleanup(func() {
		if z.t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil && len(b) > 0 {
				if len(b) > 4000 {
					b = b[len(b)-4000:]
				}
				z.t.Logf("zookeeper log tail (%s):\n%s", logPath, b)
			}
		}
	})
	waitZooKeeper(z.t, "Apache ZooKeeper answering ruok", 30*time.Second, func() bool {
		select {
		case <-z.done:
			z.t.Fatalf("ZooKeeper exited during start; see %s", logPath)
		default:
		}
		return FourLetter(z.Addr, "ruok") == "imok"
	})
}

// Stop sends sig (SIGTERM for a clean stop, SIGKILL for a crash) and
// waits for the process to exit. It does nothing if ZooKeeper is not
// running.
func (z *ZooKeeperProcess) Stop(sig syscall.Signal) {
	if z.cmd == nil {
		return
	}
	_ = z.cmd.Process.Signal(sig)
	select {
	case <-z.done:
	case <-time.After(30 * time.Second):
		_ = z.cmd.Process.Kill()
		<-z.done
	}
	z.cmd = nil
}
