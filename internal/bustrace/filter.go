package bustrace

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/paddock-zk/paddock/actors/msg"
)

// ErrBadFilter wraps every filter that does not parse.
var ErrBadFilter = errors.New("bustrace: bad filter")

// Filter selects messages; every set part must match.
type Filter struct {
	Kinds []msg.Kind // any of these kinds; empty: every kind
	// Session, when not 0, keeps the messages that name this session: a
	// request, reply, forward or watch event of it, a proposal with a
	// txn of it, a touch, expiry or sessions update that lists it.
	Session int64
	// Path, when set, keeps the messages that name a path starting with
	// it (a plain string prefix, so /app matches /app, /app/x and
	// /apple): requests, replies, watch events, a proposal's txns, a
	// multi's ops, setWatches' lists, a closed session's ephemerals.
	Path string
}

// Match reports whether f keeps m. A message that does not decode names
// no session or path, so only a filter on kinds alone can keep it.
func (f Filter) Match(m *Message) bool {
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, m.Kind) {
		return false
	}
	if f.Session != 0 && !slices.Contains(m.sessions, f.Session) {
		return false
	}
	if f.Path != "" && !slices.ContainsFunc(m.paths, func(p string) bool { return strings.HasPrefix(p, f.Path) }) {
		return false
	}
	return true
}

// ParseKinds reads a comma-separated list of kind names (Vote,Proposal).
func ParseKinds(s string) ([]msg.Kind, error) {
	var ks []msg.Kind
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		k, ok := msg.ParseKind(name)
		if !ok {
			names := make([]string, 0, len(msg.AllKinds()))
			for _, k := range msg.AllKinds() {
				names = append(names, k.String())
			}
			return nil, fmt.Errorf("%w: unknown kind %q (known: %s)", ErrBadFilter, name, strings.Join(names, ", "))
		}
		ks = append(ks, k)
	}
	return ks, nil
}

// ParseSession reads a session id as ZooKeeper prints it (0x hex), or
// in decimal.
func ParseSession(s string) (int64, error) {
	var u uint64
	var err error
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		u, err = strconv.ParseUint(h, 16, 64)
	} else {
		u, err = strconv.ParseUint(s, 10, 64)
	}
	if err != nil || u == 0 {
		return 0, fmt.Errorf("%w: session %q: want a session id such as 0x1000002a5b60000", ErrBadFilter, s)
	}
	return int64(u), nil
}

// ParsePath checks a path prefix: it must start with /.
func ParsePath(s string) (string, error) {
	if !strings.HasPrefix(s, "/") {
		return "", fmt.Errorf("%w: path %q: want a prefix starting with /", ErrBadFilter, s)
	}
	return s, nil
}
