#!/usr/bin/env bash
# A throwaway PostgreSQL server for the postgres-store tests and benchmark: a fresh cluster in
# a temporary directory, listening on a free loopback port, with its socket in that directory.
#
#   scripts/pg-test-server.sh start  <state-dir>  start one; its URI goes to <state-dir>/uri
#   scripts/pg-test-server.sh stop   <state-dir>  stop it and remove its data
#   scripts/pg-test-server.sh pause  <state-dir>  stop it (pg_ctl stop -m fast), keep its data
#   scripts/pg-test-server.sh resume <state-dir>  start it again, on the same port
#   scripts/pg-test-server.sh start-tls <state-dir>  start one that takes TLS connections only
#   scripts/pg-test-server.sh start-replica <state-dir> <primary-state-dir>
#                                                 start a streaming replica of a server that
#                                                 `start` started in <primary-state-dir>
#
# start-tls: ssl = on with a server certificate from scripts/test-certs.sh (in
# <state-dir>/certs: the CA is ca.pem, other-ca.pem an unrelated one), and pg_hba.conf accepts
# TCP connections only over TLS (hostssl) with a password (scram-sha-256), for the role
# `tradestore`, whose password goes to <state-dir>/password. Its URI (without the password)
# asks for sslmode=verify-full with that CA. The local socket stays trusted for the setup.
#
# start-replica: a hot standby made by `pg_basebackup -R -X stream` through the primary's
# socket (initdb's pg_hba.conf trusts replication connections there; PostgreSQL 15's defaults,
# wal_level = replica and max_wal_senders = 10, are what streaming needs), with a physical
# replication slot on the primary so that a paused replica finds the WAL it missed. It gets a
# directory and port of its own and writes uri, dir, bindir and port like `start`, so stop,
# pause and resume work on it: resume starts it on the same port, and it reconnects to the
# primary by itself. start-replica and resume (when the primary is up) return once the replica
# takes connections, is in recovery and has replayed the primary's WAL up to its LSN at that
# moment, so a test starts from a caught-up replica. `stop` on a replica drops its slot
# (while the primary runs); stop a replica before its primary.
#
# The tests run `start` once per run as a CTest fixture (FIXTURES_SETUP) and `stop` after
# (FIXTURES_CLEANUP); the outage test runs a private one that it pauses and resumes; the
# postgres_replica fixture starts a primary and a replica of their own.
#  - With TRADESTORE_TEST_PG_URI set, `start` writes that URI and starts nothing; start-replica
#    then fails, since an outside server is not one to copy.
#  - initdb refuses root: as root, the server runs as the `postgres` user (runuser).
#  - Without PostgreSQL's server binaries, `start` writes no URI and succeeds, so the tests
#    skip; with CI=true it fails instead. start-replica on such a primary does the same.
# Environment: PG_BINDIR (default: /usr/lib/postgresql/15/bin, else the newest installed);
# PG_REPLICA_TIMEOUT (seconds to wait for a replica to catch up, default 60).
set -euo pipefail

command=${1:-}
state=${2:-}
usage() {
  echo "usage: $0 start|start-tls|stop|pause|resume <state-dir>" >&2
  echo "       $0 start-replica <state-dir> <primary-state-dir>" >&2
  exit 2
}
if [ -z "$command" ] || [ -z "$state" ]; then
  usage
fi
mkdir -p "$state"
state=$(cd "$state" && pwd)

log() { echo "pg-test-server: $*" >&2; }

find_bindir() {
  local candidate candidates
  if [ -n "${PG_BINDIR:-}" ]; then
    candidates=("$PG_BINDIR")
  else
    candidates=(/usr/lib/postgresql/15/bin)
    mapfile -t -O 1 candidates < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
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
  [ -f "$state/slot" ] && drop_replica_slot
  rm -f "$state/uri" "$state/dir" "$state/bindir" "$state/port" "$state/password" \
    "$state/primary" "$state/slot"
}

