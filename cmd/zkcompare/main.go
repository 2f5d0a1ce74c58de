// Command zkcompare measures Paddock and Apache ZooKeeper 3.8 side by side
// in one run on one machine, so their figures share its load and its
// disk: a real 3-node ensemble of each (the node binary through
// internal/testkit's process Ensemble; Debian's ZooKeeper jars run with
// java QuorumPeerMain as Debian's zkServer.sh would, forceSync on for
// both), driven over the ZooKeeper wire by the same go-zookeeper load.
//
// Parts (select with -only):
//
//	setData, create, getData, mix  32 sessions spread over the three nodes,
//	                               100-byte values; each run alternates
//	                               which system goes first per round;
//	                               medians of -repeats runs
//	failover                       kill -9 of the leader to the next
//	                               acknowledged write of a writer on a
//	                               survivor, -trials times per system
//	coldstart                      -znodes znodes populated, RSS per node at
//	                               100,000 and at -znodes, all three stopped
//	                               with SIGTERM and started again, timed to
//	                               every node serving a getData
//
// Beside them it measures the disk's fsync ceiling (one append of 100
// bytes and fdatasync per write, for 2 s, in the run's directory) and the
// load average. The result is a Markdown table on stdout, progress on
// stderr. Every process and the temporary directory are removed on exit
// or Ctrl-C; when a part fails, the data is removed but the nodes' logs
// are kept and their paths printed.
//
//	go build -o bin/node ./cmd/node
//	go run ./cmd/zkcompare -bin bin/node -d 3s -repeats 2 -trials 3 -znodes 100000
//
// scripts/bench-compare.sh (task bench:compare) installs ZooKeeper if
// missing, builds the node binary and runs this.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/paddock-zk/paddock/internal/testkit"
)

// parts are what -only selects from, in the order they run.
var parts = []string{"setData", "create", "getData", "mix", "failover", "coldstart"}

type options struct {
	bin           string
	d             time.Duration
	warmup        time.Duration
	repeats       int
	trials        int
	znodes        int
	sessions      int
	only          map[string]bool
	systems       map[string]bool
	java          string
	zkClasspath   string
	zkXmx         string
	dir           string
	keep          bool
	logLevel      string
	populateConns int
	populateDepth int
}

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "zkcompare:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		// A second Ctrl-C ends the process at once, cleanup or not.
		stop()
		slog.Warn("interrupted: stopping every process and removing the temporary directory (Ctrl-C again to quit at once)")
	}()
	err = run(ctx, o, os.Stdout)
	stop()
	if errors.Is(err, errCanceled) {
		// The directory the error's log paths name is gone by now.
		fmt.Fprintln(os.Stderr, "zkcompare: interrupted; every process stopped and the temporary directory removed")
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "zkcompare:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("zkcompare", flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", "", "the node binary (empty: go build ./cmd/node into the run's directory)")
	fs.DurationVar(&o.d, "d", 10*time.Second, "duration of each load run")
	fs.DurationVar(&o.warmup, "warmup", 12*time.Second, "unreported warm-up load per system before the first run (JIT), split over the workloads")
	fs.IntVar(&o.repeats, "repeats", 3, "runs of each workload per system; medians are reported")
	fs.IntVar(&o.trials, "trials", 5, "failover trials per system")
	fs.IntVar(&o.znodes, "znodes", 1_000_000, "znodes for the cold start")
	fs.IntVar(&o.sessions, "sessions", 32, "load sessions per system, spread over the three nodes")
	only := fs.String("only", "all", "comma-separated parts to run: "+strings.Join(parts, ","))
	systems := fs.String("systems", "paddock,zookeeper", "systems to measure (paddock, zookeeper or both)")
	fs.StringVar(&o.java, "java", "java", "the java command for ZooKeeper")
	fs.StringVar(&o.zkClasspath, "zk-classpath", "/usr/share/java/zookeeper.jar", "ZooKeeper's classpath (Debian's jar names its dependencies in its manifest)")
	fs.StringVar(&o.zkXmx, "zk-xmx", "", "ZooKeeper's -Xmx (empty: none, the JVM's default as with Debian's zkServer.sh)")
	fs.StringVar(&o.dir, "dir", "", "where the run's temporary directory goes (empty: $TMPDIR); the fsync ceiling is measured there")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (data and logs) after the run")
	fs.StringVar(&o.logLevel, "log-level", "info", "the Paddock nodes' --log-level")
	fs.IntVar(&o.populateConns, "populate-conns", 8, "sessions that populate the cold-start tree")
	fs.IntVar(&o.populateDepth, "populate-depth", 32, "concurrent creates per populating session (pipelined on its connection)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	var err error
	if o.only, err = parseOnly(*only); err != nil {
		return o, err
	}
	o.systems = map[string]bool{}
	for _, s := range strings.Split(*systems, ",") {
		switch s = strings.ToLower(strings.TrimSpace(s)); s {
		case "paddock", "zookeeper":
			o.systems[s] = true
		default:
			return o, fmt.Errorf("-systems: unknown system %q (want paddock, zookeeper)", s)
		}
	}
	switch {
	case o.d <= 0 || o.repeats < 1 || o.trials < 1 || o.sessions < 1:
		return o, errors.New("-d, -repeats, -trials and -sessions must be positive")
	case o.znodes < 1 || o.populateConns < 1 || o.populateDepth < 1:
		return o, errors.New("-znodes, -populate-conns and -populate-depth must be positive")
	}
	return o, nil
}

