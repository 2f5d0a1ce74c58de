// Package zkwire is Paddock's ZooKeeper-compatible front end on clientPort.
//
// It owns the TCP listener that ZooKeeper clients, tools and load balancers
// connect to. A connection whose first four bytes spell a four-letter word
// (srvr, ruok, …) is answered in plain text and closed, as ZooKeeper does;
// the words are gated by the 4lw.commands.whitelist allow-list. Anything
// else is the jute-framed client protocol.
//
// The node's state reaches this package only through the Status callback it
// is given, so zkwire never imports the actors or the consensus packages.
package zkwire
