#!/usr/bin/env bash
# Issue 18's benchmark: REST reads served by the primary against the same reads served by a
# streaming replica, under the same load and the same Kafka ingest, in one run.
#
#   bench/postgres_replica_reads.sh [BUILD_DIR] [SECONDS]     e.g. build/default 20
#
# One primary and one hot standby (scripts/pg-test-server.sh start, start-replica), one Kafka
# broker (scripts/kafka-test-broker.sh), TRADES trades in BOOKS books seeded through Kafka
# (bench/kafka_trades.py seeded: S000000 .., BOOK-00 ..). Then two phases of tradestored
# (trade-rules, postgres-store, kafka-source, rest-source):
#   (a) postgres-store without read_uri: every read on the primary;
#   (b) postgres-store with read_uri = the replica.
# In each, a producer keeps sending new versions of the seeded trades at INGEST_RATE a second
# (paced); once WARMUP_SECONDS of them are applied, two wrk run at once for SECONDS: GET
# /api/v1/trades/{random seeded id} and GET /api/v1/trades/book/{random book}
# (bench/wrk/get_random.lua). Per phase: requests/s and p99 of each, trades ingested a second
# in that window (source_positions), the CPU seconds of the primary's and of the replica's
# cluster (postmaster and children, from /proc: bench/pg_cpu.py) and of tradestored in it,
# the transactions each server committed in it (pg_stat_database: up to a second late), and
# the share of reads the store served from the replica (tradestore_postgres_reads_total); then
# (b)/(a).
#
# Environment: TRADES (default 20000), BOOKS (50), INGEST_RATE (2000), GET_CONNECTIONS (8),
# BOOK_CONNECTIONS (4), WARMUP_SECONDS (3), KERNEL_SETTINGS and STORE_SETTINGS (lines added to
# the daemon's [kernel] and [plugin.postgres-store] sections in both phases).
# The shell shared with the Kafka benchmarks (broker, server, daemon) is bench/kafka_bench_lib.sh.
# A build whose postgres-store does not know read_uri refuses phase (b)'s settings: the script
# then reports (a) alone and says so.
set -euo pipefail

seconds=${2:-20}
trades=${TRADES:-20000}
books=${BOOKS:-50}
rate=${INGEST_RATE:-2000}
get_connections=${GET_CONNECTIONS:-8}
book_connections=${BOOK_CONNECTIONS:-4}
warmup=${WARMUP_SECONDS:-3}
name=$(basename "$0")
say() { echo "$name: $*" >&2; }

# shellcheck source=kafka_bench_lib.sh
. "$(dirname "$0")/kafka_bench_lib.sh"
bench_init "${1:-$here/build/default}"
producer_pid=""
cleanup() {
  if [ -n "$producer_pid" ]; then kill "$producer_pid" 2>/dev/null || true; fi
  bench_cleanup
}
trap cleanup EXIT
for needed in "$plugins/postgres-store.so" "$plugins/rest-source.so"; do
  [ -e "$needed" ] || { say "$needed is missing; build first"; exit 1; }
done
command -v wrk >/dev/null || { say "wrk is missing (Debian: apt-get install wrk)"; exit 1; }

bench_start_broker >/dev/null
# A primary and a replica of their own: an outside server (TRADESTORE_TEST_PG_URI) has no
# replica to read from.
unset TRADESTORE_TEST_PG_URI
bench_start_pg >/dev/null || { say "no PostgreSQL server binaries"; exit 1; }
bench_start_replica >/dev/null
primary_uri=$pg_uri
primary_data="$(cat "$work/pg/dir")/data"
replica_data="$(cat "$work/pg-replica/dir")/data"

topic="replica-reads-$(date +%s)"
"$tool" create-topic --brokers "$brokers" --topic "$topic" --partitions 3 >/dev/null

# Messages <from> .. <to>-1 of the seeded workload to the topic, paced to <rate> a second
# (0: at once).
produce() {  # <from> <to> <rate>
  python3 "$here/bench/kafka_trades.py" "$2" seeded "$1" "$3" "$trades" "$books" |
    "$tool" produce --brokers "$brokers" --topic "$topic" >/dev/null
}
produce 0 "$trades" 0
produced=$trades
say "$trades trades in $books books on $topic; primary $primary_uri, replica $replica_uri"

