#!/usr/bin/env bash
# A throwaway PostgreSQL server for the postgres-store tests and benchmark: a fresh cluster in
# a temporary directory, listening on a free loopback port, with its socket in that directory.
#
#   scripts/pg-test-server.sh start  <state-dir>  start one; its URI goes to <state-dir>/uri
#   scripts/pg-test-server.sh stop   <state-dir>  stop it and remove its data
#   scripts/pg-test-server.sh pause  <state-dir>  stop it (pg_ctl stop -m fast), keep its data
#   scripts/pg-test-server.sh resume <state-dir>  start it again, on the same port
#   scripts/pg-test-server.sh start-tls <state-dir>  start one that takes TLS connections only
#
# start-tls: ssl = on with a server certificate from scripts/test-certs.sh (in
# <state-dir>/certs: the CA is ca.pem, other-ca.pem an unrelated one), and pg_hba.conf accepts
# TCP connections only over TLS (hostssl) with a password (scram-sha-256), for the role
# `tradestore`, whose password goes to <state-dir>/password. Its URI (without the password)
# asks for sslmode=verify-full with that CA. The local socket stays trusted for the setup.
#
# The tests run `start` once per run as a CTest fixture (FIXTURES_SETUP) and `stop` after
# (FIXTURES_CLEANUP); the outage test runs a private one that it pauses and resumes.
#  - With TRADESTORE_TEST_PG_URI set, `start` writes that URI and starts nothing.
#  - initdb refuses root: as root, the server runs as the `postgres` user (runuser).
#  - Without PostgreSQL's server binaries, `start` writes no URI and succeeds, so the tests
#    skip; with CI=true it fails instead.
# Environment: PG_BINDIR (default: /usr/lib/postgresql/15/bin, else the newest installed).
set -euo pipefail

command=${1:-}
state=${2:-}
if [ -z "$command" ] || [ -z "$state" ]; then
  echo "usage: $0 start|start-tls|stop|pause|resume <state-dir>" >&2
  exit 2
fi
mkdir -p "$state"
state=$(cd "$state" && pwd)

log() { echo "pg-test-server: $*" >&2; }

find_bindir() {
  local candidate candidates
  if [ -n "${PG_BINDIR:-}" ]; then
    candidates=("$PG_BINDIR")
  else
    candidates=(/usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r))
  fi
  for candidate in "${candidates[@]}"; do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
      echo "$candidate"
      return
    fi
  done
}

# Runs a server binary as the user owning the cluster.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# shellcheck source=test-server-port.sh
. "$(dirname "$0")/test-server-port.sh"

pg_start() {  # <bindir> <dir>
  as_owner "$1/pg_ctl" -D "$2/data" -l "$2/server.log" -w -t 60 start >/dev/null
}

pg_stop() {  # <bindir> <dir> [mode]
  as_owner "$1/pg_ctl" -D "$2/data" -m "${3:-fast}" -w -t 60 stop >/dev/null
}

stop_server() {
  if [ -f "$state/dir" ]; then
    local dir bindir
    dir=$(cat "$state/dir")
    bindir=$(cat "$state/bindir")
    if [ -f "$dir/data/postmaster.pid" ]; then
      # Its data goes with it: no shutdown checkpoint needed.
      pg_stop "$bindir" "$dir" immediate || log "pg_ctl stop failed; see $dir/server.log"
    fi
    rm -rf "$dir"
  fi
  rm -f "$state/uri" "$state/dir" "$state/bindir" "$state/port" "$state/password"
}

# ssl = on with the test CA's server certificate, and TCP only over TLS with a password.
# PostgreSQL wants its key readable by the server's user alone, so it gets a copy of its own.
configure_tls() {  # <dir>
  local dir=$1 certs="$state/certs"
  "$(dirname "$0")/test-certs.sh" "$certs"
  cp "$certs/server.pem" "$certs/server.key" "$dir/"
  chmod 600 "$dir/server.key"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/server.pem" "$dir/server.key"
  as_owner sh -c "cat >>'$dir/data/postgresql.conf'" <<EOF
ssl = on
ssl_cert_file = '$dir/server.pem'
ssl_key_file = '$dir/server.key'
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
EOF
  as_owner sh -c "cat >'$dir/data/pg_hba.conf'" <<EOF
local   all  all                 trust
hostssl all  all  127.0.0.1/32   scram-sha-256
hostssl all  all  ::1/128        scram-sha-256
EOF
}

