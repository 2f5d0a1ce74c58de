package znode

import (
	"bytes"
	"testing"

	"github.com/paddock-zk/paddock/zk"
)

// DataSize, EphemeralCount and SessionCount are kept as nodes come, go
// and change, and a tree loaded from a snapshot has the same.
func TestMetricsFigures(t *testing.T) {
	e := newEnv(t)
	recount := func(tr *Tree) (size int64, eph int) {
		for p, n := range tr.nodes {
			size += int64(len(p) + len(n.data))
			if KindOf(n.owner) == KindEphemeral {
				eph++
			}
		}
		return size, eph
	}
	check := func(what string, sessions int) {
		t.Helper()
		size, eph := recount(e.tree)
		if e.tree.DataSize() != size || e.tree.EphemeralCount() != eph || e.tree.SessionCount() != sessions {
			t.Fatalf("%s: DataSize %d, EphemeralCount %d, SessionCount %d; want %d, %d, %d", what,
				e.tree.DataSize(), e.tree.EphemeralCount(), e.tree.SessionCount(), size, eph, sessions)
		}
	}
	check("new tree", 0)
	e.session(7)
	e.must(7, Create{Path: "/a", Data: []byte("hello"), ACL: zk.OpenACLUnsafe})
	e.must(7, Create{Path: "/a/e1", Data: []byte("xy"), ACL: zk.OpenACLUnsafe, Mode: zk.Ephemeral})
	e.must(7, Create{Path: "/a/e2", ACL: zk.OpenACLUnsafe, Mode: zk.Ephemeral})
	check("after creates", 1)
	if e.tree.EphemeralCount() != 2 {
		t.Fatalf("EphemeralCount %d, want 2", e.tree.EphemeralCount())
	}
	e.must(7, SetData{Path: "/a", Data: []byte("a longer value"), Version: -1})
	e.must(7, SetData{Path: "/a/e1", Data: nil, Version: -1})
	check("after setData", 1)
	e.must(7, Delete{Path: "/a/e2", Version: -1})
	check("after delete", 1)

	var buf bytes.Buffer
	if err := e.tree.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	loaded, err := ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.DataSize() != e.tree.DataSize() || loaded.EphemeralCount() != e.tree.EphemeralCount() || loaded.SessionCount() != 1 {
		t.Fatalf("loaded: DataSize %d, EphemeralCount %d, SessionCount %d; want %d, %d, 1",
			loaded.DataSize(), loaded.EphemeralCount(), loaded.SessionCount(), e.tree.DataSize(), e.tree.EphemeralCount())
	}

	e.must(7, CloseSession{})
	check("after the session closed", 0)
	if e.tree.EphemeralCount() != 0 {
		t.Fatalf("EphemeralCount %d after the session closed", e.tree.EphemeralCount())
	}
}
