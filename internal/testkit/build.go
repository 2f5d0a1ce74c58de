package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// BuildNode builds the node binary into dir and returns its path.
func BuildNode(dir string) (string, error) {
	bin := filepath.Join(dir, "node")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/paddock-zk/paddock/cmd/node")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("testkit: building node: %v\n%s", err, out)
	}
	return bin, nil
}

// The node binary of this test binary: built by the first test that asks,
// so a -short run that starts no process builds nothing, and removed by
// Main.
var nodeBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// NodeBin returns the node binary, building it on first use.
func NodeBin(t testing.TB) string {
	t.Helper()
	nodeBin.once.Do(func() {
		nodeBin.dir, nodeBin.err = os.MkdirTemp("", "paddock-node-bin")
		if nodeBin.err == nil {
			nodeBin.path, nodeBin.err = BuildNode(nodeBin.dir)
		}
	})
	if nodeBin.err != nil {
		t.Fatal(nodeBin.err)
	}
	return nodeBin.path
}

// Main runs the tests and removes the node binary NodeBin built; a
// package whose tests start nodes calls it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	if nodeBin.dir != "" {
		_ = os.RemoveAll(nodeBin.dir)
	}
	return code
}
