#!/usr/bin/env bash
# scripts/install-deps.sh's package sets in dry-run mode on a machine that has nothing (a fake
# dpkg-query; no npm on PATH): `make run`'s set builds and serves /docs but brings no test
# server, browser, JDK, Maven or Go; `make test`'s has them; the Makefile uses each where it
# should. Changes nothing on the machine.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

check() {  # check <name> <expected word or !absent word> <space-separated list>
  local name=$1 want=$2 list=" $3 "
  if [ "${want:0:1}" = '!' ]; then
    case "$list" in *" ${want:1} "*) echo "FAIL $name: has '${want:1}': $3"; failures=$((failures + 1)); return ;; esac
  else
    case "$list" in *" $want "*) ;; *) echo "FAIL $name: lacks '$want': $3"; failures=$((failures + 1)); return ;; esac
  fi
  echo "ok   $name"
}

# Tools the scripts use, without npm or Go; dpkg-query says nothing is installed but
# postgresql-15 (so that the test set's createcluster.conf step stays untouched).
mkdir -p "$work/tools" "$work/apt/sources.list.d"
for tool in bash sh env sed grep id cat ls sort dirname mkdir mktemp flock cp chmod rm mv tee tr; do
  ln -s "$(command -v "$tool")" "$work/tools/$tool"
done
cat >"$work/tools/dpkg-query" <<'FAKE'
#!/bin/sh
for last; do :; done
[ "$last" = postgresql-15 ] && { printf 'install ok installed'; exit 0; }
exit 1
FAKE
chmod +x "$work/tools/dpkg-query"
echo "VERSION_CODENAME=bookworm" >"$work/os-release"

missing() {  # missing SET [PATH extra]: the packages install-deps.sh SET would install
  env -u GO -u GOTOOLCHAIN PATH="${2:+$2:}$work/tools" TRADESTORE_GO_CANDIDATES="$work/none/go" \
    TRADESTORE_OS_RELEASE="$work/os-release" TRADESTORE_APT_DIR="$work/apt" \
    TRADESTORE_DEPS_DRY_RUN=1 bash "$root/scripts/install-deps.sh" "$1" >"$work/out-$1" 2>&1
  sed -n 's/^Installing missing Debian packages: //p' "$work/out-$1"
}

run_set=$(missing run)
for p in build-essential cmake libpoco-dev libpq-dev librdkafka-dev libmongoc-dev prometheus-cpp-dev npm; do
  check "run set has $p" "$p" "$run_set"
done
for p in chromium prometheus postgresql-15 openjdk-17-jre-headless maven libgtest-dev libbenchmark-dev python3-venv; do
  check "run set has no $p" "!$p" "$run_set"
done
check "run set: no Go toolchain either" "!golang-1.23-go" "$(tr '\n' ' ' <"$work/out-run")"
mkdir -p "$work/npm-bin"
printf '#!/bin/sh\nexit 0\n' >"$work/npm-bin/npm"
chmod +x "$work/npm-bin/npm"
check "run set with an npm on PATH: no Debian npm" "!npm" "$(missing run "$work/npm-bin")"

test_set=$(missing test)
for p in libgtest-dev chromium prometheus openjdk-17-jre-headless maven python3-venv; do
  check "test set has $p" "$p" "$test_set"
done
check "test set: a Go toolchain for FerretDB" "golang-1.23-go" "$(tr '\n' ' ' <"$work/out-test")"

check "format set has clang-format-14" "clang-format-14" "$(missing format)"

# The Makefile: make run uses the run set and preset; make test the test set and the default.
# Without the caller's make variables (CI runs this under `make test PRESET=asan`).
make_clean() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u PRESET make -s -n -C "$root" "$@" 2>&1; }
make_run=$(make_clean run)
make_test=$(make_clean test)
check "make run installs the run set" "scripts/install-deps.sh run" "$(grep install-deps <<<"$make_run" | tr '\n' ' ')"
check "make run builds preset run" "--preset run" "$(grep -- '--build' <<<"$make_run" | tr '\n' ' ')"
check "make test installs the test set" "scripts/install-deps.sh test" "$(grep install-deps <<<"$make_test" | tr '\n' ' ')"
check "make test tests preset default" "--preset default" "$(grep ctest <<<"$make_test" | tr '\n' ' ')"
check "make check-format installs the format set" "scripts/install-deps.sh format" \
  "$(make_clean check-format | grep install-deps | tr '\n' ' ')"

echo "$failures failed"
[ "$failures" -eq 0 ]
