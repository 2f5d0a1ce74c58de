package zkwire

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Mode is the node's role as four-letter words print it.
type Mode string

// Modes, with ZooKeeper's spelling.
const (
	ModeLeader     Mode = "leader"
	ModeFollower   Mode = "follower"
	ModeObserver   Mode = "observer"
	ModeStandalone Mode = "standalone"
	ModeLooking    Mode = "" // not serving: no Mode line is printed
)

// Status is what the four-letter words report about the node. Values that a
// node does not track yet stay zero and are printed as such.
type Status struct {
	Version     string
	Mode        Mode
	Zxid        uint64
	NodeCount   int
	Connections int
	Received    uint64
	Sent        uint64
	Outstanding int
	// Leader/epoch detail for mntr.
	Epoch  uint64
	Leader uint64
	MyID   uint64
	// Digest of the applied tree at Zxid, for comparing replicas.
	Digest uint64
	// Messages this node has published and taken from its bus (actor
	// traffic, client requests and replies), for mntr.
	BusSent, BusReceived uint64
	// DiskFull: the node's disk is full and it refuses requests until
	// space returns; it then reports itself not serving, but still
	// answers mntr (paddock_disk_full 1) so the cause can be seen.
	DiskFull bool
	// A leader's followers, for mntr: connected (zk_learners), synced
	// and serving (zk_synced_followers), connected but still syncing
	// (zk_pending_syncs).
	Learners, SyncedFollowers, SyncedObservers, PendingSyncs int
	// ObserverIDs are the synced observers' server ids, on a leader.
	ObserverIDs []uint64
	// ProposalSizes are a leader's last, smallest and largest proposal in
	// bytes, -1 each when not measured (ZooKeeper's BufferStats before the
	// first proposal), for srvr, stat and mntr.
	ProposalSizes [3]int64
	// For mntr: the ephemeral nodes, the sessions of the replicated
	// tree (ZooKeeper's global sessions), the bytes of every node's path
	// and data (approximate_data_size), the voting members (0 for a
	// standalone node), how long a leader has led; and the node's
	// counters and summaries (package metrics fills them, the front end
	// its own). ServedSessions are the sessions served by this node,
	// wire and native clients', for the node's metrics.
	Ephemerals, GlobalSessions int
	ServedSessions             int
	DataSize                   int64
	QuorumSize                 int
	LeaderUptime               time.Duration
	Counters                   Counters
	Summaries                  Summaries

	// The front end fills these itself (Server.fill): its clients (the
	// asking connection last, as ZooKeeper lists every connection, its
	// own included) and their response latencies in ms over every
	// connection so far, its uptime and file descriptors.
	Clients                []ClientInfo
	MinLatency, MaxLatency int64
	AvgLatency             float64
	Watches                int // mntr's zk_watch_count: (session, path, kind) registrations
	Uptime                 time.Duration
	OpenFDs, MaxFDs        int64 // -1 where the platform does not tell
	// Asked only for the words that print them (Config.Dump, Config.Conf,
	// Config.Watches).
	Sessions  []SessionDump
	Expiries  []SessionExpiry // a leader's or standalone node's
	Conf      *Conf
	WatchList []WatchDump
}

// SessionExpiry is a session in a leader's expiry queue: when it expires
// unless touched.
type SessionExpiry struct {
	ID int64
	At time.Time
}

// WatchDump is one watch as ZooKeeper's data watch manager holds it, which
// wchs, wchc and wchp print: a session's data, exists or persistent watch
// on a path, once per session and path (child watches are not in it).
type WatchDump struct {
	Session int64
	Path    string
}

// SessionDump is one session as dump prints it: its id, its negotiated
// timeout and its ephemeral nodes.
type SessionDump struct {
	ID         int64
	Timeout    int32 // ms
	Ephemerals []string
}

