package zkwire

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFourLetterWords(t *testing.T) {
	var st atomic.Pointer[Status]
	st.Store(&Status{Version: "v", Mode: ModeFollower, Zxid: 0x100000002, NodeCount: 4})
	srv, err := Listen(Config{Addr: "127.0.0.1:0", Allowed: NewAllowed([]string{"srvr", "ruok"}), Status: func() Status { return *st.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addr := srv.Addr().String()

	tests := []struct {
		word, want string
	}{
		{"srvr", "Mode: follower\n"},
		{"srvr", "Zxid: 0x100000002\n"},
		{"srvr", "Node count: 4\n"},
		{"ruok", "imok"},
		{"stat", "stat is not executed because it is not in the whitelist.\n"},
	}
	for _, tt := range tests {
		got, err := Ask(ctx, addr, tt.word)
		if err != nil {
			t.Fatalf("%s: %v", tt.word, err)
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s: reply %q lacks %q", tt.word, got, tt.want)
		}
	}
	if m, ok := ParseMode(mustAsk(ctx, t, addr, "srvr")); !ok || m != ModeFollower {
		t.Errorf("ParseMode = %q, %v", m, ok)
	}

	st.Store(&Status{Mode: ModeLooking})
	got := mustAsk(ctx, t, addr, "srvr")
	if got != notServing {
		t.Errorf("looking node srvr = %q", got)
	}
	if _, ok := ParseMode(got); ok {
		t.Error("ParseMode found a mode in a not-serving reply")
	}
}

func mustAsk(ctx context.Context, t *testing.T, addr, w string) string {
	t.Helper()
	s, err := Ask(ctx, addr, w)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
