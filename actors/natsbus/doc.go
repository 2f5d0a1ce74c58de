// Package natsbus is the only package that imports nats-server. It owns
// a node's embedded NATS server (clustered with the other nodes through
// routes), the authentication and permissions of every connection to it,
// the actors.Bus over NATS, peer liveness from the routes, and the tap
// `node trace` reads (Tap: raw messages in delivery order; decoding and
// printing them is internal/bustrace's).
//
// The subject scheme and the codec are package buswire's, which the
// native client shares without linking nats-server.
//
// `node trace` taps pdk.<ensemble>.> and, for replies and watch events,
// _PDK.>.
//
// ServeSnapshots answers `node snapshot save` on buswire.SnapshotSubject
// (peers only), and FetchSnapshot is the saver's side: a backup pulled a
// chunk at a time by request-reply, checked against a CRC-32C of the
// whole (see snapshot.go).
//
// Auth (Config.Peer, Clients, AllowAnonymous): the consensus subjects are
// for peers only. The peer credential may publish and subscribe anything;
// the node's in-process connection uses it, every route presents it in its
// URL and every route listener demands it, so a server without it cannot
// join the cluster. Client connections are fenced one by one, not per
// user: each presents a random token (NewConnToken) as its NATS auth
// token beside its user and password (or alone when anonymous, with
// AllowAnonymous), and the bus's authenticator (busAuth, nats-server's
// CustomClientAuthentication) lets that connection publish only to
// pdk.<ens>.req.*.<token> and subscribe only to _PDK.<token>. The node
// answers a request on the inbox its subject names and ignores the NATS
// reply subject, so the reply subject is fixed on the server side: a
// client can neither have a node publish onto a subject of its choosing
// (a consensus subject, another client's inbox) nor read another
// connection's replies and events — a session's password among them —
// whoever shares its credential. It cannot forge a vote, a proposal or an
// ack, nor read consensus traffic. A session's requests are further bound
// to it by its password (package store). With neither a peer nor a
// client credential the bus is open (no users at all, no fences);
// package config allows that for a standalone node only. Closed admits
// nobody to the bus port but the node's own connection (a random secret
// of the process when there is no peer credential; OwnCredentials) — a
// multi-server ensemble configured without Paddock credentials runs that
// way, its routes unauthenticated like ZooKeeper's quorum ports, and
// serves ZooKeeper clients on clientPort only.
//
// TLS (Config.RouteTLS, BusTLS): both come in as *tls.Config, built and
// reloaded from PEM files by the caller (package server, with
// internal/pemtls), so this package reads no files. RouteTLS goes to
// nats-server's cluster block: every route, accepted or dialed, runs a TLS
// handshake before its CONNECT, so a server without a certificate the
// config accepts never sees the peer credential, let alone joins. The one
// config serves both roles: nats-server uses it with tls.Server when
// accepting (GetConfigForClient is honoured, which is how renewed stores
// reach new routes) and clones it for tls.Client when dialing, setting
// ServerName from the route's host (or another route's host name for an IP
// address), where crypto/tls honours GetClientCertificate and
// VerifyConnection but reads RootCAs once. MutualConfig therefore verifies
// the accepting peer in VerifyConnection with InsecureSkipVerify set, and
// nats-server logs (at debug level here) its warning that solicited routes
// are not verified; they are. BusTLS makes TLS mandatory on the bus port;
// nats-server lets the node's in-process connection skip it (it offers TLS
// in-process but does not require it). TLSTimeout bounds both handshakes.
//
// Peer liveness: every 50 ms the bus compares the server's routes (remote
// server names are "pdk-<ensemble>-<id>") with the last look and tells the
// node's voter PeerDown/PeerUp, so a killed peer — whose TCP route the
// kernel resets at once — is noticed without waiting for a timeout.
package natsbus
