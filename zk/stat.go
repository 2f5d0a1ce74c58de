package zk

// Stat is ZooKeeper's org.apache.zookeeper.data.Stat. The msgpack tags are
// its encoding on the bus (the only package that encodes it so is
// actors/buswire): never change them, or nodes of two versions stop
// understanding each other. The jute encoding is zkwire/jute's, the txn
// log's and snapshots' znode's.
type Stat struct {
	Czxid          int64 `msgpack:"cz"` // zxid of the create
	Mzxid          int64 `msgpack:"mz"` // zxid of the last setData (or the create)
	Ctime          int64 `msgpack:"ct"` // ms, the create's leader time
	Mtime          int64 `msgpack:"mt"` // ms, the last setData's leader time
	Version        int32 `msgpack:"v"`  // data version
	Cversion       int32 `msgpack:"cv"` // children version: +1 per child create
	Aversion       int32 `msgpack:"av"` // ACL version
	EphemeralOwner int64 `msgpack:"eo"` // session, 0, or a container's or TTL node's mark (znode.KindOf)
	DataLength     int32 `msgpack:"dl"`
	NumChildren    int32 `msgpack:"nc"`
	Pzxid          int64 `msgpack:"pz"` // zxid of the last child create or delete
}
