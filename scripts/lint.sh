#!/usr/bin/env bash
# golangci-lint at the version pinned here (installed into GOBIN on first
# use), over the whole module with .golangci.yml. Used by `task lint` and
# .ci/run, so both run the same linter.
set -euo pipefail
cd "$(dirname "$0")/.."

version=v2.15.0
bin="$(go env GOPATH)/bin/golangci-lint"
if [ -n "$(go env GOBIN)" ]; then bin="$(go env GOBIN)/golangci-lint"; fi
if ! "$bin" version 2>/dev/null | grep -q "version ${version#v} "; then
  echo "installing golangci-lint $version"
  GOFLAGS= go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$version"
fi
exec "$bin" run ./...
