package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/paddock-zk/paddock/client"
	"github.com/paddock-zk/paddock/zk"
)

// Connect to a node's bus port, create a node, read it back and remove it.
// It needs a running ensemble (e.g. `node local up`), so it has no Output.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := client.Connect(ctx, []string{"nats://127.0.0.1:21811", "127.0.0.1:21812"},
		client.WithSessionTimeout(6*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	if _, err := conn.Create(ctx, "/app", []byte("v1"), zk.Persistent, nil); errors.Is(err, client.ErrNodeExists) {
		fmt.Println("already there")
	} else if err != nil {
		log.Fatal(err)
	}
	data, stat, err := conn.Get(ctx, "/app")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s (version %d)\n", data, stat.Version)
	if _, err := conn.Set(ctx, "/app", []byte("v2"), stat.Version); err != nil {
		log.Fatal(err)
	}
	if err := conn.Delete(ctx, "/app", -1); err != nil {
		log.Fatal(err)
	}
}

// Follow the session's state: Disconnected while it moves to another node
// after its node failed, SyncConnected again once it is re-attached with
// the same session, Expired if that could not happen in time.
func ExampleConn_States() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := client.Connect(ctx, []string{"127.0.0.1:21811", "127.0.0.1:21812", "127.0.0.1:21813"})
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		for st := range conn.States() { // closed after Closed
			log.Printf("session 0x%x: %s", conn.SessionID(), st)
			if st == client.StateExpired {
				log.Print("ephemerals gone: start over with a new Conn")
			}
		}
	}()
	defer conn.Close()
}
