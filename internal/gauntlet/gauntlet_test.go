package gauntlet

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/paddock-zk/paddock/internal/linz"
	"github.com/paddock-zk/paddock/internal/testkit"
)

var (
	flagRuns     = flag.Int("gauntlet.runs", 10, "TestGauntletLong: how many histories")
	flagDuration = flag.Duration("gauntlet.duration", 60*time.Second, "TestGauntletLong: how long faults are injected in each history")
	flagSeed     = flag.Int64("gauntlet.seed", 0, "TestGauntletLong: the first history's seed (0: from the clock); history i uses seed+i")
	flagFaults   = flag.String("gauntlet.faults", "all", "TestGauntletLong: comma-separated fault kinds")
	flagDir      = flag.String("gauntlet.dir", "", "where failing runs are kept (default: the system temp dir)")
	flagDouble   = flag.Float64("gauntlet.double", 0.25, "the share of faults overlapped by a second fault (0: one at a time)")
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

func TestParseFaults(t *testing.T) {
	if fs, err := ParseFaults("all"); err != nil || len(fs) != len(AllFaults) {
		t.Fatalf("all: %v %v", fs, err)
	}
	if fs, err := ParseFaults("kill-leader,partition-bridge"); err != nil || len(fs) != 2 || fs[1] != PartitionBridge {
		t.Fatalf("two kinds: %v %v", fs, err)
	}
	if _, err := ParseFaults("kill-leader,meteor"); err == nil {
		t.Fatal("an unknown fault kind was accepted")
	}
}

// The gate run of the default suite: one short history with a leader kill,
// a partition of the leader and a pause past the session timeout (their
// order drawn from the seed, and at -gauntlet.double a second fault over
// some of them), checked by every validator (linearizability, sessions,
// watches, replica digests, progress after healing); any anomaly fails
// it, and the run's directory is kept and named.
func TestGauntletGate(t *testing.T) {
	if testing.Short() {
		t.Skip("real node processes under faults; skipped with -short")
	}
	seed := *flagSeed
	if seed == 0 {
		seed = time.Now().UnixNano() % 1_000_000
	}
	res, err := Run(Config{Bin: testkit.NodeBin(t), Seed: seed, Duration: 20 * time.Second, Dir: *flagDir, Double: *flagDouble,
		Faults: []Fault{KillLeader, PartitionLeader, PauseRandom}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.Failed() {
		t.Fatalf("seed %d: %d anomalies (kept in %s):\n%v", seed, len(res.Anomalies), res.Dir, res.Anomalies)
	}
	if res.Ops < 100 {
		t.Fatalf("only %d operations: the workload made no progress", res.Ops)
	}
}

// A failing history keeps its evidence: a read of a value never written
// makes it non-linearizable, and its directory must hold the seed, the
// timeline, the anomalies, the history, porcupine's visualisation and the
// nodes' data dirs and logs.
func TestGauntletKeepsFailingRun(t *testing.T) {
	if testing.Short() {
		t.Skip("real node processes; skipped with -short")
	}
	res, err := Run(Config{Bin: testkit.NodeBin(t), Seed: 7, Duration: time.Second, Dir: t.TempDir(), Faults: []Fault{KillRandom}, Logf: t.Logf,
		tamper: func(h *linz.History) {
			call := h.Begin()
			h.Done(99, call, linz.Input{Kind: linz.Read, Key: "/gauntlet-reg-0"}, linz.Output{Value: "never written", Version: 1})
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Failed() || res.Linz != porcupine.Illegal {
		t.Fatalf("a spoiled history passed: %s", res)
	}
	for _, f := range []string{"seed", "timeline.txt", "anomalies.txt", "history.txt", "history.html", "ensemble/node1/node.log", "ensemble/node1/data/myid", "ensemble/clients.log"} {
		if _, err := os.Stat(filepath.Join(res.Dir, f)); err != nil {
			t.Errorf("the failing run's directory lacks %s: %v", f, err)
		}
	}
}

// The long run behind `task gauntlet`: -gauntlet.runs histories of
// -gauntlet.duration each over every fault kind. It goes on after a failing
// history and reports them all at the end.
func TestGauntletLong(t *testing.T) {
	if testing.Short() {
		t.Skip("long gauntlet; skipped with -short")
	}
	if !strings.Contains(flag.Lookup("test.run").Value.String(), "GauntletLong") {
		t.Skip("run with -run TestGauntletLong (task gauntlet)")
	}
	faults, err := ParseFaults(*flagFaults)
	if err != nil {
		t.Fatal(err)
	}
	seed := *flagSeed
	if seed == 0 {
		seed = time.Now().UnixNano() % 1_000_000
	}
	var ops, unknown, sessions, expired, regExpired, anomalies, watchEvents, overlaps int
	injected := map[Fault]int{}
	var failed []string
	for i := 0; i < *flagRuns; i++ {
		res, err := Run(Config{Bin: testkit.NodeBin(t), Seed: seed + int64(i), Duration: *flagDuration, Faults: faults, Dir: *flagDir, Double: *flagDouble, Logf: t.Logf})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("gauntlet history %d/%d: %s\n", i+1, *flagRuns, res)
		ops += res.Ops
		unknown += res.Unknown
		sessions += res.Sessions
		expired += res.Expired
		regExpired += res.RegExpired
		anomalies += len(res.Anomalies)
		watchEvents += res.Watch.Events
		overlaps += res.Overlaps
		for f, n := range res.Faults {
			injected[f] += n
		}
		if res.Failed() {
			failed = append(failed, fmt.Sprintf("seed %d (%s): %v", res.Seed, res.Dir, res.Anomalies))
		}
	}
	summary := fmt.Sprintf("gauntlet: %d histories (seeds %d..%d, %s each), %d register operations (%d unknown), %d sessions (%d expired; %d register sessions expired), %d watch events, faults %v (%d overlapping), %d anomalies",
		*flagRuns, seed, seed+int64(*flagRuns)-1, *flagDuration, ops, unknown, sessions, expired, regExpired, watchEvents, injected, overlaps, anomalies)
	fmt.Println(summary)
	t.Log(summary)
	for _, f := range failed {
		t.Errorf("FAILED %s", f)
	}
}
