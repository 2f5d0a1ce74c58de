package client

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zk"
)

// AddAuth adds an identity to the session for ACL checks, as ZooKeeper's
// addAuthInfo does: scheme "digest" with auth "user:password" (the node
// derives digest:user:base64(sha1(user:password))), or "ip", which holds
// only for a session whose node knows its client's address (a native
// client has none). A refused identity fails with AuthFailed and leaves
// the session as it was. Identities live on the node serving the session,
// as in ZooKeeper: the client sends them again to every node it moves to,
// before anything else.
func (c *Conn) AddAuth(ctx context.Context, scheme string, auth []byte) error {
	id := zk.ACL{ID: zk.ID{Scheme: scheme, ID: string(auth)}}
	if _, err := c.call(ctx, msg.Op{Op: zk.OpAuth, ACL: []zk.ACL{id}}); err != nil {
		return err
	}
	c.mu.Lock()
	if !slices.Contains(c.auths, id) {
		c.auths = append(c.auths, id)
	}
	c.mu.Unlock()
	return nil
}

// resendAuth gives a node the session moves to the identities the
// session was given (via l, before the link carries other requests).
func (c *Conn) resendAuth(l *link, timeout time.Duration) error {
	c.mu.Lock()
	auths := slices.Clone(c.auths)
	c.mu.Unlock()
	for _, id := range auths {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		rep, _, err := c.send(ctx, msg.Request{Op: msg.Op{Op: zk.OpAuth, ACL: []zk.ACL{id}}}, l)
		cancel()
		if err != nil {
			return err
		}
		if rep.Err != 0 {
			return fmt.Errorf("client: auth %s again: %w", id.Scheme, &zk.Error{Code: rep.Err})
		}
	}
	return nil
}

// WhoAmI lists the session's identities on its node, as ZooKeeper's
// whoAmI does: a digest identity by its user name.
func (c *Conn) WhoAmI(ctx context.Context) ([]zk.ID, error) {
	rep, err := c.call(ctx, msg.Op{Op: zk.OpWhoAmI})
	if err != nil {
		return nil, err
	}
	out := make([]zk.ID, 0, len(rep.ACL))
	for _, a := range rep.ACL {
		user := a.ID.ID
		if a.Scheme == "digest" { // digest ids are user:hash
			user, _, _ = strings.Cut(user, ":")
		}
		out = append(out, zk.ID{Scheme: a.Scheme, ID: user})
	}
	return out, nil
}

// Ephemerals lists the session's ephemeral nodes whose paths start with
// prefix ("/" or "" for all), as ZooKeeper's getEphemerals does.
func (c *Conn) Ephemerals(ctx context.Context, prefix string) ([]string, error) {
	if prefix == "" {
		prefix = "/"
	}
	rep, err := c.call(ctx, msg.Op{Op: zk.OpGetEphemerals, Path: prefix})
	if err != nil {
		return nil, err
	}
	return rep.Children, nil
}
