package natsbus

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"

	"github.com/nats-io/nats-server/v2/server"
)

// ErrBadCredentials is wrapped when Config's credentials cannot be used.
var ErrBadCredentials = errors.New("natsbus: bad credentials")

// AnonymousUser is the NATS user anonymous connections are mapped to when
// Config.AllowAnonymous is set on a bus with credentials. Client user
// names start with a letter or digit, so none can take it.
const AnonymousUser = "_anonymous"

// userRe is what a user name may be: it becomes a subject token of the
// user's reply prefix.
var userRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// ValidUser reports whether name can be a peer or client user name.
func ValidUser(name string) bool { return userRe.MatchString(name) }

// authorize sets opts' users and permissions from cfg and returns the
// credential of the node's own connection, which is empty only on an open
// bus, and that of the routes, which is cfg.Peer.
func authorize(opts *server.Options, cfg Config) (conn Credentials, route Credentials, err error) {
	conn, err = authorizeUsers(opts, cfg)
	return conn, cfg.Peer, err
}

func authorizeUsers(opts *server.Options, cfg Config) (Credentials, error) {
	peer := cfg.Peer
	if peer.User == "" && peer.Password != "" {
		return Credentials{}, fmt.Errorf("%w: a peer password without a peer user", ErrBadCredentials)
	}
	if peer.User != "" && !ValidUser(peer.User) {
		return Credentials{}, fmt.Errorf("%w: peer user %q: want 1 to 64 of A-Z a-z 0-9 _ -, starting with a letter or digit", ErrBadCredentials, peer.User)
	}
	if peer.User == "" && len(cfg.Clients) == 0 && !cfg.Closed {
		return Credentials{}, nil // open: no users at all
	}
	if cfg.Closed && (len(cfg.Clients) > 0 || cfg.AllowAnonymous) {
		return Credentials{}, fmt.Errorf("%w: a closed bus with client credentials", ErrBadCredentials)
	}
	if peer.User == "" {
		// Client users without a peer credential (a standalone node), or a
		// closed bus: the node's own connection still needs every right,
		// under a secret nobody else has.
		if len(cfg.Peers) > 0 && !cfg.Closed {
			return Credentials{}, fmt.Errorf("%w: client users without a peer credential in a cluster", ErrBadCredentials)
		}
		peer = Credentials{User: "_node", Password: randomSecret()}
	}
	if peer.Password == "" {
		return Credentials{}, fmt.Errorf("%w: peer user %q has no password", ErrBadCredentials, peer.User)
	}
	// The peer user has no permissions set: it may publish and subscribe
	// anything.
	users := []*server.User{{Username: peer.User, Password: peer.Password}}
	seen := map[string]bool{peer.User: true}
	for _, c := range cfg.Clients {
		if !ValidUser(c.User) {
			return Credentials{}, fmt.Errorf("%w: client user %q: want 1 to 64 of A-Z a-z 0-9 _ -, starting with a letter or digit", ErrBadCredentials, c.User)
		}
		if c.Password == "" {
			return Credentials{}, fmt.Errorf("%w: client user %q has no password", ErrBadCredentials, c.User)
		}
		if seen[c.User] {
			return Credentials{}, fmt.Errorf("%w: user %q given twice", ErrBadCredentials, c.User)
		}
		seen[c.User] = true
		users = append(users, &server.User{Username: c.User, Password: c.Password,
			Permissions: clientPermissions(cfg.Ensemble, ReplyPrefix(c.User))})
	}
	if cfg.AllowAnonymous {
		users = append(users, &server.User{Username: AnonymousUser, Password: randomSecret(),
			Permissions: clientPermissions(cfg.Ensemble, anonymousInbox)})
		opts.NoAuthUser = AnonymousUser
	}
	opts.Users = users
	return peer, nil
}

// clientPermissions fence a client to the request subjects of its
// ensemble and to its own replies (and, later, notifications) under
// prefix.
func clientPermissions(ens, prefix string) *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{RequestSubjects(ens)}},
		Subscribe: &server.SubjectPermission{Allow: []string{prefix + ".>"}},
	}
}

func randomSecret() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("natsbus: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}
