#!/usr/bin/env bash
# Issue 16's read figures for history on PostgreSQL, in one run on one throwaway server:
#  (a) a book snapshot, GET /api/v1/trades/book/{book}?as_of=, over TRADES trades of VERSIONS
#      versions each (their history loaded straight into the store's tables; 1 trade in 100
#      left the book halfway, so its former_books names it), as of an early, a middle and
#      the latest business date: median of 5 wall times (curl), beside the plain book list;
#  (b) GET /api/v1/trades/{id}?as_of= against plain GET /api/v1/trades/{id} under wrk, p50
#      and p99, as a ratio;
#  (c) the plans PostgreSQL chose for the snapshot (auto_explain in the server's log).
# Usage: bench/postgres_as_of_bench.sh [BUILD_DIR] [TRADES] [VERSIONS]
# KEEP_SERVER=1 leaves the server and its data running afterwards (for EXPLAIN, perf).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="$(cd "${1:-$ROOT/build/default}" && pwd)"
TRADES="${2:-100000}"
VERSIONS="${3:-20}"
WORK="$(mktemp -d /tmp/tradestore-asof.XXXXXX)"
cleanup() {
  if [ -n "${KEEP_SERVER:-}" ]; then  # for profiling: the server and its data stay
    echo "kept: psql $(cat "$WORK/pg/uri"); stop with scripts/pg-test-server.sh stop $WORK/pg"
    [ -n "${DAEMON_PID:-}" ] && kill -TERM "$DAEMON_PID" 2>/dev/null
    return
  fi
  [ -n "${DAEMON_PID:-}" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null || true
  env -u TRADESTORE_TEST_PG_URI "$ROOT/scripts/pg-test-server.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
env -u TRADESTORE_TEST_PG_URI "$ROOT/scripts/pg-test-server.sh" start "$WORK/pg" >/dev/null
URI="$(cat "$WORK/pg/uri")"
SERVER_LOG="$(cat "$WORK/pg/dir")/server.log"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# Plans of statements slower than 200 ms go to the server's log, with their row counts (not
# their timings, which would slow them), for new sessions.
psql "$URI" -q -c "LOAD 'auto_explain'" \
  -c "ALTER SYSTEM SET session_preload_libraries = 'auto_explain'" \
  -c "ALTER SYSTEM SET auto_explain.log_min_duration = '200ms'" \
  -c "ALTER SYSTEM SET auto_explain.log_analyze = on" \
  -c "ALTER SYSTEM SET auto_explain.log_timing = off" -c "SELECT pg_reload_conf()" >/dev/null

cat >"$WORK/tradestore.ini" <<INI
[kernel]
plugin_dir = $BUILD_DIR/plugins
plugins = trade-rules, postgres-store, rest-source
log_level = warning
[plugin.postgres-store]
uri = $URI
[plugin.rest-source]
port = $PORT
INI
start_daemon() {
  "$BUILD_DIR/kernel/tradestored" --config "$WORK/tradestore.ini" >>"$WORK/daemon.log" 2>&1 &
  DAEMON_PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && return; sleep 0.1; done
  echo "the daemon did not start:"; cat "$WORK/daemon.log"; exit 1
}
start_daemon  # creates the schema
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=

# Version v of every trade is recorded on business day v (from 2026-10-01), in one
# transaction per day, ids interleaved as a feed would write them; a rejection after version
# VERSIONS/2. Trades with i % 100 = 0 are in BOOK-1 up to version VERSIONS/2, then BOOK-2.
echo "loading $TRADES trades x $VERSIONS versions"
HALF=$((VERSIONS / 2))
psql "$URI" -q -v ON_ERROR_STOP=1 <<SQL
INSERT INTO audit_log (trade_id, action, status, received_version, stored_version, source,
  reference, "timestamp", shipped, recorded_at, counter_party_id, book_id, maturity_date,
  created_date, expired, business_date)
SELECT 'S' || lpad(i::text, 6, '0'), CASE WHEN v = 1 THEN 'CREATE' ELSE 'UPDATE' END, 'success',
  v, CASE WHEN v > 1 THEN v - 1 END, 'kafka', 'trades/0/' || (v * $TRADES + i),
  at, true, at, 'CP-' || (i % 97),
  CASE WHEN i % 100 = 0 AND v > $HALF THEN 'BOOK-2' ELSE 'BOOK-1' END,
  DATE '2030-01-01', DATE '2026-10-01', false, DATE '2026-10-01' + v
FROM generate_series(1, $VERSIONS) v, generate_series(0, $TRADES - 1) i,
  LATERAL (SELECT TIMESTAMPTZ '2026-10-01 12:00Z' + v * INTERVAL '1 day'
                  + i * INTERVAL '1 microsecond' AS at) t
ORDER BY v, i;
INSERT INTO audit_log (trade_id, action, status, reason_codes, received_version, stored_version,
  source, reference, "timestamp", shipped)
SELECT 'S' || lpad(i::text, 6, '0'), 'UPDATE', 'failed', 'LOWER_VERSION', 1, $HALF, 'kafka',
  'trades/1/' || i, TIMESTAMPTZ '2026-10-01 13:00Z' + $HALF * INTERVAL '1 day', true
FROM generate_series(0, $TRADES - 1) i;
INSERT INTO trades (trade_id, version, counter_party_id, book_id, maturity_date, created_date,
  expired, last_updated, former_books)
SELECT 'S' || lpad(i::text, 6, '0'), $VERSIONS, 'CP-' || (i % 97),
  CASE WHEN i % 100 = 0 THEN 'BOOK-2' ELSE 'BOOK-1' END, DATE '2030-01-01', DATE '2026-10-01',
  false, TIMESTAMPTZ '2026-10-01 12:00Z' + $VERSIONS * INTERVAL '1 day' + i * INTERVAL '1 microsecond',
  CASE WHEN i % 100 = 0 THEN ARRAY['BOOK-1'] END
FROM generate_series(0, $TRADES - 1) i;
VACUUM ANALYZE;
SQL
start_daemon

# (a)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
snapshot() {  # $1: query string; prints "median_seconds trades"
  local times=() count
  for _ in 1 2 3 4 5; do
    times+=("$(curl -sf -o "$WORK/body" -w '%{time_total}' "http://127.0.0.1:$PORT/api/v1/trades/book/BOOK-1$1")")
  done
  count="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/body")"
  echo "$(printf '%s\n' "${times[@]}" | median) $count"
}
EARLY="$(date -d "2026-10-01 + 2 days" +%F)"
MIDDLE="$(date -d "2026-10-01 + $HALF days" +%F)"
LATEST="$(date -d "2026-10-01 + $VERSIONS days" +%F)"
echo "(a) GET /api/v1/trades/book/BOOK-1, median of 5 (seconds, trades in the answer)"
for label in "plain:" "as_of=$EARLY:?as_of=$EARLY" "as_of=$MIDDLE:?as_of=$MIDDLE" "as_of=$LATEST:?as_of=$LATEST"; do
  printf '    %-22s %s\n' "${label%%:*}" "$(snapshot "${label#*:}")"
done

# (b)
INSTANT="${MIDDLE}T18:00:00Z"
wrk_get() {
  wrk -t2 -c8 -d5s -s "$ROOT/bench/wrk/get_seeded.lua" "http://127.0.0.1:$PORT" -- "$TRADES" "$1" | grep '^RESULT'
}
wrk_get "" >/dev/null  # warm the pool and the caches
PLAIN="$(wrk_get "")"
AS_OF="$(wrk_get "?as_of=$INSTANT")"
echo "(b) wrk -t2 -c8 -d5s GET /api/v1/trades/{id}"
echo "    plain:   $PLAIN"
echo "    as_of:   $AS_OF"
python3 - "$PLAIN" "$AS_OF" <<'PY'
import re, sys
def get(line, key):
    return float(re.search(key + r"=([0-9.]+)", line).group(1))
plain, as_of = sys.argv[1], sys.argv[2]
for key in ("p50_ms", "p99_ms"):
    print(f"    {key} as_of / plain = {get(as_of, key) / get(plain, key):.2f} (bar: <= 2)")
print(f"    requests/s plain {get(plain, 'requests_per_sec'):.0f}, as_of {get(as_of, 'requests_per_sec'):.0f}")
PY

# (c)
echo "(c) plans of the slow statements (auto_explain):"
if grep -q 'duration:' "$SERVER_LOG"; then
  # The last snapshot's plan: its duration line and the plan nodes under it.
  awk '/duration:/ {block = ""} {block = block $0 "\n"} END {printf "%s", block}' "$SERVER_LOG" \
    | grep -vE '^\s*(Output|Buffers|Filter|Recheck|Index Cond|Sort Key|Cache|Hits)' | head -40 \
    | sed 's/^/    /'
else
  echo "    (none over 200 ms)"
fi