// Conf is what conf prints: ZooKeeperServer.dumpConf, and for a node of an
// ensemble QuorumZooKeeperServer.dumpConf's additions (Quorum).
type Conf struct {
	ClientPort               int
	SecureClientPort         int // -1: none
	DataDir, DataLogDir      string
	DataDirSize, DataLogSize int64 // bytes of the files under each
	TickTime                 int   // ms
	MaxClientCnxns           int
	MinSessionTimeout        int // ms
	MaxSessionTimeout        int // ms
	ClientPortListenBacklog  int // -1: the system's default
	ServerID                 uint64
	Quorum                   *QuorumConf // nil for a standalone node
}

// QuorumConf is conf's part for a node of an ensemble.
type QuorumConf struct {
	InitLimit, SyncLimit     int
	ElectionAlg              int // 3 is FastLeaderElection
	ElectionPort, QuorumPort int
	PeerType                 int // 0 participant, 1 observer
	Servers                  []ConfServer
	Version                  uint64 // of the membership; 0 for a static one
}

// ConfServer is one member as QuorumServer.toString prints it.
type ConfServer struct {
	ID                       uint64
	Host                     string
	QuorumPort, ElectionPort int
	Role                     string // participant or observer
	ClientAddr               string // host:port, "" when the server line names none
}

// notServing is ZooKeeper's reply to most words when the node has no quorum.
const notServing = "This ZooKeeper instance is not currently serving requests\n"

// words lists every four-letter word ZooKeeper knows, so a request for a
// real word that is not allowed gets ZooKeeper's refusal rather than being
// mistaken for a client frame.
var words = map[string]bool{
	"conf": true, "cons": true, "crst": true, "dump": true, "envi": true, "gtmk": true,
	"ruok": true, "stmk": true, "srst": true, "srvr": true, "stat": true, "wchc": true,
	"wchp": true, "wchs": true, "mntr": true, "isro": true, "hash": true, "dirs": true,
}

// implemented lists the words this build answers.
var implemented = map[string]func(w *bytes.Buffer, st Status){
	"srvr": writeSrvr,
	"ruok": func(w *bytes.Buffer, _ Status) { w.WriteString("imok") },
	"isro": func(w *bytes.Buffer, _ Status) { w.WriteString("rw") },
	"conf": writeConf,
	"mntr": writeMntr,
	"stat": writeStat,
	"cons": writeCons,
	"wchs": writeWchs,
	"srst": func(w *bytes.Buffer, _ Status) { w.WriteString("Server stats reset.\n") },
	"crst": func(w *bytes.Buffer, _ Status) { w.WriteString("Connection stats reset.\n") },
	"dirs": writeDirs,
	"wchc": func(w *bytes.Buffer, st Status) { writeWatches(w, st, false) },
	"wchp": func(w *bytes.Buffer, st Status) { writeWatches(w, st, true) },
	"dump": writeDump,
	"envi": writeEnvi,
}

// IsFourLetterWord reports whether b (the first four bytes of a connection)
// is one of ZooKeeper's four-letter words.
func IsFourLetterWord(b []byte) bool { return len(b) == 4 && words[string(b)] }

// Allowed is the 4lw allow-list; "*" allows every word.
type Allowed map[string]bool

// NewAllowed builds an allow-list from config words. srvr is always
// allowed, as in ZooKeeper, whose zkServer.sh status depends on it.
func NewAllowed(list []string) Allowed {
	a := Allowed{"srvr": true}
	for _, w := range list {
		a[w] = true
	}
	return a
}

func (a Allowed) allows(w string) bool { return a["*"] || a[w] }

// AnswerFourLetter writes the reply to word as ZooKeeper would, in one
// Write: clients that read once (server_version()-style helpers) must get
// all of it.
func AnswerFourLetter(w io.Writer, word string, allowed Allowed, st Status) {
	_, _ = w.Write(FourLetterReply(word, allowed, st))
}

