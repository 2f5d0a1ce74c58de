package zkwire

import (
	"fmt"
	"io"
	"sort"
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
}

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
	if st.Mode == ModeLooking && word != "ruok" && word != "isro" && word != "conf" {
		io.WriteString(w, notServing)
		return
	}
	f(w, st)
}

func writeSrvr(w io.Writer, st Status) {
	fmt.Fprintf(w, "Zookeeper version: %s\n", st.Version)
	fmt.Fprintf(w, "Latency min/avg/max: 0/0.0/0\n")
	fmt.Fprintf(w, "Received: %d\n", st.Received)
	fmt.Fprintf(w, "Sent: %d\n", st.Sent)
	fmt.Fprintf(w, "Connections: %d\n", st.Connections)
	fmt.Fprintf(w, "Outstanding: %d\n", st.Outstanding)
	fmt.Fprintf(w, "Zxid: 0x%x\n", st.Zxid)
	fmt.Fprintf(w, "Mode: %s\n", st.Mode)
	fmt.Fprintf(w, "Node count: %d\n", st.NodeCount)
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
		"zk_last_zxid":             fmt.Sprintf("0x%x", st.Zxid),
		"paddock_epoch":            fmt.Sprint(st.Epoch),
		"paddock_leader":           fmt.Sprint(st.Leader),
		"paddock_myid":             fmt.Sprint(st.MyID),
		"paddock_digest":           fmt.Sprintf("%016x", st.Digest),
		"paddock_bus_sent":         fmt.Sprint(st.BusSent),
		"paddock_bus_received":     fmt.Sprint(st.BusReceived),
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