start_server() {  # [tls]
  local tls=${1:-}
  stop_server  # a server left over from an interrupted run
  if [ -n "${TRADESTORE_TEST_PG_URI:-}" ]; then
    log "using TRADESTORE_TEST_PG_URI; starting no server"
    printf '%s\n' "$TRADESTORE_TEST_PG_URI" >"$state/uri"
    return
  fi
  local bindir
  bindir=$(find_bindir)
  if [ -z "$bindir" ]; then
    if [ "${CI:-}" = "true" ]; then
      log "no PostgreSQL server binaries (initdb, pg_ctl) found; install postgresql-15"
      exit 1
    fi
    log "no PostgreSQL server binaries found: the PostgreSQL tests will be skipped"
    return
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    log "running as root, but there is no 'postgres' user to run the server as"
    exit 1
  fi

  local dir
  dir=$(mktemp -d /tmp/tradestore-pg.XXXXXX)
  chmod 700 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  echo "$dir" >"$state/dir"
  echo "$bindir" >"$state/bindir"

  as_owner "$bindir/initdb" -D "$dir/data" -U postgres --locale=C.UTF-8 --encoding=UTF8 \
    --auth=trust --no-sync >"$dir/initdb.log" 2>&1 ||
    { log "initdb failed:"; cat "$dir/initdb.log" >&2; exit 1; }

  local attempt port
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$(random_server_port)
    port_in_use "$port" && continue
    # The server's own settings: loopback only, its socket in its directory, enough
    # connections for several pools, and room in the lock table for batches of a few
    # thousand advisory locks. fsync stays on.
    as_owner sh -c "cat >>'$dir/data/postgresql.conf'" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 300
max_locks_per_transaction = 256
shared_buffers = 256MB
EOF
    [ -n "$tls" ] && configure_tls "$dir"
    if pg_start "$bindir" "$dir"; then
      echo "$port" >"$state/port"
      # Through the socket: with TLS on, TCP needs a password that no role has yet.
      "$bindir/psql" -X -q -h "$dir" -p "$port" -U postgres -d postgres \
        -c "CREATE DATABASE tradestore_test" >/dev/null
      if [ -n "$tls" ]; then
        local password
        password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
        printf '%s\n' "$password" >"$state/password"
        chmod 600 "$state/password"
        "$bindir/psql" -X -q -h "$dir" -p "$port" -U postgres -d tradestore_test \
          -v "password=$password" >/dev/null <<'EOF'
CREATE ROLE tradestore LOGIN PASSWORD :'password';
GRANT ALL ON SCHEMA public TO tradestore;
EOF
        echo "postgresql://tradestore@127.0.0.1:$port/tradestore_test?sslmode=verify-full&sslrootcert=$state/certs/ca.pem" >"$state/uri"
      else
        echo "postgresql://postgres@127.0.0.1:$port/tradestore_test" >"$state/uri"
      fi
      log "PostgreSQL $("$bindir/postgres" -V | awk '{print $3}') on 127.0.0.1:$port ($dir)"
      return
    fi
    log "start on port $port failed (attempt $attempt); see $dir/server.log"
  done
  log "could not start PostgreSQL"
  cat "$dir/server.log" >&2 || true
  exit 1
}

case "$command" in
  start) start_server ;;
  start-tls)
    if [ -n "${TRADESTORE_TEST_PG_URI:-}" ]; then
      log "TRADESTORE_TEST_PG_URI is set: start-tls needs a server of its own"
      exit 2
    fi
    start_server tls
    ;;
  stop) stop_server ;;
  pause | resume)
    if [ ! -f "$state/dir" ]; then
      log "no server of ours in $state (is TRADESTORE_TEST_PG_URI set?)"
      exit 2
    fi
    if [ "$command" = pause ]; then
      pg_stop "$(cat "$state/bindir")" "$(cat "$state/dir")"
    else
      pg_start "$(cat "$state/bindir")" "$(cat "$state/dir")"
    fi
    ;;
  *)
    echo "usage: $0 start|start-tls|stop|pause|resume <state-dir>" >&2
    exit 2
    ;;
esac