value() {  # <uri> <sql>
  psql -X -q -A -t -d "$1" -c "$2"
}
applied() {  # messages of the topic applied (0 before the schema exists)
  value "$primary_uri" "SELECT coalesce(sum(\"offset\" + 1), 0) FROM source_positions
    WHERE source = 'kafka' AND stream = '$topic'" 2>/dev/null || echo 0
}
wait_applied() {  # <at least>
  local deadline=$((SECONDS + 300))
  until [ "$(applied)" -ge "$1" ]; do
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
      say "tradestored exited; its log:"
      cat "$daemon_log" >&2
      exit 1
    fi
    [ "$SECONDS" -lt "$deadline" ] || { say "fewer than $1 messages applied after 300 s"; exit 1; }
    sleep 0.1
  done
}
wait_replica() {  # until the replica has replayed the primary's WAL as of now
  local target deadline=$((SECONDS + 120))
  target=$(value "$primary_uri" "SELECT pg_current_wal_lsn()")
  until [ "$(value "$replica_uri" "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn")" = t ]; do
    [ "$SECONDS" -lt "$deadline" ] || { say "the replica did not catch up in 120 s"; exit 1; }
    sleep 0.1
  done
}
committed() {  # <uri>: transactions committed on that server so far
  value "$1" "SELECT sum(xact_commit) FROM pg_stat_database"
}
reads() {  # "<replica> <primary>": postgres-store's reads so far by server (0 0 without replicas)
  curl -sf "http://127.0.0.1:$port/metrics" | awk '
    /^tradestore_postgres_reads_total\{server="replica"\}/ { replica = $NF }
    /^tradestore_postgres_reads_total\{server="primary"\}/ { primary = $NF }
    END { printf "%d %d\n", replica, primary }'
}
cpu() {  # primary, replica and tradestored CPU seconds so far
  python3 "$here/bench/pg_cpu.py" "$primary_data" "$replica_data" \
    "$daemon_pid"
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
daemon_pid=""
# Starts tradestored for phase <name> with <store settings> added; returns 1 when it exits
# before it serves (settings it refuses).
start_daemon() {  # <name> <store settings>
  daemon_log="$work/$1.log"
  cat >"$work/$1.ini" <<EOF
[kernel]
plugin_dir = $plugins
plugins = trade-rules, postgres-store, kafka-source, rest-source
log_level = warning
${KERNEL_SETTINGS:-}
[plugin.postgres-store]
uri = $primary_uri
$2
${STORE_SETTINGS:-}
[plugin.rest-source]
port = $port
[plugin.kafka-source]
brokers = $brokers
topics = $topic
group_id = replica-reads-$topic
dead_letter_topic = $topic.dlq
EOF
  "$daemon" --config "$work/$1.ini" >"$daemon_log" 2>&1 &
  daemon_pid=$!
  local deadline=$((SECONDS + 60))
  until curl -sf "http://127.0.0.1:$port/api/v1/health/live" >/dev/null; do
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
      wait "$daemon_pid" 2>/dev/null || true
      daemon_pid=""
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "tradestored did not serve in 60 s; its log:"
      cat "$daemon_log" >&2
      exit 1
    fi
    sleep 0.1
  done
}

# One phase: the daemon drains what is on the topic, the replica catches up, the paced stream
# starts, and once WARMUP_SECONDS of it are applied the two wrk run for SECONDS. The figures go
# to $work/<name>.figures as "key value" lines.
run_phase() {  # <name> <store settings>
  local phase=$1
  if ! start_daemon "$phase" "$2"; then
    say "phase $phase: tradestored refused its settings:"
    tail -n 5 "$daemon_log" >&2
    return 1
  fi
  wait_applied "$produced"
  wait_replica
  local from=$produced to=$((produced + rate * (warmup + seconds + 5)))
  produce "$from" "$to" "$rate" &
  producer_pid=$!
  produced=$to
  wait_applied $((from + rate * warmup))

  local t0 a0 c0 p0 r0 s0 t1 a1 c1 p1 r1 s1
  t0=$EPOCHREALTIME a0=$(applied) c0=$(cpu) p0=$(committed "$primary_uri") r0=$(committed "$replica_uri")
  s0=$(reads)
  wrk -t1 -c"$get_connections" -d"${seconds}s" -s "$here/bench/wrk/get_random.lua" \
    "http://127.0.0.1:$port" -- trade "$trades" >"$work/$phase.get" 2>&1 &
  local get=$!
  wrk -t1 -c"$book_connections" -d"${seconds}s" -s "$here/bench/wrk/get_random.lua" \
    "http://127.0.0.1:$port" -- book "$books" >"$work/$phase.book" 2>&1 &
  local book=$!
  wait "$get" "$book"
  t1=$EPOCHREALTIME a1=$(applied) c1=$(cpu) p1=$(committed "$primary_uri") r1=$(committed "$replica_uri")
  s1=$(reads)

  wait "$producer_pid"
  producer_pid=""
  bench_daemon_stop
  {
    echo "seconds $(python3 -c "print($t1 - $t0)")"
    echo "ingested $((a1 - a0))"
    echo "cpu_before $c0"
    echo "cpu_after $c1"
    echo "primary_commits $((p1 - p0))"
    echo "replica_commits $((r1 - r0))"
    echo "reads_before $s0"
    echo "reads_after $s1"
    echo "get $(grep '^RESULT' "$work/$phase.get")"
    echo "book $(grep '^RESULT' "$work/$phase.book")"
  } >"$work/$phase.figures"
  say "phase $phase done: $(grep -h '^RESULT' "$work/$phase.get" "$work/$phase.book" | tr '\n' ' ')"
}

run_phase a ""
phase_b=""
if run_phase b "read_uri = $replica_uri"; then
  phase_b=$work/b.figures
elif grep -q "read_uri" "$daemon_log"; then
  say "phase b not run: this build's postgres-store does not know read_uri"
else
  say "phase b failed; its log: $daemon_log"
  cat "$daemon_log" >&2
  exit 1
fi

python3 - "$seconds" "$rate" "$get_connections" "$book_connections" "$trades" "$books" \
  "$work/a.figures" "$phase_b" <<'EOF'
import sys

seconds, rate, get_c, book_c, trades, books = sys.argv[1:7]
paths = {"a": sys.argv[7], "b": sys.argv[8]}


def figures(path):
    out = {}
    with open(path) as f:
        for line in f:
            key, _, rest = line.rstrip("\n").partition(" ")
            out[key] = rest
    window = float(out["seconds"])
    before = list(map(float, out["cpu_before"].split()))
    after = list(map(float, out["cpu_after"].split()))
    cpu = [b - a for a, b in zip(before, after)]

    def wrk(line):
        fields = dict(kv.split("=") for kv in line.split()[1:])
        return (float(fields["requests_per_sec"]), float(fields["p99_ms"]),
                int(fields["non2xx_or_3xx"]) + int(fields["socket_errors"]))

    get, book = wrk(out["get"]), wrk(out["book"])
    replica_reads, primary_reads = (int(b) - int(a) for a, b in
                                    zip(out["reads_before"].split(), out["reads_after"].split()))
    served = replica_reads + primary_reads
    return {"get_rps": get[0], "get_p99": get[1], "book_rps": book[0], "book_p99": book[1],
            "ingest": int(out["ingested"]) / window, "primary_cpu": cpu[0],
            "replica_cpu": cpu[1], "both_cpu": cpu[0] + cpu[1], "daemon_cpu": cpu[2],
            "primary_tps": int(out["primary_commits"]) / window,
            "replica_tps": int(out["replica_commits"]) / window, "errors": get[2] + book[2],
            "replica_share": 100 * replica_reads / served if served else 0}


rows = {k: figures(p) for k, p in paths.items() if p}
columns = [("GET req/s", "get_rps", "{:.0f}"), ("GET p99 ms", "get_p99", "{:.2f}"),
           ("book req/s", "book_rps", "{:.0f}"), ("book p99 ms", "book_p99", "{:.2f}"),
           ("ingested trades/s", "ingest", "{:.0f}"), ("primary CPU s", "primary_cpu", "{:.1f}"),
           ("replica CPU s", "replica_cpu", "{:.1f}"), ("both CPU s", "both_cpu", "{:.1f}"),
           ("tradestored CPU s", "daemon_cpu", "{:.1f}"),
           ("primary tx/s", "primary_tps", "{:.0f}"), ("replica tx/s", "replica_tps", "{:.0f}"),
           ("reads on the replica %", "replica_share", "{:.1f}"),
           ("non-2xx + socket errors", "errors", "{}")]
print()
print(f"RESULT {seconds} s of wrk ({get_c} GET + {book_c} book connections), Kafka paced at "
      f"{rate} trades/s, {trades} trades in {books} books")
print("| phase | " + " | ".join(c[0] for c in columns) + " |")
print("|---" * (len(columns) + 1) + "|")
names = {"a": "(a) reads on the primary", "b": "(b) read_uri = replica"}
for key, row in rows.items():
    print(f"| {names[key]} | " + " | ".join(f.format(row[k]) for _, k, f in columns) + " |")
if "b" in rows:
    a, b = rows["a"], rows["b"]
    ratio = lambda k: f"{b[k] / a[k]:.2f}" if a[k] else "n/a"
    print("| (b)/(a) | " + " | ".join(ratio(k) for _, k, _ in columns) + " |")
else:
    print("| (b) read_uri = replica | not run: this build's postgres-store refuses read_uri |")
EOF
