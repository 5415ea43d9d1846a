#!/usr/bin/env bash
# The change feed's cost and speed, in one run on one broker and one PostgreSQL server: the
# same topic of N messages (every message a new version, bench/kafka_trades.py) consumed into
# postgres-store twice, each in a database of its own:
#  (c)  without the feed;
#  (c') with change_feed = true and kafka-source's changes_topic: the versions are queued in
#       the change outbox in their transactions and published by the feed as they commit.
# Printed: both ingest rates (first to last committed batch) and their ratio, PostgreSQL's CPU
# seconds for each, how long after the last commit the outbox was empty (the feed's lag at the
# end), and the feed's rate (N rows from the first commit to the empty outbox). The changes
# topic is then drained with librdkafka to check that it holds every row.
#
#   bench/change_feed_bench.sh [BUILD_DIR] [N]      e.g. bench/change_feed_bench.sh build/default 500000
#
# Environment as bench/kafka_bench.sh (BATCH_SIZE, KERNEL_SETTINGS, SOURCE_SETTINGS).
set -euo pipefail

count=${2:-500000}
batch_size=${BATCH_SIZE:-2000}
# shellcheck source=kafka_bench_lib.sh
. "$(dirname "$0")/kafka_bench_lib.sh"
bench_init "${1:-$here/build/default}"

bench_start_broker
topic="feed-bench-$(date +%s)"
bench_produce "$topic" plain
bench_start_pg || { echo "change_feed_bench: no postgres-store plugin or PostgreSQL server" >&2; exit 1; }

# (c) without the feed
mkdir -p "$work/off"
printf '[plugin.postgres-store]\nuri = %s\n' "$(bench_pg_database feed_off)" >"$work/off/store.ini"
off=$(run_daemon off "postgres-store, kafka-source" "${pg_uri%/*}/feed_off" "$topic")
echo "change_feed_bench: (c) without the feed: $off"

# (c') with the feed: the daemon runs on after the last commit until the outbox is empty.
changes="$topic.changes"
"$tool" create-topic --brokers "$brokers" --topic "$changes" --partitions 3
on_uri=$(bench_pg_database feed_on)
mkdir -p "$work/on"
printf '[plugin.postgres-store]\nuri = %s\nchange_feed = true\n' "$on_uri" >"$work/on/store.ini"
SOURCE_SETTINGS="${SOURCE_SETTINGS:-}
changes_topic = $changes"
bench_daemon_start on "postgres-store, kafka-source" "$topic"
on=$(bench_daemon_progress "$on_uri" "$topic")
echo "change_feed_bench: (c') with the feed: $on"
committed_at=$EPOCHREALTIME
while [ "$(psql -X -A -t -d "$on_uri" -c 'SELECT count(*) FROM change_outbox')" != 0 ]; do
  kill -0 "$daemon_pid" || { cat "$work/on/daemon.log" >&2; exit 1; }
  sleep 0.1
done
lag=$(python3 -c "print(f'{$EPOCHREALTIME - $committed_at:.1f}')")
bench_daemon_stop
feed_seconds=$(python3 -c "print(f'{$(json_field "$on" seconds) + $lag:.1f}')")
drained=$("$tool" drain --brokers "$brokers" --topic "$changes" --group "check-$changes" --count "$count")

rate_off=$(json_field "$off" per_second)
rate_on=$(json_field "$on" per_second)
echo
echo "| run | messages/s | PostgreSQL CPU s |"
echo "|---|---|---|"
echo "| (c) kafka-source into postgres-store | $rate_off | $(json_field "$off" postgres_cpu_seconds) |"
echo "| (c') the same with the change feed on | $rate_on | $(json_field "$on" postgres_cpu_seconds) |"
echo
echo "c'/c = $(ratio "$rate_on" "$rate_off"); the outbox was empty $lag s after the last commit;"
echo "the feed published $count rows in $feed_seconds s ($(python3 -c "print(round($count / $feed_seconds))") rows/s); changes topic drained: $drained"
echo "($count messages, 3 partitions, batch_size $batch_size, $(nproc) cores)"
