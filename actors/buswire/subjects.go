package buswire

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/paddock-zk/paddock/actors/msg"
)

// Subject formats. Every subject Paddock uses is built from this block.
const (
	subjPrefix    = "pdk.%s."               // ensemble
	subjElect     = "pdk.%s.elect"          // ensemble
	subjBroadcast = "pdk.%s.all.%s"         // ensemble, role
	subjDirect    = "pdk.%s.peer.%d.%s"     // ensemble, node, role
	subjAll       = "pdk.%s.>"              // ensemble: everything, for tracing
	subjRequest   = "pdk.%s.req.%d.%s"      // ensemble, node, connection token: a client connection's requests
	subjConnReqs  = "pdk.%s.req.*.%s"       // ensemble, connection token: what that connection may publish
	subjNodeReqs  = "pdk.%s.req.%d.*"       // ensemble, node: every client connection's requests to it
	subjWire      = "pdk.%s.wire.%d"        // ensemble, node: its ZooKeeper front end's requests (peers only)
	subjInbox     = "_PDK.%s"               // connection token: a client connection's replies and events
	subjInboxes   = "_PDK.>"                // every connection's replies and events, for tracing
	subjZkwire    = "_PDK._zkwire.%s.%d.%s" // ensemble, node, connection: a ZooKeeper wire connection's replies
	subjSnapshot  = "_PDK._snapshot.%s.%d"  // ensemble, node: its backup snapshots (peers only)
)

// RequestSubject is where the client connection with token conn publishes
// its requests for node id. The node answers on Inbox(conn), whatever the
// message's NATS reply subject says: a connection's permissions let it
// publish only subjects ending in its own token, so the token proves
// whose requests they are and where their answers belong.
func RequestSubject(ens string, id msg.NodeID, conn string) string {
	return fmt.Sprintf(subjRequest, ens, id, conn)
}

// Inbox is the subject of the replies and watch events of the client
// connection with token conn; only that connection (and peers) may
// subscribe to it.
func Inbox(conn string) string { return fmt.Sprintf(subjInbox, conn) }

// WireSubject is where node id's own ZooKeeper front end publishes its
// connections' requests. Client credentials may publish only request
// subjects, so what arrives here comes from a peer credential: only here
// is a request's ClientAddr (the TCP peer, for the ip ACL scheme) trusted.
func WireSubject(ens string, id msg.NodeID) string { return fmt.Sprintf(subjWire, ens, id) }

// Prefix is the subject prefix of an ensemble.
func Prefix(ens string) string { return fmt.Sprintf(subjPrefix, ens) }

// AllSubjects matches every subject of an ensemble.
func AllSubjects(ens string) string { return fmt.Sprintf(subjAll, ens) }

// AllInboxes matches every client connection's replies and watch events
// (Inbox and ClientStreamSubject), which only peers may read.
func AllInboxes() string { return subjInboxes }

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

// ServerName names node id's NATS server, so routes map back to node ids
// and a client learns which node of which ensemble it reached.
func ServerName(ens string, id msg.NodeID) string { return fmt.Sprintf("pdk-%s-%d", ens, id) }

// ParseServerName reads a ServerName.
func ParseServerName(name string) (string, msg.NodeID, error) {
	rest, ok := strings.CutPrefix(name, "pdk-")
	i := strings.LastIndexByte(rest, '-')
	if !ok || i <= 0 {
		return "", 0, fmt.Errorf("buswire: NATS server %q is not a Paddock node (want pdk-<ensemble>-<id>)", name)
	}
	id, err := strconv.ParseUint(rest[i+1:], 10, 64)
	if err != nil || id == 0 {
		return "", 0, fmt.Errorf("buswire: NATS server %q is not a Paddock node (bad id)", name)
	}
	return rest[:i], msg.NodeID(id), nil
}

// ClientStreamSubject is the reply subject of one front-end (zkwire)
// connection on node id. "_zkwire" cannot be a client connection's
// token (ValidConnToken), so only peers may subscribe there.
func ClientStreamSubject(ens string, id msg.NodeID, conn string) string {
	return fmt.Sprintf(subjZkwire, ens, id, conn)
}

// SnapshotSubject is where node id answers requests for a backup
// snapshot (node snapshot save). It lies outside pdk.<ensemble>.>, so
// tracing does not dump the tree, and "_snapshot" cannot be a client
// connection's token (ValidConnToken): only peers may publish or
// subscribe there, and a snapshot holds every znode whatever its ACL.
func SnapshotSubject(ens string, id msg.NodeID) string { return fmt.Sprintf(subjSnapshot, ens, id) }

// connTokenRe is what a connection token may be: a subject token that
// cannot be "_zkwire" (it starts with a letter or digit) and is too long
// to guess.
var connTokenRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{15,63}$`)

// ValidConnToken reports whether tok can name a client connection.
func ValidConnToken(tok string) bool { return connTokenRe.MatchString(tok) }

// NewConnToken is a fresh random connection token. A client presents it
// as its NATS auth token when it connects; the node's authenticator then
// fences the connection to RequestSubject(…, token) and Inbox(token). It
// is a secret of the connection: whoever knows it can read its replies,
// so it comes from crypto/rand and never appears on a subject a client
// may read.
func NewConnToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("buswire: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// ConnRequestSubjects matches every request subject of the connection
// with token tok: what its permissions let it publish.
func ConnRequestSubjects(ens, tok string) string { return fmt.Sprintf(subjConnReqs, ens, tok) }

// NodeRequestSubjects matches every client connection's request subject
// to node id: what the node serves.
func NodeRequestSubjects(ens string, id msg.NodeID) string { return fmt.Sprintf(subjNodeReqs, ens, id) }

// TokenOf is the connection token that ends a request subject.
func TokenOf(subject string) string {
	return subject[strings.LastIndexByte(subject, '.')+1:]
}

// ClientOptions are the NATS options of a client connection with token
// tok: the token as its auth token, and NATS's own request inboxes under
// Inbox(tok), the only place the connection may subscribe.
func ClientOptions(tok string) []nats.Option {
	return []nats.Option{nats.Token(tok), nats.CustomInboxPrefix(Inbox(tok))}
}
