package zkwire

import (
	"bytes"
	"fmt"
	"strconv"
)

// MonitorValue is one key of mntr, and of the AdminServer's monitor
// command, which prints the same list: Value is an int64, a float64 or a
// string.
type MonitorValue struct {
	Key   string
	Value any
}

// Counters are ZooKeeper's counters (ServerMetrics) that mntr prints,
// since the node started.
type Counters struct {
	Proposals          uint64 // proposal_count: txns this node proposed as leader
	Looking            uint64 // looking_count: elections this node began
	LearnerProposals   uint64 // learner_proposal_received_count: proposals received as a follower
	BytesReceived      uint64 // bytes_received_count: request bytes from clients on the client port
	LearnerCommits     uint64 // learner_commit_received_count: commits received as a follower
	ConnectionRequests uint64 // connection_request_count: client handshakes
	Commits            uint64 // commit_count: txns this node committed as leader
}

// Summary is one of ZooKeeper's summaries as mntr prints it, in ms, over
// every observation since the node started.
type Summary struct {
	Count, Sum, Min, Max int64
	// Percentiles are p50, p95, p99 and p999 of the last minute's
	// observations, for the summaries ZooKeeper prints them for
	// (readlatency, updatelatency); nil for the others.
	Percentiles *[4]int64
}

// Summaries are ZooKeeper's summaries that mntr prints.
type Summaries struct {
	FollowerSync Summary // follower_sync_time: from following a leader to serving
	Fsync        Summary // fsynctime: one fsync of the transaction log
	Snapshot     Summary // snapshottime: writing one snapshot
	Election     Summary // election_time: from looking to a decided election
	Update       Summary // updatelatency: a write, from its request to its reply
	Read         Summary // readlatency: any other request, from its request to its reply
}

// Monitor is mntr's key/value list for st: ZooKeeper 3.8's keys that
// Paddock has, in the order ZooKeeper prints them (its server values,
// then its metrics in their provider's order), then Paddock's own. mntr
// prints it; the AdminServer's monitor command serves the same list, its
// keys without the zk_ prefix, as ZooKeeper's does.
func Monitor(st Status) []MonitorValue {
	kvs := make([]MonitorValue, 0, 96)
	kv := func(k string, v any) { kvs = append(kvs, MonitorValue{k, v}) }
	n := func(k string, v int) { kv(k, int64(v)) }
	u := func(k string, v uint64) { kv(k, int64(v)) }
	leader := st.Mode == ModeLeader
	p := st.ProposalSizes
	kv("zk_version", st.Version)
	kv("zk_server_state", string(st.Mode))
	if ps := peerState(st.Mode); ps != "" {
		kv("zk_peer_state", ps)
	}
	n("zk_ephemerals_count", st.Ephemerals)
	n("zk_num_alive_connections", st.Connections)
	kv("zk_avg_latency", avg4(st.AvgLatency))
	if leader {
		kv("zk_min_proposal_size", p[1])
	}
	n("zk_outstanding_requests", st.Outstanding)
	n("zk_znode_count", st.NodeCount)
	n("zk_global_sessions", st.GlobalSessions)
	u("zk_packets_sent", st.Sent)
	u("zk_packets_received", st.Received)
	if leader {
		kv("zk_max_proposal_size", p[2])
		n("zk_synced_followers", st.SyncedFollowers)
	}
	n("zk_watch_count", st.Watches)
	if leader {
		n("zk_synced_non_voting_followers", 0)
		n("zk_synced_observers", st.SyncedObservers)
	}
	kv("zk_min_latency", st.MinLatency)
	if st.MaxFDs >= 0 {
		kv("zk_max_file_descriptor_count", st.MaxFDs)
	}
	kv("zk_approximate_data_size", st.DataSize)
	if st.OpenFDs >= 0 {
		kv("zk_open_file_descriptor_count", st.OpenFDs)
	}
	if leader {
		kv("zk_last_proposal_size", p[0])
		n("zk_pending_syncs", st.PendingSyncs)
		kv("zk_leader_uptime", st.LeaderUptime.Milliseconds())
	}
	// Every session is global: ZooKeeper's local sessions are not
	// supported.
	n("zk_local_sessions", 0)
	kv("zk_uptime", st.Uptime.Milliseconds())
	kv("zk_max_latency", st.MaxLatency)
	if leader {
		n("zk_learners", st.Learners)
	}
	if st.QuorumSize > 0 {
		n("zk_quorum_size", st.QuorumSize)
	}
	c := st.Counters
	u("zk_proposal_count", c.Proposals)
	u("zk_looking_count", c.Looking)
	u("zk_learner_proposal_received_count", c.LearnerProposals)
	u("zk_bytes_received_count", c.BytesReceived)
	u("zk_learner_commit_received_count", c.LearnerCommits)
	u("zk_connection_request_count", c.ConnectionRequests)
	u("zk_commit_count", c.Commits)
	s := st.Summaries
	for _, sm := range [...]struct {
		name string
		s    Summary
	}{
		{"follower_sync_time", s.FollowerSync}, {"fsynctime", s.Fsync}, {"snapshottime", s.Snapshot},
		{"election_time", s.Election}, {"updatelatency", s.Update}, {"readlatency", s.Read},
	} {
		var avg float64
		if sm.s.Count > 0 {
			avg = avg4(float64(sm.s.Sum) / float64(sm.s.Count))
		}
		kv("zk_avg_"+sm.name, avg)
		kv("zk_min_"+sm.name, sm.s.Min)
		kv("zk_max_"+sm.name, sm.s.Max)
		kv("zk_cnt_"+sm.name, sm.s.Count)
		kv("zk_sum_"+sm.name, sm.s.Sum)
		if ps := sm.s.Percentiles; ps != nil {
			for i, q := range [...]string{"p50", "p95", "p99", "p999"} {
				kv("zk_"+q+"_"+sm.name, ps[i])
			}
		}
	}
	// Paddock's: zk_last_zxid keeps the name tools already read.
	kv("zk_last_zxid", fmt.Sprintf("0x%x", st.Zxid))
	u("paddock_bus_received", st.BusReceived)
	u("paddock_bus_sent", st.BusSent)
	kv("paddock_digest", fmt.Sprintf("%016x", st.Digest))
	kv("paddock_disk_full", boolDigit(st.DiskFull))
	u("paddock_epoch", st.Epoch)
	u("paddock_leader", st.Leader)
	u("paddock_myid", st.MyID)
	return kvs
}

// writeMntr prints Monitor's list as MonitorCommand does: key, tab,
// value, with floats as Java prints a double.
func writeMntr(w *bytes.Buffer, st Status) {
	for _, kv := range Monitor(st) {
		w.WriteString(kv.Key)
		w.WriteByte('\t')
		switch v := kv.Value.(type) {
		case int64:
			w.WriteString(strconv.FormatInt(v, 10))
		case float64:
			w.WriteString(javaDouble(v))
		default:
			fmt.Fprint(w, v)
		}
		w.WriteByte('\n')
	}
}

func boolDigit(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
