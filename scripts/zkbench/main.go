// Command zkbench puts BenchmarkWrite, BenchmarkRead and BenchmarkCreate's
// load (package server) on an Apache ZooKeeper ensemble through
// go-zookeeper/zk, for a same-machine comparison: setData of 100 bytes
// (version -1) by 1, 8 and 32 writers each on its own znode, getData of
// one 100-byte znode by 32 readers on the followers, and creates by 32
// writers; one connection per worker, spread over the servers. It is a
// module of its own so the project does not depend on the ZooKeeper client.
//
//	go run . -servers 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183 -d 5s
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

func main() {
	servers := flag.String("servers", "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183", "client addresses")
	d := flag.Duration("d", 5*time.Second, "duration of each run")
	flag.Parse()
	addrs := strings.Split(*servers, ",")
	// Wait until every server serves as leader or follower.
	var followers []string
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		followers = nil
		up := 0
		for _, a := range addrs {
			switch mode(a) {
			case "follower":
				followers = append(followers, a)
				up++
			case "leader":
				up++
			}
		}
		if up == len(addrs) && len(followers) > 0 {
			break
		}
		if time.Now().After(deadline) {
			log.Fatal("the ensemble did not come up (srvr)")
		}
	}
	value := bytes.Repeat([]byte("v"), 100)
	conns := connect(addrs, 32)
	for i, c := range conns {
		p := fmt.Sprintf("/w%02d", i)
		if _, err := c.Create(p, value, 0, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
			log.Fatal(err)
		}
	}
	// Warm the JVMs up (JIT) before measuring, unreported.
	run(32, 2*time.Second, func(i int, _ int64) error {
		_, err := conns[i].Set(fmt.Sprintf("/w%02d", i), value, -1)
		return err
	})
	for _, w := range []int{1, 8, 32} {
		report(fmt.Sprintf("write/writers=%d", w), "writes/s", run(w, *d, func(i int, _ int64) error {
			_, err := conns[i].Set(fmt.Sprintf("/w%02d", i), value, -1)
			return err
		}))
	}
	if _, err := conns[0].Create("/c", nil, 0, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
		log.Fatal(err)
	}
	stamp := time.Now().UnixNano()
	report("create/writers=32", "creates/s", run(32, *d, func(i int, seq int64) error {
		_, err := conns[i].Create(fmt.Sprintf("/c/n-%d-%010d", stamp, seq), value, 0, zk.WorldACL(zk.PermAll))
		return err
	}))
	if _, err := conns[0].Create("/r", value, 0, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
		log.Fatal(err)
	}
	readers := connect(followers, 32)
	for _, c := range readers {
		if _, err := c.Sync("/r"); err != nil {
			log.Fatal(err)
		}
	}
	report("read/readers=32", "reads/s", run(32, *d, func(i int, _ int64) error {
		data, _, err := readers[i].Get("/r")
		if err == nil && len(data) != 100 {
			err = fmt.Errorf("read %d bytes", len(data))
		}
		return err
	}))
}

type result struct {
	n   int
	el  time.Duration
	lat []time.Duration
}

func report(name, unit string, r result) {
	slices.Sort(r.lat)
	pct := func(p float64) float64 {
		return float64(r.lat[min(len(r.lat)-1, int(float64(len(r.lat))*p))]) / float64(time.Millisecond)
	}
	fmt.Printf("zookeeper %-20s %8d ops  %10.0f %s  %7.2f p50-ms  %7.2f p99-ms\n", name, r.n, float64(r.n)/r.el.Seconds(), unit, pct(0.5), pct(0.99))
}

// run has each of `workers` goroutines call op until d has passed.
func run(workers int, d time.Duration, op func(i int, seq int64) error) result {
	var seq atomic.Int64
	lat := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				t0 := time.Now()
				if err := op(w, seq.Add(1)); err != nil {
					log.Fatal(err)
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	all := slices.Concat(lat...)
	return result{n: len(all), el: time.Since(start), lat: all}
}

func connect(addrs []string, k int) []*zk.Conn {
	conns := make([]*zk.Conn, k)
	for i := range conns {
		c, ev, err := zk.Connect([]string{addrs[i%len(addrs)]}, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
		if err != nil {
			log.Fatal(err)
		}
		for e := range ev {
			if e.State == zk.StateHasSession {
				break
			}
		}
		conns[i] = c
	}
	return conns
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// mode asks a server's role with the srvr four-letter word.
func mode(addr string) string {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	io.WriteString(c, "srvr")
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if m, ok := strings.CutPrefix(sc.Text(), "Mode: "); ok {
			return m
		}
	}
	return ""
}
