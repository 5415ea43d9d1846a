#!/usr/bin/env bash
# postgres-store against COPY (issue 4, benchmark a-c) on a throwaway PostgreSQL server on
# loopback (scripts/pg-test-server.sh), or on $TRADESTORE_PG_URI when set.
#
#   bench/postgres_bench.sh [build-dir] [trades] [single] [rounds]
#     build-dir  default build/default (the one holding bench/postgres_apply_bench)
#     trades     N for (a) and (b), default 100000
#     single     how many of them (c) applies one per transaction, default 5000
#     rounds     rounds of (a) and (b), alternating; medians reported; default 5
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/default}
trades=${2:-100000}
single=${3:-5000}
rounds=${4:-5}
bench=$build/bench/postgres_apply_bench
[ -x "$bench" ] || { echo "no $bench: build the target postgres_apply_bench first" >&2; exit 1; }

uri=${TRADESTORE_PG_URI:-}
if [ -z "$uri" ]; then
  state=$(mktemp -d)
  trap 'scripts/pg-test-server.sh stop "$state"; rm -rf "$state"' EXIT
  env -u TRADESTORE_TEST_PG_URI scripts/pg-test-server.sh start "$state"
  [ -f "$state/uri" ] || { echo "no PostgreSQL server started" >&2; exit 1; }
  uri=$(cat "$state/uri")
fi
echo "host: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo)"
"$bench" --uri "$uri" --trades "$trades" --single "$single" --rounds "$rounds"
