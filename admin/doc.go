// Package admin is Paddock's AdminServer: ZooKeeper 3.8's HTTP
// AdminServer (JettyAdminServer and the commands of Commands.java) and
// two health endpoints in etcd's manner.
//
// It owns the HTTP listener on admin.serverAddress:admin.serverPort and
// what each request answers; it reads the node only through the Node
// interface (package server implements it over the client front end, the
// voter, the store and the storage), so the commands report what the
// four-letter words report, from the same sources: a command asks
// Node.Status for the zkwire.Status of the word it corresponds to, and
// monitor is built from zkwire.Monitor, the function that prints mntr,
// so a key added to mntr appears in both.
//
// Endpoints:
//
//	GET <commandURL>          links to every command, by primary name
//	GET <commandURL>/<name>   the command's JSON: ZooKeeper's field names
//	                          (snake case), "command" (the primary name)
//	                          and "error" (null, or why it failed)
//	GET /livez                200 "ok" while the process runs
//	GET /readyz               200 "ok" while the node serves clients with
//	                          a quorum, else 503 with the reason
//
// Commands answer under their primary names and ZooKeeper's aliases
// (mntr, srvr, conf, …). As in ZooKeeper, a command that needs a serving
// node answers on a node that is not serving with 200 and the error "This
// ZooKeeper instance is not currently serving requests"; environment,
// system_properties, zabstate and monitor answer always (monitor, as
// mntr, only on a full disk when not serving). An unknown command is a
// 404 whose body is ZooKeeper's JSON ({"command": name, "error": "Unknown
// command: name"}); ZooKeeper 3.8 answers that body with 200, which a
// health checker cannot tell from success.
//
// Left out, as the four-letter words leave them out: get_trace_mask and
// set_trace_mask (Paddock has no trace mask; its logs have levels) and
// observer_connection_stat_reset (Paddock has no observers, so nothing to
// reset). hash answers one digest, the applied tree's at its zxid
// (Paddock keeps no history of them, and its digest is its own, to
// compare Paddock replicas with one another).
//
// Only GET and HEAD are served (ZooKeeper's servlet answers GET only; TRACE
// in particular is refused). No command takes arguments, and nothing is
// authenticated: Paddock binds 127.0.0.1 unless admin.serverAddress says
// otherwise, and initial_configuration hides the passwords and digests of
// the configuration file (config.RedactSecrets).
package admin
