package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/internal/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

func TestPercentile(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		var out []time.Duration
		for _, x := range xs {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tt := range []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 0.5, 0},
		{ms(7), 0.999, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{ms(1, 2, 3, 4), 0, 1 * time.Millisecond},
		{ms(1, 2, 3, 4), 1, 4 * time.Millisecond},
		{ms(hundred...), 0.99, 99 * time.Millisecond},
		{ms(hundred...), 0.999, 100 * time.Millisecond},
		{ms(hundred...), 0.5, 50 * time.Millisecond},
	} {
		if got := percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("percentile(%d samples, %v) = %v, want %v", len(tt.sorted), tt.p, got, tt.want)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := append([]float64(nil), tt.xs...)
		if got := median(tt.xs); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.xs, got, tt.want)
		}
		for i := range in {
			if in[i] != tt.xs[i] {
				t.Errorf("median reordered its input: %v", tt.xs)
			}
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is not NaN")
	}
}

func TestParseSrvr(t *testing.T) {
	// ZooKeeper 3.8.0's answer, as Debian's package gives it.
	const zk = `Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC
Latency min/avg/max: 0/0.4813/29
Received: 6210
Sent: 6209
Connections: 12
Outstanding: 0
Zxid: 0x100000b2e
Mode: follower
Node count: 40
`
	kv := parseSrvr(zk)
	for k, want := range map[string]string{
		"Mode": "follower", "Zxid": "0x100000b2e", "Node count": "40",
		"Zookeeper version": "3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC",
	} {
		if kv[k] != want {
			t.Errorf("%s = %q, want %q", k, kv[k], want)
		}
	}
	if m := parseSrvr("This ZooKeeper instance is not currently serving requests\n")["Mode"]; m != "" {
		t.Errorf("a node not serving has Mode %q", m)
	}
}

func TestParseStatCPU(t *testing.T) {
	// A command name with a space and a parenthesis, utime 250 and stime
	// 50 ticks: 3 s.
	stat := "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 30 0 100 1000 200"
	got, err := parseStatCPU(stat)
	if err != nil || got != 3*time.Second {
		t.Errorf("parseStatCPU = %v, %v; want 3s", got, err)
	}
	if _, err := parseStatCPU("4242 (java) S 1 2 3"); err == nil {
		t.Error("short stat line: no error")
	}
	if _, err := parseStatCPU("4242 java S"); err == nil {
		t.Error("no command name: no error")
	}
	if _, err := parseStatCPU("4242 (j) S 1 4242 4242 0 -1 4194560 100 0 0 0 x 50 0 0"); err == nil {
		t.Error("bad utime: no error")
	}
}

func TestParseVmRSS(t *testing.T) {
	got, err := parseVMRSS("Name:\tjava\nVmPeak:\t 7000000 kB\nVmRSS:\t  297012 kB\nRssAnon:\t 1 kB\n")
	if err != nil || got != 297012*1024 {
		t.Errorf("parseVMRSS = %d, %v; want %d", got, err, 297012*1024)
	}
	if _, err := parseVMRSS("Name:\tkthreadd\nState:\tS\n"); err == nil {
		t.Error("no VmRSS line: no error")
	}
	if _, err := parseVMRSS("VmRSS:\t12 MB\n"); err == nil {
		t.Error("VmRSS in MB: no error")
	}
}

func TestParseOnly(t *testing.T) {
	all, err := parseOnly("all")
	if err != nil || len(all) != len(parts) {
		t.Errorf("all: %v, %v", all, err)
	}
	some, err := parseOnly("setData, failover")
	if err != nil || len(some) != 2 || !some["setData"] || !some["failover"] {
		t.Errorf("setData,failover: %v, %v", some, err)
	}
	if _, err := parseOnly("setdata"); err == nil || !strings.Contains(err.Error(), "setdata") {
		t.Errorf("unknown part: %v", err)
	}
}

