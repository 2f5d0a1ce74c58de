// Package zkcli is a look-alike of Apache ZooKeeper 3.8's zkCli.sh over
// Paddock's native client: the same commands, options, output shapes
// (StatPrinter, getAcl's jute Id text, ls's sorted list) and error words
// (CliWrapperException's, via znode.Error.CLIMessage), so scripts and
// habits carry over. `node cli` wires it to package client.
//
// Run executes one command line against anything that implements Client;
// Shell adds the interactive prompt ("[zk: <server>(CONNECTED) <n>] "),
// history, redo and quit; Main parses `node cli`'s flags.
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
// Departures from zkCli, on purpose or for now: -server names nodes' bus
// (NATS) ports, not client ports; addauth, whoami, quotas, reconfig, config and
// getEphemerals are not there yet. It must not hold connection state of
// its own: everything goes through Client.
//
// Data: `create path` without data makes a node with null data and
// `create path ""` or `set path ""` one with empty data, and `get` prints
// "null" for the first and an empty line for the second, as zkCli does;
// the bus and the node keep the two apart.
package zkcli
