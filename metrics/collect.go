package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paddock-zk/paddock/zkwire"
)

// gauge is one figure of the node's status, exported at scrape time.
type gauge struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	// value is the figure, and whether the node has it now (a leader's
	// figures only on a leader, file descriptors where the platform
	// tells).
	value func(st *zkwire.Status) (float64, bool)
}

func always(f func(st *zkwire.Status) float64) func(*zkwire.Status) (float64, bool) {
	return func(st *zkwire.Status) (float64, bool) { return f(st), true }
}

func onLeader(f func(st *zkwire.Status) float64) func(*zkwire.Status) (float64, bool) {
	return func(st *zkwire.Status) (float64, bool) { return f(st), st.Mode == zkwire.ModeLeader }
}

func newGauge(name, help string, typ prometheus.ValueType, value func(*zkwire.Status) (float64, bool)) gauge {
	return gauge{prometheus.NewDesc(name, help, nil, nil), typ, value}
}

// gauges are the status figures, under the names ZooKeeper's gauges
// have (ZooKeeperServer, QuorumZooKeeperServer and LeaderZooKeeperServer
// register them), then Paddock's own.
var gauges = []gauge{
	newGauge("znode_count", "Znodes in the tree.", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(st.NodeCount) })),
	newGauge("watch_count", "Watches of the sessions connected here.", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(st.Watches) })),
	newGauge("ephemerals_count", "Ephemeral znodes.", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(st.Ephemerals) })),
	newGauge("approximate_data_size", "Bytes of every znode's path and data.", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(st.DataSize) })),
	newGauge("global_sessions", "Live sessions of the ensemble.", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(st.GlobalSessions) })),
	newGauge("local_sessions", "Local sessions: always 0, every session is global.", prometheus.GaugeValue, always(func(*zkwire.Status) float64 { return 0 })),
	newGauge("num_alive_connections", "Client connections.", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(st.Connections) })),
	newGauge("outstanding_requests", "Client requests waiting for their replies.", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(st.Outstanding) })),
	newGauge("packets_received", "Packets received from clients (reset by srst).", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(st.Received) })),
	newGauge("packets_sent", "Packets sent to clients (reset by srst).", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(st.Sent) })),
	newGauge("avg_latency", "Average request latency in ms (reset by srst).", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return st.AvgLatency })),
	newGauge("min_latency", "Smallest request latency in ms (reset by srst).", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(st.MinLatency) })),
	newGauge("max_latency", "Largest request latency in ms (reset by srst).", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(st.MaxLatency) })),
	newGauge("uptime", "Time since the client port opened, in ms.", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(st.Uptime.Milliseconds()) })),
	newGauge("open_file_descriptor_count", "Open file descriptors.", prometheus.GaugeValue, func(st *zkwire.Status) (float64, bool) {
		return float64(st.OpenFDs), st.OpenFDs >= 0
	}),
	newGauge("max_file_descriptor_count", "File descriptor limit.", prometheus.GaugeValue, func(st *zkwire.Status) (float64, bool) {
		return float64(st.MaxFDs), st.MaxFDs >= 0
	}),
	newGauge("quorum_size", "Voting members of the ensemble.", prometheus.GaugeValue, func(st *zkwire.Status) (float64, bool) {
		return float64(st.QuorumSize), st.QuorumSize > 0
	}),
	newGauge("learners", "On the leader, its connected followers.", prometheus.GaugeValue, onLeader(func(st *zkwire.Status) float64 { return float64(st.Learners) })),
	newGauge("synced_followers", "On the leader, its synced followers.", prometheus.GaugeValue, onLeader(func(st *zkwire.Status) float64 { return float64(st.SyncedFollowers) })),
	newGauge("synced_non_voting_followers", "On the leader: always 0, every follower votes.", prometheus.GaugeValue, onLeader(func(*zkwire.Status) float64 { return 0 })),
	newGauge("synced_observers", "On the leader: always 0, there are no observers.", prometheus.GaugeValue, onLeader(func(*zkwire.Status) float64 { return 0 })),
	newGauge("pending_syncs", "On the leader, followers still syncing.", prometheus.GaugeValue, onLeader(func(st *zkwire.Status) float64 { return float64(st.PendingSyncs) })),
	newGauge("leader_uptime", "On the leader, time since it began to lead, in ms.", prometheus.GaugeValue, onLeader(func(st *zkwire.Status) float64 { return float64(st.LeaderUptime.Milliseconds()) })),
	newGauge("last_proposal_size", "On the leader, bytes of its last proposal (-1: none yet).", prometheus.GaugeValue, onLeader(func(st *zkwire.Status) float64 { return float64(st.ProposalSizes[0]) })),
	newGauge("min_proposal_size", "On the leader, bytes of its smallest proposal (-1: none yet).", prometheus.GaugeValue, onLeader(func(st *zkwire.Status) float64 { return float64(st.ProposalSizes[1]) })),
	newGauge("max_proposal_size", "On the leader, bytes of its largest proposal (-1: none yet).", prometheus.GaugeValue, onLeader(func(st *zkwire.Status) float64 { return float64(st.ProposalSizes[2]) })),
	newGauge("bytes_received_count", "Request bytes received from clients.", prometheus.CounterValue, always(func(st *zkwire.Status) float64 { return float64(st.Counters.BytesReceived) })),
	newGauge("connection_request_count", "Client handshakes.", prometheus.CounterValue, always(func(st *zkwire.Status) float64 { return float64(st.Counters.ConnectionRequests) })),
	newGauge("paddock_sessions", "Sessions connected to this node.", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(st.ServedSessions) })),
	newGauge("paddock_disk_full", "1 while the disk is full and the node refuses requests.", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(boolValue(st.DiskFull)) })),
	newGauge("paddock_epoch", "The epoch the node is in.", prometheus.GaugeValue, always(func(st *zkwire.Status) float64 { return float64(st.Epoch) })),
}

