package zkwire

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Mode is the node's role as four-letter words print it.
type Mode string

// Modes, with ZooKeeper's spelling.
const (
	ModeLeader     Mode = "leader"
	ModeFollower   Mode = "follower"
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
	// Extra lines for `conf`: key=value, printed in order.
	Conf []string
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

	// The front end fills these itself (Server.fill): its clients and
	// their response latencies in ms, over every connection so far.
	Clients                        []ClientInfo
	MinLatency, MaxLatency         int64
	AvgLatency                     float64
	WatchingSessions, WatchedPaths int           // wchs: sessions with watches, paths watched
	Watches                        int           // (session, path, kind) registrations
	EphemeralCount                 int           // mntr's zk_ephemerals_count
	Sessions                       []SessionDump // dump only (Config.Dump)
}

// SessionDump is one session as dump prints it: its id, its negotiated
// timeout and its ephemeral nodes.
type SessionDump struct {
	ID         int64
	Timeout    int32 // ms
	Ephemerals []string
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
var implemented = map[string]func(w io.Writer, st Status){
	"srvr": writeSrvr,
	"ruok": func(w io.Writer, _ Status) { io.WriteString(w, "imok") },
	"isro": func(w io.Writer, _ Status) { io.WriteString(w, "rw") },
	"conf": writeConf,
	"mntr": writeMntr,
	"stat": writeStat,
	"cons": writeCons,
	"wchs": writeWchs,
	"dump": writeDump,
	"envi": writeEnvi,
}

// servesWhileLooking are the words answered by a node that is not serving.
var servesWhileLooking = map[string]bool{"ruok": true, "isro": true, "conf": true, "envi": true}

// IsFourLetterWord reports whether b (the first four bytes of a connection)
// is one of ZooKeeper's four-letter words.
func IsFourLetterWord(b []byte) bool { return len(b) == 4 && words[string(b)] }

// Allowed is the 4lw allow-list; "*" allows every word.
type Allowed map[string]bool

// NewAllowed builds an allow-list from config words.
func NewAllowed(list []string) Allowed {
	a := Allowed{}
	for _, w := range list {
		a[w] = true
	}
	return a
}

func (a Allowed) allows(w string) bool { return a["*"] || a[w] }

// AnswerFourLetter writes the reply to word as ZooKeeper would.
func AnswerFourLetter(w io.Writer, word string, allowed Allowed, st Status) {
	if !allowed.allows(word) {
		fmt.Fprintf(w, "%s is not executed because it is not in the whitelist.\n", word)
		return
	}
	f, ok := implemented[word]
	if !ok {
		fmt.Fprintf(w, "%s is not supported by this server.\n", word)
		return
	}
	if st.Mode == ModeLooking && !servesWhileLooking[word] && !(st.DiskFull && word == "mntr") {
		io.WriteString(w, notServing)
		return
	}
	f(w, st)
}

func writeSrvr(w io.Writer, st Status) {
	fmt.Fprintf(w, "Zookeeper version: %s\n", st.Version)
	writeServerStats(w, st)
}

// writeStat is srvr with the clients between the version and the figures.
func writeStat(w io.Writer, st Status) {
	fmt.Fprintf(w, "Zookeeper version: %s\n", st.Version)
	fmt.Fprintln(w, "Clients:")
	for _, c := range st.Clients {
		writeClient(w, c, true)
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	writeServerStats(w, st)
}

// writeServerStats is ServerStats.toString and the node count.
func writeServerStats(w io.Writer, st Status) {
	fmt.Fprintf(w, "Latency min/avg/max: %d/%s/%d\n", st.MinLatency, javaDouble(st.AvgLatency), st.MaxLatency)
	fmt.Fprintf(w, "Received: %d\n", st.Received)
	fmt.Fprintf(w, "Sent: %d\n", st.Sent)
	fmt.Fprintf(w, "Connections: %d\n", st.Connections)
	fmt.Fprintf(w, "Outstanding: %d\n", st.Outstanding)
	fmt.Fprintf(w, "Zxid: 0x%x\n", st.Zxid)
	fmt.Fprintf(w, "Mode: %s\n", st.Mode)
	fmt.Fprintf(w, "Node count: %d\n", st.NodeCount)
}

// javaDouble prints f as Java's Double.toString does for ordinary values.
func javaDouble(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// writeClient is ServerCnxn.dumpConnectionInfo, without its newline.
func writeClient(w io.Writer, c ClientInfo, brief bool) {
	fmt.Fprintf(w, " /%s[1](queued=%d,recved=%d,sent=%d", c.Remote, c.Queued, c.Received, c.Sent)
	if !brief {
		fmt.Fprintf(w, ",sid=0x%x,lop=%s,est=%d,to=%d", c.Session, c.LastOp, c.Est.UnixMilli(), c.Timeout.Milliseconds())
		if c.LastCxid >= 0 {
			fmt.Fprintf(w, ",lcxid=0x%x", c.LastCxid)
		}
		fmt.Fprintf(w, ",lzxid=0x%x", c.LastZxid)
		if !c.LastResp.IsZero() {
			fmt.Fprintf(w, ",lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d", c.LastResp.UnixMilli(), c.LastLat, c.MinLat, c.AvgLat, c.MaxLat)
		}
	}
	io.WriteString(w, ")")
}

func writeCons(w io.Writer, st Status) {
	for _, c := range st.Clients {
		writeClient(w, c, false)
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// writeWchs is DataTree.getWatchesSummary.
func writeWchs(w io.Writer, st Status) {
	fmt.Fprintf(w, "%d connections watching %d paths\nTotal watches:%d\n", st.WatchingSessions, st.WatchedPaths, st.Watches)
}

// writeDump prints the sessions the node knows (the replicated session
// table: a follower knows the same ones as the leader) and their
// ephemerals, as DataTree.dumpEphemerals does.
func writeDump(w io.Writer, st Status) {
	fmt.Fprintln(w, "SessionTracker dump:")
	fmt.Fprintf(w, "Global Sessions(%d):\n", len(st.Sessions))
	withEph := 0
	for _, s := range st.Sessions {
		fmt.Fprintf(w, "0x%016x\t%dms\n", uint64(s.ID), s.Timeout)
		if len(s.Ephemerals) > 0 {
			withEph++
		}
	}
	fmt.Fprintln(w, "ephemeral nodes dump:")
	fmt.Fprintf(w, "Sessions with Ephemerals (%d):\n", withEph)
	for _, s := range st.Sessions {
		if len(s.Ephemerals) == 0 {
			continue
		}
		fmt.Fprintf(w, "0x%x:\n", uint64(s.ID))
		for _, p := range s.Ephemerals {
			fmt.Fprintf(w, "\t%s\n", p)
		}
	}
	fmt.Fprintln(w, "Connections dump:")
	fmt.Fprintf(w, "Connections Sets (%d)/(%d):\n", min(1, len(st.Clients)), len(st.Clients))
	if len(st.Clients) > 0 {
		fmt.Fprintf(w, "%d expire in:\n", len(st.Clients))
		for _, c := range st.Clients {
			fmt.Fprintf(w, "\tip: %s sessionId: 0x%x\n", c.Remote, uint64(c.Session))
		}
	}
}

// writeEnvi is EnvCommand: the process's environment, with Go's figures
// under Java's names (java.version is the Go version).
func writeEnvi(w io.Writer, st Status) {
	fmt.Fprintln(w, "Environment:")
	for _, kv := range envLines(st.Version) {
		fmt.Fprintln(w, kv)
	}
}

func writeConf(w io.Writer, st Status) {
	for _, l := range st.Conf {
		fmt.Fprintln(w, l)
	}
}

func writeMntr(w io.Writer, st Status) {
	kv := map[string]string{
		"zk_version":               st.Version,
		"zk_server_state":          string(st.Mode),
		"zk_znode_count":           fmt.Sprint(st.NodeCount),
		"zk_num_alive_connections": fmt.Sprint(st.Connections),
		"zk_packets_received":      fmt.Sprint(st.Received),
		"zk_packets_sent":          fmt.Sprint(st.Sent),
		"zk_outstanding_requests":  fmt.Sprint(st.Outstanding),
		"zk_min_latency":           fmt.Sprint(st.MinLatency),
		"zk_avg_latency":           javaDouble(st.AvgLatency),
		"zk_max_latency":           fmt.Sprint(st.MaxLatency),
		"zk_watch_count":           fmt.Sprint(st.Watches),
		"zk_last_zxid":             fmt.Sprintf("0x%x", st.Zxid),
		"paddock_epoch":            fmt.Sprint(st.Epoch),
		"paddock_leader":           fmt.Sprint(st.Leader),
		"paddock_myid":             fmt.Sprint(st.MyID),
		"paddock_digest":           fmt.Sprintf("%016x", st.Digest),
		"paddock_bus_sent":         fmt.Sprint(st.BusSent),
		"paddock_bus_received":     fmt.Sprint(st.BusReceived),
		"paddock_disk_full":        boolDigit(st.DiskFull),
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s\t%s\n", k, kv[k])
	}
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
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
