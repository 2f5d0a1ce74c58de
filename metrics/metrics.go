package metrics

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zkwire"
)

// Sources are where the figures read at scrape time come from.
type Sources struct {
	// Status is the node's status with its front end's figures
	// (zkwire.Server.Status), read once per scrape; nil: none.
	Status func() zkwire.Status
	// Bus is the traffic through the node's bus by message kind; nil:
	// none.
	Bus func() []BusTraffic
	// Runtime adds the Go runtime's and the process's collectors (go_*,
	// process_*), as ZooKeeper's exportJvmInfo adds the JVM's.
	Runtime bool
}

// BusTraffic is one message kind's traffic through the node's bus.
type BusTraffic struct {
	Kind                            string
	SentMessages, SentBytes         uint64
	ReceivedMessages, ReceivedBytes uint64
}

// Metrics is one node's metrics and its Prometheus registry. Its hooks
// are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	// ZooKeeper's summaries, in ms.
	fsync, snapshot, election, followerSync, update, read *summary
	// Paddock's histograms, in seconds.
	fsyncSeconds, commitSeconds, electionSeconds, followerSyncSeconds prometheus.Histogram
	// ZooKeeper's counters.
	proposals, looking, learnerProposals, learnerCommits, commits atomic.Uint64
}

// New makes a node's metrics over its own registry: the global default
// one would mix the nodes that tests run in one process.
func New(src Sources) *Metrics {
	m := &Metrics{
		reg:          prometheus.NewRegistry(),
		fsync:        newSummary("fsynctime", "Time to fsync the transaction log, in ms.", false),
		snapshot:     newSummary("snapshottime", "Time to serialize and write a snapshot, in ms.", false),
		election:     newSummary("election_time", "Time from looking for a leader to a decided election, in ms.", false),
		followerSync: newSummary("follower_sync_time", "Time from following a leader to serving, in ms.", false),
		update:       newSummary("updatelatency", "Latency of writes, from the request to the reply on the node the client is connected to, in ms.", true),
		read:         newSummary("readlatency", "Latency of other requests, from the request to the reply, in ms.", true),
		fsyncSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "paddock_fsync_seconds",
			Help: "Time to fsync the transaction log.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "paddock_commit_seconds",
			Help:    "On the leader, time from logging a proposal to committing it.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		electionSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "paddock_election_seconds",
			Help: "Time from looking for a leader to a decided election.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 12)}),
		followerSyncSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "paddock_follower_sync_seconds",
			Help: "Time from following a leader to serving.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}),
	}
	for _, s := range []*summary{m.fsync, m.snapshot, m.election, m.followerSync, m.update, m.read} {
		m.reg.MustRegister(s.prom)
	}
	m.reg.MustRegister(m.fsyncSeconds, m.commitSeconds, m.electionSeconds, m.followerSyncSeconds)
	for _, c := range []struct {
		name, help string
		v          *atomic.Uint64
	}{
		{"proposal_count", "Txns this node proposed as leader.", &m.proposals},
		{"looking_count", "Elections this node began.", &m.looking},
		{"learner_proposal_received_count", "Proposals this node received from its leader.", &m.learnerProposals},
		{"learner_commit_received_count", "Commits this node received from its leader.", &m.learnerCommits},
		{"commit_count", "Txns this node committed as leader.", &m.commits},
	} {
		v := c.v
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help},
			func() float64 { return float64(v.Load()) }))
	}
	if src.Status != nil {
		m.reg.MustRegister(statusCollector{src.Status})
	}
	if src.Bus != nil {
		m.reg.MustRegister(busCollector{src.Bus})
	}
	if src.Runtime {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Gatherer is the node's registry, for tests and embedding.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Fsync is wal.Options.OnFsync: one fsync of the transaction log took d.
func (m *Metrics) Fsync(d time.Duration) {
	m.fsync.observe(d)
	m.fsyncSeconds.Observe(d.Seconds())
}

// Proposed is store.Observer.Proposed: a leader logged n proposals.
func (m *Metrics) Proposed(n int) { m.proposals.Add(uint64(n)) }

// Committed is store.Observer.Committed: a leader committed a txn d
// after it logged its proposal.
func (m *Metrics) Committed(d time.Duration) {
	m.commits.Add(1)
	m.commitSeconds.Observe(d.Seconds())
}

// FromLeader is store.Observer.FromLeader: a follower received a
// Proposal or a Commit.
func (m *Metrics) FromLeader(k msg.Kind) {
	switch k {
	case msg.KindProposal:
		m.learnerProposals.Add(1)
	case msg.KindCommit:
		m.learnerCommits.Add(1)
	}
}

// Synced is store.Observer.Synced: a follower serves, d after it began
// to follow.
func (m *Metrics) Synced(d time.Duration) {
	m.followerSync.observe(d)
	m.followerSyncSeconds.Observe(d.Seconds())
}

// Snapshot is store.Observer.Snapshot: a snapshot took d.
func (m *Metrics) Snapshot(d time.Duration) { m.snapshot.observe(d) }

// Looking is voter.Observer.Looking: an election began.
func (m *Metrics) Looking() { m.looking.Add(1) }

// Elected is voter.Observer.Elected: an election decided after d.
func (m *Metrics) Elected(d time.Duration) {
	m.election.observe(d)
	m.electionSeconds.Observe(d.Seconds())
}

// Request is zkwire.Config.Latency: a client's request was answered d
// after it arrived.
func (m *Metrics) Request(update bool, d time.Duration) {
	if update {
		m.update.observe(d)
	} else {
		m.read.observe(d)
	}
}

// Fill sets st's counters and summaries for mntr, but for the front
// end's own counters (bytes received, connection requests), which the
// front end fills.
func (m *Metrics) Fill(st *zkwire.Status) {
	c := &st.Counters
	c.Proposals, c.Looking, c.Commits = m.proposals.Load(), m.looking.Load(), m.commits.Load()
	c.LearnerProposals, c.LearnerCommits = m.learnerProposals.Load(), m.learnerCommits.Load()
	st.Summaries = zkwire.Summaries{
		FollowerSync: m.followerSync.value(), Fsync: m.fsync.value(), Snapshot: m.snapshot.value(),
		Election: m.election.value(), Update: m.update.value(), Read: m.read.value(),
	}
}

// summary is one of ZooKeeper's summaries: a Prometheus summary over
// the last minute, as its PrometheusMetricsProvider keeps (median; the
// advanced ones also the 90th and 99th percentiles, and for mntr the
// 95th and 99.9th), and the count, sum, min and max since start that
// mntr prints, as its default provider keeps them.
type summary struct {
	prom            prometheus.Summary
	count, sum, max atomic.Int64
	min             atomic.Int64 // math.MaxInt64 before the first observation
	advanced        bool
}

// quantiles are the advanced summaries' mntr percentiles: p50, p95, p99
// and p999.
var quantiles = [4]float64{0.5, 0.95, 0.99, 0.999}

func newSummary(name, help string, advanced bool) *summary {
	obj := map[float64]float64{0.5: 0.05}
	if advanced {
		obj = map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.95: 0.005, 0.99: 0.001, 0.999: 0.0001}
	}
	s := &summary{advanced: advanced, prom: prometheus.NewSummary(prometheus.SummaryOpts{
		Name: name, Help: help, Objectives: obj, MaxAge: time.Minute})}
	s.min.Store(math.MaxInt64)
	return s
}

