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
// This package only reads and writes configuration files; it starts nothing.
package config
