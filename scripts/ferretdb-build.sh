#!/usr/bin/env bash
# Builds FerretDB (a MongoDB wire-protocol server, Apache-2.0, written in Go) once and caches
# it outside the clone; prints the binary's path. Later calls only print the path.
#
#   scripts/ferretdb-build.sh            build if missing, print the path
#   scripts/ferretdb-build.sh --path     print where the binary goes (built or not)
#
# The binary goes to ${XDG_CACHE_HOME:-$HOME/.cache}/tradestore/ferretdb-v1.24.2/bin/ferretdb.
# It needs Go 1.24 or newer: the newest Go found (scripts/go-toolchain.sh: $GO, `go` on PATH,
# /usr/local/go, /usr/lib/go-1.*); one of 1.21..1.23 (Debian 12's bookworm-backports
# golang-1.23-go, which scripts/install-deps.sh test installs when no Go will do) builds with
# GOTOOLCHAIN=go1.24.6 set here, and fetches that toolchain through the Go module proxy.
#
# Why not plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` (or a tool
# module with `go get -tool`): FerretDB's build/version package panics at start unless
# build/version/version.txt exists whenever FerretDB is the binary's main module, and the
# module zip does not ship that generated file. So this script downloads the module source
# (its checksum pinned in scripts/ferretdb-tool/go.sum), copies it, writes version.txt as
# FerretDB's own docs say (`v1.24.2`), and builds ./cmd/ferretdb there; every dependency is
# checked against FerretDB's own go.sum.
# Environment: GO (use this Go), GOTOOLCHAIN (kept when set).
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

# shellcheck source=go-toolchain.sh
. "$(dirname "$0")/go-toolchain.sh"
found=$(best_go)
if [ -z "$found" ]; then
  log "no Go toolchain found; run scripts/install-deps.sh test (it installs one), or set"
  log "TRADESTORE_TEST_MONGO_URI to an existing server"
  exit 1
fi
go_bin=${found% *}
go_version=$("$go_bin" env GOVERSION)
toolchain=$(go_toolchain_for "${found##* }")
if [ "$toolchain" = unusable ]; then
  log "$go_bin is $go_version; FerretDB $version needs Go 1.24+ (or 1.21+ to fetch it):"
  log "run scripts/install-deps.sh test"
  exit 1
fi
if [ -n "$toolchain" ] && [ -z "${GOTOOLCHAIN:-}" ]; then
  # An older Go fetches the newer toolchain itself (through the Go module proxy).
  export GOTOOLCHAIN=$toolchain
  log "$go_bin is $go_version: building with GOTOOLCHAIN=$GOTOOLCHAIN"
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