# A replica's: its primary's state directory, and where the primary's socket is.
primary_of_replica() {  # prints "<bindir> <socket dir> <port>" of $state's primary, if it runs
  local primary
  primary=$(cat "$state/primary")
  [ -f "$primary/dir" ] && [ -f "$primary/port" ] || return 1
  [ -f "$(cat "$primary/dir")/data/postmaster.pid" ] || return 1
  echo "$(cat "$primary/bindir") $(cat "$primary/dir") $(cat "$primary/port")"
}

psql_at() {  # <bindir> <socket dir> <port> <sql>: one value, through the socket
  "$1/psql" -X -q -A -t -h "$2" -p "$3" -U postgres -d postgres -c "$4"
}

# The replica's slot keeps WAL on the primary until dropped. Its walsender may outlive the
# replica by a moment, and an active slot cannot be dropped, so this polls.
drop_replica_slot() {
  local slot where bindir socket port attempt
  slot=$(cat "$state/slot")
  where=$(primary_of_replica) || return 0  # the primary is gone, and its data with it
  read -r bindir socket port <<<"$where"
  for attempt in $(seq 1 100); do
    [ "$(psql_at "$bindir" "$socket" "$port" \
      "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot'")" = 0 ] && return 0
    psql_at "$bindir" "$socket" "$port" "SELECT pg_drop_replication_slot(slot_name)
      FROM pg_replication_slots WHERE slot_name = '$slot' AND NOT active" >/dev/null 2>&1 || true
    [ "$attempt" -eq 100 ] || sleep 0.1
  done
  log "could not drop replication slot $slot on the primary"
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

# Starts the cluster in <dir> on a free loopback port (a few tries: another server may take a
# port between the check and the start), its socket in <dir>, with <settings> appended to
# postgresql.conf; the port goes to `port` and <state-dir>/port. Exits when it cannot.
start_on_free_port() {  # <bindir> <dir> <settings> [tls]
  local bindir=$1 dir=$2 settings=$3 tls=${4:-} attempt
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$(random_server_port)
    port_in_use "$port" && continue
    # A later line of a setting wins over an earlier one (a replica's copied settings).
    as_owner sh -c "cat >>'$dir/data/postgresql.conf'" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
$settings
EOF
    [ -n "$tls" ] && configure_tls "$dir"
    if pg_start "$bindir" "$dir"; then
      echo "$port" >"$state/port"
      return
    fi
    log "start on port $port failed (attempt $attempt); see $dir/server.log"
  done
  log "could not start PostgreSQL"
  cat "$dir/server.log" >&2 || true
  exit 1
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

  # The server's own settings: loopback only, its socket in its directory, enough
  # connections for several pools, and room in the lock table for batches of a few
  # thousand advisory locks. fsync stays on.
  local port
  start_on_free_port "$bindir" "$dir" "max_connections = 300
max_locks_per_transaction = 256
shared_buffers = 256MB" "$tls"
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
}

# Polls until the replica takes connections, is in recovery, and has replayed the primary's
# WAL up to the primary's current LSN (taken now).
wait_caught_up() {  # <bindir> <replica dir> <replica port> <primary socket dir> <primary port>
  local bindir=$1 dir=$2 port=$3 target answer deadline
  target=$(psql_at "$bindir" "$4" "$5" "SELECT pg_current_wal_lsn()")
  deadline=$((SECONDS + ${PG_REPLICA_TIMEOUT:-60}))
  while [ "$SECONDS" -lt "$deadline" ]; do
    answer=$(psql_at "$bindir" "$dir" "$port" "SELECT pg_is_in_recovery()
      AND pg_last_wal_replay_lsn() >= '$target'::pg_lsn" 2>/dev/null || true)
    [ "$answer" = t ] && return 0
    sleep 0.1
  done
  log "the replica on port $port did not replay up to the primary's $target within" \
    "${PG_REPLICA_TIMEOUT:-60} s; the end of $dir/server.log:"
  tail -n 20 "$dir/server.log" >&2 || true
  return 1
}

start_replica() {  # <primary state dir>
  local primary
  mkdir -p "$1"
  primary=$(cd "$1" && pwd)
  if [ ! -f "$primary/dir" ]; then
    if [ -f "$primary/uri" ]; then
      log "no server of ours in $primary (its URI came from TRADESTORE_TEST_PG_URI?):" \
        "start-replica copies a server that \`$0 start\` started"
      exit 2
    fi
    if [ -z "$(find_bindir)" ]; then
      if [ "${CI:-}" = "true" ]; then
        log "no PostgreSQL server binaries (initdb, pg_ctl) found; install postgresql-15"
        exit 1
      fi
      log "no PostgreSQL server binaries found: the replica tests will be skipped"
      return
    fi
    log "no server started by \`$0 start\` in $primary"
    exit 2
  fi
  if [ -f "$primary/password" ]; then
    log "the server in $primary is a start-tls one: start-replica needs one from \`start\`"
    exit 2
  fi
  stop_server  # a replica left over from an interrupted run
  local bindir pdir pport
  bindir=$(cat "$primary/bindir")
  pdir=$(cat "$primary/dir")
  pport=$(cat "$primary/port")
  if ! "$bindir/pg_isready" -q -h "$pdir" -p "$pport"; then
    log "the primary in $primary (port $pport) does not take connections"
    exit 2
  fi
  local level
  level=$(psql_at "$bindir" "$pdir" "$pport" "SHOW wal_level")
  if [ "$level" = minimal ]; then
    log "the primary has wal_level = minimal: it cannot stream to a replica"
    exit 2
  fi

  local dir slot
  dir=$(mktemp -d /tmp/tradestore-pg-replica.XXXXXX)
  chmod 700 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  echo "$dir" >"$state/dir"
  echo "$bindir" >"$state/bindir"
  echo "$primary" >"$state/primary"
  slot="replica_$(printf %s "${dir##*.}" | tr -dc '[:alnum:]' | tr '[:upper:]' '[:lower:]')_$$"
  # -C -S: the slot is made by the backup itself, so no WAL goes missing in between.
  if ! as_owner "$bindir/pg_basebackup" -h "$pdir" -p "$pport" -U postgres -D "$dir/data" \
    -R -X stream --checkpoint=fast -C -S "$slot" --no-sync >"$dir/basebackup.log" 2>&1; then
    log "pg_basebackup failed:"
    cat "$dir/basebackup.log" >&2
    exit 1
  fi
  echo "$slot" >"$state/slot"

  # The primary's settings came with the backup: the same style, on a port of its own.
  local port
  start_on_free_port "$bindir" "$dir" "hot_standby = on"
  wait_caught_up "$bindir" "$dir" "$port" "$pdir" "$pport" || exit 1
  echo "postgresql://postgres@127.0.0.1:$port/tradestore_test" >"$state/uri"
  log "replica of 127.0.0.1:$pport on 127.0.0.1:$port ($dir), slot $slot"
}

resume_server() {
  local bindir dir
  bindir=$(cat "$state/bindir")
  dir=$(cat "$state/dir")
  pg_start "$bindir" "$dir"
  [ -f "$state/primary" ] || return 0
  local where pdir pport
  if where=$(primary_of_replica) && read -r _ pdir pport <<<"$where" &&
    "$bindir/pg_isready" -q -h "$pdir" -p "$pport"; then
    wait_caught_up "$bindir" "$dir" "$(cat "$state/port")" "$pdir" "$pport"
  else
    log "the replica's primary is down: not waiting for the replica to catch up"
  fi
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
  start-replica)
    [ -n "${3:-}" ] || usage
    start_replica "$3"
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
      resume_server
    fi
    ;;
  *) usage ;;
esac
