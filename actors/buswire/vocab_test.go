package buswire

import (
	"encoding/hex"
	"testing"

	"github.com/paddock-zk/paddock/actors/msg"
	"github.com/paddock-zk/paddock/zk"
)

// vocabBodies carry every ZooKeeper value the request path puts on the
// bus (opcodes, error codes, create modes, ACLs, Stats, event types).
func vocabBodies() map[string]msg.Body {
	stat := &zk.Stat{Czxid: 1, Mzxid: 2, Ctime: 3, Mtime: 4, Version: 5, Cversion: 6, Aversion: 7,
		EphemeralOwner: 8, DataLength: 9, NumChildren: 10, Pzxid: 11}
	acl := []zk.ACL{{Perms: 31, ID: zk.ID{Scheme: "world", ID: "anyone"}}, {Perms: 1, ID: zk.ID{Scheme: "digest", ID: "u:h"}}}
	return map[string]msg.Body{
		"request": &msg.Request{Session: 7, Xid: 3, Op: msg.Op{Op: 14, Ops: []msg.Op{
			{Op: 1, Path: "/a", Data: []byte("x"), ACL: acl, Mode: 3},
			{Op: 13, Path: "/a", Version: -1}}}},
		"reply": &msg.Reply{Session: 7, Xid: 3, Zxid: 9, Err: -101, Path: "/a", Stat: stat, ACL: acl,
			Results: []msg.OpResult{{Op: 15, Path: "/a", Stat: stat}, {Op: -1, Err: -2}}},
		"forward":      &msg.Forward{Epoch: 1, Origin: 2, Seq: 3, Request: msg.Request{Op: msg.Op{Op: 5, Path: "/a"}}, Auth: []zk.ACL{{ID: zk.ID{Scheme: "ip", ID: "127.0.0.1"}}}},
		"forwardReply": &msg.ForwardReply{Epoch: 1, Session: 7, Xid: 3, Zxid: 9, Err: -103, Errs: []zk.Code{0, -103, -2}},
		"watchEvent":   &msg.WatchEvent{Session: 7, Type: 4, Path: "/a", Zxid: 9},
	}
}

// vocabGolden are the bodies' bytes as the bus carried them when each
// layer still had its own copy of the ZooKeeper types: a change of those
// types must not change a byte, or nodes of two versions could not talk.
var vocabGolden = map[string]string{
	"request": "" +
		"1994cf0000000000000001cc01cf0000000000000002cc0185a173d30000000000000007a178d200000003a16fd20000" +
		"000ea164c0a36f70739285a16fd200000001a170a22f61a164c40178a1619283a170d20000001fa173a5776f726c64a1" +
		"69a6616e796f6e6583a170d200000001a173a6646967657374a169a3753a68a16dd20000000384a16fd20000000da170" +
		"a22f61a164c0a176d2ffffffff",
	"reply": "" +
		"1a94cf0000000000000001cc01cf0000000000000002cc0189a173d30000000000000007a178d200000003a17ad30000" +
		"000000000009a165d2ffffff9ba170a22f61a164c0a273748ba2637ad30000000000000001a26d7ad300000000000000" +
		"02a26374d30000000000000003a26d74d30000000000000004a176d200000005a26376d200000006a26176d200000007" +
		"a2656fd30000000000000008a2646cd200000009a26e63d20000000aa2707ad3000000000000000ba1619283a170d200" +
		"00001fa173a5776f726c64a169a6616e796f6e6583a170d200000001a173a6646967657374a169a3753a68a372657392" +
		"84a16fd20000000fa170a22f61a273748ba2637ad30000000000000001a26d7ad30000000000000002a26374d3000000" +
		"0000000003a26d74d30000000000000004a176d200000005a26376d200000006a26176d200000007a2656fd300000000" +
		"00000008a2646cd200000009a26e63d20000000aa2707ad3000000000000000ba164c083a16fd2ffffffffa165d2ffff" +
		"fffea164c0",
	"forward": "" +
		"1b94cf0000000000000001cc01cf0000000000000002cc0185a165cf0000000000000001a16ecf0000000000000002a1" +
		"71cf0000000000000003a17285a173d30000000000000000a178d200000000a16fd200000005a170a22f61a164c0a261" +
		"759183a170d200000000a173a26970a169a93132372e302e302e31",
	"forwardReply": "" +
		"1c94cf0000000000000001cc01cf0000000000000002cc0186a165cf0000000000000001a173d30000000000000007a1" +
		"78d200000003a17acf0000000000000009a26572d2ffffff99a2657393d200000000d2ffffff99d2fffffffe",
	"watchEvent": "" +
		"2094cf0000000000000001cc01cf0000000000000002cc0184a173d30000000000000007a174d200000004a170a22f61" +
		"a17ad30000000000000009",
}

func TestVocabularyBytesUnchanged(t *testing.T) {
	from, to := msg.Addr{Node: 1, Role: msg.RoleVoter}, msg.Addr{Node: 2, Role: msg.RoleVoter}
	for name, body := range vocabBodies() {
		out, err := Encode(msg.New(from, to, body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := hex.EncodeToString(out); got != vocabGolden[name] {
			t.Errorf("%s encodes as\n%s\nwant\n%s", name, got, vocabGolden[name])
		}
	}
}
