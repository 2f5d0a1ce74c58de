#!/usr/bin/env bash
# Measures Paddock and Apache ZooKeeper 3.8 side by side in one run on
# this machine (cmd/zkcompare): installs Debian's zookeeper package when
# its jars or java are missing, builds the node binary and runs the
# comparison. Arguments go to zkcompare, e.g.
#   scripts/bench-compare.sh -d 3s -repeats 2 -trials 3 -znodes 100000
# The Markdown table goes to stdout, progress to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null 2>&1 || [ ! -f /usr/share/java/zookeeper.jar ]; then
	echo "installing Debian's zookeeper package (java and ZooKeeper's jars)" >&2
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
	$sudo apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q zookeeper >&2
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/node" ./cmd/node
go build -o "$bin/zkcompare" ./cmd/zkcompare
# Not exec: the trap removes the binaries afterwards; zkcompare handles
# Ctrl-C itself and cleans up its processes and directory.
"$bin/zkcompare" -bin "$bin/node" "$@"
