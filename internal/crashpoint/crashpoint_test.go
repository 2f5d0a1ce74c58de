package crashpoint

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		spec string
		ok   bool
	}{
		{"", true},
		{WALBeforeFsync, true},
		{WALBeforeFsync + "@3," + SnapSend + "%50", true},
		{"no.such-point", false},
		{WALBeforeFsync + "@0", false},
		{WALBeforeFsync + "@x", false},
		{WALBeforeFsync + "%0", false},
		{WALBeforeFsync + "%101", false},
	} {
		if _, err := parse(tt.spec); (err == nil) != tt.ok {
			t.Errorf("parse(%q) = %v, want ok=%v", tt.spec, err, tt.ok)
		}
	}
}

// An armed point fires at its Nth hit only: the first N-1 hits return,
// hits of other points never fire, and the hooks run before the kill.
func TestHitFiresAtNth(t *testing.T) {
	var fired []string
	var buf bytes.Buffer
	origKill := kill
	kill, out = func() { panic("killed") }, &buf
	t.Cleanup(func() { kill, out = origKill, os.Stderr; armed.Store(nil); hooks.fns = nil })
	OnCrash(func() { fired = append(fired, "hook") })
	if err := Arm(WALAfterFsync + "@3"); err != nil {
		t.Fatal(err)
	}
	Hit(WALAfterFsync)
	Hit(WALBeforeFsync)
	Hit(WALAfterFsync)
	if len(fired) != 0 || buf.Len() != 0 {
		t.Fatalf("fired before the 3rd hit: %v %q", fired, buf.String())
	}
	func() {
		defer func() {
			if recover() != "killed" {
				t.Fatal("the 3rd hit did not kill")
			}
		}()
		Hit(WALAfterFsync)
	}()
	fireMu.Unlock() // the test's kill returned; real kills do not
	if len(fired) != 1 || !strings.Contains(buf.String(), HitLine+WALAfterFsync+" hit") {
		t.Fatalf("hooks %v, output %q", fired, buf.String())
	}
}

func TestDisarmedHitDoesNothing(t *testing.T) {
	armed.Store(nil)
	for _, p := range Points {
		Hit(p)
	}
	if err := Arm(""); err != nil || Armed() != "" {
		t.Fatalf("empty spec: %v %q", err, Armed())
	}
}

// The real thing: a process armed through the environment writes the line
// and dies of SIGKILL at the point.
func TestHitKillsTheProcess(t *testing.T) {
	if os.Getenv("CRASHPOINT_CHILD") == "1" {
		if on, err := Setup(discard(), nil); err != nil || !on {
			os.Exit(3)
		}
		Hit(EpochBeforeCurrent)
		os.Exit(0) // not reached
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHitKillsTheProcess$")
	cmd.Env = append(os.Environ(), "CRASHPOINT_CHILD=1", EnvVar+"="+EpochBeforeCurrent)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child: %v, want killed", err)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want SIGKILL", ws)
	}
	if !strings.Contains(stderr.String(), HitLine+EpochBeforeCurrent+" hit") {
		t.Fatalf("child's stderr lacks the hit line: %q", stderr.String())
	}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
