package natsbus

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A snapshot of several chunks reaches a saver connected to another
// node of the cluster; a second save while one is taken is refused as
// busy; a source's failure, a node that does not serve snapshots and a
// client credential all give clear errors.
func TestSnapshotTransfer(t *testing.T) {
	nodes, _ := securedCluster(t, 2, nil)
	waitFor(t, "a route between the nodes", func() bool { return len(routed(nodes[0])) == 1 && len(routed(nodes[1])) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	data := make([]byte, 2*SnapshotChunk+12345)
	rand.New(rand.NewSource(1)).Read(data)
	release := make(chan struct{})
	var calls atomic.Int32
	stop, err := nodes[0].Bus().ServeSnapshots(func(ctx context.Context) ([]byte, error) {
		calls.Add(1)
		select {
		case <-release:
			return data, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	stop2, err := nodes[1].Bus().ServeSnapshots(func(context.Context) ([]byte, error) {
		return nil, errors.New("store: node is not serving")
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop2()

	type result struct {
		n   int64
		got []byte
		err error
	}
	first := make(chan result, 1)
	go func() {
		var buf bytes.Buffer
		n, err := FetchSnapshot(ctx, nodes[1].ClientURL(), testPeer, nil, "t", 1, &buf)
		first <- result{n, buf.Bytes(), err}
	}()
	waitFor(t, "the first save to be taken", func() bool { return calls.Load() == 1 })
	if _, err := FetchSnapshot(ctx, nodes[0].ClientURL(), testPeer, nil, "t", 1, io.Discard); !errors.Is(err, ErrSnapshotBusy) {
		t.Fatalf("a second save meanwhile: %v, want ErrSnapshotBusy", err)
	}
	close(release)
	r := <-first
	if r.err != nil || r.n != int64(len(data)) || !bytes.Equal(r.got, data) {
		t.Fatalf("save: %d bytes (%d written), %v; want %d", len(r.got), r.n, r.err, len(data))
	}
	// The transfer ended with it: the next save goes through.
	if n, err := FetchSnapshot(ctx, nodes[0].ClientURL(), testPeer, nil, "t", 1, io.Discard); err != nil || n != int64(len(data)) {
		t.Fatalf("a save after the first: %d bytes, %v", n, err)
	}

	if _, err := FetchSnapshot(ctx, nodes[0].ClientURL(), testPeer, nil, "t", 2, io.Discard); err == nil || !strings.Contains(err.Error(), "not serving") {
		t.Errorf("a save from a node whose store cannot: %v", err)
	}
	if _, err := FetchSnapshot(ctx, nodes[0].ClientURL(), testPeer, nil, "t", 3, io.Discard); err == nil || !strings.Contains(err.Error(), "does not answer snapshot requests") {
		t.Errorf("a save from a node that does not serve snapshots: %v", err)
	}
	before := calls.Load()
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	defer cancelShort()
	if _, err := FetchSnapshot(short, nodes[0].ClientURL(), testClients[0], nil, "t", 1, io.Discard); err == nil {
		t.Error("a client credential got a snapshot")
	}
	if calls.Load() != before {
		t.Error("a client credential had the node take a snapshot")
	}
}
