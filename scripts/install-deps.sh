#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, and only those missing.
# Usage: scripts/install-deps.sh [build|test|run|stack|package|fuzz|format]
#   run: what `make run` needs to build and run the daemon (no test or benchmark libraries, no
#   servers): the compiler, the libraries, and npm for the Swagger UI that /docs serves.
#   stack: what `make run-stack` adds: PostgreSQL 15, a JRE and Maven for the throwaway servers.
# TRADESTORE_DEPS_DRY_RUN=1 prints the commands that would change the system instead.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libpoco-dev libssl-dev libboost-dev libboost-filesystem-dev libsqlite3-dev
  rapidjson-dev libhowardhinnant-date-dev tzdata libmongoc-dev
  prometheus-cpp-dev
)
case "${1:-build}" in
  # prometheus: promtool checks a /metrics scrape and the alert rules, and the monitoring
  # test scrapes a daemon with it; chromium: the /docs browser test (driven
  # by npm's playwright-core, never a downloaded browser); python3-venv: Schemathesis' venv;
  # openssl: RSA keys and RS256 signatures for the JWT tests.
  test) packages+=(libgtest-dev libgmock-dev libbenchmark-dev curl python3 python3-venv
    prometheus chromium openssl) ;;
  build) packages+=(libgtest-dev libgmock-dev libbenchmark-dev) ;;
  # /docs: web/swagger/install.sh runs `npm ci` (Debian's npm, unless one is installed).
  run) command -v npm >/dev/null || packages+=(npm) ;;
  # `make fuzz`: clang-14 with libFuzzer; -fsanitize=fuzzer needs libclang_rt.fuzzer from
  # libclang-rt-14-dev, which clang-14 only recommends.
  fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
  # `make format`, `make check-format`: the clang-format .clang-format is written for.
  format) packages+=(clang-format-14) ;;
  package)
    # `make package` / `make test-packages`: the packaging tools, and the Build-Depends of
    # packaging/debian/control (first alternatives, without versions or profiles;
    # debhelper-compat is provided by debhelper).
    packages+=(debhelper dpkg-dev fakeroot lintian rpm rpmlint file debootstrap systemd curl)
    # tradestore-docs: web/swagger/install.sh (npm ci) stages the Swagger UI into the source.
    command -v npm >/dev/null || packages+=(npm)
    while read -r dep; do
      [ "$dep" = debhelper-compat ] || packages+=("$dep")
    done < <(sed -n '/^Build-Depends:/,/^[^ ]/{/^ /p;s/^Build-Depends://p}' \
      "$(dirname "$0")/../packaging/debian/control" |
      tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/\[.*\]//; s/<.*>//; s/^ *//; s/ *$//' | grep -v '^$')
    ;;
esac

# postgres-store builds on libpq; its tests start a PostgreSQL 15 server of their own. When
# postgresql-15 installs, Debian would create and start a cluster on port 5432: switch that
# off in createcluster.conf first (UCF_FORCE_CONFFOLD keeps the file as written when
# postgresql-common installs it).
with_postgresql() {
  packages+=(libpq-dev)
  [ "$1" = test ] || [ "$1" = stack ] || return 0
  packages+=(postgresql-15)
  dpkg-query -W -f='${Status}' postgresql-15 2>/dev/null | grep -q "install ok installed" &&
    return 0
  local conf=/etc/postgresql-common/createcluster.conf as_root=()
  [ "$(id -u)" -ne 0 ] && as_root=(sudo)
  "${as_root[@]}" mkdir -p "$(dirname "$conf")"
  grep -qsx 'create_main_cluster = false' "$conf" ||
    echo 'create_main_cluster = false' | "${as_root[@]}" tee -a "$conf" >/dev/null
  export UCF_FORCE_CONFFOLD=1
}
with_postgresql "${1:-build}"

# kafka-source builds on librdkafka; its tests run an Apache Kafka broker from Maven Central's
# jars (scripts/kafka-test-broker.sh), which needs a JRE and Maven.
packages+=(librdkafka-dev)
# `make run-stack` runs the same throwaway broker and PostgreSQL.
case "${1:-build}" in test | stack) packages+=(openjdk-17-jre-headless maven) ;; esac

# The MongoDB tests build FerretDB, which needs Go 1.24+ (or 1.21+ with GOTOOLCHAIN):
# scripts/go-toolchain.sh finds one, or installs Debian 12's from bookworm-backports.
# shellcheck source=go-toolchain.sh
. "$(dirname "$0")/go-toolchain.sh"

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing missing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root_run apt-get update -qq
  as_root_run apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ "${1:-build}" = test ]; then ensure_go; fi
