package server

// Differential scripts for null versus zero-length znode data: ZooKeeper
// keeps the two apart (a null buffer is length -1 on the wire, an empty
// one 0), and so must Paddock, in every op that carries data, after
// every change, on every node. go-zookeeper/zk v1.0.4 sends a nil slice
// as -1 and an empty one as 0 and decodes them back the same way, so it
// can express both; multiRead, which it lacks, goes over the raw jute
// client. The transcripts print null as "null" and empty data as "".

import (
	"fmt"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	pzk "github.com/paddock-zk/paddock/zk"
	"github.com/paddock-zk/paddock/zkwire/jute"
)

func init() {
	diffScripts = append(diffScripts, dataDiffScripts...)
}

// nullStr is dataStr that tells null from empty.
func nullStr(d []byte) string {
	if d == nil {
		return "null"
	}
	return dataStr(d)
}

func (r *diffRun) createData(i int, path string, data []byte, flags int32) string {
	c := r.use(i)
	p, err := c.conn.Create(path, data, flags, worldAll)
	r.rec("%s create(%s, %s, flags=%d) → %s %q", c.name, path, nullStr(data), flags, errName(err), p)
	return p
}

func (r *diffRun) createContainerData(i int, path string, data []byte) {
	c := r.use(i)
	p, err := c.conn.CreateContainer(path, data, zk.FlagContainer, worldAll)
	r.rec("%s createContainer(%s, %s) → %s %q", c.name, path, nullStr(data), errName(err), p)
}

func (r *diffRun) createTTLData(i int, path string, data []byte) {
	c := r.use(i)
	p, err := c.conn.CreateTTL(path, data, zk.FlagTTL, worldAll, time.Hour)
	r.rec("%s createTTL(%s, %s) → %s %q", c.name, path, nullStr(data), errName(err), p)
}

func (r *diffRun) getData(i int, path string) {
	c := r.use(i)
	d, st, err := c.conn.Get(path)
	if err != nil {
		st = nil
	}
	r.rec("%s get(%s) → %s %s %s", c.name, path, errName(err), nullStr(d), statStr(st))
}

func (r *diffRun) setData(i int, path string, data []byte, version int32) {
	c := r.use(i)
	st, err := c.conn.Set(path, data, version)
	if err != nil {
		st = nil
	}
	r.rec("%s set(%s, %s, %d) → %s %s", c.name, path, nullStr(data), version, errName(err), statStr(st))
}

func nullOpStr(op any) string {
	switch o := op.(type) {
	case *zk.CreateRequest:
		return fmt.Sprintf("create(%s, %s, flags=%d)", o.Path, nullStr(o.Data), o.Flags)
	case *zk.SetDataRequest:
		return fmt.Sprintf("set(%s, %s, %d)", o.Path, nullStr(o.Data), o.Version)
	}
	return opStr(op)
}

func (r *diffRun) multiData(i int, ops ...any) {
	c := r.use(i)
	res, err := c.conn.Multi(ops...)
	names := make([]string, len(ops))
	for j, op := range ops {
		names[j] = nullOpStr(op)
	}
	out := make([]string, len(res))
	for j, m := range res {
		out[j] = strings.TrimSpace(errName(m.Error) + " " + m.String + " " + statStr(m.Stat))
	}
	r.rec("%s multi(%s) → %s [%s]", c.name, strings.Join(names, "; "), errName(err), strings.Join(out, "; "))
}

