package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/paddock-zk/paddock/internal/testutil"
)

func TestParseLevels(t *testing.T) {
	for _, tc := range []struct {
		in      string
		def     slog.Level
		actors  map[string]slog.Level
		wantErr string
	}{
		{in: "info", def: slog.LevelInfo},
		{in: "DEBUG", def: slog.LevelDebug},
		{in: "replica=debug", def: slog.LevelInfo, actors: map[string]slog.Level{"replica": slog.LevelDebug}},
		{in: "warn, replica=debug,voter=error", def: slog.LevelWarn,
			actors: map[string]slog.Level{"replica": slog.LevelDebug, "voter": slog.LevelError}},
		{in: "loud", wantErr: `unknown level "loud" (want debug, info, warn or error)`},
		{in: "info,replica=", wantErr: `unknown level ""`},
		{in: "info,", wantErr: `unknown level ""`},
		{in: "info,raft=debug", wantErr: `unknown actor "raft" (known: voter, store, replica, sessions, wal, bus, zkwire)`},
		{in: "info,debug", wantErr: "two levels for the node"},
		{in: "voter=debug,voter=warn", wantErr: "two levels for voter"},
	} {
		lv, err := ParseLevels(tc.in)
		if tc.wantErr != "" {
			if err == nil || !errors.Is(err, ErrBadSetting) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseLevels(%q): %v, want an error with %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseLevels(%q): %v", tc.in, err)
			continue
		}
		if lv.Default != tc.def || len(lv.Actors) != len(tc.actors) {
			t.Errorf("ParseLevels(%q) = %+v", tc.in, lv)
		}
		for a, l := range tc.actors {
			if lv.Actors[a] != l {
				t.Errorf("ParseLevels(%q): %s at %s, want %s", tc.in, a, lv.Actors[a], l)
			}
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"text": Text, "json": JSON} {
		if f, err := ParseFormat(in); err != nil || f != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, f, err)
		}
	}
	if _, err := ParseFormat("logfmt"); err == nil || !strings.Contains(err.Error(), "want text or json") {
		t.Errorf("ParseFormat(logfmt): %v", err)
	}
}

// A logger's level is its actor's once the actor attribute is added.
func TestActorLevels(t *testing.T) {
	lv, err := ParseLevels("warn,replica=debug,voter=error")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	node := slog.New(NewHandler(&buf, JSON, lv)).With("node", 1)
	replica := node.With(ActorKey, "replica")
	voter := node.With(ActorKey, "voter")
	store := node.With(ActorKey, "store")
	node.Info("node info")
	node.Warn("node warn")
	replica.Debug("replica debug")
	replica.WithGroup("g").Debug("replica group debug", "k", 1)
	voter.Warn("voter warn")
	voter.Error("voter error")
	store.Info("store info")
	store.Warn("store warn")
	var got []string
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if err := testutil.CheckJSONObject(line); err != nil {
			t.Errorf("%s: %v", line, err)
		}
		_, rest, _ := strings.Cut(string(line), `"msg":"`)
		m, _, _ := strings.Cut(rest, `"`)
		got = append(got, m)
	}
	want := "node warn|replica debug|replica group debug|voter error|store warn"
	if strings.Join(got, "|") != want {
		t.Errorf("logged %q, want %q", strings.Join(got, "|"), want)
	}
}

// Text is slog's text format; with no actor levels the handler is slog's own.
func TestTextFormat(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(&buf, Text, Levels{Default: slog.LevelInfo}))
	log.With("node", 2, ActorKey, "voter").Info("following", "leader", 3)
	if got := buf.String(); !strings.Contains(got, `level=INFO msg=following node=2 actor=voter leader=3`) {
		t.Errorf("text line: %q", got)
	}
}
