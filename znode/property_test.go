package znode

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/paddock-zk/paddock/zk"
)

// randomRequest draws a request over a small path space so that every
// error code and interaction (pending creates, deletes, sequence numbers,
// ephemerals) is common.
func randomRequest(rng *rand.Rand) Request {
	paths := []string{"/a", "/b", "/a/x", "/a/y", "/b/x", "/a/x/z", "/c", "/zookeeper/q"}
	path := func() string { return paths[rng.IntN(len(paths))] }
	ver := func() int32 { return int32(rng.IntN(3)) - 1 }
	data := func() []byte {
		if rng.IntN(4) == 0 {
			return nil
		}
		return []byte(strconv.Itoa(rng.IntN(1000)))
	}
	acls := [][]zk.ACL{zk.OpenACLUnsafe, zk.ReadACLUnsafe, zk.CreatorAllACL, {{Perms: zk.PermAll &^ zk.PermDelete, ID: zk.AnyoneID}}}
	switch rng.IntN(12) {
	case 0, 1, 2:
		mode := zk.CreateMode(rng.IntN(7))
		var ttl int64
		if mode.IsTTL() {
			ttl = int64(rng.IntN(1000) + 1)
		}
		return Create{Path: path(), Data: data(), ACL: acls[rng.IntN(len(acls))], Mode: mode, TTL: ttl}
	case 3, 4:
		return Delete{Path: path(), Version: ver()}
	case 5, 6:
		return SetData{Path: path(), Data: data(), Version: ver()}
	case 7:
		return SetACL{Path: path(), ACL: acls[rng.IntN(len(acls))], Version: ver()}
	case 8:
		return DeleteContainer{Path: path()}
	case 9:
		n := rng.IntN(4)
		ops := make([]Request, n)
		for i := range ops {
			switch rng.IntN(4) {
			case 0:
				ops[i] = Create{Path: path(), ACL: zk.OpenACLUnsafe, Mode: zk.CreateMode(rng.IntN(4))}
			case 1:
				ops[i] = Delete{Path: path(), Version: -1}
			case 2:
				ops[i] = SetData{Path: path(), Data: data(), Version: ver()}
			default:
				ops[i] = Check{Path: path(), Version: ver()}
			}
		}
		return Multi{Ops: ops}
	case 10:
		return CreateSession{Timeout: 4000}
	default:
		return CloseSession{}
	}
}

// TestReplicasAgree: random requests prepared (several in flight) and
// applied on the leader's tree, and their log records decoded and applied
// on a fresh follower tree, give the same digests at every zxid, the same
// recomputed digests and byte-identical snapshots.
func TestReplicasAgree(t *testing.T) {
	steps := 3000
	if testing.Short() {
		steps = 500
	}
	if s, err := strconv.Atoi(os.Getenv("ZNODE_PROPERTY_STEPS")); err == nil {
		steps = s
	}
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			leader := newEnv(t)
			follower := New()
			sessions := []int64{0x101, 0x202, 0x303}
			auths := [][]zk.ID{nil, {{Scheme: "digest", ID: DigestID("u", "p")}}, {SuperID}}
			var inflight []logged
			codes := map[zk.Code]int{}
			flush := func(n int) {
				for len(inflight) > n {
					l := inflight[0]
					inflight = inflight[1:]
					lr := leader.tree.Apply(l.hdr, l.txn)
					if lr.Fault != nil {
						t.Fatalf("leader: %v", lr.Fault)
					}
					leader.prep.Applied(l.hdr.Zxid)
					h, txn, err := DecodeRecord(EncodeRecord(l.hdr, l.txn))
					if err != nil || h != l.hdr {
						t.Fatalf("decode: %v %+v", err, h)
					}
					fr := follower.Apply(h, txn)
					if fr.Fault != nil || fr.Err != lr.Err || len(fr.Changes) != len(lr.Changes) {
						t.Fatalf("follower result %+v vs leader %+v", fr, lr)
					}
					if follower.Digest() != leader.tree.Digest() {
						t.Fatalf("digests differ at zxid %d", h.Zxid)
					}
				}
			}
			for i := 0; i < steps; i++ {
				s := sessions[rng.IntN(len(sessions))]
				h := leader.hdr(s, 0)
				req := randomRequest(rng)
				auth := auths[rng.IntN(len(auths))]
				_, closing := leader.prep.closing[s]
				var oracle *Prep
				if !closing && i%3 == 0 {
					oracle = NewPrep(treeWith(t, leader.tree, inflight))
				}
				txn, err := leader.prep.Prepare(h, req, auth)
				codes[zk.CodeOf(err)]++
				if oracle != nil {
					// The overlay must make Prep judge exactly as if every
					// pending txn had been applied.
					otxn, oerr := oracle.Prepare(h, req, auth)
					if zk.CodeOf(oerr) != zk.CodeOf(err) || !bytes.Equal(EncodeTxn(otxn), EncodeTxn(txn)) {
						t.Fatalf("step %d %#v: with overlay %v %+v, applied %v %+v", i, req, err, txn, oerr, otxn)
					}
				}
				inflight = append(inflight, logged{h, txn})
				flush(rng.IntN(4)) // keep 0-3 txns pending
			}
			flush(0)
			if leader.prep.Pending() != 0 {
				t.Fatalf("overlay holds %d after all applied", leader.prep.Pending())
			}
			leader.checkDigest()
			if follower.DigestSlow() != follower.Digest() {
				t.Fatal("follower digest drifted")
			}
			var a, b bytes.Buffer
			if err := leader.tree.WriteSnapshot(&a); err != nil {
				t.Fatal(err)
			}
			if err := follower.WriteSnapshot(&b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("snapshots differ")
			}
			t.Logf("%d nodes, outcomes %v", leader.tree.NodeCount(), codes)
			if codes[zk.Ok] < steps/10 {
				t.Fatalf("too few successes to mean anything: %v", codes)
			}
		})
	}
}

// treeWith is a copy of tr (through a snapshot) with txns applied.
func treeWith(t *testing.T, tr *Tree, txns []logged) *Tree {
	var buf bytes.Buffer
	if err := tr.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	c, err := ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range txns {
		if r := c.Apply(l.hdr, l.txn); r.Fault != nil {
			t.Fatal(r.Fault)
		}
	}
	return c
}
