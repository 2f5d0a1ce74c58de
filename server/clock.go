package server

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/paddock-zk/paddock/actors"
)

// Test-only: a node whose clock runs fast or slow, or is off, for the
// gauntlet's clock-skew fault. PADDOCK_CLOCK_RATE (e.g. 2.0: two seconds
// per real second, so every tick-counted timeout fires twice as early)
// and PADDOCK_CLOCK_OFFSET (a Go duration, e.g. -30s) give every actor of
// the process an actors.SkewedClock instead of the system clock. Unset,
// the node runs on the system clock.
const (
	ClockRateEnv   = "PADDOCK_CLOCK_RATE"
	ClockOffsetEnv = "PADDOCK_CLOCK_OFFSET"
)

// clockFromEnv is the clock the environment asks for.
func clockFromEnv() (actors.Clock, error) {
	rs, ofs := os.Getenv(ClockRateEnv), os.Getenv(ClockOffsetEnv)
	if rs == "" && ofs == "" {
		return actors.SystemClock{}, nil
	}
	rate, offset := 1.0, time.Duration(0)
	var err error
	if rs != "" {
		if rate, err = strconv.ParseFloat(rs, 64); err != nil || !(rate > 0) {
			return nil, fmt.Errorf("server: %s=%q: want a rate above 0", ClockRateEnv, rs)
		}
	}
	if ofs != "" {
		if offset, err = time.ParseDuration(ofs); err != nil {
			return nil, fmt.Errorf("server: %s=%q: %w", ClockOffsetEnv, ofs, err)
		}
	}
	return actors.NewSkewedClock(rate, offset), nil
}
