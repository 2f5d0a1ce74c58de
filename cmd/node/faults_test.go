package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/paddock-zk/paddock/actors"
	"github.com/paddock-zk/paddock/internal/crashpoint"
)

// A node started with no fault variable gets no fault option: the system
// clock, the host's file system, no crash hook.
func TestSetupFaultsOffByDefault(t *testing.T) {
	for _, v := range []string{envClockRate, envClockOffset, envFaultFS, envFaultControl, crashpoint.EnvVar, crashpoint.FileEnvVar} {
		t.Setenv(v, "")
	}
	opts, err := setupFaults(slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil || len(opts) != 0 {
		t.Fatalf("setupFaults = %d options, %v; want none", len(opts), err)
	}
}

// The gauntlet's clock-skew fault reaches the node through these
// variables.
func TestClockFromEnv(t *testing.T) {
	for _, tt := range []struct {
		rate, offset string
		want         float64 // the clock's rate; 0: no skewed clock
		wantOff      time.Duration
		err          string // a substring of the error; "" for none
	}{
		{"", "", 0, 0, ""},
		{"2", "", 2, 0, ""},
		{"", "-30s", 1, -30 * time.Second, ""},
		{"0.5", "45s", 0.5, 45 * time.Second, ""},
		{"0", "", 0, 0, envClockRate},
		{"fast", "", 0, 0, envClockRate},
		{"", "soon", 0, 0, envClockOffset},
	} {
		t.Setenv(envClockRate, tt.rate)
		t.Setenv(envClockOffset, tt.offset)
		c, err := clockFromEnv()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("rate %q offset %q: err %v, want one naming %s", tt.rate, tt.offset, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("rate %q offset %q: %v", tt.rate, tt.offset, err)
			continue
		}
		if tt.want == 0 {
			if c != nil {
				t.Errorf("no variable set: got clock %T, want none", c)
			}
			continue
		}
		sk, ok := c.(*actors.SkewedClock)
		if !ok || sk.Rate() != tt.want {
			t.Errorf("rate %q offset %q: got %T %v, want a skewed clock at %v", tt.rate, tt.offset, c, c, tt.want)
			continue
		}
		if off := time.Until(sk.Now()); off < tt.wantOff-time.Second || off > tt.wantOff+time.Second {
			t.Errorf("rate %q offset %q: clock is %s off, want about %s", tt.rate, tt.offset, off, tt.wantOff)
		}
	}
}
