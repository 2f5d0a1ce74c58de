package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/paddock-zk/paddock/actors"
	"github.com/paddock-zk/paddock/internal/crashpoint"
	"github.com/paddock-zk/paddock/internal/faultfs"
	"github.com/paddock-zk/paddock/replica/wal/walfs"
	"github.com/paddock-zk/paddock/server"
)

// Fault injection for crash tests of real processes, off unless these are
// set (then the node logs a warning).
const (
	// envFaultFS, set to a seed, puts a faultfs.FS under the storage:
	// a crash point's simulated crash cuts files back to what was fsynced,
	// tearing tails the way the seed says.
	envFaultFS = "PADDOCK_FAULTFS"
	// envFaultControl names a file polled for a fault mode: none, enospc,
	// eio-fsync (see faultfs.ParseMode), or crash (a power loss now).
	// It needs envFaultFS.
	envFaultControl = "PADDOCK_FAULTFS_CONTROL"
	// envClockRate (e.g. 2.0: two seconds per real second, so every
	// tick-counted timeout fires twice as early) and envClockOffset (a Go
	// duration, e.g. -30s) give every actor of the process an
	// actors.SkewedClock instead of the system clock: the gauntlet's
	// clock-skew fault.
	envClockRate   = "PADDOCK_CLOCK_RATE"
	envClockOffset = "PADDOCK_CLOCK_OFFSET"
)

// setupFaults arms the crash points the environment names and returns the
// Start options for them, for a skewed clock and for a fault file system,
// if any is asked for. stderr is where a simulated crash reports what it
// dropped.
func setupFaults(log *slog.Logger, stderr io.Writer) ([]server.Option, error) {
	var opts []server.Option
	clock, err := clockFromEnv()
	if err != nil {
		return nil, err
	}
	if clock != nil {
		opts = append(opts, server.WithClock(clock))
	}
	on, err := crashpoint.Setup(log, nil)
	if err != nil {
		return nil, err
	}
	if on {
		opts = append(opts, server.WithCrashHook(crashpoint.Hit))
	}
	seedText := os.Getenv(envFaultFS)
	if seedText == "" {
		if os.Getenv(envFaultControl) != "" {
			return nil, fmt.Errorf("%s needs %s", envFaultControl, envFaultFS)
		}
		return opts, nil
	}
	seed, err := strconv.ParseInt(seedText, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: want a seed: %w", envFaultFS, seedText, err)
	}
	ffs := faultfs.New(walfs.OS, seed)
	crashpoint.OnCrash(func() {
		rep, err := ffs.Crash()
		fmt.Fprintf(stderr, "paddock: faultfs: simulated power loss: %s\n", rep)
		for _, c := range rep.Cuts {
			fmt.Fprintf(stderr, "paddock: faultfs: cut %s\n", c)
		}
		if err != nil {
			fmt.Fprintf(stderr, "paddock: faultfs: %v\n", err)
		}
	})
	log.Warn("storage goes through a fault-injecting file system", "seed", seed)
	if path := os.Getenv(envFaultControl); path != "" {
		log.Warn("storage faults are controlled by a file", "file", path)
		go pollFaults(log, ffs, path)
	}
	return append(opts, server.WithFS(ffs)), nil
}

func pollFaults(log *slog.Logger, ffs *faultfs.FS, path string) {
	crashpoint.PollFile(path, nil, func(cmd string) {
		if cmd == "crash" {
			crashpoint.Crash("faultfs.power-loss")
		}
		m, err := faultfs.ParseMode(cmd)
		if err != nil {
			log.Error("fault control file", "file", path, "err", err)
			return
		}
		log.Warn("storage fault mode", "mode", m.String())
		ffs.SetMode(m)
	})
}

// clockFromEnv is the skewed clock the environment asks for, or nil.
func clockFromEnv() (actors.Clock, error) {
	rs, ofs := os.Getenv(envClockRate), os.Getenv(envClockOffset)
	if rs == "" && ofs == "" {
		return nil, nil
	}
	rate, offset := 1.0, time.Duration(0)
	var err error
	if rs != "" {
		if rate, err = strconv.ParseFloat(rs, 64); err != nil || !(rate > 0) {
			return nil, fmt.Errorf("%s=%q: want a rate above 0", envClockRate, rs)
		}
	}
	if ofs != "" {
		if offset, err = time.ParseDuration(ofs); err != nil {
			return nil, fmt.Errorf("%s=%q: %w", envClockOffset, ofs, err)
		}
	}
	return actors.NewSkewedClock(rate, offset), nil
}
