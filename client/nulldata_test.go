package client

import (
	"testing"
	"time"

	"github.com/paddock-zk/paddock/internal/testutil"
	"github.com/paddock-zk/paddock/zk"

	"github.com/paddock-zk/paddock/client/clienttest"
	"github.com/paddock-zk/paddock/znode"
)

// Null and zero-length data cross the bus both ways as they are: what a
// create, create2, createTTL, setData or multi sends is what the node
// gets, and what getData returns is what the node holds.
func TestNullAndEmptyDataCrossTheBus(t *testing.T) {
	f := clienttest.Start(t)
	c := connectFake(t, f)
	ctx := ctxT(t)
	want := map[string]string{}
	for _, d := range []struct {
		name string
		data []byte
	}{{"null", nil}, {"empty", []byte{}}} {
		p := "/c-" + d.name
		if _, err := c.Create(ctx, p, d.data, zk.Persistent, nil); err != nil {
			t.Fatal(err)
		}
		want[p] = d.name
		p = "/c2-" + d.name
		if _, _, err := c.Create2(ctx, p, d.data, zk.Persistent, nil); err != nil {
			t.Fatal(err)
		}
		want[p] = d.name
		p = "/ttl-" + d.name
		if _, err := c.CreateTTL(ctx, p, d.data, zk.PersistentWithTTL, nil, time.Hour); err != nil {
			t.Fatal(err)
		}
		want[p] = d.name
		p = "/m-" + d.name
		if _, err := c.Multi(ctx, znode.Create{Path: p, Data: d.data}); err != nil {
			t.Fatal(err)
		}
		want[p] = d.name
	}
	// setData to empty after non-empty, and to null after empty.
	if _, err := c.Create(ctx, "/s", []byte("v"), zk.Persistent, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set(ctx, "/s", []byte{}, -1); err != nil {
		t.Fatal(err)
	}
	if got := testutil.DataKind(getData(t, c, "/s")); got != "empty" {
		t.Errorf("/s set to empty reads %s", got)
	}
	if _, err := c.Multi(ctx, znode.SetData{Path: "/s", Data: nil, Version: -1}); err != nil {
		t.Fatal(err)
	}
	want["/s"] = "null"
	for p, w := range want {
		if got := testutil.DataKind(getData(t, c, p)); got != w {
			t.Errorf("%s reads %s, want %s", p, got, w)
		}
	}
}

func getData(t *testing.T, c *Conn, p string) []byte {
	t.Helper()
	d, _, err := c.Get(ctxT(t), p)
	if err != nil {
		t.Fatalf("get %s: %v", p, err)
	}
	return d
}
