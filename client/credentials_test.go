package client

import "testing"

func TestWithCredentials(t *testing.T) {
	var o options
	WithCredentials("alice", "pw")(&o)
	if len(o.natsOpts) != 1 || o.inboxPrefix != "_PDK.alice" {
		t.Fatalf("options: %d NATS options, inbox prefix %q", len(o.natsOpts), o.inboxPrefix)
	}
	if in := newInbox(o.inboxPrefix); len(in) <= len("_PDK.alice.") || in[:len("_PDK.alice.")] != "_PDK.alice." {
		t.Fatalf("inbox %q is not under the user's reply prefix", in)
	}
}
