package client

import (
	"github.com/nats-io/nats.go"
)

// WithCredentials connects as client user `user` of the ensemble's
// paddock.clientUsers. Without it the connection is anonymous, which a
// node accepts only with paddock.allowAnonymousClients=true (or an open
// standalone bus). Either way the connection is fenced to its own
// requests and replies by its token (natsbus.NewConnToken), so clients
// that share a credential cannot read each other's traffic.
func WithCredentials(user, password string) Option {
	return func(o *options) {
		o.natsOpts = append(o.natsOpts, nats.UserInfo(user, password))
	}
}
