package admin

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"os/user"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/paddock-zk/paddock/zkwire"
)

// command is one of ZooKeeper's admin commands.
type command struct {
	// names are the primary name, then the aliases (the four-letter
	// word among them).
	names []string
	// serving: the command needs a serving node (ZooKeeper's
	// isServerRequired).
	serving bool
	run     func(n Node, r *object)
}

// commands are ZooKeeper 3.8's, those Paddock has (see the package doc).
var commands = []*command{
	{[]string{"connection_stat_reset", "crst"}, true, func(n Node, _ *object) { n.ResetConnectionStats() }},
	{[]string{"configuration", "conf", "config"}, true, runConf},
	{[]string{"connections", "cons"}, true, func(n Node, r *object) { putConnections(r, n.Status("cons"), false) }},
	{[]string{"hash"}, true, runHash},
	{[]string{"dirs"}, true, runDirs},
	{[]string{"dump"}, true, runDump},
	{[]string{"environment", "env", "envi"}, false, runEnv},
	{[]string{"initial_configuration", "icfg"}, true, runInitialConf},
	{[]string{"is_read_only", "isro"}, true, func(_ Node, r *object) { r.put("read_only", false) }},
	{[]string{"last_snapshot", "lsnp"}, true, runLastSnapshot},
	{[]string{"leader", "lead"}, true, runLeader},
	{[]string{"monitor", "mntr"}, false, runMonitor},
	// The leader's synced observers (none elsewhere, as in ZooKeeper),
	// each by its server id.
	{[]string{"observers", "obsr"}, true, func(n Node, r *object) {
		st := n.Status("mntr")
		obs := []any{}
		for _, id := range st.ObserverIDs {
			o := newObject()
			o.put("sid", id)
			obs = append(obs, o)
		}
		r.put("synced_observers", st.SyncedObservers)
		r.put("observers", obs)
	}},
	{[]string{"ruok"}, true, func(Node, *object) {}},
	{[]string{"server_stats", "srvr"}, true, func(n Node, r *object) { putServerStats(r, n.Status("srvr")) }},
	{[]string{"stats", "stat"}, true, func(n Node, r *object) {
		st := n.Status("stat")
		putServerStats(r, st)
		putConnections(r, st, true)
	}},
	{[]string{"stat_reset", "srst"}, true, func(n Node, _ *object) { n.ResetServerStats() }},
	{[]string{"system_properties", "sysp"}, false, runSystemProperties},
	{[]string{"voting_view"}, true, runVotingView},
	{[]string{"watches", "wchc"}, true, runWatches},
	{[]string{"watches_by_path", "wchp"}, true, runWatchesByPath},
	{[]string{"watch_summary", "wchs"}, true, runWatchSummary},
	{[]string{"zabstate"}, false, runZabState},
}

// byName finds a command by any of its names.
var byName = func() map[string]*command {
	m := map[string]*command{}
	for _, c := range commands {
		for _, n := range c.names {
			if m[n] != nil {
				panic("admin: command name " + n + " registered twice")
			}
			m[n] = c
		}
	}
	return m
}()

func lookup(name string) (*command, bool) {
	c, ok := byName[name]
	return c, ok
}

// primaryNames are the commands' primary names, sorted.
func primaryNames() []string {
	out := make([]string, len(commands))
	for i, c := range commands {
		out[i] = c.names[0]
	}
	sort.Strings(out)
	return out
}

// runConf is ZooKeeperServerConf.toMap.
func runConf(n Node, r *object) {
	c := n.Status("conf").Conf
	if c == nil {
		r.put("error", "the configuration is not available")
		return
	}
	r.put("client_port", c.ClientPort)
	r.put("data_dir", c.DataDir)
	r.put("data_log_dir", c.DataLogDir)
	r.put("tick_time", c.TickTime)
	r.put("max_client_cnxns", c.MaxClientCnxns)
	r.put("min_session_timeout", c.MinSessionTimeout)
	r.put("max_session_timeout", c.MaxSessionTimeout)
	r.put("server_id", c.ServerID)
	r.put("client_port_listen_backlog", c.ClientPortListenBacklog)
}

