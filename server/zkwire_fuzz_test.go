package server

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/hostile"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zkwire"
)

var (
	wireSeed   = flag.Int64("wire.seed", 0, "seed of TestWireMutatedFrames (0: from the clock; the test prints it)")
	wireFrames = flag.Int("wire.frames", 100000, "frames TestWireMutatedFrames sends")
)

func fuzzNodeConfig(t *testing.T) *config.Config {
	dir := t.TempDir()
	text := fmt.Sprintf("tickTime=500\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\npaddock.busPort=%d\nadmin.enableServer=false\n4lw.commands.whitelist=*\n",
		filepath.Join(dir, "data"), testutil.FreePort(t), testutil.FreePort(t))
	c, err := config.Parse(strings.NewReader(text), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The robustness acceptance: 100,000 mutated frames to a live node
// over many connections; the node does not crash, a well-behaved session
// that works all along sees every operation succeed and stay consistent,
// and afterwards the node serves a fresh client and its connection
// handlers are gone. Replay a failure with -wire.seed.
func TestWireMutatedFrames(t *testing.T) {
	seed := *wireSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (replay with -wire.seed=%d)", seed, seed)
	total := *wireFrames
	if testing.Short() {
		total = 10000
	}

	n, err := Start(fuzzNodeConfig(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	testkit.WaitFor(t, "the node serving", 20*time.Second, func() bool { return n.Mode() == zkwire.ModeStandalone })
	addr := n.ClientAddr()

	// The well-behaved client: versioned setData and getData, all along.
	good, _, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogger(quietLogger{t}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(good.Close)
	testkit.WaitFor(t, "the good session", 10*time.Second, func() bool { return good.State() == zk.StateHasSession })
	if _, err := good.Create("/good", []byte("0"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	sid := good.SessionID()
	before := runtime.NumGoroutine()

	stop := make(chan struct{})
	var goodOps atomic.Int64
	goodErr := make(chan error, 1)
	go func() {
		defer close(goodErr)
		version := int32(0)
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			val := []byte(fmt.Sprint(i))
			st, err := good.Set("/good", val, version)
			if err != nil || st.Version != version+1 {
				goodErr <- fmt.Errorf("op %d: set version %d: %+v %v", i, version, st, err)
				return
			}
			version = st.Version
			data, st, err := good.Get("/good")
			if err != nil || !bytes.Equal(data, val) || st.Version != version {
				goodErr <- fmt.Errorf("op %d: get: %q %+v %v, want %q version %d", i, data, st, err, val, version)
				return
			}
			if good.SessionID() != sid || good.State() != zk.StateHasSession {
				goodErr <- fmt.Errorf("op %d: the good session changed: %#x %v", i, good.SessionID(), good.State())
				return
			}
			goodOps.Add(2)
		}
	}()

	// The fuzzers: workers share the frame budget; each connection has its
	// own seed drawn from the test's, so a seed replays the same traffic
	// (the order across workers aside).
	const workers = 16
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	seeds := make(chan int64)
	var sent, conns atomic.Int64
	go func() {
		defer close(seeds)
		r := rand.New(rand.NewSource(seed))
		for sent.Load() < int64(total) {
			select {
			case seeds <- r.Int63():
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	var dialErrs atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range seeds {
				writes := hostile.NewFuzzer(s).Conn(1100)
				// Take the frames from the budget; the last connection
				// gets what is left.
				after := sent.Add(int64(len(writes)))
				if over := after - int64(total); over > 0 {
					if over >= int64(len(writes)) {
						sent.Add(-int64(len(writes)))
						return
					}
					sent.Add(-over)
					writes = writes[:int64(len(writes))-over]
				}
				// Each connection from an address of its own: the node's
				// bounds on connections per address are not what this
				// fuzzes.
				from := hostile.Loopback(2, int(conns.Add(1))%60000)
				if err := hostile.Send(hostile.Dialer{From: from}, addr, writes); err != nil {
					dialErrs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	gerr := <-goodErr
	elapsed := ctx.Err()
	t.Logf("%d frames over %d connections (%d dial errors); the good session did %d operations", sent.Load(), conns.Load(), dialErrs.Load(), goodOps.Load())
	if gerr != nil {
		t.Errorf("the well-behaved session: %v", gerr)
	}
	if elapsed != nil || sent.Load() < int64(total) {
		t.Errorf("only %d of %d frames within the time bound", sent.Load(), total)
	}
	if dialErrs.Load() > 0 {
		t.Errorf("%d connections refused", dialErrs.Load())
	}
	select {
	case err := <-n.Done():
		t.Fatalf("the node stopped: %v", err)
	default:
	}

	// Still serving: srvr, and a fresh client (under /good: the fuzzers
	// may well have set an ACL on the root that keeps it out).
	askCtx, askCancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer askCancel()
	if out, err := zkwire.Ask(askCtx, addr, "srvr"); err != nil || !strings.Contains(out, "Mode: standalone") {
		t.Fatalf("srvr after the fuzzing: %q %v", out, err)
	}
	fresh := zkConnect(t, []string{addr})
	if data, _, err := fresh.Get("/good"); err != nil || len(data) == 0 {
		t.Fatalf("a fresh client after the fuzzing: %q %v", data, err)
	}
	if _, err := fresh.Create("/good/fresh", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("a fresh client's write: %v", err)
	}
	fresh.Close()

	// No connection handler left behind.
	var now int
	deadline := time.Now().Add(20 * time.Second)
	for now = runtime.NumGoroutine(); now > before+5; now = runtime.NumGoroutine() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines, %d before the fuzzing:\n%s", now, before, buf)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("goroutines: %d before, %d after", before, now)
}
