package server

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/paddock-zk/paddock/config"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/metrics"
	"github.com/paddock-zk/paddock/zkwire"
)

// scrape is one GET of a node's /metrics, parsed strictly; sample is
// one figure of it: a counter's or a gauge's value, a summary's or a
// histogram's count, the first series's.
type scrape map[string]*dto.MetricFamily

func scrapeNode(t *testing.T, n *Node) scrape {
	t.Helper()
	addr := n.MetricsAddr()
	if addr == "" {
		t.Fatalf("node %d serves no metrics", n.ID())
	}
	resp, err := http.Get("http://" + DialAddr(addr) + metrics.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("node %d: GET %s: %s", n.ID(), metrics.Path, resp.Status)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("node %d: the scrape does not parse: %v", n.ID(), err)
	}
	return fams
}

func (s scrape) sample(t *testing.T, name string) float64 {
	t.Helper()
	f, ok := s[name]
	if !ok || len(f.GetMetric()) == 0 {
		t.Fatalf("no %s", name)
	}
	m := f.GetMetric()[0]
	switch f.GetType() {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_SUMMARY:
		return float64(m.GetSummary().GetSampleCount())
	case dto.MetricType_HISTOGRAM:
		return float64(m.GetHistogram().GetSampleCount())
	}
	t.Fatalf("%s is a %v", name, f.GetType())
	return 0
}

