// Package crashpoint arms the named crash points of a real node process:
// places in the shell (the storage layer and the store actor, never the
// pure cores) where a process crash is most likely to lose or corrupt
// acknowledged data. The packages that own the sites name them (the
// Crash* constants of replica/wal and store) and call a hook they are
// given (wal.Options.CrashHook, store.ActorOptions.CrashHook, both set by
// server.WithCrashHook); cmd/node passes Hit as that hook when this
// package's variables are set. The production
// packages never import this one (internal/archtest checks): it owns the
// arming, the list of every point for a harness, and the kill.
//
// A point is armed by the environment variable PADDOCK_CRASHPOINT, read
// by Setup at start-up, or by the content of the file named by
// PADDOCK_CRASHPOINT_FILE, polled so a harness can arm a running node
// (e.g. whichever node is the leader right now). A spec is a
// comma-separated list of
//
//	name     crash at the first hit
//	name@N   crash at the Nth hit (N >= 1)
//	name%P   crash at each hit with probability P percent
//
// When a point fires, Hit writes one line "paddock: crash point NAME hit"
// to stderr (the harness counts these), runs the hooks registered with
// OnCrash (a fault file system drops its unsynced bytes there, as a power
// loss would), and SIGKILLs its own process. Hit never returns once it
// fires; other goroutines that reach an armed point meanwhile wait.
// Unless a point is armed, Hit costs one atomic load and does nothing.
//
// It is test machinery that stays in the node binary (cmd/node's fault
// wiring); nothing arms a point unless one of the two variables is set.
package crashpoint

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/paddock-zk/paddock/replica/wal"
	"github.com/paddock-zk/paddock/store"
)

// The environment variables.
const (
	EnvVar     = "PADDOCK_CRASHPOINT"      // a spec, armed at Setup
	FileEnvVar = "PADDOCK_CRASHPOINT_FILE" // a file holding a spec, polled
)

// The crash points, by the harness's names for them; each is the constant
// of the package that owns the site, which documents where it is.
const (
	WALBeforeFsync      = wal.CrashBeforeFsync
	WALAfterFsync       = wal.CrashAfterFsync
	AckAfterSend        = store.CrashAckAfterSend
	SyncAfterTruncate   = wal.CrashSyncAfterTruncate
	SyncBeforeAck       = store.CrashSyncBeforeAck
	SyncAfterAck        = store.CrashSyncAfterAck
	SnapSend            = store.CrashSnapSend
	SnapReceive         = store.CrashSnapReceive
	SnapInstallBefore   = wal.CrashSnapInstallBefore
	SnapInstallMid      = wal.CrashSnapInstallMid
	SnapInstallAfter    = wal.CrashSnapInstallAfter
	EpochBeforeAccepted = wal.CrashEpochBeforeAccepted
	EpochAfterAccepted  = wal.CrashEpochAfterAccepted
	EpochBeforeCurrent  = wal.CrashEpochBeforeCurrent
	EpochAfterCurrent   = wal.CrashEpochAfterCurrent
)

// Points is every crash point, in the order a harness visits them.
var Points = []string{
	WALBeforeFsync, WALAfterFsync, AckAfterSend,
	SyncAfterTruncate, SyncBeforeAck, SyncAfterAck,
	SnapSend, SnapReceive, SnapInstallBefore, SnapInstallMid, SnapInstallAfter,
	EpochBeforeAccepted, EpochAfterAccepted, EpochBeforeCurrent, EpochAfterCurrent,
}

// HitLine is the stderr line a firing point writes, before its name.
const HitLine = "paddock: crash point "

// rule arms one point.
type rule struct {
	nth   int64   // fire at this hit (1-based); 0 with prob
	prob  float64 // fire with this probability per hit, when nth == 0
	count atomic.Int64
}

type armedSet struct {
	spec  string
	rules map[string]*rule
}

var (
	armed  atomic.Pointer[armedSet] // nil: every Hit is a no-op
	out    io.Writer                = os.Stderr
	fireMu sync.Mutex               // held forever by the point that fires
	hooks  struct {
		sync.Mutex
		fns []func()
	}
	// kill ends the process; tests of this package replace it.
	kill = func() {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // SIGKILL is not deliverable late; never return meanwhile
	}
)

