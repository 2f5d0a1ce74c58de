package zkclient

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

// FuzzReply feeds one reply frame to the reader while a request of each
// kind of response waits: whatever the bytes, the reader returns (an
// error or the next read's EOF) and never panics.
func FuzzReply(f *testing.F) {
	hdr := func(xid int32, code zk.Code) []byte {
		return jute.Encode(nil, &jute.ReplyHeader{Xid: xid, Zxid: 1, Err: code})
	}
	f.Add(append(hdr(1, 0), jute.Encode(nil, &jute.GetChildren2Response{Children: []string{"a"}})...))
	f.Add(hdr(1, zk.NoNode))
	f.Add(append(hdr(-1, 0), jute.Encode(nil, &jute.WatcherEvent{Type: 1, State: 3, Path: "/a"})...))
	f.Add(hdr(-4, zk.AuthFailed))
	f.Add(append(hdr(1, 0), 0xff, 0xff, 0xff, 0xff))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		for _, resp := range []jute.Record{&jute.GetChildren2Response{}, &jute.GetDataResponse{}, &jute.GetACLResponse{},
			&jute.WhoAmIResponse{}, &jute.Create2Response{}, nil} {
			client, server := net.Pipe()
			c := &Conn{timeout: time.Minute, done: make(chan struct{}), up: make(chan struct{})}
			c.w.init()
			c.pend = []*pending{{xid: 1, resp: resp, done: make(chan error, 1)}}
			go func() {
				_ = writeFrame(server, frame)
				server.Close()
			}()
			err := c.read(client)
			client.Close()
			if err == nil || (!errors.Is(err, ErrBadReply) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF)) {
				t.Fatalf("read ended with %v", err)
			}
		}
	})
}
