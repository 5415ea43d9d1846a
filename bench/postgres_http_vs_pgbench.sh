#!/usr/bin/env bash
# Issue 4 benchmark (d) against (e), in one run on one throwaway PostgreSQL server:
#  (d) POST /api/v1/trades on postgres-store under wrk -c32, a new trade per request (rules,
#      audit and group commit included);
#  (e) pgbench -c16 running plain single-row upsert transactions into a table shaped like trades.
# Usage: bench/postgres_http_vs_pgbench.sh [BUILD_DIR] [DURATION_SECONDS]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="$(cd "${1:-$ROOT/build/default}" && pwd)"
SECONDS_TO_RUN="${2:-10}"
WORK="$(mktemp -d /tmp/tradestore-pgbench.XXXXXX)"
cleanup() {
  [ -n "${DAEMON_PID:-}" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null || true
  env -u TRADESTORE_TEST_PG_URI "$ROOT/scripts/pg-test-server.sh" stop "$WORK/pg" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
env -u TRADESTORE_TEST_PG_URI "$ROOT/scripts/pg-test-server.sh" start "$WORK/pg" >/dev/null
URI="$(cat "$WORK/pg/uri")"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

cat >"$WORK/tradestore.ini" <<INI
[kernel]
plugin_dir = $BUILD_DIR/plugins
plugins = trade-rules, postgres-store, rest-source
log_level = warning
# Several writers let group commits overlap their round trips and WAL flushes.
ingest_writers = ${INGEST_WRITERS:-4}
[plugin.postgres-store]
uri = $URI
[plugin.rest-source]
port = $PORT
threads = 40
INI
"$BUILD_DIR/kernel/tradestored" --config "$WORK/tradestore.ini" >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.1; done

echo "(d) wrk -t2 -c32 -d${SECONDS_TO_RUN}s POST /api/v1/trades on postgres-store"
D="$(wrk -t2 -c32 -d"${SECONDS_TO_RUN}s" -s "$ROOT/bench/wrk/post_trade.lua" "http://127.0.0.1:$PORT" | grep '^RESULT')"
echo "    $D"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=

# (e): the same row shape, one upsert per transaction, as many clients as half wrk's.
psql "$URI" -qc "CREATE TABLE bench_trades (trade_id text COLLATE \"C\" PRIMARY KEY, version bigint,
  counter_party_id text, book_id text, maturity_date date, created_date date, expired boolean,
  last_updated timestamptz)" >/dev/null
cat >"$WORK/upsert.sql" <<'SQL'
\set id random(1, 1000000000)
INSERT INTO bench_trades VALUES ('P' || :client_id || '-' || :id, 1, 'CP-1', 'B1', '2030-01-01', current_date, false, now())
  ON CONFLICT (trade_id) DO UPDATE SET version = excluded.version, last_updated = excluded.last_updated;
SQL
echo "(e) pgbench -c16 -j2 -T${SECONDS_TO_RUN} single-row upsert transactions"
E="$(pgbench -n -c16 -j2 -T"$SECONDS_TO_RUN" -f "$WORK/upsert.sql" "$URI" 2>/dev/null | grep -E '^tps' | head -1)"
echo "    $E"
python3 - "$D" "$E" <<'PY'
import re, sys
d = float(re.search(r"requests_per_sec=([0-9.]+)", sys.argv[1]).group(1))
e = float(re.search(r"tps = ([0-9.]+)", sys.argv[2]).group(1))
print(f"d = {d:.0f} trades/s, e = {e:.0f} tx/s, d/e = {d / e:.2f} (aim: 0.66)")
PY