// parse checks a spec and returns its rules by point name.
func parse(spec string) (*armedSet, error) {
	set := &armedSet{spec: spec, rules: map[string]*rule{}}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		r := &rule{nth: 1}
		name := part
		if n, v, ok := strings.Cut(part, "@"); ok {
			k, err := strconv.ParseInt(v, 10, 64)
			if err != nil || k < 1 {
				return nil, fmt.Errorf("crashpoint: %q: want name@N with N >= 1", part)
			}
			name, r.nth = n, k
		} else if n, v, ok := strings.Cut(part, "%"); ok {
			p, err := strconv.ParseFloat(v, 64)
			if err != nil || p <= 0 || p > 100 {
				return nil, fmt.Errorf("crashpoint: %q: want name%%P with 0 < P <= 100", part)
			}
			name, r.nth, r.prob = n, 0, p/100
		}
		if !slices.Contains(Points, name) {
			return nil, fmt.Errorf("crashpoint: unknown point %q (known: %s)", name, strings.Join(Points, ", "))
		}
		set.rules[name] = r
	}
	if len(set.rules) == 0 {
		return nil, nil
	}
	return set, nil
}

// Arm replaces what is armed by spec ("" disarms). Hit counts start over.
func Arm(spec string) error {
	set, err := parse(spec)
	if err != nil {
		return err
	}
	armed.Store(set)
	return nil
}

// Armed is the spec in force ("" when nothing is armed).
func Armed() string {
	if a := armed.Load(); a != nil {
		return a.spec
	}
	return ""
}

// OnCrash registers fn to run when a point fires, before the process is
// killed: what a power loss would do to state the process cannot see die
// (e.g. a fault file system dropping unsynced bytes).
func OnCrash(fn func()) {
	hooks.Lock()
	hooks.fns = append(hooks.fns, fn)
	hooks.Unlock()
}

// Hit is a crash point. It returns at once unless name is armed and this
// hit fires it; then it never returns.
func Hit(name string) {
	a := armed.Load()
	if a == nil {
		return
	}
	r := a.rules[name]
	if r == nil {
		return
	}
	n := r.count.Add(1)
	if r.nth > 0 && n != r.nth || r.nth == 0 && rand.Float64() >= r.prob {
		return
	}
	fire(name, n)
}

// Crash crashes the process now as a firing point would (line, hooks,
// SIGKILL), naming why: a harness's simulated power loss.
func Crash(why string) { fire(why, 1) }

func fire(name string, n int64) {
	fireMu.Lock() // never unlocked: one point fires, any other waits for the kill
	fmt.Fprintf(out, "%s%s hit (hit %d, pid %d)\n", HitLine, name, n, os.Getpid())
	hooks.Lock()
	fns := slices.Clone(hooks.fns)
	hooks.Unlock()
	for _, fn := range fns {
		fn()
	}
	kill()
}

// Setup arms the points named by PADDOCK_CRASHPOINT and, when
// PADDOCK_CRASHPOINT_FILE is set, polls that file until stop is closed
// (nil: for the process's life). A node calls it once at start-up. on
// says whether either variable is set, that is whether a point may ever
// fire: only then does the node need Hit as its crash hook.
func Setup(log *slog.Logger, stop <-chan struct{}) (on bool, err error) {
	if spec := os.Getenv(EnvVar); spec != "" {
		if err := Arm(spec); err != nil {
			return false, fmt.Errorf("crashpoint: %s: %w", EnvVar, err)
		}
		log.Warn("crash point armed", "spec", spec)
		on = true
	}
	path := os.Getenv(FileEnvVar)
	if path == "" {
		return on, nil
	}
	log.Warn("crash points armed from a control file", "file", path)
	go poll(log, path, stop)
	return true, nil
}

// pollEvery is how often a control file is read: cheap, and far below
// how long a harness waits for a point to be reached.
const pollEvery = 20 * time.Millisecond

func poll(log *slog.Logger, path string, stop <-chan struct{}) {
	PollFile(path, stop, func(spec string) {
		if err := Arm(spec); err != nil {
			log.Error("crash point control file", "file", path, "err", err)
		} else {
			log.Warn("crash points armed", "spec", spec)
		}
	})
}

// PollFile reads the control file path every pollEvery until stop is
// closed (nil: for the process's life) and calls apply with its trimmed
// content each time that changes; a missing file reads as "". It is how a
// harness steers a running node (crash points here, a fault file
// system's mode in cmd/node).
func PollFile(path string, stop <-chan struct{}, apply func(content string)) {
	last := ""
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		b, err := os.ReadFile(path)
		if err == nil || os.IsNotExist(err) {
			if content := strings.TrimSpace(string(b)); content != last {
				last = content
				apply(content)
			}
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}
