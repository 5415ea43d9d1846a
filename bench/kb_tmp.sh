#!/usr/bin/env bash
# The kafka-source benchmark, in one run on one broker and one topic of N messages (default
# 1,000,000 valid trades over 3 partitions, 50,000 ids, every message a new version):
#  (a) librdkafka consuming the topic as a group member and discarding it (kafka_tool drain,
#      offsets stored per message as the source does): the ceiling;
#  (b) tradestored's kafka-source into sqlite-store (synchronous = full, the default);
#  (c) the same into postgres-store, when the plugin is built and PostgreSQL's server binaries
#      are installed (a throwaway server from scripts/pg-test-server.sh).
# Each is timed from its first message (a) or first committed batch (b, c) to its last, so the
# group join is left out of all three alike; the time from start is printed as well.
#
#   bench/kafka_bench.sh [BUILD_DIR] [N]        e.g. bench/kafka_bench.sh build/default 1000000
#
# The broker is a throwaway one (scripts/kafka-test-broker.sh), or TRADESTORE_TEST_KAFKA_BROKERS.
# Environment: BATCH_SIZE (kafka-source batch_size, default 500).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build/default}" && pwd)
count=${2:-1000000}
batch_size=${BATCH_SIZE:-500}
tool="$build/tests/kafka/kafka_tool"
daemon="$build/kernel/tradestored"
plugins="$build/plugins"
for needed in "$tool" "$daemon" "$plugins/kafka-source.so"; do
  [ -e "$needed" ] || { echo "kafka_bench: $needed is missing; build first" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tradestore-kafka-bench.XXXXXX")
broker_state="$work/broker"
pg_state="$work/pg"
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  "$here/scripts/kafka-test-broker.sh" stop "$broker_state" >/dev/null 2>&1 || true
  [ -d "$pg_state" ] && "$here/scripts/pg-test-server.sh" stop "$pg_state" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$here/scripts/kafka-test-broker.sh" start "$broker_state"
brokers=$(cat "$broker_state/bootstrap")
topic="bench-$(date +%s)"
echo "kafka_bench: $count messages to $topic on $brokers"
"$tool" create-topic --brokers "$brokers" --topic "$topic" --partitions 3

python3 - "$count" >"$work/messages.jsonl" <<'EOF'
import json, sys
count = int(sys.argv[1])
ids = 50000
out = sys.stdout
for n in range(count):
    trade_id = f"B{n % ids:06d}"
    body = json.dumps({"trade_id": trade_id, "version": n // ids + 1,
                       "counter_party_id": f"CP-{n % 97}", "book_id": f"BOOK-{n % 13}",
                       "maturity_date": "2030-06-30"})
    out.write(json.dumps({"key": trade_id, "value": body}) + "\n")
EOF
start=$SECONDS
"$tool" produce --brokers "$brokers" --topic "$topic" <"$work/messages.jsonl" >/dev/null
echo "kafka_bench: produced in $((SECONDS - start)) s"
rm -f "$work/messages.jsonl"

# (a) the ceiling
drain=$("$tool" drain --brokers "$brokers" --topic "$topic" --group "bench-drain-$topic" --count "$count")
echo "kafka_bench: (a) librdkafka drain: $drain"
rate_a=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["per_second"])' "$drain")

# Runs tradestored with the kafka-source into the given store until the store's positions
# reach the end; prints {"per_second", "seconds", "seconds_from_start"}.
run_daemon() {  # <name> <store section> <position query: sqlite path or pg uri>
  local name=$1 store_section=$2 where=$3 dir="$work/$1"
  mkdir -p "$dir"
  cat >"$dir/tradestore.ini" <<EOF
[kernel]
plugin_dir = $plugins
plugins = trade-rules, $store_section
business_date = 2026-11-24
ingest_writers = $WRITERS
[plugin.kafka-source]
brokers = $brokers
topics = $topic
group_id = bench-$name-$topic
dead_letter_topic = $topic.dlq
batch_size = $batch_size
EOF
  cat "$dir/store.ini" >>"$dir/tradestore.ini"
  "$daemon" --config "$dir/tradestore.ini" >"$dir/daemon.log" 2>&1 &
  daemon_pid=$!
  python3 - "$where" "$topic" "$count" "$daemon_pid" <<'EOF'
import json, os, sqlite3, subprocess, sys, time
where, topic, count, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sql = ('SELECT "offset" FROM source_positions WHERE source = \'kafka\' AND stream = \'%s\''
       % topic)

def applied():
    if where.startswith("postgresql://"):
        r = subprocess.run(["psql", "-X", "-A", "-t", "-d", where, "-c", sql],
                           capture_output=True, text=True)
        rows = [int(v) for v in r.stdout.split()] if r.returncode == 0 else []
    else:
        try:
            con = sqlite3.connect(f"file:{where}?mode=ro", uri=True, timeout=5)
            rows = [r[0] for r in con.execute(sql)]
            con.close()
        except sqlite3.Error:
            rows = []
    return sum(r + 1 for r in rows)

started = time.monotonic()
first = None
while True:
    done = applied()
    now = time.monotonic()
    if done and first is None:
        first = (now, done)
    if done >= count:
        break
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("tradestored exited")
    if now - started > 3600:
        sys.exit("timed out")
    time.sleep(0.05)
seconds = now - first[0]
rate = (count - first[1]) / seconds if seconds > 0 else 0
print(json.dumps({"per_second": round(rate), "seconds": round(seconds, 3),
                  "seconds_from_start": round(now - started, 3)}))
EOF
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" || true
  daemon_pid=""
}


"$here/scripts/pg-test-server.sh" start "$pg_state"
base=$(cat "$pg_state/uri")
[ -f "$pg_state/bindir" ] && export PATH="$(cat "$pg_state/bindir"):$PATH"
for WRITERS in ${WRITER_LIST:-1 2 4}; do
  for bs in ${BATCHES:-500}; do
  batch_size=$bs
  db="w${WRITERS}b${bs}"
  psql -X -q -d "$base" -c "CREATE DATABASE $db" >/dev/null
  uri="${base%/*}/$db"
  mkdir -p "$work/pg$db"
  printf '[plugin.postgres-store]\nuri = %s\n' "$uri" >"$work/pg$db/store.ini"
  result_c=$(run_daemon "pg$db" "postgres-store, kafka-source" "$uri")
  echo "writers $WRITERS batch $bs: $result_c"
  done
done
