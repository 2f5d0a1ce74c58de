// Package pemtls turns ZooKeeper's PEM key and trust stores into TLS
// configs that read the files again when they change, so a renewed
// certificate or CA bundle takes effect for new connections without a
// restart. A key store is one file with the private key and its
// certificate chain (ssl.keyStore.location, ssl.quorum.keyStore.location);
// a trust store holds CA certificates (ssl.trustStore.location,
// ssl.quorum.trustStore.location).
//
// It serves the client port's TLS (package zkwire) and the bus's (package
// actors/natsbus) alike; server wires the configs in, so neither of those
// imports this package, and it imports only the standard library.
//
// A file is looked at again on every handshake (one stat per file); when
// its modification time or size changed, both stores are read anew. A
// store that fails to load then (a half-written file) leaves the last good
// stores in use and is tried again on the next handshake.
//
// ServerConfig is for listeners with ZooKeeper's ssl.clientAuth: the
// reload goes through GetConfigForClient, which crypto/tls honours only on
// the accepting side.
//
// MutualConfig is for routes between nodes, where one *tls.Config serves
// both the accepting side (nats-server's tls.Server, through
// GetConfigForClient) and the dialing side (tls.Client on a clone). On the
// dialing side crypto/tls reads RootCAs once, so the config sets
// InsecureSkipVerify and verifies the peer's chain itself, in
// VerifyConnection, against the trust store as it is at that handshake;
// GetClientCertificate presents the current key store. Nothing is left
// unverified: a handshake whose peer certificate does not chain to the
// trust store fails on either side. With names, the peer's certificate
// must also be valid (a DNS or IP subject alternative name) for one of
// them — the ensemble's server.N hosts: see MutualConfig for why not the
// one address dialed.
//
// ClientConfig is for tools and native clients: read once, no reload.
package pemtls
