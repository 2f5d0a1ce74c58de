package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/internal/linz"
	"github.com/paddock-zk/paddock/internal/testkit"
	"github.com/paddock-zk/paddock/zk"
)

// The gate run of the default suite: four clients, each on its own node
// choice, do reads (sync + getData), blind writes and compare-and-sets on
// three znodes while the leader is killed -9 and restarted three times;
// porcupine checks the history. A failing run keeps porcupine's HTML
// visualisation and prints where.
func TestLinearizableUnderLeaderKills(t *testing.T) {
	e := fastEnsemble(t)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	hist := linz.NewHistory()
	keys := []string{"/lin-0", "/lin-1", "/lin-2"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	setup, err := client.Connect(ctx, e.BusURLs(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		call := hist.Begin()
		if _, err := setup.Create(ctx, k, []byte("init"), zk.Persistent, nil); err != nil {
			t.Fatal(err)
		}
		hist.Done(0, call, linz.Input{Kind: linz.Write, Key: k, Value: "init"}, linz.Output{Version: 0})
	}
	setup.Close()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 1; w <= 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed + int64(w)))
			c, err := client.Connect(ctx, e.BusURLs(w%3+1), client.WithSessionTimeout(6*time.Second))
			if err != nil {
				t.Errorf("worker %d: %v", w, err)
				return
			}
			defer c.Close()
			seen := map[string]int32{}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := keys[rng.Intn(len(keys))]
				v := fmt.Sprintf("w%d-%d", w, i)
				octx, ocancel := context.WithTimeout(ctx, 3*time.Second)
				call := hist.Begin()
				switch x := rng.Intn(10); {
				case x < 4:
					err := c.Sync(octx, k)
					var data []byte
					var st zk.Stat
					if err == nil {
						data, st, err = c.Get(octx, k)
					}
					if err == nil {
						hist.Done(w, call, linz.Input{Kind: linz.Read, Key: k}, linz.Output{Value: string(data), Version: st.Version})
						seen[k] = st.Version
					}
				case x < 7:
					st, err := c.Set(octx, k, []byte(v), -1)
					out := linz.Output{Version: st.Version, Unknown: err != nil}
					hist.Done(w, call, linz.Input{Kind: linz.Write, Key: k, Value: v}, out)
				default:
					exp := seen[k]
					st, err := c.Set(octx, k, []byte(v), exp)
					out := linz.Output{Version: st.Version, OK: err == nil}
					if err != nil && !errors.Is(err, client.ErrBadVersion) {
						out.Unknown = true
					}
					hist.Done(w, call, linz.Input{Kind: linz.CAS, Key: k, Value: v, Version: exp}, out)
					if err == nil {
						seen[k] = st.Version
					}
				}
				ocancel()
			}
		}()
	}
	for round := 0; round < 3; round++ {
		time.Sleep(2 * time.Second)
		leader := e.Settle(t, e.IDs()...)
		e.Kill9(leader)
		e.Settle(t, testkit.Without(e.IDs(), leader)...)
		time.Sleep(time.Second)
		e.Up(t, leader)
		e.WaitAnswering(t, leader)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()

	dir, err := os.MkdirTemp("", "paddock-linz-")
	if err != nil {
		t.Fatal(err)
	}
	viz := filepath.Join(dir, "history.html")
	res, err := hist.Check(2*time.Minute, viz)
	if err != nil {
		t.Fatal(err)
	}
	switch res {
	case porcupine.Ok:
		os.RemoveAll(dir)
		t.Logf("%d operations, linearizable", hist.Len())
	case porcupine.Unknown:
		t.Fatalf("the checker timed out on %d operations (seed %d); visualisation: %s", hist.Len(), seed, viz)
	default:
		t.Fatalf("NOT linearizable: %d operations (seed %d); visualisation: %s", hist.Len(), seed, viz)
	}
}
