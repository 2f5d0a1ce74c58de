package server

import (
	"flag"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/store"
	"github.com/paddock-zk/paddock/zk"
)

var benchWatchers = flag.Int("bench.watchers", 10000, "sessions watching one znode in BenchmarkWatchFanOut")

// fanOut is a crowd of raw sessions, each with its own reply subject under
// one NATS connection, so 10,000 sessions cost 10,000 subjects, not
// 10,000 connections.
type fanOut struct {
	b        *testing.B
	nc       *nats.Conn
	tok      string
	sessions []int64
	nodeOf   []msg.NodeID
	xid      []int32
	replies  atomic.Int64
	events   atomic.Int64
	mu       sync.Mutex
	created  map[string]int64 // reply subject -> session
}

func (f *fanOut) subject(i int) string { return fmt.Sprintf("%s.fan.%d", buswire.Inbox(f.tok), i) }

func (f *fanOut) publish(i int, req *msg.Request) {
	b, err := buswire.Encode(msg.New(msg.Addr{}, msg.Addr{Node: f.nodeOf[i], Role: msg.RoleStore}, req))
	if err != nil {
		f.b.Fatal(err)
	}
	if err := f.nc.PublishRequest(buswire.RequestSubject("b", f.nodeOf[i], f.tok), f.subject(i), b); err != nil {
		f.b.Fatal(err)
	}
}

func (f *fanOut) onMsg(m *nats.Msg) {
	env, err := buswire.Decode(m.Data)
	if err != nil {
		return
	}
	switch body := env.Body.(type) {
	case *msg.WatchEvent:
		f.events.Add(1)
	case *msg.Reply:
		if body.Err != 0 {
			f.b.Errorf("reply on %s: %s", m.Subject, body.Err)
		}
		if body.Xid == 0 {
			f.mu.Lock()
			f.created[m.Subject] = body.Session
			f.mu.Unlock()
		}
		f.replies.Add(1)
	}
}

func (f *fanOut) waitReplies(n int64) {
	benchWait(f.b, fmt.Sprintf("%d replies", n), 120*time.Second, func() bool { return f.replies.Load() >= n })
}

// watchAll registers every session's data watch on path.
func (f *fanOut) watchAll(path string) {
	start := f.replies.Load()
	for i, s := range f.sessions {
		f.xid[i]++
		f.publish(i, &msg.Request{Session: s, Xid: f.xid[i], Passwd: store.SessionPasswd([]byte(benchPeerPassword), s), Op: msg.Op{Op: zk.OpGetData, Path: path, Watch: true}})
	}
	f.waitReplies(start + int64(len(f.sessions)))
}

// BenchmarkWatchFanOut: 10,000 sessions spread over the three nodes watch
// one znode; one op is a setData of it, timed until the last of the
// 10,000 notifications has arrived at the clients. Re-arming the watches
// is not timed.
//
//	go test -run '^$' -bench WatchFanOut -benchtime 10x ./server
func BenchmarkWatchFanOut(b *testing.B) {
	skipUnlessBench(b)
	nodes := benchEnsemble(b, 3)
	n := *benchWatchers
	tok := buswire.NewConnToken()
	nc, err := nats.Connect(nodes[0].BusURL(), buswire.ClientOptions(tok)...)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	f := &fanOut{b: b, nc: nc, tok: tok, sessions: make([]int64, n), nodeOf: make([]msg.NodeID, n), xid: make([]int32, n), created: map[string]int64{}}
	sub, err := nc.Subscribe(buswire.Inbox(tok)+".fan.>", f.onMsg)
	if err != nil {
		b.Fatal(err)
	}
	_ = sub.SetPendingLimits(-1, -1)
	writer := n // one more session: the writer
	f.sessions = append(f.sessions, 0)
	f.nodeOf = append(f.nodeOf, 1)
	f.xid = append(f.xid, 0)
	for i := range f.sessions {
		f.nodeOf[i] = msg.NodeID(i%3 + 1)
		f.publish(i, &msg.Request{Timeout: 40000, Op: msg.Op{Op: zk.OpCreateSession}})
		if i%500 == 499 {
			f.waitReplies(int64(i + 1 - 250)) // keep a window, not 10,000 txns in flight
		}
	}
	f.waitReplies(int64(len(f.sessions)))
	for i := range f.sessions {
		f.sessions[i] = f.created[f.subject(i)]
	}
	w := f.sessions[writer]
	f.xid[writer]++
	start := f.replies.Load()
	f.publish(writer, &msg.Request{Session: w, Xid: f.xid[writer], Passwd: store.SessionPasswd([]byte(benchPeerPassword), w),
		Op: msg.Op{Op: zk.OpCreate, Path: "/hot", ACL: zk.OpenACLUnsafe}})
	f.waitReplies(start + 1)
	all := f.sessions[:n:n]
	// One watcher is the baseline, measured on the same ensemble: a
	// setData's own commit and one notification.
	for _, k := range []int{1, n} {
		b.Run(fmt.Sprintf("watchers=%d", k), func(b *testing.B) {
			f.b = b
			watchers := all[:k]
			var lat []time.Duration
			for range b.N {
				b.StopTimer()
				f.sessions = watchers
				f.watchAll("/hot")
				events := f.events.Load()
				b.StartTimer()
				t0 := time.Now()
				f.xid[writer]++
				f.publish(writer, &msg.Request{Session: w, Xid: f.xid[writer], Passwd: store.SessionPasswd([]byte(benchPeerPassword), w),
					Op: msg.Op{Op: zk.OpSetData, Path: "/hot", Data: []byte(strings.Repeat("x", 100)), Version: -1}})
				for f.events.Load() < events+int64(k) {
					if time.Since(t0) > time.Minute {
						b.Fatalf("%d of %d notifications after a minute", f.events.Load()-events, k)
					}
					time.Sleep(50 * time.Microsecond)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			var sum time.Duration
			for _, d := range lat {
				sum += d
			}
			b.ReportMetric(float64(sum.Microseconds())/float64(len(lat))/1000, "ms/fanout")
			b.ReportMetric(float64(k)/(sum.Seconds()/float64(len(lat))), "events/s")
		})
	}
}
