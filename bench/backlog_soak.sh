#!/usr/bin/env bash
# REST latency while a Kafka backlog drains into postgres-store (issue 15), in one run on one
# throwaway broker and one throwaway PostgreSQL. The daemon runs rest-source, kafka-source and
# postgres-store with their defaults. Two modes:
#
#   bench/backlog_soak.sh [BUILD_DIR] [N] latency
#     (1) idle: wrk GET /api/v1/trades/{id} and POST /api/v1/trades at once for WRK_SECONDS,
#         with the kafka-source subscribed to an empty topic;
#     (2) the same, started as soon as the first batch of a backlog of N messages is
#         committed, then the drain rate (messages/s from source_positions, as kafka_bench.sh);
#     (3) p99 under backlog / p99 idle for GET and POST (issue 15: GET at most 3x).
#   bench/backlog_soak.sh [BUILD_DIR] [N] soak
#     (4) a backlog of N plus a stream of SOAK_PRODUCE_RATE messages/s, with GET and POST load,
#         for SOAK_SECONDS; tradestored's VmRSS sampled every 10 s; passes when RSS stays within
#         10% after the warm-up (60 s, or the first third of a shorter run), no answer is non-2xx
#         and no socket error occurred.
#
# N defaults to 1,000,000: kafka_bench.sh's workload (50,000 ids, 3 partitions, every message a
# new version; its generator is repeated here). GETs cycle through 1,000 trades seeded before
# the load; every POST is a new trade id (bench/wrk/post_trade.lua), so each answer is a 201.
# Environment: WRK_SECONDS (default 20, shorter than a drain of 1,000,000 here),
# GET_CONNECTIONS and POST_CONNECTIONS (default 4 each, one wrk thread each), GET_DELAY_MS and
# POST_DELAY_MS (default 0: each connection sends its next request as soon as it has the
# answer, which saturates this machine's 2 cores; 5 and 20 pace the load well below
# saturation, bench/wrk/paced.lua), SOAK_SECONDS (default 600), SOAK_PRODUCE_RATE (default
# 10000), KERNEL_SETTINGS (lines added to the daemon's [kernel] section, e.g.
# "ingest_writers = 2").
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build/default}" && pwd)
count=${2:-1000000}
mode=${3:-latency}
wrk_seconds=${WRK_SECONDS:-20}
get_connections=${GET_CONNECTIONS:-4}
post_connections=${POST_CONNECTIONS:-4}
get_delay=${GET_DELAY_MS:-0}
post_delay=${POST_DELAY_MS:-0}
soak_seconds=${SOAK_SECONDS:-600}
kernel_settings=${KERNEL_SETTINGS:-}
produce_rate=${SOAK_PRODUCE_RATE:-10000}
seeded=1000
tool="$build/tests/kafka/kafka_tool"
daemon="$build/kernel/tradestored"
plugins="$build/plugins"
case "$mode" in latency | soak) ;; *) echo "usage: $0 [BUILD_DIR] [N] latency|soak" >&2; exit 2 ;; esac
for needed in "$tool" "$daemon" "$plugins/kafka-source.so" "$plugins/postgres-store.so"; do
  [ -e "$needed" ] || { echo "backlog_soak: $needed is missing; build first" >&2; exit 1; }