// run does the whole comparison and writes the report to out.
func run(ctx context.Context, o options, out *os.File) (err error) {
	root, err := os.MkdirTemp(o.dir, "zkcompare-")
	if err != nil {
		return fmt.Errorf("creating the run's directory: %w", err)
	}
	var clusters []cluster
	defer func() {
		for _, c := range clusters {
			c.Close()
		}
		switch {
		case o.keep:
			slog.Info("kept the run's directory", "dir", root)
		case err != nil && !errors.Is(err, errCanceled):
			// Keep what explains the failure, not gigabytes of data.
			for _, c := range clusters {
				removeData(c)
			}
			slog.Error("failed: the nodes' logs are kept; remove the directory when done", "dir", root)
		default:
			_ = os.RemoveAll(root)
		}
	}()
	track := func(c cluster) { clusters = append(clusters, c) }

	rep := &report{opts: o, started: time.Now()}
	la := startLoadSampler()
	defer func() { rep.load = la.stop() }()

	if o.systems["paddock"] && o.bin == "" {
		slog.Info("building the node binary")
		if o.bin, err = testkit.BuildNode(root); err != nil {
			return err
		}
	}
	if o.systems["paddock"] {
		if _, err := os.Stat(o.bin); err != nil {
			return fmt.Errorf("the node binary: %w", err)
		}
	}
	var zkc zkConfig
	if o.systems["zookeeper"] {
		if zkc, rep.zkHeap, err = zookeeperConfig(o); err != nil {
			return err
		}
	}
	newCluster := func(name, dir string) (cluster, error) {
		if name == "paddock" {
			return newPaddock(o.bin, dir, o.logLevel)
		}
		return newZooKeeper(zkc, dir)
	}
	names := []string{}
	for _, n := range []string{"paddock", "zookeeper"} {
		if o.systems[n] {
			names = append(names, n)
		}
	}

	slog.Info("measuring the fsync ceiling", "dir", root)
	if rep.fsync, err = fsyncCeiling(root, 2*time.Second); err != nil {
		return err
	}
	slog.Info("fsync ceiling", "writes/s", int(rep.fsync))

	wantLoad := o.only["setData"] || o.only["create"] || o.only["getData"] || o.only["mix"]
	if wantLoad || o.only["failover"] {
		var live []cluster
		for _, n := range names {
			c, err := newCluster(n, filepath.Join(root, n))
			if err != nil {
				return err
			}
			track(c)
			live = append(live, c)
			if err := startAll(c); err != nil {
				return err
			}
		}
		for _, c := range live {
			if _, err := waitServing(ctx, c, c.IDs(), false, 2*time.Minute); err != nil {
				return err
			}
			rep.versions = append(rep.versions, fmt.Sprintf("%s: %s", c.Name(), srvr(ctx, c, 1)["Zookeeper version"]))
		}
		if wantLoad {
			if err := runWorkloads(ctx, o, live, rep); err != nil {
				return err
			}
		}
		if o.only["failover"] {
			if err := runFailover(ctx, o, live, rep); err != nil {
				return err
			}
		}
		for _, c := range live {
			c.Close()
			removeData(c)
		}
	}
	if o.only["coldstart"] {
		rep.cold = map[string]coldResult{}
		for _, n := range names {
			c, err := newCluster(n, filepath.Join(root, n+"-cold"))
			if err != nil {
				return err
			}
			track(c)
			slog.Info("cold start", "system", c.Name(), "znodes", o.znodes)
			res, err := coldStart(ctx, c, o.znodes, o.populateConns, o.populateDepth)
			if err != nil {
				return err
			}
			rep.cold[c.Name()] = res
			c.Close()
			removeData(c)
		}
	}
	rep.load = la.stop()
	rep.finished = time.Now()
	_, err = out.WriteString(rep.markdown())
	return err
}

// zookeeperConfig checks java and the jars and returns how the JVMs start
// and a description of the heap they get.
func zookeeperConfig(o options) (zkConfig, string, error) {
	java, err := exec.LookPath(o.java)
	if err != nil {
		return zkConfig{}, "", fmt.Errorf("ZooKeeper needs java (Debian: apt-get install zookeeper, or -systems paddock): %w", err)
	}
	for _, jar := range strings.Split(o.zkClasspath, ":") {
		if _, err := os.Stat(jar); err != nil {
			return zkConfig{}, "", fmt.Errorf("ZooKeeper's classpath (Debian: apt-get install zookeeper): %w", err)
		}
	}
	cp := o.zkClasspath
	// Debian's jar has no slf4j binding, so ZooKeeper would log nothing;
	// the simple one logs INFO to stderr, into the node's log file.
	if _, err := os.Stat("/usr/share/java/slf4j-simple.jar"); err == nil {
		cp += ":/usr/share/java/slf4j-simple.jar"
	}
	// Debian's zkServer.sh passes these and no heap size.
	jvm := []string{"-XX:+HeapDumpOnOutOfMemoryError", "-XX:OnOutOfMemoryError=kill -9 %p"}
	if o.zkXmx != "" {
		jvm = append(jvm, "-Xmx"+o.zkXmx)
	}
	heap := "-Xmx" + o.zkXmx
	if o.zkXmx == "" {
		heap = "no -Xmx (the JVM's default, as Debian's zkServer.sh)"
	}
	if mx, err := maxHeap(java, jvm); err == nil {
		heap += fmt.Sprintf(": max heap %s MiB", thousands(float64(mx)/(1<<20)))
	}
	return zkConfig{java: java, classpath: cp, jvm: jvm}, heap, nil
}

