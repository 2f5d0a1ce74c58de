package metrics

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zkwire"
)

func leaderStatus() zkwire.Status {
	return zkwire.Status{Mode: zkwire.ModeLeader, NodeCount: 14, Watches: 3, Ephemerals: 4, DataSize: 222, GlobalSessions: 2,
		ServedSessions: 1, QuorumSize: 3, Learners: 2, SyncedFollowers: 2, ProposalSizes: [3]int64{90, 36, 91}, OpenFDs: 40, MaxFDs: 1024,
		LeaderUptime: 3 * time.Second, Epoch: 2, Counters: zkwire.Counters{BytesReceived: 1114, ConnectionRequests: 2}}
}

// families scrapes m's handler and parses the text format strictly.
func families(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	srv, err := m.Serve("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get("http://" + srv.Addr().String() + Path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", Path, resp.Status)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape does not parse: %v", err)
	}
	return fams
}

func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no %s", name)
	}
series:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}
			if !found {
				continue series
			}
		}
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
	}
	t.Fatalf("no %s%v", name, labels)
	return 0
}

// The hooks move the figures; the scrape has ZooKeeper's names and
// types and Paddock's, a leader's figures on a leader only, and parses.
func TestScrape(t *testing.T) {
	// The scrape reads the status on the server's goroutine.
	var cur atomic.Pointer[zkwire.Status]
	st := leaderStatus()
	cur.Store(&st)
	m := New(Sources{
		Status: func() zkwire.Status { return *cur.Load() },
		Bus: func() []BusTraffic {
			return []BusTraffic{{Kind: msg.KindProposal.String(), SentMessages: 5, SentBytes: 500, ReceivedMessages: 1, ReceivedBytes: 90}}
		},
		Runtime: true,
	})
	m.Fsync(3 * time.Millisecond)
	m.Fsync(5 * time.Millisecond)
	m.Proposed(3)
	m.Committed(2 * time.Millisecond)
	m.FromLeader(msg.KindProposal)
	m.FromLeader(msg.KindCommit)
	m.FromLeader(msg.KindCommit)
	m.Looking()
	m.Elected(400 * time.Millisecond)
	m.Synced(250 * time.Millisecond)
	m.Snapshot(18 * time.Millisecond)
	m.Request(true, 7*time.Millisecond)
	m.Request(false, time.Millisecond)
	m.Request(false, 2*time.Millisecond)

	fams := families(t, m)
	for name, want := range map[string]float64{
		"znode_count": 14, "watch_count": 3, "ephemerals_count": 4, "approximate_data_size": 222, "global_sessions": 2,
		"quorum_size": 3, "synced_followers": 2, "pending_syncs": 0, "last_proposal_size": 90, "leader_uptime": 3000,
		"open_file_descriptor_count": 40, "max_file_descriptor_count": 1024, "bytes_received_count": 1114,
		"connection_request_count": 2, "paddock_sessions": 1, "paddock_epoch": 2,
		"fsynctime": 2, "paddock_fsync_seconds": 2, "proposal_count": 3, "commit_count": 1, "paddock_commit_seconds": 1,
		"learner_proposal_received_count": 1, "learner_commit_received_count": 2, "looking_count": 1,
		"election_time": 1, "paddock_election_seconds": 1, "follower_sync_time": 1, "paddock_follower_sync_seconds": 1,
		"snapshottime": 1, "updatelatency": 1, "readlatency": 2,
	} {
		if got := value(t, fams, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := value(t, fams, "paddock_server_state", "state", "leader"); got != 1 {
		t.Errorf("paddock_server_state{state=leader} = %v", got)
	}
	if got := value(t, fams, "paddock_bus_bytes_total", "direction", "sent", "kind", "Proposal"); got != 500 {
		t.Errorf("bus bytes sent = %v", got)
	}
	if got := value(t, fams, "paddock_bus_messages_total", "direction", "received", "kind", "Proposal"); got != 1 {
		t.Errorf("bus messages received = %v", got)
	}
	// ZooKeeper's types: its counters, gauges (packets too) and summaries.
	for name, typ := range map[string]dto.MetricType{
		"commit_count": dto.MetricType_COUNTER, "packets_received": dto.MetricType_GAUGE, "fsynctime": dto.MetricType_SUMMARY,
		"readlatency": dto.MetricType_SUMMARY, "paddock_fsync_seconds": dto.MetricType_HISTOGRAM,
	} {
		if got := fams[name].GetType(); got != typ {
			t.Errorf("%s is a %v, want a %v", name, got, typ)
		}
	}
	if f := fams["fsynctime"].GetMetric()[0].GetSummary(); f.GetSampleSum() != 8 {
		t.Errorf("fsynctime sum %v ms, want 8", f.GetSampleSum())
	}
	for _, name := range []string{"go_goroutines", "process_open_fds"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("no %s: the runtime's collectors are missing", name)
		}
	}

	// A follower has no leader's figures.
	fst := leaderStatus()
	fst.Mode = zkwire.ModeFollower
	cur.Store(&fst)
	fams = families(t, m)
	for _, name := range []string{"synced_followers", "learners", "pending_syncs", "leader_uptime", "last_proposal_size"} {
		if _, ok := fams[name]; ok {
			t.Errorf("a follower exports %s", name)
		}
	}
	if got := value(t, fams, "paddock_server_state", "state", "follower"); got != 1 {
		t.Errorf("paddock_server_state{state=follower} = %v", got)
	}
}

// Fill gives mntr the same figures: counters, and summaries with their
// count, sum, min and max since start, percentiles where ZooKeeper has
// them.
func TestFill(t *testing.T) {
	m := New(Sources{})
	for _, ms := range []int{4, 1, 9} {
		m.Fsync(time.Duration(ms) * time.Millisecond)
		m.Request(false, time.Duration(ms)*time.Millisecond)
	}
	m.Proposed(2)
	m.Committed(time.Millisecond)
	m.FromLeader(msg.KindProposal)
	m.FromLeader(msg.KindAck) // not a leader's broadcast: not counted
	st := zkwire.Status{Counters: zkwire.Counters{BytesReceived: 7}}
	m.Fill(&st)
	c := st.Counters
	if c.Proposals != 2 || c.Commits != 1 || c.LearnerProposals != 1 || c.LearnerCommits != 0 || c.BytesReceived != 7 {
		t.Errorf("counters %+v", c)
	}
	f := st.Summaries.Fsync
	if f.Count != 3 || f.Sum != 14 || f.Min != 1 || f.Max != 9 || f.Percentiles != nil {
		t.Errorf("fsynctime %+v, want count 3, sum 14, min 1, max 9, no percentiles", f)
	}
	r := st.Summaries.Read
	if r.Percentiles == nil || r.Percentiles[0] != 4 || r.Percentiles[3] != 9 {
		t.Errorf("readlatency %+v, want p50 4 and p999 9", r)
	}
	if e := st.Summaries.Election; e != (zkwire.Summary{}) {
		t.Errorf("election_time without elections: %+v", e)
	}
}

// Only GET and HEAD are served; a taken port is an error for the caller;
// each node's registry is its own.
func TestServe(t *testing.T) {
	a, b := New(Sources{Runtime: true}), New(Sources{Runtime: true}) // two registries: no duplicate registration
	srv, err := a.Serve("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Post("http://"+srv.Addr().String()+Path, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %s, Allow %q", resp.Status, resp.Header.Get("Allow"))
	}
	resp, err = http.Get("http://" + srv.Addr().String() + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /other: %s", resp.Status)
	}
	if _, err := b.Serve(srv.Addr().String(), nil); err == nil {
		t.Error("a second server on a bound port: no error")
	}
}

// The hooks on the request and write paths allocate nothing (a
// summary's buffer flush, every few hundred observations, is amortized
// to less than one allocation per call).
func TestHooksDoNotAllocate(t *testing.T) {
	m := New(Sources{})
	if n := testing.AllocsPerRun(1000, func() {
		m.Request(false, time.Millisecond)
		m.Request(true, 2*time.Millisecond)
		m.Fsync(300 * time.Microsecond)
		m.Proposed(1)
		m.Committed(time.Millisecond)
		m.FromLeader(msg.KindCommit)
	}); n != 0 {
		t.Errorf("%v allocations per round of hooks", n)
	}
}