// FourLetterReply is the whole reply to word.
func FourLetterReply(word string, allowed Allowed, st Status) []byte {
	var b bytes.Buffer
	if !allowed.allows(word) {
		fmt.Fprintf(&b, "%s is not executed because it is not in the whitelist.\n", word)
		return b.Bytes()
	}
	f, ok := implemented[word]
	switch {
	case !ok:
		fmt.Fprintf(&b, "%s is not supported by this server.\n", word)
	case st.Mode == ModeLooking && word == "isro":
		// IsroCommand prints its null server.
		b.WriteString("null")
	case st.Mode == ModeLooking && word != "ruok" && word != "envi" && (!st.DiskFull || word != "mntr"):
		b.WriteString(notServing)
	default:
		f(&b, st)
	}
	return b.Bytes()
}

func writeSrvr(w *bytes.Buffer, st Status) {
	fmt.Fprintf(w, "Zookeeper version: %s\n", st.Version)
	writeServerStats(w, st)
}

// writeStat is srvr with the clients between the version and the figures.
func writeStat(w *bytes.Buffer, st Status) {
	fmt.Fprintf(w, "Zookeeper version: %s\n", st.Version)
	w.WriteString("Clients:\n")
	for _, c := range st.Clients {
		writeClient(w, c, true)
		w.WriteByte('\n')
	}
	w.WriteByte('\n')
	writeServerStats(w, st)
}

// writeServerStats is ServerStats.toString, the node count and a leader's
// proposal sizes, as StatCommand prints them.
func writeServerStats(w *bytes.Buffer, st Status) {
	fmt.Fprintf(w, "Latency min/avg/max: %d/%s/%d\n", st.MinLatency, javaDouble(avg4(st.AvgLatency)), st.MaxLatency)
	fmt.Fprintf(w, "Received: %d\n", st.Received)
	fmt.Fprintf(w, "Sent: %d\n", st.Sent)
	fmt.Fprintf(w, "Connections: %d\n", st.Connections)
	fmt.Fprintf(w, "Outstanding: %d\n", st.Outstanding)
	fmt.Fprintf(w, "Zxid: 0x%x\n", st.Zxid)
	fmt.Fprintf(w, "Mode: %s\n", st.Mode)
	fmt.Fprintf(w, "Node count: %d\n", st.NodeCount)
	if st.Mode == ModeLeader {
		p := st.ProposalSizes
		fmt.Fprintf(w, "Proposal sizes last/min/max: %d/%d/%d\n", p[0], p[1], p[2])
	}
}

// avg4 rounds an average to 4 decimals, half up, as AvgMinMaxCounter.getAvg.
func avg4(f float64) float64 { return math.Floor(f*1e4+0.5) / 1e4 }

