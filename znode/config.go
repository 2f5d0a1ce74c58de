package znode

// InitConfig puts the ensemble's configuration (ZooKeeper's
// QuorumVerifier text, or nil for a standalone node) into
// /zookeeper/config, as ZKDatabase.initConfigInZKDatabase does when a
// node loads its database: every node sets it from its own server lines,
// no txn carries it. Unlike ZooKeeper, which stamps the local wall time
// into mtime, the Stat here is a function of the data alone (mzxid = the
// config version 0, mtime 0, version -1 as initConfigInZKDatabase's
// setData(-1) leaves it; for nil the built-in empty node). Its data stays
// out of the digest (nodeHash): replicas name each other by the addresses
// they use, which may differ.
//
// A node a txn has written (mzxid not 0: a super user's setData, later a
// reconfig) is left alone: committed state wins over the file, on every
// replica alike.
func (t *Tree) InitConfig(data []byte) {
	n := t.nodes[ConfigPath]
	if n == nil || n.mzxid != 0 {
		return
	}
	version := int32(-1)
	if len(data) == 0 {
		data, version = emptyData, 0
	}
	n = t.mut(ConfigPath)
	t.update(n, func(n *node) {
		n.data = data
		n.chash = nodeHash(ConfigPath, n)
		n.version, n.mtime = version, 0
	})
}
