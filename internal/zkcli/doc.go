// Package zkcli is a look-alike of Apache ZooKeeper 3.8's zkCli.sh: the
// same commands, options, output shapes (StatPrinter, getAcl's jute Id
// text, ls's sorted list, ls -R's order) and error words
// (CliWrapperException's, via zk.Error.CLIMessage), so scripts and
// habits carry over.
//
// Connections. Main parses `node cli`'s flags. -server takes zkCli's
// connect string (host:port[,host:port...][/chroot], client ports) and
// speaks the ZooKeeper wire protocol through package zkwire/zkclient
// (Wire), so it works against any ZooKeeper server; the session moves to
// another listed server when its connection breaks. -bus (bus ports,
// with -user/-password) or -config (a node's zoo.cfg: its bus ports and
// first client credential) use the native client over the bus instead
// (Bus); the two exclude each other. -tls-ca and -tls-cert (PEM files) put
// the bus connection under TLS; -config does so for a node with
// paddock.sslBus=true, with the node's stores (config's BusClientTLS)
// unless the flags say otherwise. Over either, addauth's identities
// are sent again to every node the session moves to.
//
// Run executes one command line against anything that implements Client;
// Shell adds the interactive prompt ("[zk: <server>(CONNECTED) <n>] "),
// history, redo and quit. On a terminal the shell edits lines with
// github.com/peterh/liner and keeps their history in ~/HistoryFile;
// otherwise (pipes, tests) it reads plain lines, prompts included.
//
// Commands added to the bus-era set: addauth scheme [auth] (waits for the
// server's answer, where zkCli does not), whoami, config [-c] [-w] [-s],
// getEphemerals [path], and setquota -n|-b|-N|-B val path, listquota
// path, delquota [-n|-b|-N|-B] path. The quota commands do client side
// what ZooKeeper 3.8's do: they write /zookeeper/quota/<path>/
// zookeeper_limits (StatsTrack text, "count=5,bytes=-1=;byteHardLimit=-1;
// countHardLimit=-1") and create zookeeper_stats at "count=0,bytes=0",
// refuse a quota above or below another, and print ZooKeeper's messages
// with its exit statuses; counting and enforcing is the server's.
//
// Watches: get -w, ls -w (and ls -R -w), stat -w (an exists watch),
// addWatch [-m PERSISTENT|PERSISTENT_RECURSIVE] and removewatches
// path [-c|-d|-a] [-l]. The interactive shell prints each event as
// ZooKeeperMain's MyWatcher does ("\nWATCHER::\n" then "\n" + the
// WatchedEvent line), asynchronously between commands; a one-shot
// command ends before its watch can fire (zkCli's too), so it sets the
// watch and says so on stderr. removewatches -l is accepted and does
// nothing more: the native client always drops its local watches.
//
// Departures from zkCli, on purpose or for now: reconfig, printwatches,
// connect and close are not there; the plain-line shell prints prompts
// where zkCli without JLine prints none; config -c lists the servers in
// id order (Java in its hash table's). It must not hold connection state
// of its own: everything goes through Client.
//
// Data: `create path` without data makes a node with null data and
// `create path ""` or `set path ""` one with empty data, and `get` prints
// "null" for the first and an empty line for the second, as zkCli does;
// the wire, the bus and the node keep the two apart.
package zkcli
