#!/usr/bin/env bash
# scripts/go-toolchain.sh and its callers against fake Go binaries, a fake os-release and a
# fake apt directory, in dry-run mode: which Go is chosen, when a GOTOOLCHAIN is set, and what
# install-deps would install on Debian 12 and elsewhere. Changes nothing on the machine.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

check() {  # check <name> <expected substring or !absent substring> <text>
  local name=$1 want=$2 text=$3
  if [ "${want:0:1}" = '!' ]; then
    case "$text" in *"${want:1}"*) echo "FAIL $name: has '${want:1}':"; echo "$text"; failures=$((failures + 1)); return ;; esac
  else
    case "$text" in *"$want"*) ;; *) echo "FAIL $name: lacks '$want':"; echo "$text"; failures=$((failures + 1)); return ;; esac
  fi
  echo "ok   $name"
}

# fake_go <dir> <version>: a `go` that reports <version> and records any other call.
fake_go() {
  mkdir -p "$1"
  cat >"$1/go" <<FAKE
#!/bin/sh
if [ "\$1 \$2" = "env GOVERSION" ]; then echo $2; exit 0; fi
echo "GOTOOLCHAIN=\${GOTOOLCHAIN:-} \$*" >>"$work/calls"
exit 1
FAKE
  chmod +x "$1/go"
}

os_release() { echo "VERSION_CODENAME=$1" >"$work/os-release-$1"; }
os_release bookworm
os_release trixie
mkdir -p "$work/apt-empty/sources.list.d" "$work/apt-backports/sources.list.d"
printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates bookworm-backports\n' \
  >"$work/apt-backports/sources.list.d/debian.sources"

fake_go "$work/path126" go1.26.8
fake_go "$work/path125" go1.25.1
fake_go "$work/lib/go-1.23/bin" go1.23.12
fake_go "$work/lib/go-1.19/bin" go1.19.8
# A PATH with the tools the scripts use and no real Go, whatever the machine has.
mkdir -p "$work/tools"
for tool in bash sh env sed grep id cat ls sort dirname mkdir mktemp flock cp chmod rm mv tee; do
  ln -s "$(command -v "$tool")" "$work/tools/$tool"
done
base_path=$work/tools

# run_in <PATH extra> <candidate patterns> <os> <apt dir> <shell code>
run_in() {
  env -u GO -u GOTOOLCHAIN PATH="$1${1:+:}$base_path" TRADESTORE_GO_CANDIDATES="$2" \
    TRADESTORE_OS_RELEASE="$work/os-release-$3" TRADESTORE_APT_DIR="$work/$4" \
    TRADESTORE_DEPS_DRY_RUN=1 bash -c ". '$root/scripts/go-toolchain.sh'; $5" 2>&1
}

out=$(run_in "$work/path126" "$work/lib/go-1.*/bin/go" bookworm apt-empty 'best_go; ensure_go')
check "a Go 1.26 on PATH is chosen" "$work/path126/go 26" "$out"
check "and nothing is installed" "!would run" "$out"

out=$(run_in "$work/path125" "$work/lib/go-1.*/bin/go" bookworm apt-empty 'best_go')
check "the newest of several wins" "$work/path125/go 25" "$out"

out=$(run_in "" "$work/lib/go-1.23/bin/go" bookworm apt-empty 'best_go; go_toolchain_for 23; ensure_go')
check "backports' Go 1.23 is found" "$work/lib/go-1.23/bin/go 23" "$out"
check "and needs GOTOOLCHAIN" "go1.24.6" "$out"
check "and nothing is installed" "!would run" "$out"

out=$(run_in "" "$work/lib/go-1.19/bin/go" bookworm apt-empty 'go_toolchain_for 19; ensure_go')
check "Go 1.19 cannot switch toolchains" "unusable" "$out"
check "bookworm without backports: the source is added" \
  "would write: deb http://deb.debian.org/debian bookworm-backports main" "$out"
check "then the index is updated" "would run: apt-get update -qq" "$out"
check "and golang-1.23-go installed from backports" \
  "would run: apt-get install -y -qq --no-install-recommends -t bookworm-backports golang-1.23-go" "$out"

out=$(run_in "" "$work/none/go" bookworm apt-backports 'ensure_go')
check "bookworm with backports already: no source added" "!would write" "$out"
check "and golang-1.23-go installed" "-t bookworm-backports golang-1.23-go" "$out"

out=$(run_in "" "$work/none/go" trixie apt-empty 'ensure_go')
check "elsewhere: the distribution's golang-go" \
  "would run: apt-get install -y -qq --no-install-recommends golang-go" "$out"
check "and no backports" "!bookworm-backports" "$out"

out=$(env -u GOTOOLCHAIN GO="$work/lib/go-1.19/bin/go" bash -c ". '$root/scripts/go-toolchain.sh'; best_go")
check "GO names exactly the Go to use" "$work/lib/go-1.19/bin/go 19" "$out"

# ferretdb-build.sh: an older Go builds with GOTOOLCHAIN set; a too old one is refused.
out=$(env -u GOTOOLCHAIN XDG_CACHE_HOME="$work/cache" PATH="$base_path" \
  TRADESTORE_GO_CANDIDATES="$work/lib/go-1.23/bin/go" "$root/scripts/ferretdb-build.sh" 2>&1)
check "ferretdb-build says it sets GOTOOLCHAIN" "building with GOTOOLCHAIN=go1.24.6" "$out"
check "and the Go it runs gets it" "GOTOOLCHAIN=go1.24.6 mod download" "$(cat "$work/calls")"
out=$(env -u GOTOOLCHAIN XDG_CACHE_HOME="$work/cache" PATH="$base_path" \
  TRADESTORE_GO_CANDIDATES="$work/lib/go-1.19/bin/go" "$root/scripts/ferretdb-build.sh" 2>&1)
check "ferretdb-build refuses Go 1.19" "needs Go 1.24+" "$out"

# install-deps.sh in dry-run on this machine changes nothing.
out=$(TRADESTORE_DEPS_DRY_RUN=1 "$root/scripts/install-deps.sh" test 2>&1)
check "install-deps dry run installs nothing for real" "!Setting up" "$out"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "all checks passed"
