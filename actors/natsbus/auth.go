package natsbus

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/paddock-zk/paddock/actors/buswire"
)

// ErrBadCredentials is wrapped when Config's credentials cannot be used.
var ErrBadCredentials = errors.New("natsbus: bad credentials")

// AnonymousUser is the NATS user name anonymous connections get when
// Config.AllowAnonymous is set on a bus with credentials (what monitoring
// shows). Client user names start with a letter or digit, so none can
// take it.
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
	auth := &busAuth{ens: cfg.Ensemble, peer: peer, clients: map[string]string{}, anonymous: cfg.AllowAnonymous}
	for _, c := range cfg.Clients {
		if !ValidUser(c.User) {
			return Credentials{}, fmt.Errorf("%w: client user %q: want 1 to 64 of A-Z a-z 0-9 _ -, starting with a letter or digit", ErrBadCredentials, c.User)
		}
		if c.Password == "" {
			return Credentials{}, fmt.Errorf("%w: client user %q has no password", ErrBadCredentials, c.User)
		}
		if _, dup := auth.clients[c.User]; dup || c.User == peer.User {
			return Credentials{}, fmt.Errorf("%w: user %q given twice", ErrBadCredentials, c.User)
		}
		auth.clients[c.User] = c.Password
	}
	opts.CustomClientAuthentication = auth
	return peer, nil
}

// busAuth authenticates every connection to the bus port and gives it its
// permissions. NATS permissions belong to a user, and every connection
// of a user would share them; this sets them per connection instead, so
// that clients sharing a credential (or all anonymous ones) cannot read
// each other's replies: a client connection presents a random token
// (NewConnToken) as its NATS auth token beside its user and password, and
// may then publish only buswire.RequestSubject(…, token) and subscribe only
// buswire.Inbox(token).
type busAuth struct {
	ens       string
	peer      Credentials
	clients   map[string]string // user → password
	anonymous bool
}

var _ server.Authentication = (*busAuth)(nil)

// Check implements server.Authentication.
func (a *busAuth) Check(c server.ClientAuthentication) bool {
	o := c.GetOpts()
	if o.Username == a.peer.User && secretEqual(o.Password, a.peer.Password) {
		// Peers (the node's own connection, node trace) have every right:
		// nil permissions.
		c.RegisterUser(&server.User{Username: a.peer.User})
		return true
	}
	var user string
	switch pw, ok := a.clients[o.Username]; {
	case ok && secretEqual(o.Password, pw):
		user = o.Username
	case o.Username == "" && o.Password == "" && a.anonymous:
		user = AnonymousUser
	default:
		return false
	}
	if !buswire.ValidConnToken(o.Token) {
		return false // a client without a token has no inbox to be fenced to
	}
	c.RegisterUser(&server.User{Username: user, Permissions: clientPermissions(a.ens, o.Token)})
	return true
}

func secretEqual(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// clientPermissions fence a client connection to its own request subjects
// and its own inbox.
func clientPermissions(ens, token string) *server.Permissions {
	inbox := buswire.Inbox(token)
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{buswire.ConnRequestSubjects(ens, token)}},
		Subscribe: &server.SubjectPermission{Allow: []string{inbox, inbox + ".>"}},
	}
}

func randomSecret() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("natsbus: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}