func (s *summary) observe(d time.Duration) {
	ms := max(d.Milliseconds(), 0)
	s.count.Add(1)
	s.sum.Add(ms)
	for cur := s.min.Load(); ms < cur; cur = s.min.Load() {
		if s.min.CompareAndSwap(cur, ms) {
			break
		}
	}
	for cur := s.max.Load(); ms > cur; cur = s.max.Load() {
		if s.max.CompareAndSwap(cur, ms) {
			break
		}
	}
	s.prom.Observe(float64(ms))
}

func (s *summary) value() zkwire.Summary {
	v := zkwire.Summary{Count: s.count.Load(), Sum: s.sum.Load(), Max: s.max.Load()}
	if mn := s.min.Load(); mn != math.MaxInt64 {
		v.Min = mn
	}
	if !s.advanced {
		return v
	}
	var p [4]int64
	var m dto.Metric
	if err := s.prom.Write(&m); err == nil {
		for _, q := range m.GetSummary().GetQuantile() {
			for i, want := range quantiles {
				// Without observations in the window the value is NaN:
				// ZooKeeper prints 0 then.
				if q.GetQuantile() == want && !math.IsNaN(q.GetValue()) {
					p[i] = int64(q.GetValue())
				}
			}
		}
	}
	v.Percentiles = &p
	return v
}
