#!/usr/bin/env bash
# Shipping throughput of mongo-audit: audit entries per second from the SQLite outbox into
# MongoDB (insert_many unordered + mark shipped), against a fresh FerretDB v1.24.2 on its
# SQLite backend (scripts/ferretdb-test-server.sh), or against TRADESTORE_TEST_MONGO_URI.
#
#   bench/mongo_ship_bench.sh [BUILD_DIR [ENTRIES [BATCH_SIZE]]]
#   e.g. bench/mongo_ship_bench.sh build/default 100000 1000
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/default}
entries=${2:-100000}
batch=${3:-1000}

cmake --build "$build" --target mongo_ship_bench >/dev/null
state=$(mktemp -d /tmp/tradestore-ship-bench.XXXXXX)
trap 'scripts/ferretdb-test-server.sh stop "$state"; rm -rf "$state"' EXIT
scripts/ferretdb-test-server.sh start "$state"
if [ ! -s "$state/uri" ]; then
  echo "no MongoDB server: install Go 1.24+ or set TRADESTORE_TEST_MONGO_URI" >&2
  exit 1
fi
"$build/tests/plugins/mongo-audit/mongo_ship_bench" "$(cat "$state/uri")" "$entries" "$batch"