// multiReadRaw reads paths' data with one multiRead over a fresh raw jute
// session on the server session i would use (after a sync, so it sees
// the script's writes), and records each result as null, its data or
// its error code.
func (r *diffRun) multiReadRaw(i int, paths ...string) {
	raw := dialRaw(r.t, r.tgt.addrs[i%len(r.tgt.addrs)])
	if e := raw.call(pzk.OpSync, &jute.SyncRequest{Path: "/"}, &jute.SyncResponse{}); e != 0 {
		r.t.Fatalf("%s: raw sync: %d", r.tgt.name, e)
	}
	req := &jute.MultiRequest{Read: true}
	for _, p := range paths {
		req.Ops = append(req.Ops, jute.MultiOp{Type: pzk.OpGetData, Rec: &jute.PathWatch{Path: p}})
	}
	var mr jute.MultiResponse
	e := raw.call(pzk.OpMultiRead, req, &mr)
	out := make([]string, len(mr.Results))
	for j, res := range mr.Results {
		if gd, ok := res.Rec.(*jute.GetDataResponse); ok {
			out[j] = fmt.Sprintf("%s len=%d", nullStr(gd.Data), gd.Stat.DataLength)
		} else {
			out[j] = fmt.Sprintf("err %d", res.Err)
		}
	}
	r.rec("raw%d multiRead(%s) → %d [%s]", i+1, strings.Join(paths, ", "), e, strings.Join(out, "; "))
}

var dataDiffScripts = []diffScript{
	{"nullAndEmptyData", func(r *diffRun) {
		p := r.root
		r.createData(0, p+"/null", nil, zk.FlagPersistent)
		r.createData(0, p+"/empty", []byte{}, zk.FlagPersistent)
		r.createData(0, p+"/x", []byte("x"), zk.FlagPersistent)
		r.getData(0, p+"/null")
		r.getData(0, p+"/empty")
		// Another session (on another node of the ensemble).
		r.getData(1, p+"/null")
		r.getData(2, p+"/empty")
		// setData: to empty after non-empty, null after empty, empty
		// after null, and to the same empty again.
		r.setData(0, p+"/x", []byte{}, -1)
		r.getData(1, p+"/x")
		r.setData(0, p+"/x", nil, -1)
		r.getData(1, p+"/x")
		r.setData(0, p+"/x", []byte{}, 2)
		r.getData(2, p+"/x")
		r.setData(0, p+"/x", []byte{}, -1)
		r.getData(0, p+"/x")
		// Every create mode, with both.
		r.createData(0, p+"/s-", []byte{}, zk.FlagSequence)
		r.createData(0, p+"/s-", nil, zk.FlagSequence)
		r.getData(1, p+"/s-0000000003")
		r.getData(1, p+"/s-0000000004")
		r.createData(1, p+"/e-null", nil, zk.FlagEphemeral)
		r.createData(1, p+"/e-empty", []byte{}, zk.FlagEphemeral)
		r.getData(0, p+"/e-null")
		r.getData(0, p+"/e-empty")
		r.createContainerData(0, p+"/box-null", nil)
		r.createContainerData(0, p+"/box-empty", []byte{})
		r.getData(2, p+"/box-null")
		r.getData(2, p+"/box-empty")
		r.createTTLData(0, p+"/ttl-null", nil)
		r.createTTLData(0, p+"/ttl-empty", []byte{})
		r.getData(1, p+"/ttl-null")
		r.getData(1, p+"/ttl-empty")
		// A multi with both, in creates and setData.
		r.multiData(0,
			&zk.CreateRequest{Path: p + "/m-null", Acl: worldAll},
			&zk.CreateRequest{Path: p + "/m-empty", Data: []byte{}, Acl: worldAll},
			&zk.SetDataRequest{Path: p + "/null", Data: []byte{}, Version: -1},
			&zk.SetDataRequest{Path: p + "/empty", Version: -1},
		)
		r.getData(2, p+"/m-null")
		r.getData(2, p+"/m-empty")
		r.getData(2, p+"/null")
		r.getData(2, p+"/empty")
		// A data watch fires on a change between null and empty.
		r.getW(1, p+"/m-empty")
		r.setData(0, p+"/m-empty", nil, -1)
		r.fence()
		r.multiReadRaw(1, p+"/m-null", p+"/m-empty", p+"/null", p+"/x", p+"/missing")
		// The built-in nodes: their Stats and children differ by design
		// or by what other scripts made, their data must not.
		// /zookeeper/config holds the ensemble's server lines here and is
		// empty on the standalone ZooKeeper: TestDifferentialConfigNode
		// compares it with a standalone and a 3-node ZooKeeper.
		r.multiReadRaw(2, "/", "/zookeeper", "/zookeeper/quota")
	}},
}
