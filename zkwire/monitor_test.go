package zkwire

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

// Monitor's list is mntr's, key for key, with typed values for the
// AdminServer's JSON; a leader's figures only on a leader, the quorum
// size only in an ensemble, percentiles only where ZooKeeper keeps them.
func TestMonitor(t *testing.T) {
	leader := Status{Version: "v", Mode: ModeLeader, NodeCount: 14, Ephemerals: 4, GlobalSessions: 2, DataSize: 222,
		QuorumSize: 3, LeaderUptime: 1500 * time.Millisecond, Learners: 2, SyncedFollowers: 2, ProposalSizes: [3]int64{90, 36, 91},
		OpenFDs: 47, MaxFDs: 20000, Uptime: 2 * time.Second, AvgLatency: 4.32654,
		Counters: Counters{Proposals: 19, Looking: 1, BytesReceived: 1114, ConnectionRequests: 2, Commits: 19},
		Summaries: Summaries{
			Fsync: Summary{Count: 18, Sum: 61, Min: 0, Max: 25},
			Read:  Summary{Count: 40, Sum: 60, Max: 14, Percentiles: &[4]int64{1, 8, 14, 14}},
		}}
	kvs := Monitor(leader)
	got := map[string]any{}
	var keys []string
	for _, kv := range kvs {
		switch kv.Value.(type) {
		case int64, float64, string:
		default:
			t.Errorf("%s: value %v is a %T, want int64, float64 or string", kv.Key, kv.Value, kv.Value)
		}
		if _, dup := got[kv.Key]; dup {
			t.Errorf("%s twice", kv.Key)
		}
		got[kv.Key] = kv.Value
		keys = append(keys, kv.Key)
	}
	for k, want := range map[string]any{
		"zk_server_state": "leader", "zk_ephemerals_count": int64(4), "zk_global_sessions": int64(2), "zk_approximate_data_size": int64(222),
		"zk_quorum_size": int64(3), "zk_leader_uptime": int64(1500), "zk_local_sessions": int64(0), "zk_avg_latency": 4.3265,
		"zk_last_proposal_size": int64(90), "zk_proposal_count": int64(19), "zk_commit_count": int64(19), "zk_looking_count": int64(1),
		"zk_bytes_received_count": int64(1114), "zk_connection_request_count": int64(2),
		"zk_avg_fsynctime": 3.3889, "zk_max_fsynctime": int64(25), "zk_cnt_fsynctime": int64(18), "zk_sum_fsynctime": int64(61),
		"zk_avg_election_time": 0.0, "zk_cnt_election_time": int64(0),
		"zk_avg_readlatency": 1.5, "zk_p50_readlatency": int64(1), "zk_p95_readlatency": int64(8), "zk_p999_readlatency": int64(14),
		"paddock_disk_full": int64(0),
	} {
		if got[k] != want {
			t.Errorf("%s = %v (%T), want %v (%T)", k, got[k], got[k], want, want)
		}
	}
	for _, k := range []string{"zk_p50_fsynctime", "zk_p50_updatelatency"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s without percentiles", k)
		}
	}
	// ZooKeeper 3.8's order, as its leader printed these keys.
	order := []string{"zk_peer_state", "zk_ephemerals_count", "zk_num_alive_connections", "zk_avg_latency", "zk_min_proposal_size",
		"zk_znode_count", "zk_global_sessions", "zk_packets_sent", "zk_max_proposal_size", "zk_watch_count", "zk_min_latency",
		"zk_max_file_descriptor_count", "zk_approximate_data_size", "zk_open_file_descriptor_count", "zk_last_proposal_size",
		"zk_leader_uptime", "zk_local_sessions", "zk_uptime", "zk_learners", "zk_quorum_size", "zk_proposal_count",
		"zk_looking_count", "zk_learner_proposal_received_count", "zk_bytes_received_count", "zk_learner_commit_received_count",
		"zk_connection_request_count", "zk_commit_count", "zk_avg_follower_sync_time", "zk_avg_fsynctime", "zk_avg_snapshottime",
		"zk_avg_election_time", "zk_avg_updatelatency", "zk_avg_readlatency", "zk_p50_readlatency", "zk_last_zxid", "paddock_myid"}
	last := -1
	for _, k := range order {
		i := slices.Index(keys, k)
		if i <= last {
			t.Errorf("%s at %d, after %d: out of order", k, i, last)
		}
		last = i
	}

	// mntr prints exactly that list.
	var b bytes.Buffer
	writeMntr(&b, leader)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(kvs) {
		t.Fatalf("mntr has %d lines, Monitor %d keys", len(lines), len(kvs))
	}
	for i, l := range lines {
		if k, _, _ := strings.Cut(l, "\t"); k != kvs[i].Key {
			t.Errorf("mntr line %d is %q, Monitor's key %s", i, l, kvs[i].Key)
		}
	}
	for _, want := range []string{"zk_avg_fsynctime\t3.3889\n", "zk_avg_election_time\t0.0\n", "zk_server_state\tleader\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("mntr lacks %q", want)
		}
	}

	standalone := leader
	standalone.Mode, standalone.QuorumSize = ModeStandalone, 0
	for _, kv := range Monitor(standalone) {
		switch kv.Key {
		case "zk_peer_state", "zk_quorum_size", "zk_leader_uptime", "zk_learners", "zk_synced_followers", "zk_last_proposal_size":
			t.Errorf("standalone mntr has %s", kv.Key)
		}
	}
}
