package gauntlet

import (
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/internal/crashpoint"
	"github.com/paddock-zk/paddock/internal/testkit"
)

var (
	flagCrashHits   = flag.Int("crash.hits", 20, "TestCrashPoints: crashes per point")
	flagCrashPoints = flag.String("crash.points", "all", "TestCrashPoints: comma-separated crash points")
)

func crashPoints(t *testing.T, s string) []string {
	if s == "" || s == "all" {
		return nil // RunCrash's default: every point and PowerLossAll
	}
	ps := strings.Split(s, ",")
	for _, p := range ps {
		if p == PowerLossAll {
			continue
		}
		if err := crashpoint.Arm(p); err != nil {
			t.Fatal(err)
		}
	}
	crashpoint.Arm("")
	return ps
}

func crashSeed() int64 {
	if *flagSeed != 0 {
		return *flagSeed
	}
	return time.Now().UnixNano() % 1_000_000
}

// The gate of the default suite: every crash point hit once on real node
// processes whose storage drops what was not fsynced; no acknowledged
// write may be lost and the replicas must agree afterwards.
func TestCrashPointsGate(t *testing.T) {
	if testing.Short() {
		t.Skip("real node processes; skipped with -short")
	}
	runCrash(t, 1, nil)
}

// The campaign's check is not vacuous: a write it believes acknowledged
// but that no node has is reported lost.
func TestCrashCampaignCatchesLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("real node processes; skipped with -short")
	}
	res, err := RunCrash(CrashConfig{Bin: testkit.NodeBin(t), Seed: crashSeed(), Points: []string{crashpoint.WALAfterFsync},
		Logf: t.Logf, fakeAck: []string{"never-written"}})
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(res.Dir)
	if p := res.Points[0]; p.Lost != 1 || !res.Failed() {
		t.Fatalf("a lost write went unnoticed:\n%s", res.Table())
	}
}

// TestCrashPoints is `task gauntlet:crash`: every point (or -crash.points)
// hit -crash.hits times.
func TestCrashPoints(t *testing.T) {
	if !strings.Contains(flag.Lookup("test.run").Value.String(), "TestCrashPoints$") {
		t.Skip("run explicitly: task gauntlet:crash")
	}
	runCrash(t, *flagCrashHits, crashPoints(t, *flagCrashPoints))
}

func runCrash(t *testing.T, hits int, points []string) {
	seed := crashSeed()
	res, err := RunCrash(CrashConfig{Bin: testkit.NodeBin(t), Seed: seed, Hits: hits, Points: points, Dir: *flagDir, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("crash points, seed %d:\n%s", seed, res.Table())
	if res.Failed() {
		for _, p := range res.Points {
			for _, f := range p.Failures {
				t.Errorf("%s: %s", p.Point, f)
			}
			if p.Lost > 0 {
				t.Errorf("%s: %d acknowledged writes lost", p.Point, p.Lost)
			}
		}
		t.Fatalf("seed %d: kept in %s", seed, res.Dir)
	}
	if short := res.Short(hits); len(short) > 0 {
		t.Fatalf("seed %d: points not hit often enough:\n%s", seed, strings.Join(short, "\n"))
	}
}
