package server

import (
	"github.com/paddock-zk/paddock/metrics"
	"github.com/paddock-zk/paddock/store"
	"github.com/paddock-zk/paddock/zkwire"
)

// newMetrics makes the node's metrics, reading its status and its bus's
// traffic when scraped. Nothing is served until serveMetrics.
func (n *Node) newMetrics() *metrics.Metrics {
	return metrics.New(metrics.Sources{
		Status: func() zkwire.Status {
			if n.zk == nil {
				return zkwire.Status{} // not started: nothing to tell yet
			}
			return n.zk.Status()
		},
		Bus: func() []metrics.BusTraffic {
			if n.bus == nil {
				return nil
			}
			kinds := n.bus.Bus().Traffic()
			out := make([]metrics.BusTraffic, len(kinds))
			for i, k := range kinds {
				out[i] = metrics.BusTraffic{Kind: k.Kind.String(), SentMessages: k.SentMessages, SentBytes: k.SentBytes,
					ReceivedMessages: k.ReceivedMessages, ReceivedBytes: k.ReceivedBytes}
			}
			return out
		},
		Runtime: n.cfg.Metrics.Runtime,
	})
}

func (n *Node) storeObserver() store.Observer {
	m := n.metrics
	return store.Observer{Proposed: m.Proposed, Committed: m.Committed, FromLeader: m.FromLeader, Synced: m.Synced,
		Snapshot: m.Snapshot}
}

// serveMetrics serves /metrics when the configuration names the
// Prometheus provider. A port that cannot be bound is logged and the
// node goes on without the endpoint: metrics must never take a
// coordination service down. (ZooKeeper 3.8 refuses to start instead.)
func (n *Node) serveMetrics() {
	addr := n.cfg.MetricsAddr()
	if addr == "" {
		return
	}
	srv, err := n.metrics.Serve(addr, n.log)
	if err != nil {
		n.log.Error("cannot serve metrics; the node goes on without them", "addr", addr, "err", err)
		return
	}
	n.metricsSrv = srv
	n.log.Info("serving metrics", "url", "http://"+DialAddr(srv.Addr().String())+metrics.Path)
}

// MetricsAddr is the bound address of /metrics, "" when it is not
// served.
func (n *Node) MetricsAddr() string {
	if n.metricsSrv == nil {
		return ""
	}
	return n.metricsSrv.Addr().String()
}

// fillMetrics adds the figures of ZooKeeper's metrics to a status: the
// tree's and the store's from ss, the ensemble's size, and the node's
// counters and summaries.
func (n *Node) fillMetrics(st *zkwire.Status, ss store.Status) {
	st.Ephemerals, st.GlobalSessions, st.DataSize, st.ServedSessions = ss.Ephemerals, ss.GlobalSessions, ss.DataSize, ss.Sessions
	if !n.cfg.Standalone() {
		st.QuorumSize = len(n.cfg.Voters())
	}
	if !ss.LeadingSince.IsZero() {
		st.LeaderUptime = n.clock.Now().Sub(ss.LeadingSince)
	}
	n.metrics.Fill(st)
}