func TestFormatting(t *testing.T) {
	for _, tt := range []struct {
		got, want string
	}{
		{thousands(0), "0"},
		{thousands(999.5), "1,000"},
		{thousands(1234567), "1,234,567"},
		{thousands(-4200), "-4,200"},
		{thousands(math.NaN()), "–"},
		{short(0.4321), "0.43"},
		{short(12.345), "12.3"},
		{short(1234.5), "1,235"},
		{ratio(3, 2), "1.50×"},
		{ratio(25, 2), "12.5×"},
		{ratio(1, 0), "–"},
		{ratio(math.NaN(), 1), "–"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestMarkdownTable(t *testing.T) {
	rows := []row{
		{figure: "setData/s", paddock: "2,000/s", zk: "1,000/s", pv: 2000, zv: 1000, higherBetter: true},
		{figure: "p99, ms", paddock: "10.0", zk: "30.0", pv: 10, zv: 30},
		{figure: "a|b", paddock: "1", zk: "", pv: 1, zv: math.NaN()},
	}
	want := "| figure | Paddock | ZooKeeper | Paddock's advantage |\n" +
		"| --- | --- | --- | --- |\n" +
		"| setData/s | 2,000/s | 1,000/s | 2.00× |\n" +
		"| p99, ms | 10.0 | 30.0 | 3.00× |\n" +
		"| a\\|b | 1 | – | – |\n"
	if got := markdown(rows); got != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", got, want)
	}
}

// TestReportRows checks which direction each figure's advantage takes
// and that medians are taken over the runs.
func TestReportRows(t *testing.T) {
	r := &report{opts: options{sessions: 32, trials: 3, znodes: 200_000, populateConns: 1, populateDepth: 1}, fsync: 1000}
	r.runs = map[string]map[string][]loadResult{"setData": {
		paddockName: {{opsPerSec: 3000, p50: 2 * time.Millisecond, cpuPerOp: 300}, {opsPerSec: 1000, p50: 4 * time.Millisecond, cpuPerOp: math.NaN()},
			{opsPerSec: 2000, p50: 3 * time.Millisecond, cpuPerOp: 500}},
		zookeeperName: {{opsPerSec: 1000, p50: 6 * time.Millisecond, cpuPerOp: 1200}},
	}}
	r.failover = map[string][]time.Duration{paddockName: {100 * time.Millisecond, 300 * time.Millisecond, 200 * time.Millisecond}}
	r.cold = map[string]coldResult{
		paddockName:   {populate: 10 * time.Second, start: time.Second, marks: []rssMark{{100_000, []int64{10 << 20, 20 << 20, 30 << 20}}, {200_000, []int64{40 << 20, 40 << 20, 40 << 20}}}},
		zookeeperName: {populate: 20 * time.Second, start: 4 * time.Second, marks: []rssMark{{100_000, []int64{100 << 20, 100 << 20, 100 << 20}}, {200_000, []int64{200 << 20, 200 << 20, 200 << 20}}}},
	}
	rows := r.rows()
	find := func(prefix string) row {
		t.Helper()
		for _, rw := range rows {
			if strings.HasPrefix(rw.figure, prefix) {
				return rw
			}
		}
		t.Fatalf("no row %q in %v", prefix, rows)
		return row{}
	}
	if rw := find("setData, 32 sessions"); rw.paddock != "2,000/s (2.00× fsync)" || rw.advantage() != "2.00×" {
		t.Errorf("setData row %+v, advantage %s", rw, rw.advantage())
	}
	if rw := find("setData latency p50"); rw.paddock != "3.00" || rw.advantage() != "2.00×" {
		t.Errorf("p50 row %+v, advantage %s", rw, rw.advantage())
	}
	// The run whose CPU could not be read is left out of the median.
	if rw := find("setData: CPU of the three servers"); rw.paddock != "400" || rw.zk != "1,200" || rw.advantage() != "3.00×" {
		t.Errorf("CPU row %+v, advantage %s", rw, rw.advantage())
	}
	if rw := find("kill -9"); rw.paddock != "200 (100–300)" || rw.zk != "" || rw.advantage() != "–" {
		t.Errorf("failover row %+v", rw)
	}
	if rw := find("RSS per node at 100,000"); rw.paddock != "20 (10–30)" || rw.advantage() != "5.00×" {
		t.Errorf("RSS row %+v, advantage %s", rw, rw.advantage())
	}
	if rw := find("cold start"); rw.advantage() != "4.00×" {
		t.Errorf("cold start row %+v, advantage %s", rw, rw.advantage())
	}
	if rw := find("populate"); rw.paddock != "20,000/s" || rw.advantage() != "2.00×" {
		t.Errorf("populate row %+v, advantage %s", rw, rw.advantage())
	}
}

func TestFsyncCeiling(t *testing.T) {
	dir := t.TempDir()
	rate, err := fsyncCeiling(dir, 50*time.Millisecond)
	if err != nil || rate <= 0 {
		t.Fatalf("fsyncCeiling = %v, %v", rate, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("fsyncCeiling left %v behind", left)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-d", "3s", "-only", "setData,coldstart", "-systems", "paddock"})
	if err != nil {
		t.Fatal(err)
	}
	if o.d != 3*time.Second || !o.only["setData"] || o.only["failover"] || !o.systems["paddock"] || o.systems["zookeeper"] {
		t.Errorf("parsed %+v", o)
	}
	for _, bad := range [][]string{{"-repeats", "0"}, {"-systems", "etcd"}, {"-only", "everything"}, {"extra"}} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// TestSmoke runs every part against Paddock alone at a tiny size: the
// harness's plumbing end to end, not its figures (no timing is checked).
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes; skipped with -short")
	}
	bin := testkit.NodeBin(t)
	o, err := parseFlags([]string{"-bin", bin, "-systems", "paddock", "-d", "300ms", "-warmup", "400ms",
		"-repeats", "1", "-trials", "1", "-znodes", "300", "-sessions", "6", "-populate-conns", "2", "-populate-depth", "4",
		"-dir", t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, o, out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| setData, 6 sessions", "| mix latency p999", "| kill -9 of the leader", "| cold start with 300 znodes", "fsync ceiling"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q:\n%s", want, b)
		}
	}
	if left, _ := os.ReadDir(o.dir); len(left) != 0 {
		t.Errorf("the run left %v in its directory", left)
	}

	// A part on its own must set up what it needs (the failover writer's
	// znode is otherwise created by the load).
	o.only = map[string]bool{"failover": true}
	if err := run(ctx, o, out); err != nil {
		t.Fatalf("-only failover: %v", err)
	}
}
