// Package config parses and validates a Paddock node's configuration:
// ZooKeeper's zoo.cfg (Java-properties syntax, ZooKeeper's keys and
// meanings) plus Paddock's own paddock.* keys, and the myid file in dataDir.
//
// Every error names the file, the line, the key and what is allowed, and
// wraps ErrInvalid. Unknown keys are reported as warnings, not errors, so a
// real ZooKeeper zoo.cfg still loads; a duplicated key is an error because
// it is almost always a mistake.
//
// In server.N=host:port1:port2, Paddock reads port1 as the node's NATS
// cluster (route) port and port2 as its NATS client (bus) port: all peer
// traffic travels over the embedded NATS cluster.
//
// Bus credentials (paddock.* keys; see actors/natsbus for what each may do):
//
//	paddock.peerUser, paddock.peerPassword   the peer credential, set on
//	    every node alike: the node's own bus connections and the routes
//	    between nodes use it, so a node without it cannot join the cluster.
//	paddock.clientUsers=user:password[,user:password...]   client
//	    credentials: they may only publish requests and read their own
//	    replies and notifications (under _PDK.<user>).
//	paddock.allowAnonymousClients=true   lets clients connect without
//	    credentials, still fenced like a client (replies under _INBOX).
//
// The super user (ZooKeeper's Java property
// zookeeper.DigestAuthenticationProvider.superDigest, which Paddock reads
// as a zoo.cfg key under that name, without its "zookeeper." prefix, or as
// paddock.superDigest; at most one of them):
//
//	paddock.superDigest=user:base64(sha1(user:password))   a session that
//	    adds the digest auth user:password passes every ACL check.
//
// Quota enforcement (ZooKeeper's Java property zookeeper.enforceQuota,
// read under that name or as enforceQuota; at most one of them):
//
//	zookeeper.enforceQuota=true   a create or setData that would pass a
//	    quota's hard limit (countHardLimit, byteHardLimit in the
//	    zookeeper_limits node zkCli's setquota writes) fails with
//	    QuotaExceeded. Off by default, as in ZooKeeper; the stats are kept
//	    either way. Only true or false: Java would read a typo as false.
//
// /zookeeper/config: ZKConfig renders the server lines as ZooKeeper 3.8
// puts them there for a static ensemble (QuorumMaj.toString, version=0);
// empty for a standalone node.
//
// User names are 1 to 64 of A-Z a-z 0-9 _ - starting with a letter or
// digit; passwords are non-empty, without spaces or commas. The file holds
// the passwords in clear: keep it readable by its owner only (LocalEnsemble
// writes mode 0600). Parse only validates the keys; CheckBus, which
// server.Start calls, refuses a multi-server ensemble without the peer
// credential, and a bus with a peer credential but neither client users
// nor allowAnonymousClients=true. A standalone node without any credential
// runs an open bus (anyone reaching the bus port may publish anything):
// fine on a laptop, set credentials before exposing the port.
//
// TLS for clients: secureClientPort (and secureClientPortAddress) with
// ZooKeeper's ssl.keyStore.location (PEM: key and certificate chain in one
// file), ssl.trustStore.location (PEM CAs for client certificates) and
// ssl.clientAuth (none, want, need; default need). paddock.sslBus=true
// puts the bus port under TLS with the same stores and ssl.clientAuth, with
// or without secureClientPort: native clients are clients like ZooKeeper's,
// so one client-facing certificate and CA serve both (BusClientTLS says what
// the local tools use). Other store types and passwords are refused; the
// ssl.* keys without secureClientPort or paddock.sslBus warn.
//
// TLS between nodes: ZooKeeper's sslQuorum=true with
// ssl.quorum.keyStore.location and ssl.quorum.trustStore.location (both
// required: the system's roots would admit any public CA's certificate to
// the routes), PEM only, no passwords, and ssl.quorum.hostnameVerification
// (default true: a peer's certificate must name one of the server.N hosts;
// see internal/pemtls's MutualConfig). ssl.quorum.clientAuth other than
// need warns (routes always demand a certificate); the ssl.quorum.* keys
// without sslQuorum=true warn, and sslQuorum on a standalone node does.
//
// This package only reads and writes configuration files; it starts nothing.
package config