func boolValue(b bool) int {
	if b {
		return 1
	}
	return 0
}

// serverState is paddock_server_state: 1 for the node's mode, as mntr's
// zk_server_state names it (looking: not serving).
var serverState = prometheus.NewDesc("paddock_server_state", "1 for the node's mode: leader, follower, standalone or looking.", []string{"state"}, nil)

// statusCollector exports the node's status, read once per scrape.
type statusCollector struct{ status func() zkwire.Status }

func (c statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, g := range gauges {
		ch <- g.desc
	}
	ch <- serverState
}

func (c statusCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.status()
	for _, g := range gauges {
		if v, ok := g.value(&st); ok {
			ch <- prometheus.MustNewConstMetric(g.desc, g.typ, v)
		}
	}
	state := string(st.Mode)
	if st.Mode == zkwire.ModeLooking {
		state = "looking"
	}
	ch <- prometheus.MustNewConstMetric(serverState, prometheus.GaugeValue, 1, state)
}

var (
	busMessages = prometheus.NewDesc("paddock_bus_messages_total", "Messages through the node's bus, by direction and message kind.",
		[]string{"direction", "kind"}, nil)
	busBytes = prometheus.NewDesc("paddock_bus_bytes_total", "Encoded bytes of the messages through the node's bus, by direction and message kind.",
		[]string{"direction", "kind"}, nil)
)

// busCollector exports the bus's traffic by kind, read once per scrape.
type busCollector struct{ traffic func() []BusTraffic }

func (c busCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- busMessages
	ch <- busBytes
}

func (c busCollector) Collect(ch chan<- prometheus.Metric) {
	for _, t := range c.traffic() {
		ch <- prometheus.MustNewConstMetric(busMessages, prometheus.CounterValue, float64(t.SentMessages), "sent", t.Kind)
		ch <- prometheus.MustNewConstMetric(busBytes, prometheus.CounterValue, float64(t.SentBytes), "sent", t.Kind)
		ch <- prometheus.MustNewConstMetric(busMessages, prometheus.CounterValue, float64(t.ReceivedMessages), "received", t.Kind)
		ch <- prometheus.MustNewConstMetric(busBytes, prometheus.CounterValue, float64(t.ReceivedBytes), "received", t.Kind)
	}
}
