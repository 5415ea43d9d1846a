#!/usr/bin/env bash
# Builds FerretDB (a MongoDB wire-protocol server, Apache-2.0, written in Go) once and caches
# it outside the clone; prints the binary's path. Later calls only print the path.
#
#   scripts/ferretdb-build.sh            build if missing, print the path
#   scripts/ferretdb-build.sh --path     print where the binary goes (built or not)
#
# The binary goes to ${XDG_CACHE_HOME:-$HOME/.cache}/tradestore/ferretdb-v1.24.2/bin/ferretdb.
# It needs Go 1.24 or newer; with an older `go` (Debian 12's bookworm-backports golang-1.23-go)
# set GOTOOLCHAIN=go1.24.6 (any go1.24.x) and that Go fetches the newer toolchain through the
# Go module proxy.
#
# Why not plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` (or a tool
# module with `go get -tool`): FerretDB's build/version package panics at start unless
# build/version/version.txt exists whenever FerretDB is the binary's main module, and the
# module zip does not ship that generated file. So this script downloads the module source
# (its checksum pinned in scripts/ferretdb-tool/go.sum), copies it, writes version.txt as
# FerretDB's own docs say (`v1.24.2`), and builds ./cmd/ferretdb there; every dependency is
# checked against FerretDB's own go.sum.
# Environment: GO (default: go on PATH, else the newest
# /usr/lib/go-1.*/bin/go).
set -euo pipefail

version=v1.24.2  # keep in step with scripts/ferretdb-tool/go.mod
tool_module=$(cd "$(dirname "$0")/ferretdb-tool" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/tradestore/ferretdb-$version
binary=$cache/bin/ferretdb

log() { echo "ferretdb-build: $*" >&2; }

if [ "${1:-}" = "--path" ]; then
  echo "$binary"
  exit 0
fi
if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi

find_go() {
  if [ -n "${GO:-}" ]; then
    echo "$GO"
    return
  fi
  if command -v go >/dev/null 2>&1; then
    command -v go
    return
  fi
  local candidate
  for candidate in $(ls -d /usr/lib/go-1.*/bin/go 2>/dev/null | sort -V -r); do
    echo "$candidate"
    return
  done
}

go_bin=$(find_go)
if [ -z "$go_bin" ]; then
  log "no Go toolchain found; install Go 1.24+ (see README: bookworm-backports golang-1.23-go"
  log "with GOTOOLCHAIN=go1.24.6), or set TRADESTORE_TEST_MONGO_URI to an existing server"
  exit 1
fi
go_version=$("$go_bin" env GOVERSION 2>/dev/null || true)
go_minor=$(echo "$go_version" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
if [ -n "$go_minor" ] && [ "$go_minor" -lt 24 ] && [ -z "${GOTOOLCHAIN:-}" ]; then
  log "$go_bin is $go_version; FerretDB $version needs Go 1.24+: set GOTOOLCHAIN=go1.24.6"
  exit 1
fi

mkdir -p "$cache"
# One build at a time (parallel test runs share the cache).
exec 9>"$cache/.lock"
flock 9
if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi

log "building FerretDB $version with $go_bin ($go_version) into $cache (once, a few minutes)"
staging=$(mktemp -d "$cache/.staging.XXXXXX")
trap 'chmod -R u+w "$staging" 2>/dev/null; rm -rf "$staging"' EXIT
export GOFLAGS="-buildvcs=false -mod=readonly"
source_dir=$(cd "$tool_module" && "$go_bin" mod download -json github.com/FerretDB/FerretDB |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$source_dir" ] || [ ! -d "$source_dir/cmd/ferretdb" ]; then
  log "could not download github.com/FerretDB/FerretDB@$version"
  exit 1
fi
cp -R "$source_dir" "$staging/src"
chmod -R u+w "$staging/src"
echo "$version" >"$staging/src/build/version/version.txt"
echo "tradestore-test" >"$staging/src/build/version/package.txt"
# -p 2: the build machine has two cores, shared.
(cd "$staging/src" && "$go_bin" build -p 2 -trimpath -o "$staging/ferretdb" ./cmd/ferretdb) >&2
"$staging/ferretdb" --version >/dev/null
mkdir -p "$cache/bin"
mv "$staging/ferretdb" "$binary"
log "built $binary"
echo "$binary"
