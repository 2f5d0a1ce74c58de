package client

import (
	"github.com/nats-io/nats.go"

	"github.com/paddock-zk/paddock/actors/natsbus"
)

// WithCredentials connects as client user `user` of the ensemble's
// paddock.clientUsers. Such a user may publish only requests and read only
// replies under its own prefix (natsbus.ReplyPrefix), so the reply inbox
// moves there. Without it the connection is anonymous, which a node
// accepts only with paddock.allowAnonymousClients=true (or an open
// standalone bus).
func WithCredentials(user, password string) Option {
	return func(o *options) {
		o.natsOpts = append(o.natsOpts, nats.UserInfo(user, password))
		o.inboxPrefix = natsbus.ReplyPrefix(user)
	}
}
