package watcher

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/znode"
)

// model is a naive registry written straight from ZooKeeper 3.9's
// WatchManager (a mode set per watcher and path, full scans), to check the
// indexed one against.
type model map[mkey]uint8

type mkey struct {
	s int64
	p string
}

func isAncestor(a, p string) bool {
	if a == "/" {
		return p != "/"
	}
	return strings.HasPrefix(p, a+"/")
}

// trigger is one WatchManager.triggerWatch; in says which bits belong to
// the manager, recursive whether it walks ancestors.
func (m model) trigger(path string, in, oneShot uint8, recursive bool) map[int64]bool {
	fired := map[int64]bool{}
	for k, b := range m {
		switch {
		case k.p == path && b&in != 0:
			fired[k.s] = true
			if b&oneShot != 0 {
				b &^= oneShot
				if b == 0 {
					delete(m, k)
				} else {
					m[k] = b
				}
			}
		case recursive && b&bitRecursive != 0 && isAncestor(k.p, path):
			fired[k.s] = true
		}
	}
	return fired
}

func sorted(set map[int64]bool, t zk.EventType, path string) []Notification {
	var ss []int64
	for s := range set {
		ss = append(ss, s)
	}
	slices.Sort(ss)
	var out []Notification
	for _, s := range ss {
		out = append(out, Notification{s, t, path})
	}
	return out
}

func (m model) apply(changes []znode.Change) []Notification {
	var out []Notification
	for _, c := range changes {
		switch c.Type {
		case znode.Created:
			out = append(out, sorted(m.trigger(c.Path, inData, bitData, true), zk.EventNodeCreated, c.Path)...)
		case znode.DataChanged:
			out = append(out, sorted(m.trigger(c.Path, inData, bitData, true), zk.EventNodeDataChanged, c.Path)...)
		case znode.ChildrenChanged:
			out = append(out, sorted(m.trigger(c.Path, inChild, bitChild, false), zk.EventNodeChildrenChanged, c.Path)...)
		case znode.Deleted:
			a := m.trigger(c.Path, inData, bitData, true)
			for s := range m.trigger(c.Path, inChild, bitChild, false) {
				a[s] = true
			}
			out = append(out, sorted(a, zk.EventNodeDeleted, c.Path)...)
		}
	}
	return out
}

func (m model) dump() []Watch {
	var out []Watch
	for k, b := range m {
		for _, md := range modesOf(b) {
			out = append(out, Watch{k.s, k.p, md})
		}
	}
	slices.SortFunc(out, func(a, b Watch) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		if a.Session != b.Session {
			if a.Session < b.Session {
				return -1
			}
			return 1
		}
		return int(a.Mode) - int(b.Mode)
	})
	return out
}

// TestModel drives the registry and the model with the same random
// registrations, removals, session drops and real tree changes, and
// compares every notification and the full watch set.
func TestModel(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(seed, 7))
			e := newEnv(t)
			m := model{}
			names := []string{"a", "b", "c"}
			randPath := func() string {
				p := ""
				for d := rnd.IntN(4); d >= 0; d-- {
					p += "/" + names[rnd.IntN(len(names))]
				}
				if rnd.IntN(10) == 0 {
					return "/"
				}
				return p
			}
			modes := []Mode{Data, Exist, Child, Persistent, PersistentRecursive}
			for step := 0; step < 1000; step++ {
				s := int64(rnd.IntN(6))
				p := randPath()
				switch k := rnd.IntN(20); {
				case k < 8:
					md := modes[rnd.IntN(len(modes))]
					e.reg.Add(s, p, md)
					m[mkey{s, p}] |= modeBit(md)
				case k < 10:
					wt := zk.WatcherType(1 + rnd.IntN(5))
					want := m[mkey{s, p}] & typeBits(wt)
					if e.reg.Check(s, p, wt) != (want != 0) {
						t.Fatalf("step %d check %d %s %v", step, s, p, wt)
					}
					_, ok := e.reg.Remove(s, p, wt)
					if ok != (want != 0) {
						t.Fatalf("step %d remove %d %s %v: %v", step, s, p, wt, ok)
					}
					if b := m[mkey{s, p}] &^ want; b == 0 {
						delete(m, mkey{s, p})
					} else {
						m[mkey{s, p}] = b
					}
				case k < 11:
					e.reg.DropSession(s)
					for key := range m {
						if key.s == s {
							delete(m, key)
						}
					}
				default:
					// A real change: create if missing (parents first), else
					// setData or delete a leaf.
					var txn znode.Txn
					if p == "/" {
						p = "/a"
					}
					if _, ok := e.tree.Exists(p); !ok {
						q := p
						for {
							i := strings.LastIndexByte(q, '/')
							par := q[:i]
							if par == "" {
								break
							}
							if _, ok := e.tree.Exists(par); ok {
								break
							}
							q = par
						}
						txn = e.createTxn(q, 0)
					} else if _, st, _ := e.tree.Get(p); st.NumChildren == 0 && rnd.IntN(2) == 0 {
						txn = znode.DeleteTxn{Path: p}
					} else {
						txn = znode.SetDataTxn{Path: p, Data: []byte{1}, Version: st.Version + 1}
					}
					e.zxid++
					res := e.tree.Apply(znode.TxnHeader{Zxid: e.zxid, Time: e.zxid, Type: txn.TxnOp()}, txn)
					if res.Fault != nil {
						t.Fatal(res.Fault)
					}
					got := e.reg.Trigger(res.Changes)
					want := m.apply(res.Changes)
					if !slices.Equal(got, want) {
						t.Fatalf("step %d %v:%s\nwant:%s", step, res.Changes, fmtN(got), fmtN(want))
					}
				}
				checkInvariants(t, e.reg)
				if got, want := e.reg.Dump(), m.dump(); !slices.Equal(got, want) {
					t.Fatalf("step %d: watches %v\nwant %v", step, got, want)
				}
			}
		})
	}
}

// TestDeterminism: the same registrations in a different order give the
// same notifications.
func TestDeterminism(t *testing.T) {
	var first []Notification
	for seed := uint64(1); seed <= 5; seed++ {
		rnd := rand.New(rand.NewPCG(seed, 1))
		r := New()
		regs := make([]w, 0, 600)
		for s := int64(0); s < 200; s++ {
			regs = append(regs, w{s * 7919 % 1000, "/a", Data}, w{s, "/a", PersistentRecursive}, w{-s, "/a/b", Child})
		}
		rnd.Shuffle(len(regs), func(i, j int) { regs[i], regs[j] = regs[j], regs[i] })
		for _, x := range regs {
			r.Add(x.s, x.p, x.m)
		}
		got := r.Trigger([]znode.Change{
			{Type: znode.Created, Path: "/a/b/c"}, {Type: znode.ChildrenChanged, Path: "/a/b"},
			{Type: znode.DataChanged, Path: "/a"}, {Type: znode.Deleted, Path: "/a/b"},
		})
		if first == nil {
			first = got
		} else if !slices.Equal(got, first) {
			t.Fatalf("seed %d differs", seed)
		}
	}
	if len(first) == 0 {
		t.Fatal("nothing fired")
	}
}
