package server

// Session benchmarks on the in-process 3-node ensemble of bench_test.go.
// The idle-session cost (CPU and bus messages of 1,000 sessions kept alive
// by the native client) is measured against real node processes, in
// cmd/node's BenchmarkIdleSessions, so that node CPU is not mixed with the
// clients'.
//
//	go test -run '^$' -bench SessionCreate -benchtime 5s ./server

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/paddock-zk/paddock/actors/buswire"
	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/store"
	"github.com/paddock-zk/paddock/zk"
)

// benchRequest sends one request straight to node's request subject (as
// the raw helper of sessions_test.go does) and returns the reply.
func benchRequest(ctx context.Context, nc *nats.Conn, tok string, node msg.NodeID, req *msg.Request) (*msg.Reply, error) {
	b, err := buswire.Encode(msg.New(msg.Addr{}, msg.Addr{Node: node, Role: msg.RoleStore}, req))
	if err != nil {
		return nil, err
	}
	m, err := nc.RequestWithContext(ctx, buswire.RequestSubject("b", node, tok), b)
	if err != nil {
		return nil, err
	}
	env, err := buswire.Decode(m.Data)
	if err != nil {
		return nil, err
	}
	rp, ok := env.Body.(*msg.Reply)
	if !ok {
		return nil, fmt.Errorf("reply of kind %s", env.Kind)
	}
	if rp.Err != 0 {
		return rp, fmt.Errorf("%s: %s", req.Op.Op, rp.Err)
	}
	return rp, nil
}

// BenchmarkSessionCreate: 32 workers, worker w on node w%3, each op a
// createSession (timeout 4 s) followed by a closeSession of it, both
// straight on the bus (no client package, no pings). Both are committed
// through the leader, so an op is two replicated writes. Reported:
// sessions/s (create+close pairs), p50/p99 of the pair, and
// create-p99-ms, the createSession alone.
func BenchmarkSessionCreate(b *testing.B) {
	skipUnlessBench(b)
	nodes := benchEnsemble(b, 3)
	conns := make([]*nats.Conn, len(nodes))
	toks := make([]string, len(nodes))
	for i, n := range nodes {
		toks[i] = buswire.NewConnToken()
		nc, err := nats.Connect(n.BusURL(), buswire.ClientOptions(toks[i])...)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(nc.Close)
		conns[i] = nc
	}
	const workers = 32
	b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
		creates := make([][]time.Duration, workers) // worker w appends to creates[w] only
		run(b, workers, "sessions/s", func(ctx context.Context, w int, _ int64) error {
			nc, node := conns[w%len(conns)], nodes[w%len(nodes)].ID()
			t0 := time.Now()
			rp, err := benchRequest(ctx, nc, toks[w%len(conns)], node, &msg.Request{Timeout: 4000, Op: msg.Op{Op: zk.OpCreateSession}})
			if err != nil {
				return err
			}
			d := time.Since(t0)
			creates[w] = append(creates[w], d)
			id := rp.Session
			_, err = benchRequest(ctx, nc, toks[w%len(conns)], node, &msg.Request{Session: id, Xid: 1, Passwd: store.SessionPasswd([]byte(benchPeerPassword), id),
				Op: msg.Op{Op: zk.OpCloseSession}})
			return err
		})
		all := slices.Concat(creates...)
		slices.Sort(all)
		if len(all) > 0 {
			b.ReportMetric(float64(all[min(len(all)-1, len(all)*99/100)])/float64(time.Millisecond), "create-p99-ms")
		}
	})
}