// runDirs is DirsCommand: the bytes under the data and log directories.
func runDirs(n Node, r *object) {
	c := n.Status("dirs").Conf
	if c == nil {
		r.put("error", "the configuration is not available")
		return
	}
	r.put("datadir_size", c.DataDirSize)
	r.put("logdir_size", c.DataLogSize)
}

// connection is ServerCnxn.getConnectionInfo: brief for stat, whole for
// cons. Times are ms since the epoch, as Jackson writes a Date.
func connection(c zkwire.ClientInfo, brief bool) *object {
	o := newObject()
	o.put("remote_socket_address", c.Remote)
	o.put("interest_ops", c.Interest)
	o.put("outstanding_requests", c.Queued)
	o.put("packets_received", c.Received)
	o.put("packets_sent", c.Sent)
	if brief {
		return o
	}
	o.put("session_id", c.Session)
	o.put("last_operation", c.LastOp)
	o.put("established", c.Est.UnixMilli())
	o.put("session_timeout", c.Timeout.Milliseconds())
	o.put("last_cxid", c.LastCxid)
	o.put("last_zxid", c.LastZxid)
	var lresp int64
	if !c.LastResp.IsZero() {
		lresp = c.LastResp.UnixMilli()
	}
	o.put("last_response_time", lresp)
	o.put("last_latency", c.LastLat)
	o.put("min_latency", c.MinLat)
	o.put("avg_latency", c.AvgLat)
	o.put("max_latency", c.MaxLat)
	return o
}

// putConnections lists the connections of the client port and of the
// secure one apart, as ZooKeeper's two connection factories do.
func putConnections(r *object, st zkwire.Status, brief bool) {
	plain, secure := []*object{}, []*object{}
	for _, c := range st.Clients {
		if c.Secure {
			secure = append(secure, connection(c, brief))
		} else {
			plain = append(plain, connection(c, brief))
		}
	}
	r.put("connections", plain)
	r.put("secure_connections", secure)
}

// putServerStats is SrvrCommand: the version, ServerStats as Jackson
// writes it (the figures Paddock keeps), a leader's proposal sizes
// (BufferStats) and the node count.
func putServerStats(r *object, st zkwire.Status) {
	r.put("version", st.Version)
	r.put("read_only", false)
	ss := newObject()
	ss.put("packets_sent", st.Sent)
	ss.put("packets_received", st.Received)
	ss.put("max_latency", st.MaxLatency)
	ss.put("min_latency", st.MinLatency)
	ss.put("avg_latency", avg4(st.AvgLatency))
	ss.put("outstanding_requests", st.Outstanding)
	ss.put("last_processed_zxid", int64(st.Zxid))
	ss.put("server_state", string(st.Mode))
	ss.put("num_alive_client_connections", st.Connections)
	ss.put("uptime", st.Uptime.Milliseconds())
	r.put("server_stats", ss)
	if st.Mode == zkwire.ModeLeader {
		p := newObject()
		p.put("last_buffer_size", st.ProposalSizes[0])
		p.put("min_buffer_size", st.ProposalSizes[1])
		p.put("max_buffer_size", st.ProposalSizes[2])
		r.put("proposal_stats", p)
	}
	r.put("node_count", st.NodeCount)
}

// avg4 rounds an average to 4 decimals, half up, as
// AvgMinMaxCounter.getAvg (and mntr's zk_avg_latency).
func avg4(f float64) float64 { return math.Floor(f*1e4+0.5) / 1e4 }

// runHash is DigestCommand with the one digest Paddock keeps: the
// applied tree's at its zxid.
func runHash(n Node, r *object) {
	st := n.Status("hash")
	d := newObject()
	d.put("zxid", int64(st.Zxid))
	d.put("digest", st.Digest)
	r.put("digests", []*object{d})
}

