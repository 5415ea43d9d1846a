#!/usr/bin/env bash
# The kafka-source benchmark, in one run on one broker and one topic of N messages (default
# 1,000,000 valid trades over 3 partitions, 50,000 ids, every message a new version):
#  (a) librdkafka consuming the topic as a group member and discarding it (kafka_tool drain,
#      offsets stored per message as the source does): the ceiling;
#  (b) tradestored's kafka-source into sqlite-store (synchronous = full, the default);
#  (c) the same into postgres-store, when the plugin is built and PostgreSQL's server binaries
#      are installed (a throwaway server from scripts/pg-test-server.sh);
#  (f) COPY of as many rows (each with an id of its own) into the same indexed trades table,
#      made by postgres-store in a database of its own on that server; c/f and c/a are printed.
# Each is timed from its first message (a) or first committed batch (b, c) to its last, so the
# group join is left out of all three alike; the time from start is printed as well.
#
#   bench/kafka_bench.sh [BUILD_DIR] [N]        e.g. bench/kafka_bench.sh build/default 1000000
#
# The broker is a throwaway one (scripts/kafka-test-broker.sh), or TRADESTORE_TEST_KAFKA_BROKERS.
# Environment: BATCH_SIZE (kafka-source batch_size, default 2000, its own default); STORES (default
# "sqlite postgres"): the stores to run, so that one can be skipped; KERNEL_SETTINGS and
# SOURCE_SETTINGS: lines added to the daemon's [kernel] and [plugin.kafka-source] sections (e.g.
# "ingest_writers = 2", "max_buffered_mb = 64"), for trying other settings.
# The shell shared with bench/kafka_vs_connect.sh is in bench/kafka_bench_lib.sh.
set -euo pipefail

count=${2:-1000000}
batch_size=${BATCH_SIZE:-2000}
stores=${STORES:-sqlite postgres}
# shellcheck source=kafka_bench_lib.sh
. "$(dirname "$0")/kafka_bench_lib.sh"
bench_init "${1:-$here/build/default}"

bench_start_broker
topic="bench-$(date +%s)"
echo "kafka_bench: $count messages to $topic on $brokers"
bench_produce "$topic" plain

# (a) the ceiling
drain=$("$tool" drain --brokers "$brokers" --topic "$topic" --group "bench-drain-$topic" --count "$count")
echo "kafka_bench: (a) librdkafka drain: $drain"
rate_a=$(json_field "$drain" per_second)

# (b) into SQLite
rate_b=""
if [[ " $stores " == *" sqlite "* ]]; then
  mkdir -p "$work/sqlite"
  printf '[plugin.sqlite-store]\npath = %s\n' "$work/sqlite/trades.db" >"$work/sqlite/store.ini"
  result_b=$(run_daemon sqlite "sqlite-store, kafka-source" "$work/sqlite/trades.db" "$topic")
  echo "kafka_bench: (b) kafka-source into sqlite-store: $result_b"
  rate_b=$(json_field "$result_b" per_second)
fi

# (c) into PostgreSQL, and (f) COPY of as many rows into the same indexed trades table (each row
# an id of its own: the table keeps one row per trade), in a database of its own.
rate_c=""
rate_f=""
if [[ " $stores " == *" postgres "* ]] && bench_start_pg; then
  mkdir -p "$work/postgres"
  printf '[plugin.postgres-store]\nuri = %s\n' "$pg_uri" >"$work/postgres/store.ini"
  result_c=$(run_daemon postgres "postgres-store, kafka-source" "$pg_uri" "$topic")
  echo "kafka_bench: (c) kafka-source into postgres-store: $result_c"
  rate_c=$(json_field "$result_c" per_second)

  copy_uri=$(bench_pg_database copy_bench)
  python3 "$here/bench/kafka_trades.py" "$count" copy >"$work/copy.tsv"
  copy_start=$EPOCHREALTIME
  psql -X -q -v ON_ERROR_STOP=1 -d "$copy_uri" -c "\\copy trades (trade_id, version, counter_party_id, book_id, maturity_date, created_date, expired, last_updated) FROM '$work/copy.tsv'"
  copy_seconds=$(python3 -c "print(f'{$EPOCHREALTIME - $copy_start:.3f}')")
  rate_f=$(python3 -c "print(round($count / $copy_seconds))")
  echo "kafka_bench: (f) COPY of $count rows into the indexed trades table: {\"per_second\": $rate_f, \"seconds\": $copy_seconds}"
  rm -f "$work/copy.tsv"
fi

echo
echo "| run | messages/s | ratio to (a) |"
echo "|---|---|---|"
echo "| (a) librdkafka consume and discard | $rate_a | 1.00 |"
if [ -n "$rate_b" ]; then
  echo "| (b) kafka-source into sqlite-store | $rate_b | $(ratio "$rate_b" "$rate_a") |"
else
  echo "| (b) kafka-source into sqlite-store | not run (STORES) | |"
fi
if [ -n "$rate_c" ]; then
  echo "| (c) kafka-source into postgres-store | $rate_c | $(ratio "$rate_c" "$rate_a") |"
  echo "| (f) COPY of as many rows into the indexed trades table | $rate_f | $(ratio "$rate_f" "$rate_a") |"
  echo
  echo "c/f = $(ratio "$rate_c" "$rate_f"), c/a = $(ratio "$rate_c" "$rate_a")"
else
  echo "| (c) kafka-source into postgres-store | not run (STORES, no plugin or no PostgreSQL server) | |"
fi
echo "($count messages, 3 partitions, batch_size $batch_size, $(nproc) cores)"
