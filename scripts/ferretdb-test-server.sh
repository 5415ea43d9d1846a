#!/usr/bin/env bash
# A throwaway MongoDB-compatible server for the mongo-audit tests and benchmark: FerretDB
# v1.24.2 with its SQLite backend in a temporary directory, on a free loopback port.
#
#   scripts/ferretdb-test-server.sh start  <state-dir>  start one; its URI goes to <state-dir>/uri
#   scripts/ferretdb-test-server.sh stop   <state-dir>  stop it and remove its data
#   scripts/ferretdb-test-server.sh pause  <state-dir>  stop it (SIGTERM), keep its data
#   scripts/ferretdb-test-server.sh resume <state-dir>  start it again, on the same port
#   scripts/ferretdb-test-server.sh start-tls <state-dir>  start one that takes TLS and SCRAM only
#
# start-tls: FerretDB listens with TLS only (--listen-tls, the server certificate of
# scripts/test-certs.sh in <state-dir>/certs; ca.pem is its CA, other-ca.pem an unrelated
# one) and requires SCRAM authentication (--test-enable-new-auth, FerretDB v1's experimental
# switch); the user `tradestore` in `admin` is created at start (--setup-username), its
# password goes to <state-dir>/password. The URI asks for tls=true with that CA and
# authSource=admin, without credentials.
#
# The tests run `start` once per run as a CTest fixture (FIXTURES_SETUP) and `stop` after
# (FIXTURES_CLEANUP); the outage test runs a private one that it pauses and resumes.
#  - With TRADESTORE_TEST_MONGO_URI set, `start` writes that URI and starts nothing (the tests
#    also pass against a real mongod).
#  - The binary is built once by scripts/ferretdb-build.sh and cached outside the clone. When
#    it cannot be built (no Go 1.24+), `start` writes no URI and succeeds, so the tests skip;
#    with CI=true it fails instead.
#  - Telemetry is off, the debug HTTP listener is off (so parallel servers do not collide on
#    its port), and nothing listens beyond 127.0.0.1.
set -euo pipefail

command=${1:-}
state=${2:-}
if [ -z "$command" ] || [ -z "$state" ]; then
  echo "usage: $0 start|start-tls|stop|pause|resume <state-dir>" >&2
  exit 2
fi
mkdir -p "$state"
state=$(cd "$state" && pwd)
scripts=$(cd "$(dirname "$0")" && pwd)

log() { echo "ferretdb-test-server: $*" >&2; }

# shellcheck source=test-server-port.sh
. "$(dirname "$0")/test-server-port.sh"

server_pid() {
  [ -f "$state/pid" ] && cat "$state/pid"
}

# Starts the binary on <port> over <dir>; waits until it accepts connections. 1 on failure.
launch() {  # <binary> <dir> <port>
  local binary=$1 dir=$2 port=$3
  local listen=(--listen-addr="127.0.0.1:$port")
  if [ -f "$state/password" ]; then  # start-tls
    listen=(--listen-addr= --listen-tls="127.0.0.1:$port"
      --listen-tls-cert-file="$state/certs/server.pem"
      --listen-tls-key-file="$state/certs/server.key"
      --test-enable-new-auth --setup-database=admin --setup-username=tradestore
      --setup-password="$(cat "$state/password")")
  fi
  # setsid and closed descriptors: the server outlives this script and holds no pipe of the
  # caller's (CTest waits for its test's output pipes to close).
  setsid "$binary" --handler=sqlite --sqlite-url="file:$dir/data/" \
    "${listen[@]}" --state-dir="$dir" --telemetry=disable --debug-addr=- \
    --log-level=warn </dev/null >>"$dir/server.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$state/pid"
  local i
  for i in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$state/pid"
      return 1
    fi
    if port_in_use "$port"; then
      return 0
    fi
    sleep 0.05
  done
  log "FerretDB did not listen on 127.0.0.1:$port within 15 s; see $dir/server.log"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$state/pid"
  return 1
}

halt() {
  local pid
  pid=$(server_pid) || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 200); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$state/pid"
}

stop_server() {
  halt
  if [ -f "$state/dir" ]; then
    rm -rf "$(cat "$state/dir")"
  fi
  rm -f "$state/uri" "$state/dir" "$state/port" "$state/binary" "$state/password"
}

start_server() {  # [tls]
  local tls=${1:-}
  stop_server  # a server left over from an interrupted run
  if [ -n "$tls" ]; then
    if [ -n "${TRADESTORE_TEST_MONGO_URI:-}" ]; then
      log "TRADESTORE_TEST_MONGO_URI is set: start-tls needs a server of its own"
      exit 2
    fi
    "$scripts/test-certs.sh" "$state/certs"
    head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$state/password"
    chmod 600 "$state/password"
  fi
  if [ -n "${TRADESTORE_TEST_MONGO_URI:-}" ]; then
    log "using TRADESTORE_TEST_MONGO_URI; starting no server"
    printf '%s\n' "$TRADESTORE_TEST_MONGO_URI" >"$state/uri"
    return
  fi
  local binary
  if ! binary=$("$scripts/ferretdb-build.sh"); then
    if [ "${CI:-}" = "true" ]; then
      log "cannot build FerretDB (needs Go 1.24+); CI=true, so this fails"
      exit 1
    fi
    log "cannot build FerretDB (needs Go 1.24+): the MongoDB tests will be skipped"
    return
  fi
  local dir
  dir=$(mktemp -d /tmp/tradestore-ferretdb.XXXXXX)
  mkdir -p "$dir/data"
  echo "$dir" >"$state/dir"
  echo "$binary" >"$state/binary"

  local attempt port
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$(random_server_port)
    port_in_use "$port" && continue
    if launch "$binary" "$dir" "$port"; then
      echo "$port" >"$state/port"
      if [ -n "$tls" ]; then
        printf 'mongodb://127.0.0.1:%s/?tls=true&tlsCAFile=%s&authSource=admin\n' "$port" \
          "$state/certs/ca.pem" >"$state/uri"
      else
        printf 'mongodb://127.0.0.1:%s/\n' "$port" >"$state/uri"
      fi
      log "FerretDB listening on 127.0.0.1:$port${tls:+ (TLS and SCRAM only)} (data in $dir)"
      return
    fi
  done
  log "could not start FerretDB; last log lines:"
  tail -n 20 "$dir/server.log" >&2 || true
  exit 1
}

resume_server() {
  if [ ! -f "$state/port" ]; then
    log "nothing to resume in $state"
    exit 1
  fi
  local port
  port=$(cat "$state/port")
  local i
  for i in $(seq 1 100); do
    launch "$(cat "$state/binary")" "$(cat "$state/dir")" "$port" && return
    sleep 0.1  # the port may still be in TIME_WAIT use by the old process
  done
  log "could not restart FerretDB on port $port; last log lines:"
  tail -n 20 "$(cat "$state/dir")/server.log" >&2 || true
  exit 1
}

case "$command" in
  start) start_server ;;
  start-tls) start_server tls ;;
  stop) stop_server ;;
  pause) halt ;;
  resume) resume_server ;;
  *)
    echo "usage: $0 start|start-tls|stop|pause|resume <state-dir>" >&2
    exit 2
    ;;
esac
