#!/usr/bin/env bash
# GET /api/v1/trades/{id} and POST /api/v1/trades under wrk, against nginx (one worker)
# serving the same JSON as a static file, in one run on this machine.
# Usage: bench/rest_vs_nginx.sh [BUILD_DIR] [DURATION] [CONNECTIONS]
# BENCH_TLS=1 runs both over HTTPS (a throwaway CA from scripts/test-certs.sh; wrk keeps its
# connections, so this measures TLS records, not handshakes).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="$(cd "${1:-$ROOT/build/default}" && pwd)"
DURATION="${2:-10s}"
CONNECTIONS="${3:-32}"
command -v wrk >/dev/null && command -v nginx >/dev/null || {
  echo "installing wrk and nginx-light"; sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -qq wrk nginx-light >/dev/null; }

WORK="$(mktemp -d /tmp/tradestore-bench.XXXXXX)"
chmod 755 "$WORK"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
DAEMON_PORT="$(free_port)"
NGINX_PORT="$(free_port)"
cleanup() {
  [ -n "${DAEMON_PID:-}" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill -QUIT "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  sleep 0.2; rm -rf "$WORK"
}
trap cleanup EXIT
SCHEME=http DAEMON_TLS="" NGINX_TLS="" CURL=(curl -sf)
if [ "${BENCH_TLS:-0}" = 1 ]; then
  "$ROOT/scripts/test-certs.sh" "$WORK/certs" >/dev/null
  chmod -R a+rX "$WORK/certs"
  SCHEME=https
  CURL=(curl -sf --cacert "$WORK/certs/ca.pem")
  DAEMON_TLS="tls.certificate = $WORK/certs/server.pem
tls.private_key = $WORK/certs/server.key"
  NGINX_TLS="ssl; ssl_certificate $WORK/certs/server.pem; ssl_certificate_key $WORK/certs/server.key"
fi

cat >"$WORK/tradestore.ini" <<INI
[kernel]
plugin_dir = $BUILD_DIR/plugins
plugins = trade-rules, sqlite-store, rest-source, expiry-scheduler
log_level = warning
[plugin.sqlite-store]
path = $WORK/trades.db
[plugin.rest-source]
port = $DAEMON_PORT
threads = $((CONNECTIONS + 8))
$DAEMON_TLS
INI
"$BUILD_DIR/kernel/tradestored" --config "$WORK/tradestore.ini" >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 100); do "${CURL[@]}" "$SCHEME://127.0.0.1:$DAEMON_PORT/api/v1/health" >/dev/null && break; sleep 0.1; done

"${CURL[@]}" -X POST -H 'Content-Type: application/json' "$SCHEME://127.0.0.1:$DAEMON_PORT/api/v1/trades" \
  -d '{"trade_id":"BENCH-1","version":1,"counter_party_id":"CP-1","book_id":"B1","maturity_date":"2030-01-01"}' >/dev/null
mkdir -p "$WORK/www"
"${CURL[@]}" "$SCHEME://127.0.0.1:$DAEMON_PORT/api/v1/trades/BENCH-1" >"$WORK/www/trade.json"
chmod -R a+rX "$WORK/www"

cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  client_body_temp_path $WORK/tmp;
  server { listen 127.0.0.1:$NGINX_PORT $NGINX_TLS; root $WORK/www; }
}
CONF
mkdir -p "$WORK/tmp"
nginx -p "$WORK" -c "$WORK/nginx.conf"
for _ in $(seq 50); do "${CURL[@]}" "$SCHEME://127.0.0.1:$NGINX_PORT/trade.json" >/dev/null && break; sleep 0.1; done

run_wrk() { wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s "$ROOT/bench/wrk/$1" "$2" | grep '^RESULT' | sed 's/^RESULT //'; }
rps() { sed -E 's/.*requests_per_sec=([0-9]+).*/\1/' <<<"$1"; }

echo "$SCHEME: wrk -t2 -c$CONNECTIONS -d$DURATION on $(nproc) cores; JSON body $(wc -c <"$WORK/www/trade.json") bytes"
NGINX="$(run_wrk get.lua "$SCHEME://127.0.0.1:$NGINX_PORT/trade.json")"
echo "nginx static file          : $NGINX"
GET="$(run_wrk get.lua "$SCHEME://127.0.0.1:$DAEMON_PORT/api/v1/trades/BENCH-1")"
echo "GET  /api/v1/trades/{id}   : $GET"
POST="$(run_wrk post_trade.lua "$SCHEME://127.0.0.1:$DAEMON_PORT")"
echo "POST /api/v1/trades        : $POST"
python3 - "$(rps "$NGINX")" "$(rps "$GET")" "$(rps "$POST")" <<'PY'
import sys
nginx, get, post = map(float, sys.argv[1:])
print(f"GET/nginx ratio: {get / nginx:.2f}   POST/nginx ratio: {post / nginx:.2f}")
PY