// maxHeap asks the JVM the heap limit flags give it.
func maxHeap(java string, flags []string) (int64, error) {
	out, err := exec.Command(java, append(append([]string{}, flags...), "-XX:+PrintFlagsFinal", "-version")...).Output()
	if err != nil {
		return 0, fmt.Errorf("asking java its heap size: %w", err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		if len(f) >= 4 && f[1] == "MaxHeapSize" {
			var v int64
			if _, err := fmt.Sscan(f[3], &v); err != nil {
				return 0, fmt.Errorf("MaxHeapSize %q: %w", f[3], err)
			}
			return v, nil
		}
	}
	return 0, errors.New("java printed no MaxHeapSize")
}

// runWorkloads warms every system up, then runs each selected workload
// -repeats times per system, alternating which system goes first.
func runWorkloads(ctx context.Context, o options, live []cluster, rep *report) error {
	sessions := map[string][]*session{}
	defer func() {
		for _, ss := range sessions {
			closeAll(ss)
		}
	}()
	for _, c := range live {
		ss, err := connectSpread(ctx, c, o.sessions)
		if err != nil {
			return err
		}
		sessions[c.Name()] = ss
		if err := prepare(ss[0], o.sessions); err != nil {
			return fmt.Errorf("%s: %w", c.Name(), err)
		}
	}
	for _, c := range live {
		slog.Info("warming up", "system", c.Name(), "for", o.warmup)
		for _, w := range workloads {
			if _, err := runLoad(ctx, sessions[c.Name()], o.warmup/time.Duration(len(workloads)), "warm", w.op); err != nil {
				return fmt.Errorf("%s warm-up %s: %w; %s", c.Name(), w.name, err, logHint(c))
			}
		}
	}
	rep.runs = map[string]map[string][]loadResult{}
	for round := range o.repeats {
		for _, w := range workloads {
			if !o.only[w.name] {
				continue
			}
			order := live
			if round%2 == 1 {
				order = reversed(live)
			}
			for _, c := range order {
				cpu0, cpuErr := clusterCPU(c)
				r, err := runLoad(ctx, sessions[c.Name()], o.d, fmt.Sprintf("r%d", round), w.op)
				if err != nil {
					return fmt.Errorf("%s %s, round %d: %w; %s", c.Name(), w.name, round+1, err, logHint(c))
				}
				r.cpuPerOp = math.NaN()
				if cpu1, err := clusterCPU(c); err == nil && cpuErr == nil && r.ops > 0 {
					r.cpuPerOp = float64((cpu1 - cpu0).Microseconds()) / float64(r.ops)
				}
				slog.Info("run", "system", c.Name(), "workload", w.name, "round", round+1,
					"ops/s", int(r.opsPerSec), "p50 ms", short(ms(r.p50)), "p99 ms", short(ms(r.p99)), "p999 ms", short(ms(r.p999)),
					"server cpu µs/op", short(r.cpuPerOp))
				if rep.runs[w.name] == nil {
					rep.runs[w.name] = map[string][]loadResult{}
				}
				rep.runs[w.name][c.Name()] = append(rep.runs[w.name][c.Name()], r)
			}
		}
	}
	return nil
}

// runFailover runs -trials failover trials per system, alternating order.
func runFailover(ctx context.Context, o options, live []cluster, rep *report) error {
	rep.failover = map[string][]time.Duration{}
	for _, c := range live {
		// The writer's znode, when no load ran before.
		s, err := connect(ctx, []string{c.ClientAddr(c.IDs()[0])}, 20*time.Second)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Name(), err)
		}
		err = prepare(s, o.sessions)
		s.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", c.Name(), err)
		}
	}
	for trial := range o.trials {
		order := live
		if trial%2 == 1 {
			order = reversed(live)
		}
		for _, c := range order {
			if err := settle(ctx, c); err != nil {
				return err
			}
			d, err := failoverTrial(ctx, c)
			if err != nil {
				return fmt.Errorf("failover trial %d: %w", trial+1, err)
			}
			rep.failover[c.Name()] = append(rep.failover[c.Name()], d)
		}
	}
	return nil
}

func reversed(cs []cluster) []cluster {
	out := make([]cluster, len(cs))
	for i, c := range cs {
		out[len(cs)-1-i] = c
	}
	return out
}