// runDump is DumpCommand: a leader's (or standalone node's) session
// expiry queue, by the time in ms each set of sessions expires at (a
// follower's is empty, as ZooKeeper's learner tracker's), and the
// ephemeral nodes of every session that has some.
func runDump(n Node, r *object) {
	st := n.Status("dump")
	expiry := map[int64][]int64{}
	for _, e := range st.Expiries {
		at := e.At.UnixMilli()
		expiry[at] = append(expiry[at], e.ID)
	}
	for _, ids := range expiry {
		slices.Sort(ids)
	}
	eph := map[int64][]string{}
	for _, s := range st.Sessions {
		if len(s.Ephemerals) > 0 {
			eph[s.ID] = slices.Sorted(slices.Values(s.Ephemerals))
		}
	}
	r.put("expiry_time_to_session_ids", expiry)
	r.put("session_id_to_ephemeral_paths", eph)
}

// runEnv is EnvCommand: envi's keys and values.
func runEnv(n Node, r *object) {
	for _, kv := range zkwire.Environment(n.Status("envi").Version) {
		r.put(kv[0], kv[1])
	}
}

func runInitialConf(n Node, r *object) {
	text, err := n.InitialConfig()
	if err != nil {
		r.put("error", err.Error())
		return
	}
	r.put("initial_configuration", text)
}

// runLastSnapshot is LastSnapshotCommand: the zxid in hex without 0x,
// and the file's modification time in seconds.
func runLastSnapshot(n Node, r *object) {
	zxid, at, err := n.LastSnapshot()
	if err != nil {
		r.put("error", err.Error())
		return
	}
	r.put("zxid", strconv.FormatUint(zxid, 16))
	r.put("timestamp", at.Unix())
}

// runLeader is LeaderCommand; a standalone node is no quorum server,
// which ZooKeeper answers with its error.
func runLeader(n Node, r *object) {
	p := n.Peer()
	if p.Standalone {
		r.put("error", "server is not initialized")
		return
	}
	r.put("is_leader", p.Leading)
	r.put("leader_id", p.LeaderID)
	r.put("leader_ip", p.LeaderHost)
}

// runMonitor is MonitorCommand: mntr's keys without their zk_ prefix
// (ZooKeeper's mntr adds it to the monitor values), Paddock's own
// (paddock_*) as they are. Like mntr, it answers on a node that is not
// serving only when a full disk is why.
func runMonitor(n Node, r *object) {
	st := n.Status("mntr")
	if st.Mode == zkwire.ModeLooking && !st.DiskFull {
		r.put("error", errNotServing)
		return
	}
	for _, mv := range zkwire.Monitor(st) {
		v := mv.Value
		if m, ok := v.(zkwire.Mode); ok {
			v = string(m)
		}
		r.put(strings.TrimPrefix(mv.Key, "zk_"), v)
	}
}

// runVotingView is VotingViewCommand: every voting member's addresses,
// by id; a standalone node has none. A server's route (cluster) port is
// its quorum port, its bus port its election port, as in conf.
func runVotingView(n Node, r *object) {
	view := map[uint64]*object{}
	if c := n.Status("conf").Conf; c != nil && c.Quorum != nil {
		for _, s := range c.Quorum.Servers {
			o := newObject()
			o.put("server_addresses", []string{hostPort(s.Host, s.QuorumPort)})
			o.put("election_addresses", []string{hostPort(s.Host, s.ElectionPort)})
			o.put("client_address", s.ClientAddr)
			o.put("learner_type", s.Role)
			view[s.ID] = o
		}
	}
	r.put("current_config", view)
}

// hostPort is QuorumServer's host:port, IPv6 literals in brackets.
func hostPort(host string, port int) string {
	host = strings.Trim(host, "[]")
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(port)
}

// runWatches is WatchCommand: the data watches by session.
func runWatches(n Node, r *object) {
	m := map[int64][]string{}
	for _, w := range n.Status("wchc").WatchList {
		m[w.Session] = append(m[w.Session], w.Path)
	}
	for _, ps := range m {
		slices.Sort(ps)
	}
	r.put("session_id_to_watched_paths", m)
}

