package natsbus

import (
	"fmt"

	"github.com/paddock-zk/paddock/actors/msg"
)

// Subject formats. Every subject Paddock uses is built from this block.
const (
	subjPrefix    = "pdk.%s."               // ensemble
	subjElect     = "pdk.%s.elect"          // ensemble
	subjBroadcast = "pdk.%s.all.%s"         // ensemble, role
	subjDirect    = "pdk.%s.peer.%d.%s"     // ensemble, node, role
	subjAll       = "pdk.%s.>"              // ensemble: everything, for tracing
	subjRequest   = "pdk.%s.req.%d"         // ensemble, node: client requests
	subjRequests  = "pdk.%s.req.*"          // ensemble: every node's requests
	subjWire      = "pdk.%s.wire.%d"        // ensemble, node: its ZooKeeper front end's requests (peers only)
	replyPrefix   = "_PDK.%s"               // user: a client's replies and notifications
	subjZkwire    = "_PDK._zkwire.%s.%d.%s" // ensemble, node, connection: a ZooKeeper wire connection's replies
	// anonymousInbox is NATS's default reply prefix, shared by every
	// anonymous client.
	anonymousInbox = "_INBOX"
)

// RequestSubjects matches the request subject of every node: what client
// credentials may publish to.
func RequestSubjects(ens string) string { return fmt.Sprintf(subjRequests, ens) }

// ReplyPrefix is the reply-subject prefix of client user: its replies and
// notifications go to subjects under ReplyPrefix(user)+".", and only that
// user (and peers) may subscribe there.
func ReplyPrefix(user string) string { return fmt.Sprintf(replyPrefix, user) }

// RequestSubject is where clients publish requests for node id (with a
// NATS reply subject for the answers).
func RequestSubject(ens string, id msg.NodeID) string { return fmt.Sprintf(subjRequest, ens, id) }

// WireSubject is where node id's own ZooKeeper front end publishes its
// connections' requests. Client credentials may publish only request
// subjects, so what arrives here comes from a peer credential: only here
// is a request's ClientAddr (the TCP peer, for the ip ACL scheme) trusted.
func WireSubject(ens string, id msg.NodeID) string { return fmt.Sprintf(subjWire, ens, id) }

// Prefix is the subject prefix of an ensemble.
func Prefix(ens string) string { return fmt.Sprintf(subjPrefix, ens) }

// AllSubjects matches every subject of an ensemble.
func AllSubjects(ens string) string { return fmt.Sprintf(subjAll, ens) }

// Subject is where an envelope to `to` is published.
func Subject(ens string, to msg.Addr) string {
	if to.Broadcast() {
		if to.Role == msg.RoleVoter {
			return fmt.Sprintf(subjElect, ens)
		}
		return fmt.Sprintf(subjBroadcast, ens, to.Role)
	}
	return fmt.Sprintf(subjDirect, ens, to.Node, to.Role)
}

// serverName names a node's NATS server so routes map back to node ids.
func serverName(ens string, id msg.NodeID) string { return fmt.Sprintf("pdk-%s-%d", ens, id) }

// ClientStreamSubject is the reply subject of one front-end (zkwire)
// connection on node id. The user token "_zkwire" cannot be a client
// user's name, so only peers may subscribe there.
func ClientStreamSubject(ens string, id msg.NodeID, conn string) string {
	return fmt.Sprintf(subjZkwire, ens, id, conn)
}
