package client

import "testing"

func TestWithCredentials(t *testing.T) {
	var o options
	WithCredentials("alice", "pw")(&o)
	if len(o.natsOpts) != 1 {
		t.Fatalf("options: %d NATS options, want 1", len(o.natsOpts))
	}
}
