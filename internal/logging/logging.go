// Package logging builds a node's slog handler from its command line:
// text or JSON lines (--log-format), and a level for the node with, as
// an operator asks, another per actor (--log-level info,replica=debug),
// as logback's per-logger levels do for ZooKeeper.
//
// It owns the attribute that names the part of a node a line comes from
// (ActorKey) and the names it may take (Actors). Whoever builds a part's
// logger adds that attribute once, and the node's id once ("node", in
// package server); the parts themselves add neither again, so a JSON
// line never holds a key twice. It writes only to the writer it is
// given.
package logging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
)

// ActorKey is the attribute that names the actor (or, for the parts that
// are no actors, the component) a log line comes from. actors.NewRunner
// writes the same key.
const ActorKey = "actor"

// Actors are the names --log-level accepts: the node's actors (voter,
// store, sessions), the store's replication core (replica) and storage
// (wal), its bus (with the embedded NATS server's own lines, all at
// debug) and its ZooKeeper front end (zkwire).
var Actors = []string{"voter", "store", "replica", "sessions", "wal", "bus", "zkwire"}

// ErrBadSetting wraps every --log-level or --log-format that does not
// parse.
var ErrBadSetting = errors.New("logging: bad setting")

// Format is how lines are written.
type Format int

// Formats.
const (
	Text Format = iota // slog's key=value lines
	JSON               // one JSON object per line
)

// String is the format's --log-format name.
func (f Format) String() string {
	if f == JSON {
		return "json"
	}
	return "text"
}

// ParseFormat reads --log-format.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "text":
		return Text, nil
	case "json":
		return JSON, nil
	}
	return Text, fmt.Errorf("%w: --log-format %q: want text or json", ErrBadSetting, s)
}

// Levels are the node's level and the actors' own.
type Levels struct {
	Default slog.Level
	Actors  map[string]slog.Level // by name from Actors
}

// ParseLevels reads --log-level: a comma-separated list of a level for
// the node (debug, info, warn or error; info when left out) and
// actor=level items, e.g. "warn,replica=debug,voter=info".
func ParseLevels(s string) (Levels, error) {
	lv := Levels{Default: slog.LevelInfo, Actors: map[string]slog.Level{}}
	seenDefault := false
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		name, level, isActor := strings.Cut(item, "=")
		if !isActor {
			name, level = "", item
		}
		if isActor && !slices.Contains(Actors, name) {
			return Levels{}, fmt.Errorf("%w: --log-level %q: unknown actor %q (known: %s)", ErrBadSetting, s, name, strings.Join(Actors, ", "))
		}
		var l slog.Level
		if err := l.UnmarshalText([]byte(level)); err != nil {
			return Levels{}, fmt.Errorf("%w: --log-level %q: unknown level %q (want debug, info, warn or error)", ErrBadSetting, s, level)
		}
		_, dup := lv.Actors[name]
		switch {
		case !isActor && seenDefault:
			return Levels{}, fmt.Errorf("%w: --log-level %q: two levels for the node; name the actor of one (actor=level)", ErrBadSetting, s)
		case !isActor:
			lv.Default, seenDefault = l, true
		case dup:
			return Levels{}, fmt.Errorf("%w: --log-level %q: two levels for %s", ErrBadSetting, s, name)
		default:
			lv.Actors[name] = l
		}
	}
	return lv, nil
}

// min is the lowest level any line may be logged at.
func (lv Levels) min() slog.Level {
	m := lv.Default
	for _, l := range lv.Actors {
		m = min(m, l)
	}
	return m
}

// NewHandler writes lines in format to w at the levels lv sets: a
// logger's level is its actor's, once ActorKey is among its attributes
// (logger.With), the node's before.
func NewHandler(w io.Writer, format Format, lv Levels) slog.Handler {
	opts := &slog.HandlerOptions{Level: lv.min()}
	var next slog.Handler
	if format == JSON {
		next = slog.NewJSONHandler(w, opts)
	} else {
		next = slog.NewTextHandler(w, opts)
	}
	if len(lv.Actors) == 0 {
		return next
	}
	return &levelHandler{next: next, actors: lv.Actors, level: lv.Default}
}

// levelHandler decides a record's level by its logger's actor, which it
// learns when the attribute is added, so Enabled costs one comparison.
type levelHandler struct {
	next   slog.Handler
	actors map[string]slog.Level
	level  slog.Level
}

func (h *levelHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *levelHandler) Handle(ctx context.Context, r slog.Record) error { return h.next.Handle(ctx, r) }

func (h *levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	level := h.level
	for _, a := range as {
		if a.Key == ActorKey {
			if l, ok := h.actors[a.Value.String()]; ok {
				level = l
			}
		}
	}
	return &levelHandler{next: h.next.WithAttrs(as), actors: h.actors, level: level}
}

func (h *levelHandler) WithGroup(name string) slog.Handler {
	return &levelHandler{next: h.next.WithGroup(name), actors: h.actors, level: h.level}
}