done
command -v wrk >/dev/null || {
  echo "installing wrk"; sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -qq wrk >/dev/null; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tradestore-backlog-soak.XXXXXX")
broker_state="$work/broker"
pg_state="$work/pg"
daemon_pid=""
background=()
stop_daemon() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  daemon_pid=""
}
cleanup() {
  for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
  stop_daemon
  "$here/scripts/kafka-test-broker.sh" stop "$broker_state" >/dev/null 2>&1 || true
  env -u TRADESTORE_TEST_PG_URI "$here/scripts/pg-test-server.sh" stop "$pg_state" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$here/scripts/kafka-test-broker.sh" start "$broker_state" >/dev/null
brokers=$(cat "$broker_state/bootstrap")
env -u TRADESTORE_TEST_PG_URI "$here/scripts/pg-test-server.sh" start "$pg_state" >/dev/null
[ -f "$pg_state/uri" ] || { echo "backlog_soak: no PostgreSQL server binaries" >&2; exit 1; }
uri=$(cat "$pg_state/uri")
[ -f "$pg_state/bindir" ] && export PATH="$(cat "$pg_state/bindir"):$PATH"
topic="backlog-$(date +%s)"
"$tool" create-topic --brokers "$brokers" --topic "$topic" --partitions 3 >/dev/null
"$tool" create-topic --brokers "$brokers" --topic "$topic-idle" --partitions 3 >/dev/null

# kafka_bench.sh's messages <from> .. <to>-1, as JSON lines for kafka_tool produce; with a rate,
# paced to that many messages per second (a stream rather than a backlog).
generate() {  # <from> <to> [rate]
  python3 "$here/bench/kafka_trades.py" "$2" plain "$1" "${3:-0}"
}

start=$SECONDS
generate 0 "$count" | "$tool" produce --brokers "$brokers" --topic "$topic" >/dev/null
echo "backlog_soak: $count messages on $topic (3 partitions), produced in $((SECONDS - start)) s"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_daemon() {  # <topic> <name>
  cat >"$work/$2.ini" <<EOF
[kernel]
plugin_dir = $plugins
plugins = trade-rules, postgres-store, rest-source, kafka-source
$kernel_settings
[plugin.postgres-store]
uri = $uri
[plugin.rest-source]
port = $port
[plugin.kafka-source]
brokers = $brokers
topics = $1
group_id = backlog-soak-$1
dead_letter_topic = $1.dlq
EOF
  "$daemon" --config "$work/$2.ini" >"$work/$2.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 200); do
    curl -sf "http://127.0.0.1:$port/api/v1/health/live" >/dev/null && return 0
    sleep 0.1
  done
  echo "backlog_soak: tradestored did not start; its log:" >&2
  cat "$work/$2.log" >&2
  exit 1
}

# The trades the GET load reads: S000000 .. S000999, one batch request.
seed() {
  python3 -c '
import json, sys
print(json.dumps([{"trade_id": f"S{n:06d}", "version": 1, "counter_party_id": "CP-1",
                   "book_id": "B1", "maturity_date": "2030-01-01"} for n in range(int(sys.argv[1]))]))
' "$seeded" | curl -sf -o /dev/null -H 'Content-Type: application/json' --data-binary @- \
    "http://127.0.0.1:$port/api/v1/trades/batch"
}

# Samples "<monotonic s> <messages applied>" from source_positions into <file>, 4 times a second.
watch_positions() {  # <file>
  python3 - "$uri" "$topic" "$1" <<'EOF' &
import subprocess, sys, time
uri, topic, path = sys.argv[1:4]
sql = ('SELECT "offset" FROM source_positions WHERE source = \'kafka\' AND stream = \'%s\'' % topic)
with open(path, "w") as out:
    while True:
        r = subprocess.run(["psql", "-X", "-A", "-t", "-d", uri, "-c", sql],
                           capture_output=True, text=True)
        applied = sum(int(v) + 1 for v in r.stdout.split()) if r.returncode == 0 else 0
        out.write(f"{time.monotonic():.3f} {applied}\n")
        out.flush()
        time.sleep(0.25)
EOF
  background+=($!)
}
applied_now() { tail -1 "$1" 2>/dev/null | awk '{print $2+0}'; }
wait_applied() {  # <file> <at least>
  local applied
  while :; do
    applied=$(applied_now "$1")
    [ -n "$applied" ] && [ "$applied" -ge "$2" ] && return 0
    kill -0 "$daemon_pid" 2>/dev/null || { echo "backlog_soak: tradestored exited" >&2; exit 1; }
    sleep 0.1
  done
}

# GET and POST at once for <seconds>; their RESULT lines go to <prefix>.get and <prefix>.post.
rest_load() {  # <seconds> <prefix>
  WRK_SCRIPT="$here/bench/wrk/get_seeded.lua" WRK_DELAY_MS=$get_delay \
    wrk -t1 -c"$get_connections" -d"$1s" -s "$here/bench/wrk/paced.lua" \
    "http://127.0.0.1:$port" -- "$seeded" >"$2.get" 2>&1 &
  local get=$!
  WRK_SCRIPT="$here/bench/wrk/post_trade.lua" WRK_DELAY_MS=$post_delay \
    wrk -t1 -c"$post_connections" -d"$1s" -s "$here/bench/wrk/paced.lua" \
    "http://127.0.0.1:$port" >"$2.post" 2>&1 &
  local post=$!
  wait "$get" "$post"
  # wrk's own lines about errors (socket errors by kind, non-2xx answers), if any.
  grep -hE 'Socket errors|Non-2xx' "$2.get" "$2.post" | sed "s|^|$(basename "$2"): |" || true
}
result() { grep '^RESULT' "$1" | sed 's/^RESULT //'; }
field() { result "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# Plain log lines read "<time> <Level> <logger>: ...".
errors_in_log() { awk '$2 == "Error" || $2 == "Critical" || $2 == "Fatal"' "$1" | wc -l; }

if [ "$mode" = latency ]; then
  # (1) idle: the same daemon and load, the source on an empty topic.
  start_daemon "$topic-idle" idle
  seed
  rest_load "$wrk_seconds" "$work/idle"
  idle_errors=$(errors_in_log "$work/idle.log")
  stop_daemon

  # (2) under the backlog, wrk started once the first batch has committed.
  watch_positions "$work/positions"
  start_daemon "$topic" backlog
  seed
  wait_applied "$work/positions" 1
  at_load_start=$(applied_now "$work/positions")
  rest_load "$wrk_seconds" "$work/backlog"
  at_load_end=$(applied_now "$work/positions")
  wait_applied "$work/positions" "$count"
  backlog_errors=$(errors_in_log "$work/backlog.log")
  stop_daemon

  drain=$(awk -v n="$count" '$2 > 0 && !t0 {t0 = $1; a0 = $2} $2 >= n {printf "%.0f %.1f", (n - a0) / ($1 - t0), $1 - t0; exit}' "$work/positions")
  echo
  echo "| load ($get_connections GET + $post_connections POST connections, delay ${get_delay}/${post_delay} ms, ${wrk_seconds} s) | GET req/s | GET p50 | GET p99 | POST req/s | POST p50 | POST p99 | non-2xx / socket errors |"
  echo "|---|---|---|---|---|---|---|---|"
  for phase in idle backlog; do
    g="$work/$phase.get" p="$work/$phase.post"
    echo "| $phase | $(field "$g" requests_per_sec) | $(field "$g" p50_ms) ms | $(field "$g" p99_ms) ms | $(field "$p" requests_per_sec) | $(field "$p" p50_ms) ms | $(field "$p" p99_ms) ms | $(($(field "$g" non2xx_or_3xx) + $(field "$p" non2xx_or_3xx))) / $(($(field "$g" socket_errors) + $(field "$p" socket_errors))) |"
  done
  echo
  echo "drain: $count messages in ${drain#* } s from the first commit, ${drain%% *} messages/s;" \
    "$((at_load_end - at_load_start)) of them during the ${wrk_seconds} s of REST load" \
    "($(( (at_load_end - at_load_start) / wrk_seconds ))/s)"
  [ "$at_load_end" -lt "$count" ] || echo "warning: the backlog drained before the REST load ended"
  python3 - "$(field "$work/idle.get" p99_ms)" "$(field "$work/backlog.get" p99_ms)" \
    "$(field "$work/idle.post" p99_ms)" "$(field "$work/backlog.post" p99_ms)" <<'EOF'
import sys
gi, gb, pi, pb = map(float, sys.argv[1:5])
print(f"GET  p99 under backlog / idle = {gb:.2f} / {gi:.2f} ms = {gb / gi:.2f} (issue 15: at most 3)")
print(f"POST p99 under backlog / idle = {pb:.2f} / {pi:.2f} ms = {pb / pi:.2f}")
EOF
  echo "daemon log lines at error level or above: idle $idle_errors, backlog $backlog_errors"
  exit 0
fi

# (4) the soak.
watch_positions "$work/positions"
start_daemon "$topic" soak
seed
wait_applied "$work/positions" 1
generate "$count" $((count + produce_rate * soak_seconds)) "$produce_rate" |
  "$tool" produce --brokers "$brokers" --topic "$topic" >/dev/null &
background+=($!)
rest_load "$soak_seconds" "$work/soak" &
load=$!
began=$SECONDS
samples=()
echo "  s   VmRSS kB   applied   behind (produced - applied, approx.)"
sample_rss() {
  local elapsed=$((SECONDS - began)) rss applied produced
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$daemon_pid/status")
  applied=$(applied_now "$work/positions")
  produced=$((count + (elapsed < soak_seconds ? elapsed : soak_seconds) * produce_rate))
  printf '%4d %10d %9d %9d\n' "$elapsed" "$rss" "$applied" $((produced - applied))
  samples+=("$elapsed:$rss")
}
next=0
while kill -0 "$load" 2>/dev/null; do
  if [ $((SECONDS - began)) -ge "$next" ]; then
    sample_rss
    next=$((next + 10))
  fi
  sleep 0.2
done
wait "$load"
kill -0 "$daemon_pid" 2>/dev/null && sample_rss
soak_errors=$(errors_in_log "$work/soak.log")
kill -0 "$daemon_pid" 2>/dev/null || { echo "backlog_soak: tradestored exited during the soak" >&2; exit 1; }
warmup=$((soak_seconds < 180 ? soak_seconds / 3 : 60))
python3 - "$warmup" "$(result "$work/soak.get")" "$(result "$work/soak.post")" "$soak_errors" \
  "${samples[@]}" <<'EOF'
import sys
warmup, get, post, log_errors = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
samples = [tuple(map(int, s.split(":"))) for s in sys.argv[5:]]
after = [rss for t, rss in samples if t >= warmup]
fields = lambda line: dict(kv.split("=") for kv in line.split())
g, p = fields(get), fields(post)
bad = sum(int(x[k]) for x in (g, p) for k in ("non2xx_or_3xx", "socket_errors"))
flat = bool(after) and max(after) <= 1.10 * min(after)
print()
print(f"GET:  {g['requests_per_sec']} req/s, p50 {g['p50_ms']} ms, p99 {g['p99_ms']} ms, "
      f"non-2xx {g['non2xx_or_3xx']}, socket errors {g['socket_errors']}")
print(f"POST: {p['requests_per_sec']} req/s, p50 {p['p50_ms']} ms, p99 {p['p99_ms']} ms, "
      f"non-2xx {p['non2xx_or_3xx']}, socket errors {p['socket_errors']}")
if after:
    print(f"RSS after the {warmup} s warm-up: {min(after)} .. {max(after)} kB "
          f"(max/min {max(after) / min(after):.3f}; first {after[0]}, last {after[-1]})")
    # A least-squares slope tells growth (a leak) from swings around a level.
    points = [(t, rss) for t, rss in samples if t >= warmup]
    if len(points) > 1:
        mt = sum(t for t, _ in points) / len(points)
        mr = sum(r for _, r in points) / len(points)
        slope = (sum((t - mt) * (r - mr) for t, r in points)
                 / sum((t - mt) ** 2 for t, _ in points))
        print(f"RSS trend after the warm-up: {slope * 60 / 1024:+.2f} MiB per minute")
print(f"daemon log lines at error level or above: {log_errors}")
ok = flat and bad == 0
print(f"soak: {'PASS' if ok else 'FAIL'} (RSS within 10% after warm-up: {flat}; "
      f"non-2xx or socket errors: {bad})")
sys.exit(0 if ok else 1)
EOF
