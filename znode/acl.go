package znode

import (
	"crypto/sha1"
	"encoding/base64"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/paddock-zk/paddock/zk"
)

// SuperID is the id that bypasses every ACL check (ZooKeeper's super
// scheme, which has no provider: only a digest equal to the configured
// super digest gets it).
var SuperID = zk.ID{Scheme: "super", ID: ""}

// DigestID is the digest scheme's id for a user and password, as
// DigestAuthenticationProvider.generateDigest computes it:
// user:base64(sha1("user:password")).
func DigestID(user, password string) string { return generateDigest(user + ":" + password) }

// generateDigest hashes idPassword whole and names it by the text before
// its first colon, as Java does.
func generateDigest(idPassword string) string {
	sum := sha1.Sum([]byte(idPassword))
	name, _, _ := strings.Cut(idPassword, ":")
	return name + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// DigestAuth is what `addauth digest user:password` adds to a connection's
// auth: the digest id, preceded by the super id when it equals superDigest
// (zookeeper.DigestAuthenticationProvider.superDigest; "" disables).
func DigestAuth(userPassword, superDigest string) []zk.ID {
	d := generateDigest(userPassword)
	if superDigest != "" && d == superDigest {
		return []zk.ID{SuperID, {Scheme: "digest", ID: d}}
	}
	return []zk.ID{{Scheme: "digest", ID: d}}
}

// isSuper: the super id bypasses every ACL check (ZooKeeperServer.checkACL),
// as does a digest id equal to the configured super digest.
func isSuper(auth []zk.ID, superDigest string) bool {
	for _, a := range auth {
		if a.Scheme == "super" || (superDigest != "" && a.Scheme == "digest" && a.ID == superDigest) {
			return true
		}
	}
	return false
}

// checkACL is ZooKeeperServer.checkACL: an empty ACL allows everything.
func checkACL(acl []zk.ACL, perm int32, auth []zk.ID, superDigest string) bool {
	if len(acl) == 0 || isSuper(auth, superDigest) {
		return true
	}
	for _, a := range acl {
		if a.Perms&perm == 0 {
			continue
		}
		if a.Scheme == "world" && a.ID.ID == "anyone" {
			return true
		}
		for _, id := range auth {
			if id.Scheme != a.Scheme {
				continue
			}
			switch a.Scheme {
			case "digest":
				if id.ID == a.ID.ID {
					return true
				}
			case "ip":
				if ipMatches(id.ID, a.ID.ID) {
					return true
				}
			}
		}
	}
	return false
}

// javaSplitCount is len(s.split(sep)) in Java: trailing empty strings are
// dropped.
func javaSplitCount(s, sep string) int {
	parts := strings.Split(s, sep)
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return len(parts)
}

// parseIPACL parses an ip scheme id: an address with an optional /bits.
func parseIPACL(expr string) (netip.Addr, int, bool) {
	host, bitsStr, hasBits := strings.Cut(expr, "/")
	addr, err := netip.ParseAddr(host)
	if err != nil || addr.Zone() != "" {
		return netip.Addr{}, 0, false
	}
	bits := addr.BitLen()
	if hasBits {
		b, err := strconv.Atoi(bitsStr)
		if err != nil || b < 0 || b > addr.BitLen() {
			return netip.Addr{}, 0, false
		}
		bits = b
	}
	return addr, bits, true
}

// ipMatches is IPAuthenticationProvider.matches: same family and the same
// first bits.
func ipMatches(client, expr string) bool {
	acl, bits, ok := parseIPACL(expr)
	if !ok {
		return false
	}
	c, err := netip.ParseAddr(client)
	if err != nil || c.BitLen() != acl.BitLen() {
		return false
	}
	p1, _ := acl.Prefix(bits)
	p2, _ := c.Prefix(bits)
	return p1 == p2
}

// fixupACL is PrepRequestProcessor.fixupACL: drop duplicates, refuse an
// empty list, expand "auth" to the requester's authenticated ids (digest
// only: ip is not an "authenticated" provider, super has no provider), and
// refuse ids their scheme would not accept.
func fixupACL(path string, auth []zk.ID, acls []zk.ACL) ([]zk.ACL, error) {
	uniq := make([]zk.ACL, 0, len(acls))
	for _, a := range acls {
		dup := false
		for _, u := range uniq {
			if u == a {
				dup = true
				break
			}
		}
		if !dup {
			uniq = append(uniq, a)
		}
	}
	if len(uniq) == 0 {
		return nil, newErr(zk.InvalidACL, path)
	}
	rv := uniq[:0:0]
	for _, a := range uniq {
		switch {
		case a.Scheme == "world" && a.ID.ID == "anyone":
			rv = append(rv, a)
		case a.Scheme == "auth":
			valid := false
			for _, id := range auth {
				if id.Scheme == "digest" {
					valid = true
					rv = append(rv, zk.ACL{Perms: a.Perms, ID: id})
				}
			}
			if !valid {
				return nil, newErr(zk.InvalidACL, path)
			}
		case a.Scheme == "digest":
			if javaSplitCount(a.ID.ID, ":") != 2 {
				return nil, newErr(zk.InvalidACL, path)
			}
			rv = append(rv, a)
		case a.Scheme == "ip":
			if _, _, ok := parseIPACL(a.ID.ID); !ok {
				return nil, newErr(zk.InvalidACL, path)
			}
			rv = append(rv, a)
		default:
			return nil, newErr(zk.InvalidACL, path)
		}
	}
	return rv, nil
}

// aclCache interns ACL lists like ZooKeeper's ReferenceCountedACLCache: a
// node holds a small index, and the thousands of nodes sharing one ACL
// share one list.
type aclCache struct {
	entries []aclEntry
	byKey   map[string]uint32
	free    []uint32
}

type aclEntry struct {
	acl  []zk.ACL
	key  string
	hash uint64 // content hash, for the node digest
	refs int64
}

func newACLCache() *aclCache { return &aclCache{byKey: make(map[string]uint32)} }

// clone copies the cache for a frozen view (entries' ACL lists are never
// changed in place, so they are shared).
func (c *aclCache) clone() *aclCache {
	return &aclCache{entries: slices.Clone(c.entries), byKey: maps.Clone(c.byKey), free: slices.Clone(c.free)}
}

// aclKey is a canonical, unambiguous text of an ACL list (order matters, as
// in ZooKeeper).
func aclKey(acl []zk.ACL) string {
	var b strings.Builder
	for _, a := range acl {
		b.WriteString(strconv.FormatInt(int64(a.Perms), 10))
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(len(a.Scheme)))
		b.WriteByte(':')
		b.WriteString(a.Scheme)
		b.WriteString(strconv.Itoa(len(a.ID.ID)))
		b.WriteByte(':')
		b.WriteString(a.ID.ID)
		b.WriteByte(';')
	}
	return b.String()
}

// intern returns the index of acl, adding a reference.
func (c *aclCache) intern(acl []zk.ACL) uint32 {
	key := aclKey(acl)
	if i, ok := c.byKey[key]; ok {
		c.entries[i].refs++
		return i
	}
	e := aclEntry{acl: append([]zk.ACL(nil), acl...), key: key, hash: hashString(0x5a17, key), refs: 1}
	var i uint32
	if n := len(c.free); n > 0 {
		i = c.free[n-1]
		c.free = c.free[:n-1]
		c.entries[i] = e
	} else {
		i = uint32(len(c.entries))
		c.entries = append(c.entries, e)
	}
	c.byKey[key] = i
	return i
}

// release drops a reference to index i.
func (c *aclCache) release(i uint32) {
	e := &c.entries[i]
	if e.refs <= 0 {
		panic("znode: ACL cache reference count below zero")
	}
	e.refs--
	if e.refs == 0 {
		delete(c.byKey, e.key)
		*e = aclEntry{}
		c.free = append(c.free, i)
	}
}

func (c *aclCache) get(i uint32) []zk.ACL { return c.entries[i].acl }

// size is the number of distinct ACL lists in use.
func (c *aclCache) size() int { return len(c.byKey) }
