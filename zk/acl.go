package zk

// Permission bits of ZooDefs.Perms.
const (
	PermRead   int32 = 1 << 0
	PermWrite  int32 = 1 << 1
	PermCreate int32 = 1 << 2
	PermDelete int32 = 1 << 3
	PermAdmin  int32 = 1 << 4
	PermAll    int32 = PermRead | PermWrite | PermCreate | PermDelete | PermAdmin
)

// ID is ZooKeeper's Id: an authenticated identity or an ACL subject,
// (scheme, id), e.g. {"world", "anyone"}, {"digest", "bob:base64sha1"},
// {"ip", "10.0.0.0/8"}. The msgpack tags are its encoding on the bus inside
// an ACL: never change them.
type ID struct {
	Scheme string `msgpack:"s"`
	ID     string `msgpack:"i"`
}

// ACL is ZooKeeper's ACL: Perms granted to an ID. On the bus it is one flat
// map {p, s, i} (the ID inlined), which is also how a session's ids travel
// (Perms 0): never change the tags.
type ACL struct {
	Perms int32 `msgpack:"p"`
	ID    `msgpack:",inline"`
}

// Well-known IDs and ACLs of ZooDefs.Ids. Treat them as constants.
var (
	AnyoneID      = ID{Scheme: "world", ID: "anyone"} // ANYONE_ID_UNSAFE
	AuthIDs       = ID{Scheme: "auth", ID: ""}        // AUTH_IDS
	OpenACLUnsafe = []ACL{{Perms: PermAll, ID: AnyoneID}}
	CreatorAllACL = []ACL{{Perms: PermAll, ID: AuthIDs}}
	ReadACLUnsafe = []ACL{{Perms: PermRead, ID: AnyoneID}}
)
