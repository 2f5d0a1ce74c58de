// Package buswire is what travels on the bus: the subject scheme and the
// message codec, shared by the nodes (package natsbus) and the native
// client. It imports the NATS client library (for ClientOptions) and
// msgpack, never nats-server, so an application that embeds the client
// does not link a server. The design card has natsbus as the only
// importer of NATS and msgpack; this split keeps that rule for
// nats-server and moves the codec beside the subjects, where both sides
// of the bus can reach it.
//
// Subjects (the const block in subjects.go is the single source):
//
//	pdk.<ensemble>.elect              voter broadcasts (votes)
//	pdk.<ensemble>.all.<role>         broadcasts to another role on every node
//	pdk.<ensemble>.peer.<id>.<role>   messages to one actor
//	pdk.<ensemble>.req.<id>.<token>   requests of the client connection
//	                                  with token <token> to node id
//	_PDK.<token>                      that connection's replies and watch
//	                                  events (Inbox)
//	pdk.<ensemble>.wire.<id>          the same from node id's own ZooKeeper
//	                                  front end (natsbus.ClientStream); peers
//	                                  only, so only here is a request's
//	                                  ClientAddr (for the ip ACL scheme)
//	                                  kept: ServeRequests clears it on
//	                                  pdk.<ensemble>.req.*
//	_PDK._zkwire.<ens>.<id>.<nuid>    replies and events of one ZooKeeper
//	                                  wire connection on node id
//	                                  (ClientStream; "_zkwire" is no
//	                                  valid token, so only peers read it)
//
// Codec: one byte of msg.Kind, a msgpack array [fromNode, fromRole,
// toNode, toRole], then the msgpack body. Decode rejects unknown kinds,
// malformed msgpack and trailing bytes with ErrBadMessage, never panics.
package buswire