// busSent is the messages of one kind the node's bus sent.
func (s scrape) busSent(kind string) float64 {
	for _, m := range s["paddock_bus_messages_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["direction"] == "sent" && labels["kind"] == kind {
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// TestMetricsScrape: a 3-node ensemble with ZooKeeper's Prometheus
// provider configured serves /metrics on every node; scraped during
// writes it parses, carries ZooKeeper's names and Paddock's, and its
// figures move with the writes on the leader and on the follower the
// client writes through. mntr carries the same figures.
func TestMetricsScrape(t *testing.T) {
	cfgs := testkit.ConfigsEach(t, 3, func(int) string {
		return fmt.Sprintf("metricsProvider.className=%s\nmetricsProvider.httpHost=127.0.0.1\nmetricsProvider.httpPort=%d\n",
			config.PrometheusMetricsProvider, testutil.FreePort(t))
	})
	for _, c := range cfgs {
		c.FourLetterWords = []string{"srvr", "mntr"}
	}
	nodes := testkit.StartAll(t, cfgs, startNode)
	var leader, follower *Node
	testkit.WaitFor(t, "a leader and two serving followers", 15*time.Second, func() bool {
		leader, follower = nil, nil
		followers := 0
		for _, n := range nodes {
			switch n.Mode() {
			case zkwire.ModeLeader:
				leader = n
			case zkwire.ModeFollower:
				follower = n
				followers++
			}
		}
		return leader != nil && followers == 2
	})
	c := zkConnect(t, []string{follower.ClientAddr()})
	write := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			if _, err := c.Create(fmt.Sprintf("/m%d", i), []byte("value"), zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Get(fmt.Sprintf("/m%d", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(0, 20)
	l1, f1 := scrapeNode(t, leader), scrapeNode(t, follower)
	write(20, 40)
	// The follower applies a commit a moment after the leader sent it.
	testkit.WaitFor(t, "the follower's tree with every write", 10*time.Second, func() bool {
		return scrapeNode(t, follower).sample(t, "ephemerals_count") == 40
	})
	l2, f2 := scrapeNode(t, leader), scrapeNode(t, follower)

	// ZooKeeper's names, on every node or on the leader only.
	for _, name := range []string{"znode_count", "watch_count", "ephemerals_count", "approximate_data_size", "global_sessions",
		"outstanding_requests", "num_alive_connections", "packets_received", "packets_sent", "quorum_size",
		"open_file_descriptor_count", "max_file_descriptor_count", "uptime", "avg_latency", "election_time", "fsynctime",
		"snapshottime", "commit_count", "proposal_count", "looking_count", "readlatency", "updatelatency",
		"bytes_received_count", "connection_request_count", "learner_proposal_received_count", "learner_commit_received_count",
		"paddock_fsync_seconds", "paddock_commit_seconds", "paddock_election_seconds", "paddock_bus_messages_total",
		"paddock_bus_bytes_total", "paddock_sessions", "paddock_disk_full", "paddock_server_state", "go_goroutines", "process_open_fds"} {
		for who, s := range map[string]scrape{"leader": l2, "follower": f2} {
			if _, ok := s[name]; !ok {
				t.Errorf("%s has no %s", who, name)
			}
		}
	}
	for _, name := range []string{"synced_followers", "pending_syncs", "learners", "last_proposal_size", "leader_uptime"} {
		if _, ok := l2[name]; !ok {
			t.Errorf("leader has no %s", name)
		}
		if _, ok := f2[name]; ok {
			t.Errorf("follower has %s", name)
		}
	}
	if _, ok := f2["follower_sync_time"]; !ok {
		t.Error("follower has no follower_sync_time")
	}
	for name, want := range map[string]float64{"quorum_size": 3, "ephemerals_count": 40, "paddock_disk_full": 0} {
		if got := l2.sample(t, name); got != want {
			t.Errorf("leader's %s = %v, want %v", name, got, want)
		}
	}
	if got := l2.sample(t, "synced_followers"); got != 2 {
		t.Errorf("leader's synced_followers = %v, want 2", got)
	}
	for who, s := range map[string]scrape{"leader": l2, "follower": f2} {
		if s.sample(t, "election_time") < 1 || s.sample(t, "looking_count") < 1 {
			t.Errorf("%s: election_time count %v, looking_count %v: want an election each", who, s.sample(t, "election_time"), s.sample(t, "looking_count"))
		}
	}
	if f2.sample(t, "follower_sync_time") < 1 {
		t.Error("the follower's sync is not timed")
	}

	// The figures move with the 20 writes between the scrapes.
	grew := func(who string, a, b scrape, name string, by float64) {
		t.Helper()
		if d := b.sample(t, name) - a.sample(t, name); d < by {
			t.Errorf("%s: %s grew by %v over 20 writes, want at least %v", who, name, d, by)
		}
	}
	grew("leader", l1, l2, "commit_count", 20)
	grew("leader", l1, l2, "proposal_count", 20)
	grew("leader", l1, l2, "paddock_commit_seconds", 20)
	grew("leader", l1, l2, "fsynctime", 1)
	grew("leader", l1, l2, "paddock_fsync_seconds", 1)
	grew("follower", f1, f2, "fsynctime", 1)
	grew("follower", f1, f2, "learner_proposal_received_count", 1)
	grew("follower", f1, f2, "learner_commit_received_count", 1)
	grew("follower", f1, f2, "updatelatency", 20)
	grew("follower", f1, f2, "readlatency", 20)
	grew("follower", f1, f2, "packets_received", 40)
	grew("follower", f1, f2, "bytes_received_count", 40*10)
	if d := l2.busSent("Proposal") - l1.busSent("Proposal"); d < 1 {
		t.Errorf("the leader's bus sent %v more proposals over 20 writes", d)
	}
	if f2.sample(t, "commit_count") != 0 {
		t.Error("a follower counts commits: ZooKeeper's commit_count is the leader's")
	}

	// mntr reports the same figures.
	mntr := map[string]string{}
	for _, l := range strings.Split(fourLetter(leader.ClientAddr(), "mntr"), "\n") {
		if k, v, ok := strings.Cut(l, "\t"); ok {
			mntr[k] = v
		}
	}
	if v, _ := strconv.Atoi(mntr["zk_commit_count"]); v < 40 {
		t.Errorf("mntr zk_commit_count %q, want at least 40", mntr["zk_commit_count"])
	}
	for k, want := range map[string]string{"zk_quorum_size": "3", "zk_ephemerals_count": "40", "zk_global_sessions": "1", "zk_local_sessions": "0"} {
		if mntr[k] != want {
			t.Errorf("mntr %s = %q, want %q", k, mntr[k], want)
		}
	}
	for _, k := range []string{"zk_cnt_fsynctime", "zk_cnt_election_time", "zk_proposal_count", "zk_approximate_data_size", "zk_leader_uptime"} {
		if v, err := strconv.Atoi(mntr[k]); err != nil || v <= 0 {
			t.Errorf("mntr %s = %q, want a positive count", k, mntr[k])
		}
	}
}

// TestMetricsPortTaken: a node whose metrics port is taken logs it and
// serves without the endpoint, as it must not go down for its metrics.
func TestMetricsPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := standalone(t, t.TempDir())
	cfg.Metrics = config.Metrics{Enabled: true, Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port}
	log, logged := testutil.NewLogCounter("cannot serve metrics")
	n, err := Start(cfg, log)
	if err != nil {
		t.Fatalf("a taken metrics port stopped the node: %v", err)
	}
	defer n.Close()
	testkit.WaitFor(t, "standalone node serving", 10*time.Second, func() bool { return n.Mode() == zkwire.ModeStandalone })
	if n.MetricsAddr() != "" {
		t.Errorf("metrics served on %s", n.MetricsAddr())
	}
	if logged.Count() != 1 {
		t.Errorf("%d errors logged, want 1", logged.Count())
	}
}
