package client

import (
	"crypto/tls"

	"github.com/nats-io/nats.go"
)

// WithCredentials connects as client user `user` of the ensemble's
// paddock.clientUsers. Without it the connection is anonymous, which a
// node accepts only with paddock.allowAnonymousClients=true (or an open
// standalone bus). Either way the connection is fenced to its own
// requests and replies by its token (buswire.NewConnToken), so clients
// that share a credential cannot read each other's traffic.
func WithCredentials(user, password string) Option {
	return func(o *options) {
		o.natsOpts = append(o.natsOpts, nats.UserInfo(user, password))
	}
}

// WithTLS connects to the bus ports over TLS (a node with
// paddock.sslBus=true admits nothing else). cfg's RootCAs must hold the CA
// of the nodes' certificates, which must be valid for the host of every
// address given to Connect (the server name is taken from each address
// unless cfg sets one); if the nodes demand client certificates
// (ssl.clientAuth=need), cfg's Certificates (or GetClientCertificate)
// must give one their trust store accepts. A nil cfg trusts the system's
// roots and presents no certificate.
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) {
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		o.natsOpts = append(o.natsOpts, nats.Secure(cfg))
	}
}
