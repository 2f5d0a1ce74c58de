package znode

import (
	"bytes"
	"errors"
	"testing"

	"github.com/paddock-zk/paddock/zk"
)

// A tree restored from its own stored nodes is the same tree: same
// digest, byte-identical snapshot, same client Stats.
func TestRestoreRoundTrip(t *testing.T) {
	e := newEnv(t)
	digest := []zk.ACL{{Perms: zk.PermAll, ID: zk.ID{Scheme: "digest", ID: "u:x"}}}
	e.must(0, Create{Path: "/a", Data: []byte("a"), ACL: zk.OpenACLUnsafe, Mode: zk.Persistent})
	e.must(0, Create{Path: "/a/null", ACL: digest, Mode: zk.Persistent})
	e.must(0, Create{Path: "/a/empty", Data: []byte{}, ACL: digest, Mode: zk.Persistent})
	e.must(0, Create{Path: "/a/gone", ACL: digest, Mode: zk.Persistent})
	e.must(0, Delete{Path: "/a/gone", Version: -1})
	e.must(0, Create{Path: "/c", ACL: zk.OpenACLUnsafe, Mode: zk.Container})
	e.must(0, Create{Path: "/c/x", ACL: zk.OpenACLUnsafe, Mode: zk.Persistent})
	e.must(0, Create{Path: "/t", ACL: zk.OpenACLUnsafe, Mode: zk.PersistentWithTTL, TTL: 5000})
	e.must(0, SetData{Path: "/a", Data: []byte("b"), Version: 0})
	e.must(0, SetACL{Path: "/c/x", ACL: digest, Version: 0})

	r, err := Restore(e.tree.StoredNodes(), e.tree.LastZxid())
	if err != nil {
		t.Fatal(err)
	}
	if r.Digest() != e.tree.Digest() || r.Digest() != r.DigestSlow() {
		t.Fatalf("digest %#x, original %#x", r.Digest(), e.tree.Digest())
	}
	var a, b bytes.Buffer
	if err := e.tree.WriteSnapshot(&a); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteSnapshot(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the restored tree's snapshot differs")
	}
	for _, p := range []string{"/", "/a", "/a/null", "/c", "/t"} {
		_, want, _ := e.tree.Get(p)
		_, got, _ := r.Get(p)
		if got != want {
			t.Errorf("%s: stat %+v, want %+v", p, got, want)
		}
	}
	if got := r.ExpiredContainersAndTTLs(1<<40, 0); len(got) != 1 || got[0] != "/t" {
		t.Errorf("the restored tree's TTL node is not tracked: %v", got)
	}
}

func TestRestoreRefusesBadTrees(t *testing.T) {
	root := StoredNode{Path: "/", Data: []byte{}, ACL: zk.OpenACLUnsafe}
	for _, tc := range []struct {
		name  string
		nodes []StoredNode
	}{
		{"no root", []StoredNode{{Path: "/a"}}},
		{"orphan", []StoredNode{root, {Path: "/a/b"}}},
		{"twice", []StoredNode{root, {Path: "/a"}, {Path: "/a"}}},
		{"ephemeral", []StoredNode{root, {Path: "/e", EphemeralOwner: 0x1234}}},
		{"bad path", []StoredNode{root, {Path: "/a/"}}},
	} {
		if _, err := Restore(tc.nodes, 9); !errors.Is(err, ErrBadRestore) {
			t.Errorf("%s: %v, want ErrBadRestore", tc.name, err)
		}
	}
	// Built-ins missing from the given nodes are added as New has them.
	r, err := Restore([]StoredNode{root}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.NodeCount() != New().NodeCount() || r.Digest() != New().Digest() {
		t.Errorf("restored bare root: %d nodes, digest %#x; New: %d, %#x", r.NodeCount(), r.Digest(), New().NodeCount(), New().Digest())
	}
}