// runWatchesByPath is WatchesByPathCommand: the data watches by path.
func runWatchesByPath(n Node, r *object) {
	m := map[string][]int64{}
	for _, w := range n.Status("wchp").WatchList {
		m[w.Path] = append(m[w.Path], w.Session)
	}
	for _, ss := range m {
		slices.Sort(ss)
	}
	r.put("path_to_session_ids", m)
}

// runWatchSummary is WatchSummaryCommand (WatchesSummary.toMap).
func runWatchSummary(n Node, r *object) {
	ws := n.Status("wchs").WatchList
	sessions, paths := map[int64]bool{}, map[string]bool{}
	for _, w := range ws {
		sessions[w.Session], paths[w.Path] = true, true
	}
	r.put("num_connections", len(sessions))
	r.put("num_paths", len(paths))
	r.put("num_total_watches", len(ws))
}

// runZabState is ZabStateCommand: the node's Zab phase, and on a node of
// an ensemble who it is and how far its tree is.
func runZabState(n Node, r *object) {
	p := n.Peer()
	if p.Standalone {
		r.put("voting", false)
		r.put("zabstate", "")
		return
	}
	zxid := n.Status("srvr").Zxid
	r.put("myid", p.MyID)
	r.put("is_leader", p.Leading)
	r.put("quorum_address", p.QuorumAddr)
	r.put("election_address", p.ElectionAddr)
	r.put("client_address", p.ClientAddr)
	r.put("voting", p.Voting)
	r.put("last_zxid", fmt.Sprintf("0x%x", zxid))
	r.put("zab_epoch", zxid>>32)
	r.put("zab_counter", zxid&0xffffffff)
	r.put("zabstate", p.ZabState)
}

// runSystemProperties stands for SystemPropertiesCommand, whose Java
// system properties Paddock has not: what Go and the process report,
// sorted by key, values as strings as Java's are. The environment is
// left out: it may hold secrets, and the runtime's own settings are
// reported as they took effect (go.maxprocs, go.memory_limit).
func runSystemProperties(_ Node, r *object) {
	props := map[string]string{
		"go.version":       runtime.Version(),
		"go.compiler":      runtime.Compiler,
		"go.os":            runtime.GOOS,
		"go.arch":          runtime.GOARCH,
		"go.num_cpu":       strconv.Itoa(runtime.NumCPU()),
		"go.maxprocs":      strconv.Itoa(runtime.GOMAXPROCS(0)),
		"go.num_goroutine": strconv.Itoa(runtime.NumGoroutine()),
		"go.memory_limit":  strconv.FormatInt(debug.SetMemoryLimit(-1), 10),
		"process.pid":      strconv.Itoa(os.Getpid()),
		"process.ppid":     strconv.Itoa(os.Getppid()),
		"process.uid":      strconv.Itoa(os.Getuid()),
		"process.gid":      strconv.Itoa(os.Getgid()),
		"process.args":     strings.Join(os.Args, " "),
		"file.separator":   string(os.PathSeparator),
		"path.separator":   string(os.PathListSeparator),
		"line.separator":   "\n",
		"os.tmpdir":        os.TempDir(),
	}
	if exe, err := os.Executable(); err == nil {
		props["process.executable"] = exe
	}
	if dir, err := os.Getwd(); err == nil {
		props["user.dir"] = dir
	}
	if u, err := user.Current(); err == nil {
		props["user.name"], props["user.home"] = u.Username, u.HomeDir
	}
	if host, err := os.Hostname(); err == nil {
		props["host.name"] = host
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		props["build.path"] = bi.Path
		props["build.main.path"] = bi.Main.Path
		props["build.main.version"] = bi.Main.Version
		for _, s := range bi.Settings {
			props["build."+s.Key] = s.Value
		}
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare[string])
	for _, k := range keys {
		r.put(k, props[k])
	}
}
