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
// ssl.clientAuth (none, want, need; default need). Other store types and
// passwords are refused; the ssl.* keys without secureClientPort warn.
//
// This package only reads and writes configuration files; it starts nothing.
package config