// javaDouble prints f as Java's Double.toString does for ordinary values.
func javaDouble(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// writeClient is ServerCnxn.dumpConnectionInfo, without its newline.
func writeClient(w *bytes.Buffer, c ClientInfo, brief bool) {
	fmt.Fprintf(w, " /%s[%x](queued=%d,recved=%d,sent=%d", c.Remote, c.Interest, c.Queued, c.Received, c.Sent)
	if !brief && c.Session != 0 {
		fmt.Fprintf(w, ",sid=0x%x,lop=%s,est=%d,to=%d", uint64(c.Session), c.LastOp, c.Est.UnixMilli(), c.Timeout.Milliseconds())
		if c.LastCxid >= 0 {
			fmt.Fprintf(w, ",lcxid=0x%x", c.LastCxid)
		}
		var lresp int64
		if !c.LastResp.IsZero() {
			lresp = c.LastResp.UnixMilli()
		}
		fmt.Fprintf(w, ",lzxid=0x%x,lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d",
			uint64(c.LastZxid), lresp, c.LastLat, c.MinLat, c.AvgLat, c.MaxLat)
	}
	w.WriteByte(')')
}

func writeCons(w *bytes.Buffer, st Status) {
	for _, c := range st.Clients {
		writeClient(w, c, false)
		w.WriteByte('\n')
	}
	w.WriteByte('\n')
}

// writeWchs is WatchManager.toString of the data watches and
// WatchCommand's newline.
func writeWchs(w *bytes.Buffer, st Status) {
	sessions, paths := map[int64]bool{}, map[string]bool{}
	for _, wd := range st.WatchList {
		sessions[wd.Session], paths[wd.Path] = true, true
	}
	fmt.Fprintf(w, "%d connections watching %d paths\nTotal watches:%d\n", len(sessions), len(paths), len(st.WatchList))
}

// writeWatches is WatchManager.dumpWatches of the data watches, by
// session (wchc) or by path (wchp), and WatchCommand's newline. ZooKeeper
// prints them in hash order; Paddock sorts them.
func writeWatches(w *bytes.Buffer, st Status, byPath bool) {
	ws := slices.Clone(st.WatchList)
	if !byPath {
		slices.SortStableFunc(ws, func(a, b WatchDump) int { return cmp.Compare(a.Session, b.Session) })
	}
	for i, wd := range ws {
		switch {
		case byPath && (i == 0 || ws[i-1].Path != wd.Path):
			fmt.Fprintf(w, "%s\n", wd.Path)
		case !byPath && (i == 0 || ws[i-1].Session != wd.Session):
			fmt.Fprintf(w, "0x%x\n", uint64(wd.Session))
		}
		if byPath {
			fmt.Fprintf(w, "\t0x%x\n", uint64(wd.Session))
		} else {
			fmt.Fprintf(w, "\t%s\n", wd.Path)
		}
	}
	w.WriteByte('\n')
}

// javaDate is java.util.Date.toString's layout.
const javaDate = "Mon Jan 02 15:04:05 MST 2006"

// writeDump is DumpCommand. Its session tracker part is, on a leader or
// standalone node, the expiry queue (SessionTrackerImpl), and on a
// follower every global session and its timeout (LearnerSessionTracker)
// from the replicated tree. The ephemerals are the tree's. The
// connections part is NIOServerCnxnFactory's expiry queue: the
// connections by the time they lapse if the client stays silent.
func writeDump(w *bytes.Buffer, st Status) {
	w.WriteString("SessionTracker dump:\n")
	ss := slicesSortedByID(st.Sessions)
	if st.Mode == ModeLeader || st.Mode == ModeStandalone {
		q := make([]queued, len(st.Expiries))
		for i, e := range st.Expiries {
			q[i] = queued{e.At, fmt.Sprintf("0x%x", uint64(e.ID))}
		}
		writeExpiryQueue(w, "Session ", q)
	} else {
		fmt.Fprintf(w, "Global Sessions(%d):\n", len(ss))
		for _, s := range ss {
			fmt.Fprintf(w, "0x%x\t%dms\n", uint64(s.ID), s.Timeout)
		}
	}
	withEph := 0
	for _, s := range ss {
		if len(s.Ephemerals) > 0 {
			withEph++
		}
	}
	w.WriteString("ephemeral nodes dump:\n")
	fmt.Fprintf(w, "Sessions with Ephemerals (%d):\n", withEph)
	for _, s := range ss {
		if len(s.Ephemerals) == 0 {
			continue
		}
		fmt.Fprintf(w, "0x%x:\n", uint64(s.ID))
		for _, p := range s.Ephemerals {
			fmt.Fprintf(w, "\t%s\n", p)
		}
	}
	w.WriteString("Connections dump:\n")
	q := make([]queued, len(st.Clients))
	for i, c := range st.Clients {
		// Rounded up to the next second, as ZooKeeper to its interval.
		q[i] = queued{c.Expires.Truncate(time.Second).Add(time.Second), fmt.Sprintf("ip: /%s sessionId: 0x%x", c.Remote, uint64(c.Session))}
	}
	writeExpiryQueue(w, "Connections ", q)
}

// queued is an element of an expiry queue: when it expires, and how
// ZooKeeper prints it.
type queued struct {
	at   time.Time
	name string
}

// writeExpiryQueue is ExpiryQueue.dump after its owner's prefix: the
// elements grouped by the time they expire at, soonest first.
func writeExpiryQueue(w *bytes.Buffer, prefix string, q []queued) {
	sets := map[int64][]string{}
	for _, e := range q {
		at := e.at.UnixMilli()
		sets[at] = append(sets[at], e.name)
	}
	times := make([]int64, 0, len(sets))
	for t := range sets {
		times = append(times, t)
	}
	slices.Sort(times)
	fmt.Fprintf(w, "%sSets (%d)/(%d):\n", prefix, len(sets), len(q))
	for _, t := range times {
		fmt.Fprintf(w, "%d expire at %s:\n", len(sets[t]), time.UnixMilli(t).Format(javaDate))
		for _, name := range sets[t] {
			fmt.Fprintf(w, "\t%s\n", name)
		}
	}
}

func slicesSortedByID(ss []SessionDump) []SessionDump {
	out := append([]SessionDump(nil), ss...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// writeEnvi is EnvCommand: the process's environment, with Go's figures
// under Java's names (java.version is the Go version).
func writeEnvi(w *bytes.Buffer, st Status) {
	w.WriteString("Environment:\n")
	for _, kv := range envLines(st.Version) {
		w.WriteString(kv)
		w.WriteByte('\n')
	}
}

// writeConf is ZooKeeperServer.dumpConf and, on a node of an ensemble,
// QuorumZooKeeperServer's lines and the membership, whose last line
// (QuorumMaj.toString's version) has no newline.
func writeConf(w *bytes.Buffer, st Status) {
	c := st.Conf
	if c == nil {
		return
	}
	fmt.Fprintf(w, "clientPort=%d\nsecureClientPort=%d\n", c.ClientPort, c.SecureClientPort)
	fmt.Fprintf(w, "dataDir=%s\ndataDirSize=%d\n", c.DataDir, c.DataDirSize)
	fmt.Fprintf(w, "dataLogDir=%s\ndataLogSize=%d\n", c.DataLogDir, c.DataLogSize)
	fmt.Fprintf(w, "tickTime=%d\nmaxClientCnxns=%d\n", c.TickTime, c.MaxClientCnxns)
	fmt.Fprintf(w, "minSessionTimeout=%d\nmaxSessionTimeout=%d\n", c.MinSessionTimeout, c.MaxSessionTimeout)
	fmt.Fprintf(w, "clientPortListenBacklog=%d\nserverId=%d\n", c.ClientPortListenBacklog, c.ServerID)
	q := c.Quorum
	if q == nil {
		return
	}
	fmt.Fprintf(w, "initLimit=%d\nsyncLimit=%d\nelectionAlg=%d\n", q.InitLimit, q.SyncLimit, q.ElectionAlg)
	fmt.Fprintf(w, "electionPort=%d\nquorumPort=%d\npeerType=%d\n", q.ElectionPort, q.QuorumPort, q.PeerType)
	w.WriteString("membership: \n")
	for _, s := range q.Servers {
		fmt.Fprintf(w, "server.%d=%s:%d:%d:%s", s.ID, s.Host, s.QuorumPort, s.ElectionPort, s.Role)
		if s.ClientAddr != "" {
			fmt.Fprintf(w, ";%s", s.ClientAddr)
		}
		w.WriteByte('\n')
	}
	fmt.Fprintf(w, "version=%x", q.Version)
}

// writeDirs is DirsCommand: the bytes of the data and log directories.
func writeDirs(w *bytes.Buffer, st Status) {
	var c Conf
	if st.Conf != nil {
		c = *st.Conf
	}
	fmt.Fprintf(w, "datadir_size: %d\nlogdir_size: %d\n", c.DataDirSize, c.DataLogSize)
}

// peerState is QuorumPeer.getDetailedPeerState of a serving node.
func peerState(m Mode) string {
	switch m {
	case ModeLeader:
		return "leading - broadcast"
	case ModeFollower:
		return "following - broadcast"
	case ModeObserver:
		return "observing - broadcast"
	}
	return ""
}

// ParseMode extracts the Mode line from a srvr reply; ok is false when the
// node said it is not serving or the reply has no Mode line.
func ParseMode(reply string) (Mode, bool) {
	for _, l := range strings.Split(reply, "\n") {
		if m, ok := strings.CutPrefix(l, "Mode: "); ok {
			return Mode(strings.TrimSpace(m)), true
		}
	}
	return ModeLooking, false
}
