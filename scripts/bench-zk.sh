#!/bin/sh
# Runs Apache ZooKeeper as a 3-node ensemble on this machine (forceSync on,
# the default) and puts the server package's benchmark load on it through
# go-zookeeper/zk (scripts/zkbench), for a same-machine comparison with
# `task bench:store`. Needs java and ZooKeeper's jars (Debian: apt-get
# install zookeeper; or set ZK_CLASSPATH). D is the duration of each run.
set -eu
CP=${ZK_CLASSPATH:-/usr/share/java/zookeeper.jar}
D=${D:-5s}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
for i in 1 2 3; do
	mkdir -p "$dir/$i"
	echo "$i" >"$dir/$i/myid"
	cat >"$dir/$i/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir/$i
clientPort=$((21810 + i))
clientPortAddress=127.0.0.1
4lw.commands.whitelist=srvr
admin.enableServer=false
server.1=127.0.0.1:28881:38881
server.2=127.0.0.1:28882:38882
server.3=127.0.0.1:28883:38883
CFG
	java -Xmx1g -cp "$CP" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/$i/zoo.cfg" >"$dir/$i/out.log" 2>&1 &
	pids="$pids $!"
done
servers=127.0.0.1:21811,127.0.0.1:21812,127.0.0.1:21813
cd "$here/zkbench" && go run . -servers "$servers" -d "$D"
for p in $pids; do
	echo "zookeeper pid $p RSS $(awk '/VmRSS/ {print $2, $3}' /proc/"$p"/status)"
done
