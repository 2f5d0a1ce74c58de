// Package testutil holds the small helpers shared by Paddock's tests: free
// ports, a goroutine-safe buffer, certificates, Apache ZooKeeper for
// differential tests. Ensembles are internal/testkit's. Nothing but
// _test.go files, internal/testkit, internal/gauntlet and the benchmark
// harness cmd/zkcompare imports it.
package testutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Ports are handed out below the kernel's ephemeral range (32768–60999 on
// Linux): a port from there that a test closes and binds again a moment
// later can meanwhile become the source port of any outgoing connection
// (NATS routes and clients make many), or the answer to another test
// process's bind to :0. Each test process starts at a random place in the
// range and never hands out a port twice.
const (
	portLow  = 10000
	portHigh = 20000
)

var ports struct {
	sync.Mutex
	next   int
	issued map[int]bool
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. The
// caller binds it soon after; a rare collision shows up as a bind error.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := Port()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Port is FreePort for code outside a test (the gauntlet): an error when
// the range is used up.
func Port() (int, error) {
	ports.Lock()
	defer ports.Unlock()
	if ports.issued == nil {
		ports.issued = map[int]bool{}
		// Spread concurrent test processes (one per package) apart.
		r := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(os.Getppid())))
		ports.next = portLow + r.IntN(portHigh-portLow)
	}
	for range portHigh - portLow {
		p := ports.next
		ports.next++
		if ports.next >= portHigh {
			ports.next = portLow
		}
		if ports.issued[p] {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue // taken
		}
		ln.Close()
		ports.issued[p] = true
		return p, nil
	}
	return 0, errors.New("testutil: no free port below the ephemeral range")
}

// SyncBuffer is a bytes.Buffer that may be written by one goroutine (a
// process's output, a logger, a shell's event printer) while the test
// reads it from another.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// DataKind names a znode's data for comparisons that must tell null from
// zero-length: "null", "empty", or the data itself.
func DataKind(b []byte) string {
	switch {
	case b == nil:
		return "null"
	case len(b) == 0:
		return "empty"
	}
	return string(b)
}

// LogCounter is a slog.Handler, at every level, that counts the records
// whose message contains a substring: a test's evidence that something it
// cannot observe otherwise (a refused TLS handshake) has happened.
type LogCounter struct {
	substr string
	n      atomic.Int64
}

// NewLogCounter returns a logger that counts messages containing substr,
// and the counter.
func NewLogCounter(substr string) (*slog.Logger, *LogCounter) {
	c := &LogCounter{substr: substr}
	return slog.New(c), c
}

// Count is how many records matched so far.
func (c *LogCounter) Count() int64 { return c.n.Load() }

func (c *LogCounter) Enabled(context.Context, slog.Level) bool { return true }

func (c *LogCounter) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, c.substr) {
		c.n.Add(1)
	}
	return nil
}

func (c *LogCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *LogCounter) WithGroup(string) slog.Handler      { return c }

// SkipShort skips t under -short, saying why: the quick run (`go test
// -short ./...`, under a minute) keeps one or two ensembles per package
// and leaves the slow ones (ZooKeeper JVMs, mass expiry, disk faults) to
// the full run.
func SkipShort(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skip(why + "; skipped with -short")
	}
}
