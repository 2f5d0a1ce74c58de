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
// Departures from zkCli, on purpose or for now: -server names nodes' bus
// (NATS) ports, not client ports; -w is parsed and refused until the native
// client has watches; addauth, whoami, quotas, reconfig, config and
// getEphemerals are not there yet; the bus protocol does not tell a null
// value from an empty one, so `get` prints "null" for both. It must not
// hold connection state of its own: everything goes through Client.
package zkcli
